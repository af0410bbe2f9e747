-- Dealer and user administration (huifang dealer/user, the console's /admin/users).

-- name: CreateDealer :one
INSERT INTO dealers (code, name, time_zone) VALUES (@code, @name, @time_zone) RETURNING *;

-- name: UpdateDealerNameZone :one
UPDATE dealers SET name = @name, time_zone = @time_zone WHERE code = @code RETURNING *;

-- name: InsertUser :one
-- InsertUser adds a user; a user name taken at the dealer is a unique violation.
INSERT INTO users (dealer_id, username, display_name, role, password_hash, sip_ha1, sip_secret_at)
VALUES (@dealer_id, @username, @display_name, @role, @password_hash, @sip_ha1, @sip_secret_at)
RETURNING *;

-- name: CountUsernameElsewhere :one
-- CountUsernameElsewhere counts the users with this user name at other dealers (only the
-- active ones when only_active).
SELECT count(*) FROM users
WHERE username = @username AND dealer_id <> @dealer_id AND (active OR NOT @only_active::boolean);

-- name: SetUserPasswords :execrows
UPDATE users SET password_hash = @password_hash
WHERE id = @id AND dealer_id = @dealer_id;

-- name: SetUserSIPHA1 :execrows
-- SetUserSIPHA1 stores an agent's new SIP secret as its digest HA1 (never the secret).
UPDATE users SET sip_ha1 = @sip_ha1, sip_secret_at = now()
WHERE id = @id AND dealer_id = @dealer_id AND role = 'agent';

-- name: SetUserActive :execrows
UPDATE users SET active = @active WHERE id = @id AND dealer_id = @dealer_id;

-- name: DeleteUserConsoleSessions :many
-- DeleteUserConsoleSessions ends every console session of the user and returns their
-- token hashes (so the console can close their live connections).
DELETE FROM console_sessions WHERE user_id = @user_id RETURNING token_hash;

-- name: DeleteUserSipBindings :execrows
DELETE FROM sip_bindings WHERE user_id = @user_id;

-- name: UpdateUserProfile :execrows
UPDATE users SET display_name = @display_name, role = @role WHERE id = @id AND dealer_id = @dealer_id;
