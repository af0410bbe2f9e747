-- A workshop visit, or a new delivery, of the owner's active vehicles after the last service
-- day ends the lapsed calls counted from it (the day before).
WITH s AS (
    SELECT r.id, least(
               (SELECT min(w.day) FROM workshop_visits w JOIN vehicles v ON v.id = w.vehicle_id AND v.active
                WHERE w.customer_id = r.customer_id AND w.day > (r.facts->>'cut_after')::date),
               (SELECT min(v.delivery_day) FROM vehicles v
                WHERE v.customer_id = r.customer_id AND v.active AND v.delivery_day > (r.facts->>'cut_after')::date)
           ) AS stop
    FROM call_task_reasons r
    WHERE r.dealer_id = @dealer::bigint AND r.status = 'open'
      AND r.campaign IN ('lapsed_3m', 'lapsed_6m', 'lapsed_12m', 'lapsed_24m')
), cut AS (
    UPDATE call_task_reasons r SET expires_day = s.stop - 1
    FROM s
    WHERE r.id = s.id AND s.stop IS NOT NULL AND s.stop - 1 < r.expires_day
    RETURNING r.task_id
)
INSERT INTO q_touched (task_id) SELECT task_id FROM cut;
