-- Merge again every open task whose reasons changed: priority the highest, due the earliest,
-- expiry the latest of its open reasons; while the customer's complaint is open only the
-- complaint reasons count. A task waiting for a callback or a retry (not_before set) keeps an
-- expiry the outcome code extended to the callback's day.
WITH live AS (
    SELECT r.task_id, r.campaign, r.priority, r.due_day, r.expires_day, r.facts
    FROM call_task_reasons r
    WHERE r.task_id = ANY (ARRAY(SELECT DISTINCT task_id FROM q_touched))
      AND r.status = 'open'
      AND (r.campaign = 'complaint' OR r.customer_id NOT IN (SELECT customer_id FROM q_cmp))
), per AS (
    SELECT task_id, campaign, max(priority) AS priority, min(due_day) AS due_day, max(expires_day) AS expires_day,
           max(facts->>'consultant') FILTER (WHERE campaign IN ('sales_followup', 'key_prospect', 'prospect_followup')
                                              AND facts->>'consultant' <> '') AS consultant
    FROM live GROUP BY task_id, campaign
), agg AS (
    SELECT task_id, max(priority) AS priority, min(due_day) AS due_day, max(expires_day) AS expires_day,
           array_agg(campaign ORDER BY priority DESC, campaign) AS campaigns,
           coalesce(max(consultant), '') AS consultant
    FROM per GROUP BY task_id
)
UPDATE call_tasks t
SET priority = a.priority, due_day = a.due_day,
    expires_day = CASE WHEN t.not_before IS NOT NULL THEN greatest(t.expires_day, a.expires_day) ELSE a.expires_day END,
    campaigns = a.campaigns, consultant = a.consultant, updated_at = now()
FROM agg a
WHERE t.id = ANY (ARRAY(SELECT task_id FROM agg)) AND t.id = a.task_id AND t.status = 'open'
  AND (t.priority, t.due_day, t.expires_day, t.campaigns, t.consultant)
      IS DISTINCT FROM (a.priority, a.due_day,
                        CASE WHEN t.not_before IS NOT NULL THEN greatest(t.expires_day, a.expires_day) ELSE a.expires_day END,
                        a.campaigns, a.consultant);
