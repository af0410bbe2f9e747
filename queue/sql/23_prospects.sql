-- lost_prospect: a prospect marked lost (战败) on D: due D+7, expires D+14.
-- key_prospect: every week, Monday to Sunday, each key prospect (重点) on the Monday list.
--
-- Both read the prospect as known on the build day T (prospect_history, migration 0170:
-- every change dated by the day it happened), not the customer's status today, so a build
-- as of a past day gives that day's answer and history loaded later (import, API) counts:
--   st(T):  the latest prospect_history row dated on or before T (status, intent, lost reason);
--   D:      the day of the latest status change on or before T (the day it became lost).
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
WITH st AS (
    SELECT DISTINCT ON (h.customer_id) h.customer_id, h.prospect_status, h.lost_reason
    FROM prospect_history h
    WHERE h.dealer_id = @dealer::bigint AND h.day <= @day::date
    ORDER BY h.customer_id, h.day DESC, h.id DESC
), lost AS (
    SELECT DISTINCT ON (h.customer_id) h.customer_id, h.day AS lost_day
    FROM prospect_history h
    JOIN st ON st.customer_id = h.customer_id AND st.prospect_status = 'lost'
    WHERE h.dealer_id = @dealer::bigint AND h.day <= @day::date AND h.status_changed
    ORDER BY h.customer_id, h.day DESC, h.id DESC
)
SELECT c.id, 'lost_prospect', 'c' || c.id || ':' || to_char(l.lost_day, 'YYYY-MM-DD'),
       @lost_prospect_priority::int, l.lost_day + @lost_prospect_due::int, l.lost_day + @lost_prospect_expires::int,
       to_char(l.lost_day, 'YYYY-MM-DD') || ' 战败'
           || CASE WHEN st.lost_reason <> '' THEN ' (' || st.lost_reason || ')' ELSE '' END
           || ', 战败回访核实',
       jsonb_build_object('lost_on', l.lost_day, 'lost_reason', st.lost_reason, 'consultant', c.consultant)
FROM lost l
JOIN st ON st.customer_id = l.customer_id
JOIN customers c ON c.id = l.customer_id
WHERE @lost_prospect_enabled::int = 1
  AND l.lost_day + @lost_prospect_due::int <= @day::date AND @day::date <= l.lost_day + @lost_prospect_expires::int;

-- key_prospect: key on that week's Monday and still key on T (as known on each day), with
-- no call outcome recorded that week (up to and including the build day); owned by the
-- customer's consultant.
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
WITH w AS (
    SELECT @day::date - (extract(isodow FROM @day::date)::int - 1) AS monday
), st AS (
    SELECT DISTINCT ON (h.customer_id) h.customer_id, h.prospect_status, h.intent_level
    FROM prospect_history h
    WHERE h.dealer_id = @dealer::bigint AND h.day <= @day::date
    ORDER BY h.customer_id, h.day DESC, h.id DESC
), mon AS (
    SELECT DISTINCT ON (h.customer_id) h.customer_id, h.prospect_status
    FROM prospect_history h CROSS JOIN w
    WHERE h.dealer_id = @dealer::bigint AND h.day <= w.monday
    ORDER BY h.customer_id, h.day DESC, h.id DESC
)
SELECT c.id, 'key_prospect', 'c' || c.id || ':' || to_char(w.monday, 'YYYY-MM-DD'),
       @key_prospect_priority::int, w.monday, w.monday + 6,
       '重点客户周回访: ' || to_char(w.monday, 'YYYY-MM-DD') || ' 至 ' || to_char(w.monday + 6, 'YYYY-MM-DD')
           || CASE WHEN c.consultant <> '' THEN ' (顾问 ' || c.consultant || ')' ELSE '' END,
       jsonb_build_object('week_start', w.monday, 'week_end', w.monday + 6, 'consultant', c.consultant,
                          'intent_level', st.intent_level)
FROM st
JOIN mon ON mon.customer_id = st.customer_id AND mon.prospect_status = 'key'
JOIN customers c ON c.id = st.customer_id
CROSS JOIN w
WHERE @key_prospect_enabled::int = 1 AND st.prospect_status = 'key'
  AND NOT EXISTS (
      SELECT 1 FROM call_outcomes o JOIN call_tasks t ON t.id = o.task_id
      WHERE t.customer_id = c.id
        AND o.created_at >= (w.monday::timestamp AT TIME ZONE @tz::text)
        AND o.created_at < ((@day::date + 1)::timestamp AT TIME ZONE @tz::text));
