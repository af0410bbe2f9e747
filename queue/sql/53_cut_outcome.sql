-- A call outcome in the week ends the week's key prospect call (the day before).
WITH s AS (
    SELECT r.id, min((o.created_at AT TIME ZONE @tz::text)::date) AS stop
    FROM call_task_reasons r
    JOIN call_tasks t ON t.customer_id = r.customer_id
    JOIN call_outcomes o ON o.task_id = t.id
    WHERE r.dealer_id = @dealer::bigint AND r.status = 'open' AND r.campaign = 'key_prospect'
      AND o.created_at >= ((r.facts->>'week_start')::date::timestamp AT TIME ZONE @tz::text)
    GROUP BY r.id
), cut AS (
    UPDATE call_task_reasons r SET expires_day = s.stop - 1
    FROM s
    WHERE r.id = s.id AND s.stop - 1 < r.expires_day
    RETURNING r.task_id
)
INSERT INTO q_touched (task_id) SELECT task_id FROM cut;

-- Reaching the owner ends the base care call counted from the previous contact.
WITH codes AS (
    SELECT DISTINCT ON (code) code, reached
    FROM outcome_codes
    WHERE dealer_id = @dealer::bigint OR dealer_id IS NULL
    ORDER BY code, dealer_id NULLS LAST
), s AS (
    SELECT r.id, min((o.created_at AT TIME ZONE @tz::text)::date) AS stop
    FROM call_task_reasons r
    JOIN call_tasks t ON t.customer_id = r.customer_id
    JOIN call_outcomes o ON o.task_id = t.id
    JOIN codes ON codes.code = o.code AND codes.reached
    WHERE r.dealer_id = @dealer::bigint AND r.status = 'open' AND r.campaign = 'base_care'
      AND o.created_at >= (((r.facts->>'cut_after')::date + 1)::timestamp AT TIME ZONE @tz::text)
    GROUP BY r.id
), cut AS (
    UPDATE call_task_reasons r SET expires_day = s.stop - 1
    FROM s
    WHERE r.id = s.id AND s.stop - 1 < r.expires_day
    RETURNING r.task_id
)
INSERT INTO q_touched (task_id) SELECT task_id FROM cut;
