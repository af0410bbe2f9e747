UPDATE audit_log SET action = 'message_call_campaign.start', subject_type = 'sms_campaign'
WHERE action = 'message_call_broadcast.start';
UPDATE audit_log SET action = 'sms_campaign.start', subject_type = 'sms_campaign'
WHERE action = 'sms_broadcast.start';

UPDATE call_task_reasons
SET facts = (facts - 'broadcast_id') || jsonb_build_object('campaign_id', facts->'broadcast_id')
WHERE campaign = 'message_callback' AND facts ? 'broadcast_id';

ALTER TABLE message_call_targets RENAME CONSTRAINT message_call_targets_broadcast_id_phone_key TO message_call_targets_campaign_id_phone_key;
ALTER TABLE message_call_targets RENAME CONSTRAINT message_call_targets_broadcast_id_fkey TO message_call_targets_campaign_id_fkey;
ALTER TABLE message_call_targets RENAME COLUMN broadcast_id TO campaign_id;

ALTER INDEX sms_messages_broadcast_idx RENAME TO sms_messages_campaign_idx;
ALTER TABLE sms_messages RENAME CONSTRAINT sms_messages_broadcast_fk TO sms_messages_campaign_fk;
ALTER TABLE sms_messages RENAME COLUMN broadcast_id TO campaign_id;

ALTER TABLE broadcasts RENAME CONSTRAINT broadcasts_created_by_fkey TO sms_campaigns_created_by_fkey;
ALTER TABLE broadcasts RENAME CONSTRAINT broadcasts_dealer_id_fkey TO sms_campaigns_dealer_id_fkey;
ALTER TABLE broadcasts RENAME CONSTRAINT broadcasts_channel_check TO sms_campaigns_channel_check;
ALTER TABLE broadcasts RENAME CONSTRAINT broadcasts_dealer_id_code_key TO sms_campaigns_dealer_id_code_key;
ALTER TABLE broadcasts RENAME CONSTRAINT broadcasts_pkey TO sms_campaigns_pkey;
ALTER SEQUENCE broadcasts_id_seq RENAME TO sms_campaigns_id_seq;
ALTER TABLE broadcasts RENAME TO sms_campaigns;
