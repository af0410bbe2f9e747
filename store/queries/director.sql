-- Queries of the director console (agent-ui director pages). Every query is scoped by
-- dealer_id: a director sees only their own dealer.

-- name: DirectorListCalls :many
-- DirectorListCalls is the call-record search: newest first, keyset-paginated on
-- (invite_at, id) below the cursor; a NULL filter matches every record; customer_ids
-- come from DirectorFindCustomers (so the planner sees how few they are); the outcome
-- filter matches calls with an outcome of that code saved from from_at to outcome_until
-- (the day after the range: an outcome is saved after its call). Each call carries its
-- latest outcome form (notes, appointment, complaint category, answers, script version).
-- With with_uncalled, outcomes saved without a call (skips) are records too: their id is
-- the outcome's id negated, their invite_at the time saved, and a SIP-status or talk-time
-- filter leaves them out, as does below_mos (the poor quality calls: the worse side's
-- estimated MOS below it). Run it with custom plans (the NULL filters then fold away and
-- the planner picks the index).
SELECT a.id, a.invite_at, a.answer_at, a.end_at, a.sip_status, a.outcome AS sip_outcome,
       a.recording_path, a.recording_purged_at, a.agent_user_id, a.customer_id, a.task_id,
       COALESCE(u.display_name, u.username, '')::text AS agent_name,
       COALESCE(c.name, '')::text AS customer_name, COALESCE(c.title, '')::text AS customer_title,
       COALESCE(t.campaigns, '{}')::text[] AS campaigns,
       COALESCE(o.code, '')::text AS code,
       COALESCE(o.notes, '')::text AS notes,
       o.appointment_at AS appointment_at,
       COALESCE(o.complaint_category, '')::text AS complaint_category,
       COALESCE(o.answers, '{}'::jsonb)::jsonb AS answers,
       COALESCE(o.script_version, '')::text AS script_version,
       COALESCE(sc.status, '')::text AS check_status
FROM call_attempts a
LEFT JOIN users u ON u.id = a.agent_user_id
LEFT JOIN customers c ON c.id = a.customer_id
LEFT JOIN call_tasks t ON t.id = a.task_id
LEFT JOIN LATERAL (SELECT x.code, x.notes, x.appointment_at, x.complaint_category, x.answers, x.script_version
                   FROM call_outcomes x WHERE x.attempt_id = a.id ORDER BY x.id DESC LIMIT 1) o ON true
LEFT JOIN spot_checks sc ON sc.attempt_id = a.id
WHERE a.dealer_id = @dealer_id
  AND a.invite_at >= @from_at AND a.invite_at < @to_at
  AND (a.invite_at, a.id) < (@cursor_at::timestamptz, @cursor_id::bigint)
  AND (sqlc.narg(agent_id)::bigint IS NULL OR a.agent_user_id = sqlc.narg(agent_id)::bigint)
  AND (sqlc.narg(sip_status)::integer IS NULL OR a.sip_status = sqlc.narg(sip_status)::integer)
  AND (sqlc.narg(min_secs)::integer IS NULL OR (a.answer_at IS NOT NULL AND a.end_at >= a.answer_at + make_interval(secs => sqlc.narg(min_secs)::integer)))
  AND (sqlc.narg(campaign)::text IS NULL OR t.campaigns @> ARRAY[sqlc.narg(campaign)::text])
  AND (sqlc.narg(outcome)::text IS NULL OR a.id IN (
        SELECT y.attempt_id FROM call_outcomes y
        WHERE y.dealer_id = @dealer_id AND y.code = sqlc.narg(outcome)::text
          AND y.created_at >= @from_at AND y.created_at < @outcome_until::timestamptz))
  AND (sqlc.narg(customer_ids)::bigint[] IS NULL OR a.customer_id = ANY(sqlc.narg(customer_ids)::bigint[]))
  AND (sqlc.narg(below_mos)::real IS NULL OR a.mos < sqlc.narg(below_mos)::real)
