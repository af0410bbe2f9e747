-- A maintenance visit ends the maintenance calls that were waiting for it: the occurrence
-- expires the day before the first maintenance visit after its cut_after day, so the queue as
-- of any earlier day still shows it and the queue as of that day or later does not.
WITH s AS (
    SELECT r.id, min(w.day) AS stop
    FROM call_task_reasons r
    JOIN workshop_visits w ON w.vehicle_id = (r.facts->>'vehicle_id')::bigint
                          AND w.kind = 'maintenance' AND w.day > (r.facts->>'cut_after')::date
    WHERE r.dealer_id = @dealer::bigint AND r.status = 'open'
      AND r.campaign IN ('first_maintenance', 'maintenance', 'due_not_come')
    GROUP BY r.id
), cut AS (
    UPDATE call_task_reasons r SET expires_day = s.stop - 1
    FROM s
    WHERE r.id = s.id AND s.stop - 1 < r.expires_day
    RETURNING r.task_id
)
INSERT INTO q_touched (task_id) SELECT task_id FROM cut;
