-- Call records written by the SIP gateway (telephony).

-- name: SaveCallAttempt :one
-- SaveCallAttempt writes one call attempt, or updates it when its Call-ID is known.
INSERT INTO call_attempts (
    dealer_id, task_id, customer_id, agent_user_id, kind, call_id, trunk, from_uri, to_number,
    invite_at, ring_at, answer_at, end_at, sip_status, sip_reason, hangup_by, outcome, dtmf,
    recording_path,
    customer_packets, customer_lost, customer_jitter_ms, customer_rtt_ms, customer_mos,
    agent_packets, agent_lost, agent_jitter_ms, agent_rtt_ms, agent_mos, mos, gateway_id
) VALUES (
    sqlc.narg(dealer_id), sqlc.narg(task_id), sqlc.narg(customer_id), sqlc.narg(agent_user_id),
    @kind, @call_id, @trunk, @from_uri, @to_number,
    @invite_at, sqlc.narg(ring_at), sqlc.narg(answer_at), sqlc.narg(end_at),
    @sip_status, @sip_reason, @hangup_by, @outcome, @dtmf, @recording_path,
    sqlc.narg(customer_packets)::bigint, sqlc.narg(customer_lost)::bigint, sqlc.narg(customer_jitter_ms)::real,
    sqlc.narg(customer_rtt_ms)::real, sqlc.narg(customer_mos)::real,
    sqlc.narg(agent_packets)::bigint, sqlc.narg(agent_lost)::bigint, sqlc.narg(agent_jitter_ms)::real,
    sqlc.narg(agent_rtt_ms)::real, sqlc.narg(agent_mos)::real,
    LEAST(sqlc.narg(customer_mos)::real, sqlc.narg(agent_mos)::real), @gateway_id
)
ON CONFLICT (call_id) DO UPDATE SET
    ring_at = EXCLUDED.ring_at, answer_at = EXCLUDED.answer_at, end_at = EXCLUDED.end_at,
    sip_status = EXCLUDED.sip_status, sip_reason = EXCLUDED.sip_reason,
    hangup_by = EXCLUDED.hangup_by, outcome = EXCLUDED.outcome, dtmf = EXCLUDED.dtmf,
    recording_path = EXCLUDED.recording_path,
    customer_packets = EXCLUDED.customer_packets, customer_lost = EXCLUDED.customer_lost,
    customer_jitter_ms = EXCLUDED.customer_jitter_ms, customer_rtt_ms = EXCLUDED.customer_rtt_ms,
    customer_mos = EXCLUDED.customer_mos,
    agent_packets = EXCLUDED.agent_packets, agent_lost = EXCLUDED.agent_lost,
    agent_jitter_ms = EXCLUDED.agent_jitter_ms, agent_rtt_ms = EXCLUDED.agent_rtt_ms,
    agent_mos = EXCLUDED.agent_mos, mos = EXCLUDED.mos
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

-- name: CloseLostCallAttempt :execrows
-- CloseLostCallAttempt ends a call attempt its gateway never finished (the process
-- placing it died or stopped mid-call) as a trunk failure, which is not a customer
-- attempt; a finished attempt is left as it is.
UPDATE call_attempts SET outcome = 'trunk_failure', hangup_by = 'system', end_at = @ended_at
WHERE dealer_id = @dealer_id AND call_id = @call_id AND outcome = '';

-- name: CloseLostTaskCallAttempts :execrows
-- CloseLostTaskCallAttempts ends, as trunk failures, the unfinished call attempts of an
-- agent's task whose process died between placing the call and saving that the agent was
-- on it (the saved state still showed the task before the call).
UPDATE call_attempts SET outcome = 'trunk_failure', hangup_by = 'system', end_at = @ended_at
WHERE dealer_id = @dealer_id AND task_id = @task_id AND agent_user_id = @agent_user_id AND outcome = '';

-- name: HeartbeatGateway :exec
-- HeartbeatGateway takes or renews the gateway's lease at @now.
INSERT INTO gateways (id, sip_addr, started_at, heartbeat_at, draining)
VALUES (@id, @sip_addr, @now::timestamptz, @now::timestamptz, @draining)
ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at, draining = EXCLUDED.draining,
    sip_addr = EXCLUDED.sip_addr;

-- name: DeleteGateway :exec
-- DeleteGateway gives the lease up (a gateway that stopped cleanly).
DELETE FROM gateways WHERE id = @id;

-- name: CloseDeadGatewayAttempts :many
-- CloseDeadGatewayAttempts ends, as trunk failures (not customer attempts), the unfinished
-- call attempts of gateways that hold no lease renewed since @live_after (their process
-- died, or stopped without finishing them), and returns them.
UPDATE call_attempts a
SET outcome = 'trunk_failure', hangup_by = 'system', end_at = @now::timestamptz,
    sip_reason = CASE WHEN a.sip_reason = '' THEN 'gateway lost' ELSE a.sip_reason END
WHERE a.outcome = '' AND a.gateway_id <> ''
  AND NOT EXISTS (SELECT 1 FROM gateways g WHERE g.id = a.gateway_id AND g.heartbeat_at >= @live_after::timestamptz)
RETURNING a.id, a.dealer_id, a.task_id, a.agent_user_id, a.call_id, a.gateway_id;

-- name: DeleteDeadGateways :execrows
-- DeleteDeadGateways forgets the leases not renewed since @live_after.
DELETE FROM gateways WHERE heartbeat_at < @live_after::timestamptz;

-- name: ListGateways :many
-- ListGateways returns the gateways' leases, newest first.
SELECT * FROM gateways ORDER BY heartbeat_at DESC, id;
