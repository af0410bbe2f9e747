-- name: GetDealerByCode :one
SELECT * FROM dealers WHERE code = $1;

-- name: GetDealer :one
SELECT * FROM dealers WHERE id = $1;

-- name: ListDealers :many
SELECT * FROM dealers ORDER BY code;

-- name: EnsureDealer :one
-- EnsureDealer creates the dealer on its first import and returns it either way.
INSERT INTO dealers (code, name) VALUES (@code, @name)
ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code
RETURNING *;

-- name: ListHolidays :many
SELECT * FROM dealer_holidays WHERE dealer_id = $1 ORDER BY day;

-- name: AddHoliday :exec
INSERT INTO dealer_holidays (dealer_id, day, name) VALUES ($1, $2, $3)
ON CONFLICT (dealer_id, day) DO UPDATE SET name = EXCLUDED.name;

-- name: CreateUser :one
INSERT INTO users (dealer_id, username, display_name, role, password_hash, sip_ha1)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (dealer_id, username) DO UPDATE
    SET display_name = EXCLUDED.display_name, role = EXCLUDED.role,
        password_hash = EXCLUDED.password_hash, sip_ha1 = EXCLUDED.sip_ha1
RETURNING *;

-- name: GetUserByUsername :one
SELECT * FROM users WHERE dealer_id = $1 AND username = $2;

-- name: FindUsersByUsername :many
SELECT * FROM users WHERE username = $1 AND active ORDER BY dealer_id;

-- name: GetUser :one
SELECT * FROM users WHERE id = $1;

-- name: ListUsers :many
SELECT * FROM users WHERE dealer_id = $1 ORDER BY username;

-- name: InsertAudit :exec
INSERT INTO audit_log (dealer_id, user_id, action, subject_type, subject_id, detail)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: InsertOutbox :one
INSERT INTO outbox (dealer_id, task_type, payload) VALUES ($1, $2, $3) RETURNING id;

-- name: CountCustomers :one
SELECT count(*) FROM customers WHERE dealer_id = $1;