UNION ALL
SELECT -x.id, x.created_at, NULL::timestamptz, NULL::timestamptz, 0, ''::text,
       ''::text, NULL::timestamptz, x.agent_user_id, t.customer_id, x.task_id,
       COALESCE(u.display_name, u.username, '')::text,
       COALESCE(c.name, '')::text, COALESCE(c.title, '')::text,
       t.campaigns, x.code, x.notes, x.appointment_at, x.complaint_category, x.answers, x.script_version, ''::text
FROM call_outcomes x
JOIN call_tasks t ON t.id = x.task_id
LEFT JOIN users u ON u.id = x.agent_user_id
LEFT JOIN customers c ON c.id = t.customer_id
WHERE @with_uncalled::boolean AND x.dealer_id = @dealer_id AND x.attempt_id IS NULL
  AND x.created_at >= @from_at AND x.created_at < @to_at
  AND (x.created_at, -x.id) < (@cursor_at::timestamptz, @cursor_id::bigint)
  AND sqlc.narg(sip_status)::integer IS NULL AND sqlc.narg(min_secs)::integer IS NULL
  AND sqlc.narg(below_mos)::real IS NULL
  AND (sqlc.narg(agent_id)::bigint IS NULL OR x.agent_user_id = sqlc.narg(agent_id)::bigint)
  AND (sqlc.narg(campaign)::text IS NULL OR t.campaigns @> ARRAY[sqlc.narg(campaign)::text])
  AND (sqlc.narg(outcome)::text IS NULL OR x.code = sqlc.narg(outcome)::text)
  AND (sqlc.narg(customer_ids)::bigint[] IS NULL OR t.customer_id = ANY(sqlc.narg(customer_ids)::bigint[]))
ORDER BY 2 DESC, 1 DESC
LIMIT @max_rows;

-- name: DirectorFindCustomers :many
-- DirectorFindCustomers are the ids of a dealer's customers with this name or phone.
SELECT id FROM customers WHERE dealer_id = @dealer_id AND (name = @q OR phone = @q) ORDER BY id LIMIT 1000;

-- name: DirectorGetCall :one
SELECT a.*, COALESCE(u.display_name, u.username, '')::text AS agent_name,
       COALESCE(t.campaigns, '{}')::text[] AS campaigns, COALESCE(t.status, '')::text AS task_status
FROM call_attempts a
LEFT JOIN users u ON u.id = a.agent_user_id
LEFT JOIN call_tasks t ON t.id = a.task_id
WHERE a.id = @id AND a.dealer_id = @dealer_id;

-- name: DirectorTaskReasons :many
SELECT campaign, text, facts, due_day, expires_day, status
FROM call_task_reasons WHERE task_id = @task_id AND dealer_id = @dealer_id
ORDER BY priority DESC, id;

-- name: DirectorCallOutcomes :many
-- DirectorCallOutcomes are the outcome forms saved for a call (by attempt), with labels.
SELECT o.id, o.code, o.appointment_at, o.callback_at, o.callback_mine, o.answers, o.complaint_category,
       o.notes, o.script_version, o.created_at,
       COALESCE(oc.label_zh, o.code)::text AS label_zh, COALESCE(oc.label_en, o.code)::text AS label_en
FROM call_outcomes o
LEFT JOIN LATERAL (SELECT label_zh, label_en FROM outcome_codes x
                   WHERE x.code = o.code AND (x.dealer_id IS NULL OR x.dealer_id = o.dealer_id)
                   ORDER BY x.dealer_id NULLS LAST LIMIT 1) oc ON true
WHERE o.attempt_id = @attempt_id AND o.dealer_id = @dealer_id
ORDER BY o.id;

-- name: DirectorAgents :many
SELECT id, username, display_name, role FROM users
WHERE dealer_id = @dealer_id AND active ORDER BY role, username;

