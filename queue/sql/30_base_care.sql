-- base_care: an owner with a grade not contacted for N days (优质 30, 潜力 60, 一般 90).
-- Last contact C: the day of the latest call outcome marked reached (outcome_codes.reached,
-- the dealer's own code first); without one, the owner's last service day; without that,
-- the day the customer was created. Due C + k*N for k = 1, 2, ... (the rhythm repeats while
-- nobody reaches the owner), each expiring base_care_window days later.
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
WITH codes AS (
    SELECT DISTINCT ON (code) code, reached
    FROM outcome_codes
    WHERE dealer_id = @dealer::bigint OR dealer_id IS NULL
    ORDER BY code, dealer_id NULLS LAST
), lc AS (
    SELECT t.customer_id, max((o.created_at AT TIME ZONE @tz::text)::date) AS d
    FROM call_outcomes o
    JOIN codes ON codes.code = o.code AND codes.reached
    JOIN call_tasks t ON t.id = o.task_id
    WHERE o.dealer_id = @dealer::bigint
      AND o.created_at < ((@day::date + 1)::timestamp AT TIME ZONE @tz::text)
    GROUP BY t.customer_id
), b AS (
    SELECT c.id AS customer_id, c.grade,
           coalesce(lc.d, o.last_service, (c.created_at AT TIME ZONE @tz::text)::date) AS last_contact,
           CASE WHEN lc.d IS NOT NULL THEN 'call' WHEN o.last_service IS NOT NULL THEN 'service' ELSE 'created' END AS source,
           CASE c.grade WHEN 'premium' THEN @base_care_premium_days::int
                        WHEN 'potential' THEN @base_care_potential_days::int
                        ELSE @base_care_general_days::int END AS every
    FROM customers c
    JOIN q_owner o ON o.customer_id = c.id
    LEFT JOIN lc ON lc.customer_id = c.id
    WHERE c.dealer_id = @dealer::bigint AND c.grade IS NOT NULL AND @base_care_enabled::int = 1
), k AS (
    SELECT b.*, (@day::date - b.last_contact) / b.every AS n FROM b WHERE b.last_contact <= @day::date
)
SELECT k.customer_id, 'base_care', 'c' || k.customer_id || ':' || to_char(k.last_contact, 'YYYY-MM-DD') || ':' || k.n,
       @base_care_priority::int, k.last_contact + k.n * k.every, k.last_contact + k.n * k.every + @base_care_window::int,
       CASE k.grade WHEN 'premium' THEN '优质' WHEN 'potential' THEN '潜力' ELSE '一般' END
           || '客户关怀: 上次'
           || CASE k.source WHEN 'call' THEN '联系' WHEN 'service' THEN '到店' ELSE '建档' END
           || ' ' || to_char(k.last_contact, 'YYYY-MM-DD') || ', 已 ' || (@day::date - k.last_contact) || ' 天未联系',
       jsonb_build_object('grade', k.grade, 'last_contact', k.last_contact, 'last_contact_source', k.source,
                          'every_days', k.every, 'round', k.n, 'cut_after', k.last_contact)
FROM k
WHERE k.n >= 1 AND @day::date <= k.last_contact + k.n * k.every + @base_care_window::int;
