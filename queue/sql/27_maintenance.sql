-- first_maintenance: an owner's vehicle with no maintenance visit since delivery; call due
-- first_maintenance_lead days before the due day (never before delivery), expires
-- first_maintenance_grace days after it. One occurrence per vehicle.
-- maintenance: the next maintenance after the last maintenance visit P (2nd 二保, 3rd 三保,
-- later 定保); due maintenance_lead days before the due day, expires maintenance_grace after.
-- One occurrence per vehicle and P.
-- cut_after: a maintenance visit after this day ends the occurrence (see 51_cut_maint.sql).
-- known_from: when the mileage decides the due day, the day of the reading it was projected
-- from; the queue as of an earlier day did not know it (list.sql).
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
SELECT q.customer_id, q.campaign, q.occurrence, q.priority, q.start_day, q.end_day,
       q.label || ': '
           || CASE WHEN q.first THEN '交车 ' || to_char(q.delivery_day, 'YYYY-MM-DD')
                   ELSE '上次保养 ' || to_char(q.last_maint, 'YYYY-MM-DD') END
           || ', 应保日 ' || to_char(q.due_day, 'YYYY-MM-DD')
           || CASE WHEN q.km_due IS NOT NULL AND q.km_due < q.time_due
                   THEN ' (按里程: 预计达 ' || q.km_target || ' km)'
                   ELSE ' (按时间: ' || q.months || '个月)' END
           || CASE WHEN q.km_now IS NOT NULL THEN ', 当前约 ' || q.km_now || ' km' ELSE '' END
           || CASE WHEN v.plate <> '' THEN ', 车辆 ' || v.plate ELSE '' END,
       jsonb_build_object('vehicle_id', q.vehicle_id, 'plate', v.plate, 'model', v.model,
                          'delivery_day', q.delivery_day, 'last_maintenance', q.last_maint,
                          'maintenance_number', q.maint_count + 1, 'due_day', q.due_day,
                          'time_due', q.time_due, 'km_due', q.km_due, 'km_target', q.km_target, 'km_now', q.km_now,
                          'cut_after', q.cut_after,
                          'known_from', CASE WHEN q.km_due < q.time_due THEN q.reading_day END)
FROM (
    SELECT s.*,
           CASE WHEN s.first THEN greatest(s.due_day - @first_maintenance_lead::int, s.delivery_day)
                ELSE s.due_day - @maintenance_lead::int END AS start_day,
           s.due_day + CASE WHEN s.first THEN @first_maintenance_grace::int ELSE @maintenance_grace::int END AS end_day
    FROM (
        SELECT m.*, m.maint_count = 0 AS first,
               CASE WHEN m.maint_count = 0 THEN 'first_maintenance' ELSE 'maintenance' END AS campaign,
               CASE WHEN m.maint_count = 0 THEN 'v' || m.vehicle_id
                    ELSE 'v' || m.vehicle_id || ':' || to_char(m.last_maint, 'YYYY-MM-DD') END AS occurrence,
               CASE WHEN m.maint_count = 0 THEN @first_maintenance_priority::int ELSE @maintenance_priority::int END AS priority,
               CASE m.maint_count WHEN 0 THEN '首保' WHEN 1 THEN '二保' WHEN 2 THEN '三保' ELSE '定保' END AS label,
               CASE WHEN m.maint_count = 0 THEN @first_maintenance_months::int ELSE @maintenance_months::int END AS months,
               CASE WHEN m.maint_count = 0 THEN m.delivery_day - 1 ELSE m.last_maint END AS cut_after
        FROM q_veh m
        WHERE m.asof = @day::date AND m.due_day IS NOT NULL
    ) s
    WHERE (s.first AND @first_maintenance_enabled::int = 1) OR (NOT s.first AND @maintenance_enabled::int = 1)
) q
JOIN vehicles v ON v.id = q.vehicle_id
WHERE q.start_day <= @day::date AND @day::date <= q.end_day;
