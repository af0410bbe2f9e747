-- At most once to each customer, and every message and every outbox row accounted for
-- (issue 18): worker heartbeats, stranded SMS claims, and outbox rows whose work is done.

-- name: BeatQueueWorker :exec
-- BeatQueueWorker records that a worker process is alive (inserted on its first beat).
INSERT INTO queue_workers (id, host, pid, started_at, beat_at)
VALUES (@id, @host, @pid, @at::timestamptz, @at::timestamptz)
ON CONFLICT (id) DO UPDATE SET beat_at = EXCLUDED.beat_at;

-- name: DeleteQueueWorker :exec
DELETE FROM queue_workers WHERE id = @id;

-- name: DeleteDeadQueueWorkers :execrows
-- DeleteDeadQueueWorkers forgets the workers silent since @before that hold no claim.
DELETE FROM queue_workers w
WHERE w.beat_at < @before::timestamptz
  AND NOT EXISTS (SELECT 1 FROM sms_messages m WHERE m.status = 'sending' AND m.claimed_by = w.id);

-- name: StrandedSMS :many
-- StrandedSMS lists up to @max messages stuck in 'sending' with no provider report: their
-- claiming worker's heartbeat stopped before @dead_before (or is gone: it stopped), or the
-- claim is older than @claimed_before whoever holds it (a claim outside a worker names none). Each may or may not have reached the provider.
SELECT m.id, m.dealer_id, m.phone, m.body, m.template, m.provider, m.claimed_by, m.claimed_at
FROM sms_messages m
WHERE m.status = 'sending'
  AND NOT EXISTS (SELECT 1 FROM sms_events e WHERE e.message_id = m.id)
  AND (m.claimed_at < @claimed_before::timestamptz
       OR (m.claimed_by <> '' AND m.claimed_at < @dead_before::timestamptz
           AND NOT EXISTS (SELECT 1 FROM queue_workers w WHERE w.id = m.claimed_by AND w.beat_at >= @dead_before::timestamptz)))
ORDER BY m.id
LIMIT @max;

-- name: MarkSMSUncertain :many
-- MarkSMSUncertain moves stranded messages (still 'sending', locked in id order) to
-- 'uncertain': nobody knows whether the provider took them, so they wait for a report or
-- a person.
WITH lk AS (
    SELECT id FROM sms_messages WHERE id = ANY (@ids::bigint[]) AND status = 'sending' ORDER BY id FOR UPDATE
)
UPDATE sms_messages m SET status = 'uncertain', error = @reason
FROM lk WHERE m.id = lk.id
RETURNING m.id;

-- name: RequeueUnacceptedSMS :execrows
-- RequeueUnacceptedSMS gives a stranded message back to the queue when the provider
-- confirmed it never accepted it; the sweep releases it again.
UPDATE sms_messages SET status = 'queued', claimed_at = NULL, claimed_by = '', released_at = NULL,
    error = 'requeued: the provider confirmed it never took the message'
WHERE id = @id AND status IN ('sending', 'uncertain');

-- name: ConfirmSMSAccepted :execrows
-- ConfirmSMSAccepted records a stranded message as sent when the provider confirmed it.
UPDATE sms_messages SET status = 'sent', sent_at = COALESCE(sent_at, @at::timestamptz),
    provider = @provider, provider_id = @provider_id, error = ''
WHERE id = @id AND status IN ('sending', 'uncertain');

-- name: CountUncertainSMS :one
SELECT count(*) FROM sms_messages WHERE dealer_id = @dealer_id AND status = 'uncertain';

-- name: ListUncertainSMS :many
-- ListUncertainSMS lists a dealer's uncertain messages, oldest first, for the director.
SELECT m.id, m.phone, m.template, m.body, m.claimed_at, m.attempts, m.provider, m.error,
       COALESCE(c.name, '')::text AS customer, COALESCE(k.code, '')::text AS broadcast
FROM sms_messages m
LEFT JOIN customers c ON c.id = m.customer_id
LEFT JOIN broadcasts k ON k.id = m.broadcast_id
WHERE m.dealer_id = @dealer_id AND m.status = 'uncertain'
ORDER BY m.id
LIMIT @max;

-- name: DecideUncertainSMS :many
-- DecideUncertainSMS applies a director's decision to some of the dealer's uncertain
-- messages (locked in id order) and audits it: 'sent' (the customer has it), 'resend'
-- (queued again; the sweep releases it) or 'failed' (give it up).
WITH lk AS (
    SELECT x.id FROM sms_messages x
    WHERE x.dealer_id = @dealer_id::bigint AND x.id = ANY (@ids::bigint[]) AND x.status = 'uncertain'
    ORDER BY x.id FOR UPDATE
), upd AS (
    UPDATE sms_messages m
    SET status = CASE @decision::text WHEN 'sent' THEN 'sent' WHEN 'resend' THEN 'queued' ELSE 'failed' END,
        sent_at = CASE WHEN @decision::text = 'sent' THEN COALESCE(m.sent_at, m.claimed_at) ELSE m.sent_at END,
        claimed_at = CASE WHEN @decision::text = 'resend' THEN NULL ELSE m.claimed_at END,
        claimed_by = CASE WHEN @decision::text = 'resend' THEN '' ELSE m.claimed_by END,
        released_at = CASE WHEN @decision::text = 'resend' THEN NULL ELSE m.released_at END,
        error = 'decided by a director: ' || @decision::text
    FROM lk WHERE m.id = lk.id
    RETURNING m.id
), audit AS (
    INSERT INTO audit_log (dealer_id, user_id, action, subject_type, subject_id, detail)
    SELECT @dealer_id::bigint, sqlc.narg(user_id)::bigint, 'sms_uncertain.decide', 'sms_message', upd.id,
           jsonb_build_object('decision', @decision::text)
    FROM upd
)
SELECT id FROM upd;

-- name: MarkOutboxDone :exec
-- MarkOutboxDone records that the work of an outbox row completed (or failed for good).
UPDATE outbox SET done_at = @now::timestamptz WHERE id = @id AND done_at IS NULL;

-- name: MarkOutboxDoneMany :exec
UPDATE outbox SET done_at = @now::timestamptz WHERE id = ANY (@ids::bigint[]) AND done_at IS NULL;

-- name: UndoneOutboxForCheck :many
-- UndoneOutboxForCheck locks up to @max rows after id @after, relayed before @before,
-- whose work has not completed: the relay checks that Redis still holds their tasks.
SELECT id, dealer_id, task_type, payload, relayed_at, redone FROM outbox
WHERE id > @after AND relayed_at < @before::timestamptz AND done_at IS NULL
ORDER BY id
LIMIT @max
FOR UPDATE SKIP LOCKED;

-- name: MarkOutboxRedone :exec
UPDATE outbox SET redone = redone + 1, relayed_at = @now::timestamptz WHERE id = ANY (@ids::bigint[]);

-- name: QueuedSMSAmong :many
-- QueuedSMSAmong returns which of @ids are still queued and due at @now.
SELECT id FROM sms_messages
WHERE id = ANY (@ids::bigint[]) AND status = 'queued' AND (not_before IS NULL OR not_before <= @now::timestamptz)
ORDER BY id;
