DROP INDEX IF EXISTS call_outcomes_dealer_code_idx;
DROP INDEX IF EXISTS call_attempts_dealer_sip_invite_idx;
