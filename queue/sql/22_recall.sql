-- recall: the active owner of a VIN on an imported recall list, due the day the list was
-- imported, held until the recall work is recorded (done_on): the occurrence expires the
-- day before done_on, and while no work is recorded its expiry is 9999-12-31 (open-ended;
-- the list prints no expiry).
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
SELECT v.customer_id, 'recall',
       'r' || rc.id || ':' || rv.vin || ':c' || v.customer_id,
       @recall_priority::int, rv.imported_on, coalesce(rv.done_on - 1, DATE '9999-12-31'),
       '召回 ' || rc.code || CASE WHEN rc.title <> '' THEN ' ' || rc.title ELSE '' END
           || ', 车辆 ' || coalesce(nullif(v.plate, ''), v.vin)
           || CASE WHEN v.plate <> '' THEN ' (VIN ' || v.vin || ')' ELSE '' END
           || ', ' || to_char(rv.imported_on, 'YYYY-MM-DD') || ' 导入, 未完成',
       jsonb_build_object('recall_id', rc.id, 'recall_code', rc.code, 'vin', rv.vin, 'vehicle_id', v.id,
                          'plate', v.plate, 'imported_on', rv.imported_on)
FROM recall_vehicles rv
JOIN recalls rc ON rc.id = rv.recall_id
JOIN vehicles v ON v.dealer_id = rc.dealer_id AND v.vin = rv.vin
WHERE rc.dealer_id = @dealer::bigint AND @recall_enabled::int = 1
  AND (v.active OR v.inactive_on > @day::date) AND (v.delivery_day IS NULL OR v.delivery_day <= @day::date)
  AND rv.imported_on <= @day::date AND (rv.done_on IS NULL OR rv.done_on > @day::date);
