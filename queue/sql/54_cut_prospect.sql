-- A prospect follow-up ends the day before the prospect is next contacted after the contact
-- it was counted from (a reached call or a showroom visit), or takes a status that is not
-- followed up (key, won, lost).
WITH codes AS (
    SELECT DISTINCT ON (code) code, reached
    FROM outcome_codes
    WHERE dealer_id = @dealer::bigint OR dealer_id IS NULL
    ORDER BY code, dealer_id NULLS LAST
), r AS (
    SELECT r.id, r.task_id, r.customer_id, r.expires_day, (r.facts->>'cut_after')::date AS after
    FROM call_task_reasons r
    WHERE r.dealer_id = @dealer::bigint AND r.status = 'open' AND r.campaign = 'prospect_followup'
), s AS (
    SELECT r.id, min(x.d) AS stop
    FROM r
    CROSS JOIN LATERAL (
        SELECT min((o.created_at AT TIME ZONE @tz::text)::date) AS d
        FROM call_tasks t
        JOIN call_outcomes o ON o.task_id = t.id
        JOIN codes ON codes.code = o.code AND codes.reached
        WHERE t.customer_id = r.customer_id
          AND o.created_at >= ((r.after + 1)::timestamp AT TIME ZONE @tz::text)
        UNION ALL
        SELECT min((v.arrived_at AT TIME ZONE @tz::text)::date)
        FROM showroom_visits v
        WHERE v.customer_id = r.customer_id AND v.arrived_at >= ((r.after + 1)::timestamp AT TIME ZONE @tz::text)
        UNION ALL
        SELECT min(h.day)
        FROM prospect_history h
        WHERE h.customer_id = r.customer_id AND h.day > r.after AND h.status_changed
          AND h.prospect_status NOT IN ('open', 'pre_lost')
    ) x
    WHERE x.d IS NOT NULL
    GROUP BY r.id
), cut AS (
    UPDATE call_task_reasons r SET expires_day = s.stop - 1
    FROM s
    WHERE r.id = s.id AND s.stop - 1 < r.expires_day
    RETURNING r.task_id
)
INSERT INTO q_touched (task_id) SELECT task_id FROM cut;
