DROP INDEX IF EXISTS sms_messages_provider_id_idx;
ALTER TABLE sms_templates DROP COLUMN IF EXISTS provider_code;
ALTER TABLE sms_messages DROP COLUMN IF EXISTS vars;
