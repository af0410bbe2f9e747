-- 0152_low_scores_index: the low-score list walks a dealer's low scores newest first and
-- stops at a page (queue.LowScores); it looks up the complaint an outcome opened and the
-- acknowledgements newest first.
DROP INDEX IF EXISTS call_scores_low_idx;
CREATE INDEX call_scores_low_idx ON call_scores (dealer_id, outcome_id) WHERE score <= 2;
CREATE INDEX complaints_outcome_idx ON complaints (outcome_id) WHERE outcome_id IS NOT NULL;
CREATE INDEX low_score_acks_dealer_idx ON low_score_acks (dealer_id, at DESC);
