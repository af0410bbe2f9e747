DROP TABLE IF EXISTS message_call_targets;
DROP TABLE IF EXISTS sms_consent_log;
DROP TABLE IF EXISTS sms_consent;
DROP TABLE IF EXISTS sms_replies;
DROP TABLE IF EXISTS sms_events;
ALTER TABLE sms_messages DROP CONSTRAINT IF EXISTS sms_messages_campaign_fk;
DROP TABLE IF EXISTS sms_campaigns;
DROP TABLE IF EXISTS sms_templates;
DROP INDEX IF EXISTS sms_messages_phone_idx;
DROP INDEX IF EXISTS sms_messages_campaign_idx;
DROP INDEX IF EXISTS sms_messages_sending_idx;
DROP INDEX IF EXISTS sms_messages_unreleased_idx;
ALTER TABLE sms_messages
    DROP COLUMN IF EXISTS replied_at,
    DROP COLUMN IF EXISTS released_at,
    DROP COLUMN IF EXISTS claimed_at,
    DROP COLUMN IF EXISTS parts,
    DROP COLUMN IF EXISTS campaign_id;
