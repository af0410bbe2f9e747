-- post_service: a service visit (maintenance or repair) on D of an active vehicle: due D+3,
-- expires D+7. Several visit lines of one vehicle on one day are one occurrence.
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
SELECT w.customer_id, 'post_service', 'v' || w.vehicle_id || ':' || to_char(w.day, 'YYYY-MM-DD'),
       @post_service_priority::int, w.day + @post_service_due::int, w.day + @post_service_expires::int,
       to_char(w.day, 'YYYY-MM-DD') || ' 进厂'
           || ' (' || coalesce(w.labels, CASE WHEN w.maint THEN '保养' ELSE '维修' END) || ')'
           || CASE WHEN v.plate <> '' THEN ' 车辆 ' || v.plate ELSE '' END
           || ', 服务后回访',
       jsonb_build_object('vehicle_id', w.vehicle_id, 'plate', v.plate, 'visit_day', w.day,
                          'kind', CASE WHEN w.maint THEN 'maintenance' ELSE 'repair' END, 'type', w.labels,
                          'advisor', w.advisor)
FROM (
    SELECT vehicle_id, customer_id, day, bool_or(kind = 'maintenance') AS maint,
           string_agg(DISTINCT nullif(type_label, ''), '/') AS labels, max(advisor) AS advisor
    FROM workshop_visits
    WHERE dealer_id = @dealer::bigint
      AND day >= @day::date - @post_service_expires::int AND day <= @day::date - @post_service_due::int
    GROUP BY vehicle_id, customer_id, day
) w
JOIN vehicles v ON v.id = w.vehicle_id AND (v.active OR v.inactive_on > @day::date)
WHERE @post_service_enabled::int = 1;
