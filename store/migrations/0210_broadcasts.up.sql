-- 0210_broadcasts: the word "campaign" means a call rule only (issue 11, item 1). An SMS or
-- recorded-message blast is a broadcast (docs/domain.md), so its table and the columns that
-- point at it take that name: sms_campaigns → broadcasts, sms_messages.campaign_id and
-- message_call_targets.campaign_id → broadcast_id, with their constraints, indexes and
-- sequence. No function or trigger body names them (Postgres would not rewrite a plpgsql
-- body); a callback reason's facts (campaign message_callback) name the broadcast as
-- broadcast_id from now on, and the audit names a start sms_broadcast.start or
-- message_call_broadcast.start (subject broadcast).
ALTER TABLE sms_campaigns RENAME TO broadcasts;
ALTER SEQUENCE sms_campaigns_id_seq RENAME TO broadcasts_id_seq;
ALTER TABLE broadcasts RENAME CONSTRAINT sms_campaigns_pkey TO broadcasts_pkey;
ALTER TABLE broadcasts RENAME CONSTRAINT sms_campaigns_dealer_id_code_key TO broadcasts_dealer_id_code_key;
ALTER TABLE broadcasts RENAME CONSTRAINT sms_campaigns_channel_check TO broadcasts_channel_check;
ALTER TABLE broadcasts RENAME CONSTRAINT sms_campaigns_dealer_id_fkey TO broadcasts_dealer_id_fkey;
ALTER TABLE broadcasts RENAME CONSTRAINT sms_campaigns_created_by_fkey TO broadcasts_created_by_fkey;

ALTER TABLE sms_messages RENAME COLUMN campaign_id TO broadcast_id;
ALTER TABLE sms_messages RENAME CONSTRAINT sms_messages_campaign_fk TO sms_messages_broadcast_fk;
ALTER INDEX sms_messages_campaign_idx RENAME TO sms_messages_broadcast_idx;

ALTER TABLE message_call_targets RENAME COLUMN campaign_id TO broadcast_id;
ALTER TABLE message_call_targets RENAME CONSTRAINT message_call_targets_campaign_id_fkey TO message_call_targets_broadcast_id_fkey;
ALTER TABLE message_call_targets RENAME CONSTRAINT message_call_targets_campaign_id_phone_key TO message_call_targets_broadcast_id_phone_key;

UPDATE call_task_reasons
SET facts = (facts - 'campaign_id') || jsonb_build_object('broadcast_id', facts->'campaign_id')
WHERE campaign = 'message_callback' AND facts ? 'campaign_id';

-- The audit names a broadcast's start the same way.
UPDATE audit_log SET action = 'sms_broadcast.start', subject_type = 'broadcast'
WHERE action = 'sms_campaign.start';
UPDATE audit_log SET action = 'message_call_broadcast.start', subject_type = 'broadcast'
WHERE action = 'message_call_campaign.start';