-- name: DirectorOutcomeCodes :many
SELECT DISTINCT ON (code) code, label_zh, label_en, reached, sort FROM outcome_codes
WHERE dealer_id IS NULL OR dealer_id = @dealer_id
ORDER BY code, dealer_id NULLS LAST;

-- name: ListRecordingsToPurge :many
-- ListRecordingsToPurge returns a batch of a dealer's recordings made before a moment.
SELECT id, recording_path FROM call_attempts
WHERE dealer_id = @dealer_id AND recording_path <> '' AND invite_at < @before
ORDER BY invite_at LIMIT @max_rows;

-- name: MarkRecordingPurged :exec
UPDATE call_attempts SET recording_path = '', recording_purged_at = @at
WHERE id = @id AND dealer_id = @dealer_id;

-- name: ListDealersForRetention :many
SELECT id, code, settings FROM dealers ORDER BY id;

-- name: SetDealerSetting :exec
UPDATE dealers SET settings = settings || jsonb_build_object(@key::text, @value::integer) WHERE id = @id;

-- name: GetDealerSettings :one
SELECT settings FROM dealers WHERE id = @id;

-- name: ListSpotCheckItems :many
SELECT * FROM spot_check_items WHERE dealer_id = @dealer_id ORDER BY sort, key;

-- name: UpsertSpotCheckItem :exec
INSERT INTO spot_check_items (dealer_id, key, label, max_score, sort, active)
VALUES (@dealer_id, @key, @label, @max_score, @sort, @active)
ON CONFLICT (dealer_id, key) DO UPDATE SET label = EXCLUDED.label, max_score = EXCLUDED.max_score,
    sort = EXCLUDED.sort, active = EXCLUDED.active;

-- name: DrawSpotChecks :many
-- DrawSpotChecks draws at random up to per_agent answered, recorded calls of each agent made
-- in [from_at, to_at) (of each day in zone tz when per_day; optionally of one agent) that
-- were not drawn before, and queues them.
WITH pick AS (
    SELECT a.id, a.agent_user_id,
           row_number() OVER (PARTITION BY a.agent_user_id,
               CASE WHEN @per_day::boolean THEN (a.invite_at AT TIME ZONE @tz::text)::date END ORDER BY random()) AS n
    FROM call_attempts a
    WHERE a.dealer_id = @dealer_id AND a.invite_at >= @from_at AND a.invite_at < @to_at
      AND a.agent_user_id IS NOT NULL AND a.answer_at IS NOT NULL AND a.recording_path <> ''
      AND (sqlc.narg(agent_id)::bigint IS NULL OR a.agent_user_id = sqlc.narg(agent_id)::bigint)
      AND NOT EXISTS (SELECT 1 FROM spot_checks x WHERE x.attempt_id = a.id)
)
INSERT INTO spot_checks (dealer_id, attempt_id, agent_user_id, drawn_by)
SELECT @dealer_id, pick.id, pick.agent_user_id, @drawn_by FROM pick
WHERE pick.n <= @per_agent::bigint
ON CONFLICT (attempt_id) DO NOTHING
RETURNING id;

-- name: EnsureSpotCheck :one
-- EnsureSpotCheck queues one chosen call for a spot-check (or returns the existing check).
INSERT INTO spot_checks (dealer_id, attempt_id, agent_user_id, drawn_by)
SELECT a.dealer_id, a.id, a.agent_user_id, @drawn_by FROM call_attempts a
WHERE a.id = @attempt_id AND a.dealer_id = @dealer_id
ON CONFLICT (attempt_id) DO UPDATE SET attempt_id = EXCLUDED.attempt_id
RETURNING id;

-- name: ListSpotChecks :many
SELECT s.id, s.attempt_id, s.status, s.total, s.max_total, s.passed, s.coaching, s.comment, s.created_at, s.scored_at,
       a.invite_at, COALESCE(u.display_name, u.username, '')::text AS agent_name,
       COALESCE(c.name, '')::text AS customer_name, COALESCE(t.campaigns, '{}')::text[] AS campaigns
