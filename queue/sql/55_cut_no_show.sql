-- A no-show call ends the day before the first of: a new booking of the customer made after
-- the appointment day, a workshop visit of the customer after it, the appointment cancelled
-- or rescheduled after it.
WITH s AS (
    SELECT r.id, least(
               (SELECT min((b.created_at AT TIME ZONE @tz::text)::date) FROM appointments b
                WHERE b.customer_id = r.customer_id AND b.id <> (r.facts->>'appointment_id')::bigint
                  AND b.created_at >= (((r.facts->>'cut_after')::date + 1)::timestamp AT TIME ZONE @tz::text)),
               (SELECT min(w.day) FROM workshop_visits w
                WHERE w.customer_id = r.customer_id AND w.day > (r.facts->>'cut_after')::date),
               (SELECT (a.status_at AT TIME ZONE @tz::text)::date FROM appointments a
                WHERE a.id = (r.facts->>'appointment_id')::bigint AND a.status IN ('cancelled', 'rescheduled')
                  AND a.status_at IS NOT NULL)
           ) AS stop
    FROM call_task_reasons r
    WHERE r.dealer_id = @dealer::bigint AND r.status = 'open' AND r.campaign = 'no_show'
), cut AS (
    UPDATE call_task_reasons r SET expires_day = s.stop - 1
    FROM s
    WHERE r.id = s.id AND s.stop IS NOT NULL AND s.stop - 1 < r.expires_day
    RETURNING r.task_id
)
INSERT INTO q_touched (task_id) SELECT task_id FROM cut;
