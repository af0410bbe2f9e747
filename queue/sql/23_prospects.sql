-- lost_prospect: a prospect marked lost (战败) on D: due D+7, expires D+14.
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
SELECT c.id, 'lost_prospect', 'c' || c.id || ':' || to_char(c.status_day, 'YYYY-MM-DD'),
       @lost_prospect_priority::int, c.status_day + @lost_prospect_due::int, c.status_day + @lost_prospect_expires::int,
       to_char(c.status_day, 'YYYY-MM-DD') || ' 战败'
           || CASE WHEN c.lost_reason <> '' THEN ' (' || c.lost_reason || ')' ELSE '' END
           || ', 战败回访核实',
       jsonb_build_object('lost_on', c.status_day, 'lost_reason', c.lost_reason, 'consultant', c.consultant)
FROM customers c
WHERE c.dealer_id = @dealer::bigint AND @lost_prospect_enabled::int = 1
  AND c.prospect_status = 'lost' AND c.status_day IS NOT NULL
  AND c.status_day + @lost_prospect_due::int <= @day::date AND @day::date <= c.status_day + @lost_prospect_expires::int;

-- key_prospect: every week, Monday to Sunday, each key prospect (重点) on the Monday list
-- (key by that Monday) with no call outcome recorded that week (up to and including the
-- build day); owned by the customer's consultant.
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
SELECT c.id, 'key_prospect', 'c' || c.id || ':' || to_char(w.monday, 'YYYY-MM-DD'),
       @key_prospect_priority::int, w.monday, w.monday + 6,
       '重点客户周回访: ' || to_char(w.monday, 'YYYY-MM-DD') || ' 至 ' || to_char(w.monday + 6, 'YYYY-MM-DD')
           || CASE WHEN c.consultant <> '' THEN ' (顾问 ' || c.consultant || ')' ELSE '' END,
       jsonb_build_object('week_start', w.monday, 'week_end', w.monday + 6, 'consultant', c.consultant,
                          'intent_level', c.intent_level)
FROM customers c
CROSS JOIN (SELECT @day::date - (extract(isodow FROM @day::date)::int - 1) AS monday) w
WHERE c.dealer_id = @dealer::bigint AND @key_prospect_enabled::int = 1
  AND c.prospect_status = 'key' AND (c.status_day IS NULL OR c.status_day <= w.monday)
  AND NOT EXISTS (
      SELECT 1 FROM call_outcomes o JOIN call_tasks t ON t.id = o.task_id
      WHERE t.customer_id = c.id
        AND o.created_at >= (w.monday::timestamp AT TIME ZONE @tz::text)
        AND o.created_at < ((@day::date + 1)::timestamp AT TIME ZONE @tz::text));
