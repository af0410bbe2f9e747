-- Call records written by the SIP gateway (telephony).

-- name: SaveCallAttempt :one
-- SaveCallAttempt writes one call attempt, or updates it when its Call-ID is known.
INSERT INTO call_attempts (
    dealer_id, task_id, customer_id, agent_user_id, kind, call_id, trunk, from_uri, to_number,
    invite_at, ring_at, answer_at, end_at, sip_status, sip_reason, hangup_by, outcome, dtmf,
    recording_path
) VALUES (
    sqlc.narg(dealer_id), sqlc.narg(task_id), sqlc.narg(customer_id), sqlc.narg(agent_user_id),
    @kind, @call_id, @trunk, @from_uri, @to_number,
    @invite_at, sqlc.narg(ring_at), sqlc.narg(answer_at), sqlc.narg(end_at),
    @sip_status, @sip_reason, @hangup_by, @outcome, @dtmf, @recording_path
)
ON CONFLICT (call_id) DO UPDATE SET
    ring_at = EXCLUDED.ring_at, answer_at = EXCLUDED.answer_at, end_at = EXCLUDED.end_at,
    sip_status = EXCLUDED.sip_status, sip_reason = EXCLUDED.sip_reason,
    hangup_by = EXCLUDED.hangup_by, outcome = EXCLUDED.outcome, dtmf = EXCLUDED.dtmf,
    recording_path = EXCLUDED.recording_path
RETURNING id;

-- name: GetCallAttemptByCallID :one
SELECT * FROM call_attempts WHERE call_id = $1;

-- name: SaveSipBinding :exec
-- SaveSipBinding stores an agent phone's binding, replacing the one before.
INSERT INTO sip_bindings (username, user_id, contact, source, transport, expires_at, updated_at)
VALUES (@username, @user_id, @contact, @source, @transport, @expires_at, now())
ON CONFLICT (username) DO UPDATE SET
    user_id = EXCLUDED.user_id, contact = EXCLUDED.contact, source = EXCLUDED.source,
    transport = EXCLUDED.transport, expires_at = EXCLUDED.expires_at, updated_at = now();

-- name: DeleteSipBinding :exec
-- DeleteSipBinding removes an agent phone's binding (the phone unregistered).
DELETE FROM sip_bindings WHERE username = $1;

-- name: ListLiveSipBindings :many
-- ListLiveSipBindings returns the bindings that have not expired at @now.
SELECT * FROM sip_bindings WHERE expires_at > @now::timestamptz ORDER BY username;
