-- Known end dates of an active vehicle, each an occurrence per date:
--   warranty   end W: due W-60, expires W;
--   insurance  end P: due P-45, expires P;
--   inspection due I: due I-30, expires I.
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
SELECT v.customer_id, x.campaign, 'v' || v.id || ':' || to_char(x.d, 'YYYY-MM-DD'),
       x.priority, x.d - x.lead, x.d,
       x.label || ' ' || to_char(x.d, 'YYYY-MM-DD')
           || CASE WHEN v.plate <> '' THEN ' (车辆 ' || v.plate || ')' ELSE '' END
           || ', 还有 ' || (x.d - @day::date) || ' 天',
       jsonb_build_object('vehicle_id', v.id, 'plate', v.plate, 'model', v.model, 'end_day', x.d)
FROM vehicles v
CROSS JOIN LATERAL (VALUES
    ('warranty', v.warranty_end, @warranty_lead::int, @warranty_priority::int, @warranty_enabled::int, '保修到期'),
    ('insurance', v.insurance_end, @insurance_lead::int, @insurance_priority::int, @insurance_enabled::int, '保险到期'),
    ('inspection', v.inspection_due, @inspection_lead::int, @inspection_priority::int, @inspection_enabled::int, '年检到期')
) AS x(campaign, d, lead, priority, enabled, label)
WHERE v.dealer_id = @dealer::bigint AND (v.active OR v.inactive_on > @day::date)
  AND (v.delivery_day IS NULL OR v.delivery_day <= @day::date)
  AND x.enabled = 1 AND x.d IS NOT NULL
  AND x.d - x.lead <= @day::date AND @day::date <= x.d;
