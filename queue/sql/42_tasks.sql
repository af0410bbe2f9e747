-- One open task per customer: customers with new occurrences get a new open task, or their
-- open task is kept (and locked until commit) to carry the new reasons. A new task's
-- priority, due day and expiry are merged from its reasons (highest, earliest, latest);
-- consultant is the owning consultant when a reason is consultant-owned.
WITH per AS (
    SELECT customer_id, campaign, max(priority) AS priority, min(due_day) AS due_day, max(expires_day) AS expires_day,
           max(facts->>'consultant') FILTER (WHERE campaign IN ('sales_followup', 'key_prospect', 'prospect_followup')
                                              AND facts->>'consultant' <> '') AS consultant
    FROM q_cand GROUP BY customer_id, campaign
), agg AS (
    SELECT customer_id, max(priority) AS priority, min(due_day) AS due_day, max(expires_day) AS expires_day,
           array_agg(campaign ORDER BY priority DESC, campaign) AS campaigns,
           coalesce(max(consultant), '') AS consultant
    FROM per GROUP BY customer_id
), ins AS (
    INSERT INTO call_tasks AS t (dealer_id, customer_id, priority, due_day, expires_day, campaigns, consultant)
    SELECT @dealer::bigint, a.customer_id, a.priority, a.due_day, a.expires_day, a.campaigns, a.consultant
    FROM agg a
    ON CONFLICT (customer_id) WHERE status = 'open' DO UPDATE SET updated_at = now()
    RETURNING t.id, t.customer_id, (t.xmax = 0) AS created
)
INSERT INTO q_task (task_id, customer_id, created)
SELECT id, customer_id, created FROM ins;
