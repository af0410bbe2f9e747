-- 0061_sms_cloud: cloud SMS providers (Aliyun dysmsapi, Tencent Cloud SMS, issue 7).
-- They send only templates approved at the provider, with parameters and a registered
-- signature, so a message keeps the variables it was rendered with and a template the
-- code the provider approved it under.

-- vars: the template variables the message was rendered with ({"customer": "王先生", ...}).
ALTER TABLE sms_messages ADD COLUMN vars jsonb NOT NULL DEFAULT '{}';
-- provider_code: the template's id at the cloud provider (SMS_123456789, 1234567); empty
-- means the template cannot be sent through a cloud provider.
ALTER TABLE sms_templates ADD COLUMN provider_code text NOT NULL DEFAULT '';
-- Cloud delivery reports name the message by the provider's id.
CREATE INDEX sms_messages_provider_id_idx ON sms_messages (provider, provider_id) WHERE provider_id <> '';
