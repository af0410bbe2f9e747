DROP FUNCTION IF EXISTS sms_quiet_end(jsonb);
DROP FUNCTION IF EXISTS sms_quiet_start(jsonb);
