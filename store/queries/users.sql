-- Dealer and user administration (huifang dealer/user, the console's /admin/users).

-- name: CreateDealer :one
INSERT INTO dealers (code, name, time_zone) VALUES (@code, @name, @time_zone) RETURNING *;

-- name: UpdateDealerNameZone :one
UPDATE dealers SET name = @name, time_zone = @time_zone WHERE code = @code RETURNING *;

-- name: InsertUser :one
-- InsertUser adds a user; a user name taken at the dealer is a unique violation.
INSERT INTO users (dealer_id, username, display_name, role, password_hash, sip_password)
VALUES (@dealer_id, @username, @display_name, @role, @password_hash, @sip_password)
RETURNING *;

-- name: CountUsernameElsewhere :one
-- CountUsernameElsewhere counts the users with this user name at other dealers (only the
-- active ones when only_active).
SELECT count(*) FROM users
WHERE username = @username AND dealer_id <> @dealer_id AND (active OR NOT @only_active::boolean);

-- name: SetUserPasswords :execrows
UPDATE users SET password_hash = @password_hash, sip_password = @sip_password
WHERE id = @id AND dealer_id = @dealer_id;

-- name: SetUserActive :execrows
UPDATE users SET active = @active WHERE id = @id AND dealer_id = @dealer_id;

-- name: DeleteUserConsoleSessions :many
-- DeleteUserConsoleSessions ends every console session of the user and returns their
-- token hashes (so the console can close their live connections).
DELETE FROM console_sessions WHERE user_id = @user_id RETURNING token_hash;

-- name: DeleteUserSipBindings :execrows
DELETE FROM sip_bindings WHERE user_id = @user_id;
