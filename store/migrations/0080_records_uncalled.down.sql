DROP INDEX IF EXISTS call_outcomes_uncalled_idx;
