-- name: ListSMSConsentLog :many
-- ListSMSConsentLog returns a phone's consent changes at a dealer, newest first.
SELECT state, source, detail, at FROM sms_consent_log
WHERE dealer_id = @dealer_id AND phone = @phone
ORDER BY at DESC, id DESC
LIMIT 50;