FROM spot_checks s
JOIN call_attempts a ON a.id = s.attempt_id
LEFT JOIN users u ON u.id = s.agent_user_id
LEFT JOIN customers c ON c.id = a.customer_id
LEFT JOIN call_tasks t ON t.id = a.task_id
WHERE s.dealer_id = @dealer_id AND (sqlc.narg(status)::text IS NULL OR s.status = sqlc.narg(status)::text)
ORDER BY s.status, s.created_at DESC, s.id DESC
LIMIT @max_rows;

-- name: GetSpotCheckByAttempt :one
SELECT * FROM spot_checks WHERE attempt_id = @attempt_id AND dealer_id = @dealer_id;

-- name: ScoreSpotCheck :one
UPDATE spot_checks SET status = 'scored', scores = @scores, rubric = @rubric, total = @total, max_total = @max_total,
    passed = @passed, coaching = @coaching, comment = @comment, scored_by = @scored_by, scored_at = @at
WHERE id = @id AND dealer_id = @dealer_id
RETURNING *;

-- name: ListAgentSpotChecks :many
-- ListAgentSpotChecks are one agent's scored checks, newest first (the agent's own page).
SELECT s.id, s.attempt_id, s.scores, s.rubric, s.total, s.max_total, s.passed, s.coaching, s.comment, s.scored_at,
       a.invite_at, COALESCE(c.name, '')::text AS customer_name, COALESCE(t.campaigns, '{}')::text[] AS campaigns
FROM spot_checks s
JOIN call_attempts a ON a.id = s.attempt_id
LEFT JOIN customers c ON c.id = a.customer_id
LEFT JOIN call_tasks t ON t.id = a.task_id
WHERE s.dealer_id = @dealer_id AND s.agent_user_id = @agent_user_id AND s.status = 'scored'
ORDER BY s.scored_at DESC, s.id DESC
LIMIT @max_rows;

-- name: DirectorDayTasks :many
-- DirectorDayTasks are the tasks in a dealer's queue on one day, one row per (campaign,
-- task): a reason of the campaign was due that day and the task was not closed before it;
-- with what happened to it that day. The daily check sums them per campaign.
WITH due AS (
    SELECT DISTINCT r.campaign, r.task_id,
           CASE WHEN r.campaign = 'maintenance' THEN COALESCE(r.facts->>'maintenance_number', '') ELSE '' END AS label
    FROM call_task_reasons r
    WHERE r.dealer_id = @dealer_id AND r.due_day <= @day::date AND r.expires_day >= @day::date
      AND r.status <> 'suppressed'
), att AS (
    SELECT a.task_id, count(*)::integer AS calls, bool_or(a.answer_at IS NOT NULL) AS answered
    FROM call_attempts a
    WHERE a.dealer_id = @dealer_id AND a.invite_at >= @from_at AND a.invite_at < @to_at AND a.task_id IS NOT NULL
    GROUP BY a.task_id
), outc AS (
    SELECT o.task_id, count(*)::integer AS outcomes,
           bool_or(o.code IN (SELECT x.code FROM outcome_codes x WHERE x.reached AND (x.dealer_id IS NULL OR x.dealer_id = @dealer_id))) AS reached,
           bool_or(o.code = 'appointment') AS booked
    FROM call_outcomes o
    WHERE o.dealer_id = @dealer_id AND o.created_at >= @from_at AND o.created_at < @to_at
    GROUP BY o.task_id
)
SELECT due.campaign, due.label, t.id AS task_id, t.status, t.customer_id,
       c.name AS customer_name, c.title AS customer_title, c.phone,
       COALESCE(att.calls, 0)::integer AS calls, COALESCE(att.answered, false)::boolean AS answered,
       COALESCE(outc.outcomes, 0)::integer AS outcomes, COALESCE(outc.reached, false)::boolean AS reached,
       COALESCE(outc.booked, false)::boolean AS booked,
       (t.status IN ('unreachable', 'invalid') AND t.closed_at >= @from_at AND t.closed_at < @to_at)::boolean AS unreachable
