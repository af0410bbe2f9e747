-- same_day_visit: a showroom visit on D (the arrival's day in the dealer's zone), called the
-- same evening; due D, expires at the end of D+same_day_visit_expires. Every visitor counts,
-- whatever their grade. Several visits of one customer on one day are one occurrence.
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
SELECT s.customer_id, 'same_day_visit',
       'c' || s.customer_id || ':' || to_char(s.d, 'YYYY-MM-DD'),
       @same_day_visit_priority::int, s.d, s.d + @same_day_visit_expires::int,
       '到店 ' || to_char(s.d, 'YYYY-MM-DD') || ' ' || to_char(s.first_at AT TIME ZONE @tz::text, 'HH24:MI')
           || CASE WHEN s.consultant <> '' THEN ' (顾问 ' || s.consultant || ')' ELSE '' END
           || ', 当天回访',
       jsonb_build_object('visit_day', s.d, 'arrived_at', s.first_at, 'visits', s.n, 'consultant', s.consultant,
                          'intent_level', s.intent_level)
FROM (
    SELECT customer_id, (arrived_at AT TIME ZONE @tz::text)::date AS d, min(arrived_at) AS first_at,
           count(*) AS n, max(consultant) AS consultant, max(intent_level) AS intent_level
    FROM showroom_visits
    WHERE dealer_id = @dealer::bigint
      AND arrived_at >= ((@day::date - @same_day_visit_expires::int)::timestamp AT TIME ZONE @tz::text)
      AND arrived_at < ((@day::date + 1)::timestamp AT TIME ZONE @tz::text)
    GROUP BY 1, 2
) s
WHERE @same_day_visit_enabled::int = 1
  AND s.d <= @day::date AND @day::date <= s.d + @same_day_visit_expires::int;
