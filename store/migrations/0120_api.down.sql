DROP TRIGGER IF EXISTS webhook_consent ON sms_consent_log;
DROP TRIGGER IF EXISTS webhook_complaint ON complaints;
DROP TRIGGER IF EXISTS webhook_appointment ON appointments;
DROP TRIGGER IF EXISTS webhook_outcome ON call_outcomes;
DROP FUNCTION IF EXISTS webhook_on_consent();
DROP FUNCTION IF EXISTS webhook_on_complaint();
DROP FUNCTION IF EXISTS webhook_complaint_data(complaints);
DROP FUNCTION IF EXISTS webhook_on_appointment();
DROP FUNCTION IF EXISTS webhook_appointment_data(appointments);
DROP FUNCTION IF EXISTS webhook_on_outcome();
DROP FUNCTION IF EXISTS webhook_emit(bigint, text, timestamptz, jsonb);
DROP TABLE IF EXISTS webhook_deliveries, webhook_events, webhook_endpoints, appointments,
    api_secrets, api_external_ids, api_keys;
ALTER TABLE odometer_readings DROP CONSTRAINT IF EXISTS odometer_readings_id_key;
ALTER TABLE odometer_readings DROP COLUMN IF EXISTS id;
