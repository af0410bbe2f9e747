DROP INDEX IF EXISTS sms_messages_phone_queued_idx;
ALTER TABLE call_outcomes DROP COLUMN IF EXISTS task_status, DROP COLUMN IF EXISTS effect;
DROP TABLE IF EXISTS call_attempt_effects;
DROP TRIGGER IF EXISTS outbox_notify ON outbox;
DROP FUNCTION IF EXISTS outbox_notify();
DROP INDEX IF EXISTS call_tasks_taken_by_idx;
DROP INDEX IF EXISTS call_tasks_take_idx;
