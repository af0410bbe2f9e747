-- Cloud SMS providers (Aliyun, Tencent): template codes, message variables and the
-- lookups their callbacks need (issue 7).

-- name: InsertSMSMessageVars :one
-- InsertSMSMessageVars is InsertSMSMessage with the variables the body was rendered with.
INSERT INTO sms_messages (dealer_id, customer_id, phone, kind, template, body, status, idempotency_key, vars)
VALUES (@dealer_id, @customer_id, @phone, @kind, @template, @body, @status, @idempotency_key, @vars)
ON CONFLICT (dealer_id, idempotency_key) DO NOTHING
RETURNING id;

-- name: FindSMSByProviderID :one
-- FindSMSByProviderID returns the message a provider knows by provider_id.
SELECT id FROM sms_messages WHERE provider = @provider AND provider_id = @provider_id
ORDER BY id DESC LIMIT 1;

-- name: SMSMessageExists :one
SELECT EXISTS (SELECT 1 FROM sms_messages WHERE id = @id)::boolean AS found;
