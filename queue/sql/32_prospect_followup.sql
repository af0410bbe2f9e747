-- prospect_followup (意向客户跟进): an open prospect (status open or pre-lost on the build
-- day: not key, not won, not lost) is called by their consultant at the rhythm of the intent
-- level they had that day: H and A every prospect_followup_a_days (3), B every _b_days (7),
-- C every _c_days (14), none or another level every _other_days (14).
--
-- As of the build day T, everything is read as known on T (prospect_history, showroom
-- visits and call outcomes dated on or before T):
--   status and intent: the latest prospect_history row dated on or before T; a later showroom
--     visit that recorded an intent level gives the intent;
--   last contact C: the latest of the latest reached call outcome, the latest showroom visit
--     and the day the prospect took its status;
--   a prospect reopened by a lost-prospect check (history source 'reopen') on R, not
--     contacted since, is due R+1: C counts as R+1-N.
-- Due C + k*N (k = 1, 2, ... while nobody reaches them), expires the day before the next
-- would be due, C + (k+1)*N - 1.
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
WITH codes AS (
    SELECT DISTINCT ON (code) code, reached
    FROM outcome_codes
    WHERE dealer_id = @dealer::bigint OR dealer_id IS NULL
    ORDER BY code, dealer_id NULLS LAST
), st AS (
    SELECT DISTINCT ON (h.customer_id) h.customer_id, h.prospect_status, h.intent_level, h.day
    FROM prospect_history h
    WHERE h.dealer_id = @dealer::bigint AND h.day <= @day::date
    ORDER BY h.customer_id, h.day DESC, h.id DESC
), anchor AS (
    SELECT DISTINCT ON (h.customer_id) h.customer_id, h.day, h.source
    FROM prospect_history h
    JOIN st ON st.customer_id = h.customer_id AND st.prospect_status IN ('open', 'pre_lost')
    WHERE h.dealer_id = @dealer::bigint AND h.day <= @day::date AND h.status_changed
    ORDER BY h.customer_id, h.day DESC, h.id DESC
), sv AS (
    SELECT DISTINCT ON (s.customer_id) s.customer_id, (s.arrived_at AT TIME ZONE @tz::text)::date AS d,
           max((s.arrived_at AT TIME ZONE @tz::text)::date) OVER (PARTITION BY s.customer_id) AS last_visit,
           s.intent_level
    FROM showroom_visits s
    JOIN st ON st.customer_id = s.customer_id AND st.prospect_status IN ('open', 'pre_lost')
    WHERE s.dealer_id = @dealer::bigint
      AND s.arrived_at < ((@day::date + 1)::timestamp AT TIME ZONE @tz::text)
    ORDER BY s.customer_id, (s.intent_level <> '') DESC, s.arrived_at DESC
), lc AS (
    SELECT t.customer_id, max((o.created_at AT TIME ZONE @tz::text)::date) AS d
    FROM call_outcomes o
    JOIN codes ON codes.code = o.code AND codes.reached
    JOIN call_tasks t ON t.id = o.task_id
    JOIN st ON st.customer_id = t.customer_id AND st.prospect_status IN ('open', 'pre_lost')
    WHERE o.dealer_id = @dealer::bigint
      AND o.created_at < ((@day::date + 1)::timestamp AT TIME ZONE @tz::text)
    GROUP BY t.customer_id
), b AS (
    SELECT st.customer_id, c.consultant,
           CASE WHEN sv.intent_level <> '' AND sv.d > st.day THEN sv.intent_level ELSE st.intent_level END AS raw_level,
           an.day AS status_day, an.source, lc.d AS last_call, sv.last_visit
    FROM st
    JOIN customers c ON c.id = st.customer_id
    JOIN anchor an ON an.customer_id = st.customer_id
    LEFT JOIN sv ON sv.customer_id = st.customer_id
    LEFT JOIN lc ON lc.customer_id = st.customer_id
    WHERE @prospect_followup_enabled::int = 1 AND st.prospect_status IN ('open', 'pre_lost')
), lv AS (
    SELECT b.*, upper(left(btrim(b.raw_level), 1)) AS level FROM b
), n AS (
    SELECT lv.*,
           CASE lv.level WHEN 'H' THEN @prospect_followup_a_days::int WHEN 'A' THEN @prospect_followup_a_days::int
                         WHEN 'B' THEN @prospect_followup_b_days::int WHEN 'C' THEN @prospect_followup_c_days::int
                         ELSE @prospect_followup_other_days::int END AS every,
           greatest(lv.status_day, lv.last_call, lv.last_visit) AS contact,
           CASE WHEN lv.last_call IS NOT NULL AND lv.last_call >= greatest(lv.status_day, lv.last_visit) THEN 'call'
                WHEN lv.last_visit IS NOT NULL AND lv.last_visit >= lv.status_day THEN 'visit'
                ELSE 'status' END AS contact_source
    FROM lv
), a AS (
    SELECT n.*,
           CASE WHEN n.source = 'reopen' AND n.contact = n.status_day THEN n.status_day + 1 - n.every ELSE n.contact END AS c0
    FROM n
), k AS (
    SELECT a.*, (@day::date - a.c0) / a.every AS round FROM a WHERE a.c0 <= @day::date
)
SELECT k.customer_id, 'prospect_followup',
       'c' || k.customer_id || ':' || to_char(k.c0, 'YYYY-MM-DD') || ':' || k.every || ':' || k.round,
       @prospect_followup_priority::int, k.c0 + k.round * k.every, k.c0 + (k.round + 1) * k.every - 1,
       '意向客户跟进: '
           || CASE WHEN k.level IN ('H', 'A', 'B', 'C') THEN k.level || ' 级, 每 ' ELSE '未定级, 每 ' END || k.every || ' 天'
           || CASE WHEN k.source = 'reopen' AND k.contact = k.status_day
                   THEN ', ' || to_char(k.status_day, 'YYYY-MM-DD') || ' 战败回访核实未购车, 重新跟进'
                   ELSE ', 上次' || CASE k.contact_source WHEN 'call' THEN '联系' WHEN 'visit' THEN '到店' ELSE '登记' END
                        || ' ' || to_char(k.contact, 'YYYY-MM-DD') || ', 已 ' || (@day::date - k.contact) || ' 天' END
           || CASE WHEN k.consultant <> '' THEN ' (顾问 ' || k.consultant || ')' ELSE '' END,
       jsonb_build_object('intent_level', k.level, 'every_days', k.every, 'last_contact', k.contact,
                          'last_contact_source', k.contact_source, 'round', k.round, 'consultant', k.consultant,
                          'reopened', k.source = 'reopen' AND k.contact = k.status_day, 'cut_after', k.contact)
FROM k
WHERE k.round >= 1;