FROM due
JOIN call_tasks t ON t.id = due.task_id
JOIN customers c ON c.id = t.customer_id
LEFT JOIN att ON att.task_id = t.id
LEFT JOIN outc ON outc.task_id = t.id
WHERE t.dealer_id = @dealer_id AND t.created_at < @to_at AND t.status <> 'cancelled'
  AND (t.closed_at IS NULL OR t.closed_at >= @from_at)
ORDER BY due.campaign, t.id;

-- name: DirectorLeaveStoreSMS :many
-- DirectorLeaveStoreSMS lists a day's showroom visits with their leave-store care SMS.
SELECT v.id, v.arrived_at, v.left_at, v.consultant, c.name AS customer_name, c.title AS customer_title,
       COALESCE(m.status, '')::text AS sms_status, m.sent_at
FROM showroom_visits v
JOIN customers c ON c.id = v.customer_id
LEFT JOIN sms_messages m ON m.dealer_id = v.dealer_id AND m.idempotency_key = 'leave_store:' || v.id::text
WHERE v.dealer_id = @dealer_id AND v.arrived_at >= @from_at AND v.arrived_at < @to_at
ORDER BY v.arrived_at, v.id;

-- name: DirectorTasksCalled :many
-- DirectorTasksCalled are the tasks agents called in [from_at, to_at): calls made, whether
-- an outcome saved in the range reached the customer or booked an appointment, when it
-- was first reached, and whether the customer came to the workshop within 90 days after
-- that (the dealer's days, zone tz).
WITH att AS (
    SELECT a.task_id, count(*)::integer AS calls
    FROM call_attempts a
    WHERE a.dealer_id = @dealer_id AND a.invite_at >= @from_at AND a.invite_at < @to_at AND a.task_id IS NOT NULL
    GROUP BY a.task_id
), outc AS (
    SELECT o.task_id,
           min(o.created_at) FILTER (WHERE o.code IN (SELECT x.code FROM outcome_codes x WHERE x.reached AND (x.dealer_id IS NULL OR x.dealer_id = @dealer_id))) AS reached_at,
           bool_or(o.code = 'appointment') AS booked
    FROM call_outcomes o
    WHERE o.dealer_id = @dealer_id AND o.created_at >= @from_at AND o.created_at < @to_at
    GROUP BY o.task_id
)
SELECT t.id AS task_id, t.customer_id, c.name AS customer_name, c.title AS customer_title, t.campaigns,
       att.calls, (outc.reached_at IS NOT NULL)::boolean AS reached, COALESCE(outc.booked, false)::boolean AS booked,
       (outc.reached_at IS NOT NULL AND EXISTS (
            SELECT 1 FROM workshop_visits w WHERE w.customer_id = t.customer_id
              AND w.day > (outc.reached_at AT TIME ZONE @tz::text)::date
              AND w.day <= (outc.reached_at AT TIME ZONE @tz::text)::date + 90))::boolean AS came_within_90
FROM att
JOIN call_tasks t ON t.id = att.task_id
JOIN customers c ON c.id = t.customer_id
LEFT JOIN outc ON outc.task_id = att.task_id
WHERE t.dealer_id = @dealer_id
ORDER BY t.id;

-- name: DirectorProspectsClosed :many
-- DirectorProspectsClosed are the prospects that ended as a deal (won) or lost in the range.
SELECT id, name, title, consultant, prospect_status, status_day, lost_reason
FROM customers
WHERE dealer_id = @dealer_id AND prospect_status IN ('lost', 'won') AND status_day BETWEEN @from_day::date AND @to_day::date
ORDER BY status_day, id;

-- name: DirectorAgentProductivity :many
-- DirectorAgentProductivity is each agent's calls, answered calls, talk time, outcomes and
-- active hours (clock hours with at least one call) in [from_at, to_at).
SELECT u.id, COALESCE(NULLIF(u.display_name, ''), u.username)::text AS name,
       count(a.id)::bigint AS calls, count(a.answer_at)::bigint AS answered,
       COALESCE(sum(EXTRACT(EPOCH FROM a.end_at - a.answer_at)) FILTER (WHERE a.answer_at IS NOT NULL AND a.end_at IS NOT NULL), 0)::bigint AS talk_secs,
       (SELECT count(*) FROM call_outcomes o WHERE o.agent_user_id = u.id AND o.dealer_id = @dealer_id
          AND o.created_at >= @from_at AND o.created_at < @to_at)::bigint AS outcomes,
       count(DISTINCT date_trunc('hour', a.invite_at))::bigint AS active_hours
FROM users u
LEFT JOIN call_attempts a ON a.agent_user_id = u.id AND a.dealer_id = @dealer_id AND a.invite_at >= @from_at AND a.invite_at < @to_at
WHERE u.dealer_id = @dealer_id AND u.role = 'agent'
GROUP BY u.id
ORDER BY name;

-- name: DirectorKeyProspects :many
-- DirectorKeyProspects are the key prospects of the week (a key_prospect reason due in the
-- range) with their status now: won is a deal, lost is lost, anything else is postponed.
SELECT DISTINCT ON (c.id) c.id, c.name, c.title, c.consultant, c.prospect_status, c.status_day, r.due_day
FROM call_task_reasons r
JOIN customers c ON c.id = r.customer_id
WHERE r.dealer_id = @dealer_id AND r.campaign = 'key_prospect' AND r.due_day BETWEEN @from_day::date AND @to_day::date
ORDER BY c.id, r.due_day DESC;

-- name: DirectorGradeCustomers :many
-- DirectorGradeCustomers are the owners (an active vehicle) with their base-customer grade
-- ('' when ungraded).
SELECT c.id, c.name, c.title, c.consultant, COALESCE(c.grade, '')::text AS grade
FROM customers c
WHERE c.dealer_id = @dealer_id AND EXISTS (SELECT 1 FROM vehicles v WHERE v.customer_id = c.id AND v.active)
ORDER BY c.grade NULLS LAST, c.id;

-- name: DirectorListSkips :many
-- DirectorListSkips are the tasks agents gave back without calling (skips), for the call
-- records next to the calls: newest first, keyset-paginated below (cursor_at, cursor_id)
-- where a skip's key is (created_at, -id), so that skips and calls share one order.
-- The filters mean what they mean for DirectorListCalls.
SELECT s.id, s.created_at, s.reason, s.agent_user_id, s.customer_id, s.task_id,
       COALESCE(u.display_name, u.username, '')::text AS agent_name,
       COALESCE(c.name, '')::text AS customer_name, COALESCE(c.title, '')::text AS customer_title,
       COALESCE(t.campaigns, '{}')::text[] AS campaigns
FROM call_skips s
LEFT JOIN users u ON u.id = s.agent_user_id
LEFT JOIN customers c ON c.id = s.customer_id
LEFT JOIN call_tasks t ON t.id = s.task_id
WHERE s.dealer_id = @dealer_id
  AND s.created_at >= @from_at AND s.created_at < @to_at
  AND (s.created_at, -s.id) < (@cursor_at::timestamptz, @cursor_id::bigint)
  AND (sqlc.narg(agent_id)::bigint IS NULL OR s.agent_user_id = sqlc.narg(agent_id)::bigint)
  AND (sqlc.narg(campaign)::text IS NULL OR t.campaigns @> ARRAY[sqlc.narg(campaign)::text])
  AND (sqlc.narg(customer_ids)::bigint[] IS NULL OR s.customer_id = ANY(sqlc.narg(customer_ids)::bigint[]))
ORDER BY s.created_at DESC, s.id
LIMIT @max_rows;
