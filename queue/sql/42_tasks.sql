-- One open task per customer: customers with new occurrences get a new open task, or their
-- open task is kept (and locked until commit) to carry the new reasons. A new task's
-- priority, due day and expiry are merged from its reasons (highest, earliest, latest);
-- consultant is the owning consultant when a reason is consultant-owned.
WITH per AS (
    SELECT customer_id, campaign, max(priority) AS priority
    FROM q_cand GROUP BY customer_id, campaign
), camps AS (
    SELECT customer_id, array_agg(campaign ORDER BY priority DESC, campaign) AS campaigns
    FROM per GROUP BY customer_id
), agg AS (
    SELECT c.customer_id, max(c.priority) AS priority, min(c.due_day) AS due_day, max(c.expires_day) AS expires_day,
           coalesce(max(c.facts->>'consultant') FILTER (WHERE c.campaign IN ('sales_followup', 'key_prospect')
                                                        AND c.facts->>'consultant' <> ''), '') AS consultant
    FROM q_cand c GROUP BY c.customer_id
), ins AS (
    INSERT INTO call_tasks AS t (dealer_id, customer_id, priority, due_day, expires_day, campaigns, consultant)
    SELECT @dealer::bigint, a.customer_id, a.priority, a.due_day, a.expires_day, camps.campaigns, a.consultant
    FROM agg a JOIN camps ON camps.customer_id = a.customer_id
    ORDER BY a.customer_id
    ON CONFLICT (customer_id) WHERE status = 'open' DO UPDATE SET updated_at = now()
    RETURNING t.id, t.customer_id, (t.xmax = 0) AS created
)
INSERT INTO q_task (task_id, customer_id, created)
SELECT id, customer_id, created FROM ins;
