-- due_not_come: on the last day of a month (@lock, the day before the build day's month
-- starts) the list of owner vehicles whose maintenance fell due on or before the 1st of the
-- next month, as known on @lock, and that have not come in since; due the 1st, expires at
-- the end of that month. A maintenance visit later in the month ends it (51_cut_maint.sql);
-- a vehicle that came in between the 1st and the build day is not listed.
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
SELECT e.customer_id, 'due_not_come', 'v' || e.vehicle_id || ':' || to_char(@lock::date + 1, 'YYYY-MM'),
       @due_not_come_priority::int, @lock::date + 1, ((@lock::date + 1) + interval '1 month')::date - 1,
       '应进未进: '
           || CASE e.maint_count WHEN 0 THEN '首保' WHEN 1 THEN '二保' WHEN 2 THEN '三保' ELSE '定保' END
           || '应保日 ' || to_char(e.due_day, 'YYYY-MM-DD')
           || ', 截至 ' || to_char(@lock::date, 'YYYY-MM-DD') || ' 未回厂'
           || CASE WHEN v.plate <> '' THEN ', 车辆 ' || v.plate ELSE '' END,
       jsonb_build_object('vehicle_id', e.vehicle_id, 'plate', v.plate, 'due_day', e.due_day,
                          'last_maintenance', e.last_maint, 'delivery_day', e.delivery_day,
                          'list_day', @lock::date, 'cut_after', @lock::date)
FROM q_veh e
JOIN q_veh t ON t.asof = @day::date AND t.vehicle_id = e.vehicle_id AND t.maint_count = e.maint_count
JOIN vehicles v ON v.id = e.vehicle_id
WHERE e.asof = @lock::date AND @due_not_come_enabled::int = 1
  AND e.due_day IS NOT NULL AND e.due_day <= @lock::date + 1;
