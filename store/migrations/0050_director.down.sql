DROP TABLE IF EXISTS spot_checks;
DROP TABLE IF EXISTS spot_check_items;
ALTER TABLE call_attempts DROP COLUMN IF EXISTS recording_purged_at;
DROP INDEX IF EXISTS call_attempts_recorded_idx;
DROP INDEX IF EXISTS customers_dealer_name_idx;
DROP INDEX IF EXISTS call_outcomes_attempt_idx;
DROP INDEX IF EXISTS call_attempts_customer_invite_idx;
DROP INDEX IF EXISTS call_attempts_dealer_agent_invite_idx;
