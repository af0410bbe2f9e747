-- complaint: every day while a complaint is open, one call that day; after it is closed
-- (resolved) on D, one satisfaction call due D+complaint_closed_due, expiring
-- D+complaint_closed_expires; a reopened complaint resolved again has a new one. A complaint
-- the satisfaction call closed for good needs none after that day.
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
SELECT k.customer_id, 'complaint',
       'k' || k.id || ':' || to_char(@day::date, 'YYYY-MM-DD'),
       @complaint_priority::int, @day::date, @day::date,
       '抱怨未结案: ' || to_char(k.opened_on, 'YYYY-MM-DD') || ' 开启'
           || CASE WHEN k.category <> '' THEN ' (' || k.category || ')' ELSE '' END
           || ', 已 ' || (@day::date - k.opened_on) || ' 天',
       jsonb_build_object('complaint_id', k.id, 'opened_on', k.opened_on, 'category', k.category,
                          'days_open', @day::date - k.opened_on)
FROM complaints k
WHERE k.dealer_id = @dealer::bigint AND @complaint_enabled::int = 1
  AND k.opened_on <= @day::date AND (k.closed_on IS NULL OR k.closed_on > @day::date)
UNION ALL
SELECT k.customer_id, 'complaint', 'k' || k.id || ':closed' || CASE WHEN k.reopened > 0 THEN ':' || k.reopened ELSE '' END,
       @complaint_priority::int, k.closed_on + @complaint_closed_due::int, k.closed_on + @complaint_closed_expires::int,
       '抱怨已于 ' || to_char(k.closed_on, 'YYYY-MM-DD') || ' 结案'
           || CASE WHEN k.category <> '' THEN ' (' || k.category || ')' ELSE '' END
           || ', 满意度回访',
       jsonb_build_object('complaint_id', k.id, 'opened_on', k.opened_on, 'closed_on', k.closed_on, 'category', k.category)
FROM complaints k
WHERE k.dealer_id = @dealer::bigint AND @complaint_enabled::int = 1
  AND k.closed_on IS NOT NULL
  -- closed for good (satisfied) before that day: no call left to make.
  AND (k.closed_at IS NULL OR k.closed_at >= ((@day::date + 1)::timestamp AT TIME ZONE (SELECT time_zone FROM dealers WHERE id = @dealer::bigint)))
  AND k.closed_on + @complaint_closed_due::int <= @day::date AND @day::date <= k.closed_on + @complaint_closed_expires::int;
