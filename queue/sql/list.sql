-- The queue as of @day: every reason active that day (due <= day <= expiry; open, or expired
-- since, which means it was open that day; not handled or suppressed; its facts known that day), without the other
-- campaigns of a customer whose complaint was open that day, without do-not-call and invalid
-- numbers; merged per customer (priority the highest, due the earliest, expiry the latest).
WITH act AS (
    SELECT r.id, r.task_id, r.customer_id, r.campaign, r.priority, r.due_day, r.expires_day, r.text, r.facts
    FROM call_task_reasons r
    WHERE r.dealer_id = @dealer::bigint
      AND r.status IN ('open', 'expired')
      AND r.due_day <= @day::date AND r.expires_day >= @day::date
      AND (r.facts->>'known_from' IS NULL OR (r.facts->>'known_from')::date <= @day::date)
      AND (r.campaign = 'complaint' OR NOT EXISTS (
              SELECT 1 FROM complaints k
              WHERE k.customer_id = r.customer_id AND k.opened_on <= @day::date
                AND (k.closed_on IS NULL OR k.closed_on > @day::date)))
      AND (r.campaign IN ('complaint', 'recall') OR NOT EXISTS (
              SELECT 1 FROM customers m WHERE m.id = r.customer_id AND m.moved_away_on <= @day::date))
), per AS (
    SELECT customer_id, campaign, max(priority) AS priority FROM act GROUP BY customer_id, campaign
), camps AS (
    SELECT customer_id, array_agg(campaign ORDER BY priority DESC, campaign) AS campaigns FROM per GROUP BY customer_id
)
SELECT max(a.task_id) AS task_id, c.id AS customer_id, c.name, c.title, c.phone, camps.campaigns,
       max(a.priority) AS priority, min(a.due_day) AS due_day, max(a.expires_day) AS expires_day,
       array_agg(a.text ORDER BY a.priority DESC, a.due_day, a.id) AS reasons,
       coalesce(max(a.facts->>'consultant') FILTER (WHERE a.campaign IN ('sales_followup', 'key_prospect', 'prospect_followup')
                                                    AND a.facts->>'consultant' <> ''), '') AS consultant
FROM act a
JOIN customers c ON c.id = a.customer_id
JOIN camps ON camps.customer_id = a.customer_id
WHERE c.phone_valid
  AND NOT EXISTS (SELECT 1 FROM do_not_call d WHERE d.dealer_id = c.dealer_id AND d.phone = c.phone)
  AND (@campaign::text = '' OR @campaign::text = ANY (camps.campaigns))
GROUP BY c.id, c.name, c.title, c.phone, camps.campaigns
ORDER BY max(a.priority) DESC, min(a.due_day), c.id;
