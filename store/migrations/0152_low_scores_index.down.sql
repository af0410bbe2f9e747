DROP INDEX IF EXISTS low_score_acks_dealer_idx;
DROP INDEX IF EXISTS complaints_outcome_idx;
DROP INDEX IF EXISTS call_scores_low_idx;
CREATE INDEX call_scores_low_idx ON call_scores (dealer_id, day) WHERE score <= 2;
