DROP INDEX IF EXISTS outbox_undone_idx;
ALTER TABLE outbox DROP COLUMN IF EXISTS redone, DROP COLUMN IF EXISTS done_at;
DROP TABLE IF EXISTS queue_workers;
-- An uncertain message goes back to 'sending', the state it was stranded in.
UPDATE sms_messages SET status = 'sending' WHERE status = 'uncertain';
DROP INDEX IF EXISTS sms_messages_uncertain_idx;
ALTER TABLE sms_messages DROP COLUMN IF EXISTS claimed_by;
