-- 0251_score_list_index: the scores behind a satisfaction figure (queue.SatisfactionCalls:
-- a dealer's scores of a period, one group, newest first, a page at a time) are found by
-- an index-only scan backward that stops at the page, filtering the group on the index,
-- instead of reading every score of the period from the table. It replaces
-- call_scores_dealer_day_idx, which only the satisfaction report's pass over every score
-- used (it sums roll-ups since 0250).
CREATE INDEX call_scores_list_idx ON call_scores (dealer_id, day, outcome_id)
    INCLUDE (question, score, campaign, agent_user_id, advisor, attempt_id, customer_id);
DROP INDEX IF EXISTS call_scores_dealer_day_idx;
