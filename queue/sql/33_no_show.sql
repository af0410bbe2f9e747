-- no_show: an appointment on day A that the customer did not arrive for (appointment_arrivals:
-- not marked arrived at the desk, no workshop visit of the customer on A): due A+no_show_due,
-- expires A+no_show_expires. An appointment cancelled or rescheduled on or before T is not
-- held as of T (facts as known); one cancelled later is cut from that day (55_cut_no_show.sql).
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
SELECT a.customer_id, 'no_show', 'a' || a.id,
       @no_show_priority::int, a.day + @no_show_due::int, a.day + @no_show_expires::int,
       '预约 ' || to_char(a.at AT TIME ZONE @tz::text, 'YYYY-MM-DD HH24:MI')
           || CASE a.kind WHEN 'maintenance' THEN ' 保养' WHEN 'repair' THEN ' 维修' WHEN 'inspection' THEN ' 检测'
                          WHEN 'test_drive' THEN ' 试驾' ELSE '' END
           || CASE WHEN a.advisor <> '' THEN ' (顾问 ' || a.advisor || ')' ELSE '' END
           || ' 未到店, 请约新的时间',
       jsonb_build_object('appointment_id', a.id, 'appointment_day', a.day, 'at', a.at, 'kind', a.kind,
                          'advisor', a.advisor, 'cut_after', a.day)
FROM appointments a
JOIN appointment_arrivals x ON x.id = a.id AND NOT x.arrived
WHERE @no_show_enabled::int = 1
  AND a.dealer_id = @dealer::bigint
  AND a.day >= @day::date - @no_show_expires::int AND a.day <= @day::date - @no_show_due::int
  AND NOT (a.status IN ('cancelled', 'rescheduled')
           AND (a.status_at IS NULL OR (a.status_at AT TIME ZONE @tz::text)::date <= @day::date));
