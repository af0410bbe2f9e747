CREATE INDEX IF NOT EXISTS call_scores_dealer_day_idx ON call_scores (dealer_id, day) INCLUDE (score, campaign, agent_user_id, advisor);
DROP INDEX IF EXISTS call_scores_list_idx;
