DROP INDEX IF EXISTS call_outcomes_dealer_created_idx;
