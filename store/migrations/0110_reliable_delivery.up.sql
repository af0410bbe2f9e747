-- 0110_reliable_delivery: at most once to each customer, and every message and every
-- outbox row accounted for (issue 18).

-- claimed_by names the worker process (queue_workers.id) that claimed a message; a claim
-- of a process whose heartbeat stopped is stranded at once, without waiting for the
-- claim timeout. A stranded message may have reached the provider: it is never sent
-- again blindly, but becomes 'uncertain' (状态不明) until the provider confirms it or a
-- director decides (sent, resend, give up).
ALTER TABLE sms_messages ADD COLUMN claimed_by text NOT NULL DEFAULT '';
CREATE INDEX sms_messages_uncertain_idx ON sms_messages (dealer_id, id) WHERE status = 'uncertain';

-- queue_workers: one row per running worker process, with its heartbeat.
CREATE TABLE queue_workers (
    id         text PRIMARY KEY,
    host       text NOT NULL DEFAULT '',
    pid        integer NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL,
    beat_at    timestamptz NOT NULL
);

-- outbox.done_at: when the work a row asked for completed (its Asynq task succeeded, or
-- failed for good). A row relayed but not done is checked against Redis on a short cycle
-- and relayed again when Redis lost its task; redone counts those times.
ALTER TABLE outbox ADD COLUMN done_at timestamptz, ADD COLUMN redone integer NOT NULL DEFAULT 0;
UPDATE outbox SET done_at = relayed_at WHERE relayed_at IS NOT NULL;
CREATE INDEX outbox_undone_idx ON outbox (id) WHERE relayed_at IS NOT NULL AND done_at IS NULL;
