-- 0015_queue_work: what the queue's workers need beyond the core schema: the take-next
-- index, the outbox wake-up, applied gateway results, and the first result of an outcome.

-- The take walks open tasks in exactly this order, so the index serves ORDER BY ... LIMIT 1.
CREATE INDEX call_tasks_take_idx ON call_tasks (dealer_id, priority DESC, due_day, id) WHERE status = 'open';

-- A taken task is found by its agent (the console's "my current call").
CREATE INDEX call_tasks_taken_by_idx ON call_tasks (taken_by) WHERE taken_by IS NOT NULL AND status = 'open';

-- The relay LISTENs on huifang_outbox; every insert into outbox wakes it at commit.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('huifang_outbox', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- call_attempt_effects records each gateway call result applied to a task, so a result
-- reported twice changes the task once, and an agent's outcome for the same call does not
-- count the attempt a second time.
CREATE TABLE call_attempt_effects (
    dealer_id  bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    call_id    text NOT NULL,
    attempt_id bigint REFERENCES call_attempts(id) ON DELETE SET NULL,
    task_id    bigint NOT NULL REFERENCES call_tasks(id) ON DELETE CASCADE,
    outcome    text NOT NULL,
    counted    boolean NOT NULL,
    task_status text NOT NULL,
    not_before timestamptz,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dealer_id, call_id)
);
CREATE INDEX call_attempt_effects_attempt_idx ON call_attempt_effects (attempt_id) WHERE attempt_id IS NOT NULL;

-- call_outcomes keeps what its first save did, so a resend returns the same answer.
ALTER TABLE call_outcomes
    ADD COLUMN effect      text NOT NULL DEFAULT '',
    ADD COLUMN task_status text NOT NULL DEFAULT '';

-- The outcome's do-not-call sweep finds open tasks by phone.
CREATE INDEX sms_messages_phone_queued_idx ON sms_messages (dealer_id, phone) WHERE status = 'queued';
