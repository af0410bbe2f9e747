-- Calls counted from a delivery on D (active vehicles only):
--   delivery_3day  due D+3,  expires D+7;
--   care_15day     due D+15, expires D+20;
--   sales_followup three touches by the owning consultant, due D+30, D+60, D+90, each +10.
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
SELECT v.customer_id, r.campaign, 'v' || v.id || r.suffix, r.priority,
       v.delivery_day + r.due_off, v.delivery_day + r.exp_off,
       '交车 ' || to_char(v.delivery_day, 'YYYY-MM-DD') || ', ' || r.label
           || CASE WHEN v.plate <> '' THEN ' (车辆 ' || v.plate || ')' ELSE '' END
           || CASE WHEN r.owned AND coalesce(nullif(v.consultant, ''), c.consultant) <> ''
                   THEN ' (顾问 ' || coalesce(nullif(v.consultant, ''), c.consultant) || ')' ELSE '' END,
       jsonb_build_object('vehicle_id', v.id, 'plate', v.plate, 'model', v.model, 'delivery_day', v.delivery_day,
                          'day_after_delivery', r.due_off,
                          'consultant', CASE WHEN r.owned THEN coalesce(nullif(v.consultant, ''), c.consultant) ELSE '' END)
FROM vehicles v
JOIN customers c ON c.id = v.customer_id
JOIN (VALUES
    ('delivery_3day', '', @delivery_3day_enabled::int, @delivery_3day_priority::int,
     @delivery_3day_due::int, @delivery_3day_expires::int, '交车后三日回访', false),
    ('care_15day', '', @care_15day_enabled::int, @care_15day_priority::int,
     @care_15day_due::int, @care_15day_expires::int, '第' || @care_15day_due::int || '天关怀', false),
    ('sales_followup', ':1', @sales_followup_enabled::int, @sales_followup_priority::int,
     @sales_followup_due_1::int, @sales_followup_due_1::int + @sales_followup_window::int,
     '第' || @sales_followup_due_1::int || '天销售回访', true),
    ('sales_followup', ':2', @sales_followup_enabled::int, @sales_followup_priority::int,
     @sales_followup_due_2::int, @sales_followup_due_2::int + @sales_followup_window::int,
     '第' || @sales_followup_due_2::int || '天销售回访', true),
    ('sales_followup', ':3', @sales_followup_enabled::int, @sales_followup_priority::int,
     @sales_followup_due_3::int, @sales_followup_due_3::int + @sales_followup_window::int,
     '第' || @sales_followup_due_3::int || '天销售回访', true)
) AS r(campaign, suffix, enabled, priority, due_off, exp_off, label, owned)
    ON r.enabled = 1 AND v.delivery_day + r.due_off <= @day::date AND @day::date <= v.delivery_day + r.exp_off
WHERE v.dealer_id = @dealer::bigint AND (v.active OR v.inactive_on > @day::date)
  AND v.delivery_day <= @day::date
  AND v.delivery_day >= @day::date - greatest(@delivery_3day_expires::int, @care_15day_expires::int,
        @sales_followup_due_1::int + @sales_followup_window::int, @sales_followup_due_2::int + @sales_followup_window::int,
        @sales_followup_due_3::int + @sales_followup_window::int);
