-- name: LockLoginPair :exec
-- LockLoginPair serializes the login attempts of one user name and address until the
-- transaction ends, so that counting and reserving an attempt is one step.
SELECT pg_advisory_xact_lock(hashtextextended('login:' || @username::text || '@' || @remote::text, 0));

-- name: LoginAttemptCounts :one
-- LoginAttemptCounts counts the failures (and attempts in progress) since a time: of the
-- user name from the address, of the user name from anywhere and of the address for any
-- user name, each with its latest.
SELECT count(*) FILTER (WHERE f.username = @username AND f.remote = @remote)::bigint AS pair,
       coalesce(max(f.at) FILTER (WHERE f.username = @username AND f.remote = @remote), 'epoch')::timestamptz AS pair_last,
       count(*) FILTER (WHERE f.username = @username)::bigint AS by_username,
       coalesce(max(f.at) FILTER (WHERE f.username = @username), 'epoch')::timestamptz AS username_last,
       count(*) FILTER (WHERE f.remote = @remote)::bigint AS by_remote,
       coalesce(max(f.at) FILTER (WHERE f.remote = @remote), 'epoch')::timestamptz AS remote_last
FROM login_failures f
WHERE f.at > @since AND (f.username = @username OR f.remote = @remote);

-- name: IsKnownLoginPair :one
-- IsKnownLoginPair tells whether the user name logged in from the address since a time.
SELECT EXISTS (SELECT 1 FROM login_known WHERE username = @username AND remote = @remote AND last_at > @since);

-- name: ReserveLoginAttempt :one
-- ReserveLoginAttempt records an attempt before its password is checked: it counts as a
-- failure until the check succeeds and DeleteLoginAttempt removes it.
INSERT INTO login_failures (username, remote, at) VALUES (@username, @remote, @at) RETURNING id;

-- name: DeleteLoginAttempt :exec
DELETE FROM login_failures WHERE id = @id;

-- name: ClearLoginPairFailures :exec
-- ClearLoginPairFailures forgets a user name's failures from one address, after it
-- logged in from there.
DELETE FROM login_failures WHERE username = @username AND remote = @remote;

-- name: RememberLoginPair :exec
INSERT INTO login_known (username, remote, last_at) VALUES (@username, @remote, @at)
ON CONFLICT (username, remote) DO UPDATE SET last_at = greatest(login_known.last_at, excluded.last_at);

-- name: DeleteStaleLoginPairs :execrows
DELETE FROM login_known WHERE last_at < @before;

-- name: ListUserConsoleSessionHashes :many
-- ListUserConsoleSessionHashes returns the token hashes of the user's console sessions
-- (so the console can close their live connections when they end).
SELECT token_hash FROM console_sessions WHERE user_id = @user_id;
