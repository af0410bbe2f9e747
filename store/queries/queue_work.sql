-- Queries of the queue's workers (queue/take.go, outcome.go, showroom.go, relay.go, tasks.go).

-- name: TakeContext :one
-- TakeContext returns what the take checks before it looks at tasks: the dealer's zone,
-- calling windows, the local day and time at @now, whether that day is a holiday, and the agent.
SELECT d.time_zone, d.call_window_start, d.call_window_end, d.same_day_window_end,
       (CAST(@now AS timestamptz) AT TIME ZONE d.time_zone)::date AS local_day,
       (CAST(@now AS timestamptz) AT TIME ZONE d.time_zone)::time AS local_time,
       EXISTS (SELECT 1 FROM dealer_holidays h
               WHERE h.dealer_id = d.id AND h.day = (CAST(@now AS timestamptz) AT TIME ZONE d.time_zone)::date) AS holiday,
       u.username, u.display_name, u.active
FROM dealers d
JOIN users u ON u.dealer_id = d.id AND u.id = @agent_user_id
WHERE d.id = @dealer_id;

-- name: TakeNextTask :one
-- TakeNextTask is the whole take in one round trip: when the dealer's calling window is
-- open for the agent at @now (not a holiday; past call_window_end only same-day visits),
-- it locks the first task the agent may call, skipping rows other agents hold locked,
-- and marks it taken. The attempt limits are @attempts_per_day_override when positive,
-- else the dealer's campaign_settings (attempts_per_day, attempts_per_task), else the
-- defaults. A task taken before @stale_before counts as abandoned: it is taken again and
-- flagged for the director. A task that asks the customer to rate the agent (their own
-- visitor's same-day visit, delivery or lost-prospect survey) is not the agent's.
-- No row means closed or nothing ready (see TakeContext).
WITH ctx AS (
    SELECT d.id AS dealer_id,
           (CAST(@now AS timestamptz) AT TIME ZONE d.time_zone)::date AS today,
           (CAST(@now AS timestamptz) AT TIME ZONE d.time_zone)::time AS local_time,
           d.call_window_start, d.call_window_end, d.same_day_window_end,
           u.username, u.display_name,
           COALESCE(NULLIF(@attempts_per_day_override::integer, 0),
                    (SELECT s.value FROM campaign_settings s WHERE s.dealer_id = d.id AND s.key = 'attempts_per_day'),
                    @default_attempts_per_day::integer) AS per_day,
           COALESCE(NULLIF(@attempts_override::integer, 0),
                    (SELECT s.value FROM campaign_settings s WHERE s.dealer_id = d.id AND s.key = 'attempts_per_task'),
                    @default_attempts::integer) AS per_task
    FROM dealers d
    JOIN users u ON u.dealer_id = d.id AND u.id = @agent_user_id::bigint AND u.active
    WHERE d.id = @dealer_id::bigint
), open AS (
    SELECT ctx.*, ctx.local_time >= ctx.call_window_end AS same_day_only
    FROM ctx
    WHERE ctx.local_time >= ctx.call_window_start
      AND ctx.local_time < GREATEST(ctx.call_window_end, ctx.same_day_window_end)
      AND NOT EXISTS (SELECT 1 FROM dealer_holidays h WHERE h.dealer_id = ctx.dealer_id AND h.day = ctx.today)
), next AS (
    SELECT t.id, t.taken_at AS prev_taken_at
    FROM open o
    JOIN call_tasks t ON t.dealer_id = o.dealer_id
    JOIN customers c ON c.id = t.customer_id
    WHERE t.dealer_id = @dealer_id::bigint
      AND t.status = 'open'
      AND t.due_day <= o.today
      AND (t.expires_day >= o.today
           OR EXISTS (SELECT 1 FROM call_task_reasons r
                      WHERE r.task_id = t.id AND r.status = 'open'
                        AND r.due_day <= o.today AND r.expires_day >= o.today))
      AND (t.not_before IS NULL OR t.not_before <= CAST(@now AS timestamptz))
      AND (t.last_attempt_day IS DISTINCT FROM o.today OR t.attempts_today < o.per_day)
      AND t.attempts < o.per_task
      AND (t.assigned_user_id IS NULL OR t.assigned_user_id = @agent_user_id::bigint)
      AND (t.consultant = '' OR t.consultant = o.username OR t.consultant = NULLIF(o.display_name, ''))
      -- A call that asks the customer to rate a person (the consultant's reception on a
      -- same-day visit, the delivery, the lost prospect's handling) is never served to
      -- that person: customer service asks.
      AND NOT (t.campaigns && ARRAY['same_day_visit', 'delivery_3day', 'lost_prospect']::text[]
               AND (c.consultant IN (o.username, NULLIF(o.display_name, ''))
                    OR EXISTS (SELECT 1 FROM call_task_reasons r
                               WHERE r.task_id = t.id AND r.status = 'open'
                                 AND r.campaign IN ('same_day_visit', 'delivery_3day', 'lost_prospect')
                                 AND r.facts->>'consultant' IN (o.username, NULLIF(o.display_name, '')))))
      AND (t.taken_by IS NULL OR t.taken_by = @agent_user_id::bigint OR t.taken_at < @stale_before::timestamptz)
      AND (NOT o.same_day_only OR 'same_day_visit' = ANY (t.campaigns))
      AND c.phone_valid
      AND NOT EXISTS (SELECT 1 FROM do_not_call n WHERE n.dealer_id = t.dealer_id AND n.phone = c.phone)
    ORDER BY t.priority DESC, t.due_day, t.id
    LIMIT 1
    FOR UPDATE OF t SKIP LOCKED
)
UPDATE call_tasks t
SET taken_by = @agent_user_id::bigint,
    taken_at = CAST(@now AS timestamptz),
    flagged = t.flagged OR COALESCE(next.prev_taken_at < @stale_before::timestamptz, false),
    updated_at = CAST(@now AS timestamptz)
FROM next, customers c
WHERE t.id = next.id AND c.id = t.customer_id
RETURNING t.id, t.customer_id, t.priority, t.due_day, t.expires_day, t.campaigns,
          t.assigned_user_id, t.consultant, t.attempts, t.attempts_today, t.flagged,
          COALESCE(next.prev_taken_at < @stale_before::timestamptz, false)::boolean AS was_stale,
          c.name AS customer_name, c.title AS customer_title, c.phone,
          COALESCE((SELECT array_agg(r.text ORDER BY r.priority DESC, r.id)
                    FROM call_task_reasons r WHERE r.task_id = t.id AND r.status = 'open'),
                   '{}')::text[] AS reasons;

-- name: ReleaseTask :one
-- ReleaseTask puts a task the agent holds back in the queue, not before @not_before.
UPDATE call_tasks
SET taken_by = NULL, taken_at = NULL, updated_at = @now::timestamptz,
    not_before = GREATEST(COALESCE(not_before, @not_before::timestamptz), @not_before::timestamptz)
WHERE id = @id AND dealer_id = @dealer_id AND status = 'open' AND taken_by = @agent_user_id::bigint
RETURNING id;

-- name: LockCallTask :one
-- LockCallTask locks a task of the dealer for an outcome or attempt, with its customer.
SELECT t.id, t.customer_id, t.status, t.attempts, t.attempts_today, t.last_attempt_day,
       t.expires_day, t.taken_by, c.phone, c.name AS customer_name
FROM call_tasks t
JOIN customers c ON c.id = t.customer_id
WHERE t.id = @id AND t.dealer_id = @dealer_id
FOR UPDATE OF t;

-- name: GetOutcomeCode :one
-- GetOutcomeCode returns the dealer's own row for the code, else the default row.
SELECT code, effect, retry_minutes, reached
FROM outcome_codes
WHERE code = @code AND (dealer_id = @dealer_id OR dealer_id IS NULL)
ORDER BY dealer_id NULLS LAST
LIMIT 1;

-- name: LocalDay :one
-- LocalDay returns the dealer's calendar day at @at.
SELECT (CAST(@at AS timestamptz) AT TIME ZONE time_zone)::date AS day FROM dealers WHERE id = @dealer_id;

-- name: InsertAttemptEffect :one
INSERT INTO call_attempt_effects (dealer_id, call_id, attempt_id, task_id, outcome, counted, task_status, not_before, applied_at)
VALUES (@dealer_id, @call_id, @attempt_id, @task_id, @outcome, @counted, @task_status, @not_before, @applied_at)
ON CONFLICT (dealer_id, call_id) DO NOTHING
RETURNING call_id;

-- name: GetAttemptEffect :one
SELECT * FROM call_attempt_effects WHERE dealer_id = @dealer_id AND call_id = @call_id;

-- name: AttemptAlreadyCounted :one
SELECT EXISTS (SELECT 1 FROM call_attempt_effects WHERE attempt_id = @attempt_id::bigint AND counted)::boolean AS counted;

-- name: CountTaskAttempt :one
-- CountTaskAttempt adds one customer attempt made on @today.
UPDATE call_tasks
SET attempts = attempts + 1,
    attempts_today = CASE WHEN last_attempt_day = @today::date THEN attempts_today + 1 ELSE 1 END,
    last_attempt_day = @today::date,
    updated_at = @now::timestamptz
WHERE id = @id
RETURNING attempts, attempts_today;

-- name: RetryTaskLater :exec
UPDATE call_tasks
SET not_before = @not_before::timestamptz, outcome = @outcome, taken_by = NULL, taken_at = NULL,
    updated_at = @now::timestamptz
WHERE id = @id AND status = 'open';

-- name: CloseCallTask :exec
UPDATE call_tasks
SET status = @status, outcome = @outcome, closed_at = @now::timestamptz,
    taken_by = NULL, taken_at = NULL, updated_at = @now::timestamptz
WHERE id = @id AND status = 'open';

-- name: SetOpenReasonsStatus :exec
UPDATE call_task_reasons SET status = @status WHERE task_id = ANY (@task_ids::bigint[]) AND status = 'open';

-- name: ScheduleCallback :exec
-- ScheduleCallback keeps the task open until the callback time, pinned to @assigned_user_id
-- (NULL: anyone), and keeps it alive at least until the callback's day.
UPDATE call_tasks
SET not_before = @callback_at::timestamptz, assigned_user_id = @assigned_user_id,
    expires_day = GREATEST(expires_day, @callback_day::date), outcome = @outcome,
    taken_by = NULL, taken_at = NULL, updated_at = @now::timestamptz
WHERE id = @id AND status = 'open';

-- name: MarkPhoneInvalid :exec
UPDATE customers SET phone_valid = false, updated_at = @now::timestamptz WHERE id = @id;

-- name: InsertDoNotCall :exec
INSERT INTO do_not_call (dealer_id, phone, reason, source, created_at)
VALUES (@dealer_id, @phone, @reason, @source, @now::timestamptz)
ON CONFLICT (dealer_id, phone) DO NOTHING;

-- name: CancelOpenTasksForPhone :many
-- CancelOpenTasksForPhone closes every open task of the customers with this phone.
UPDATE call_tasks t
SET status = 'cancelled', outcome = @outcome, closed_at = @now::timestamptz,
    taken_by = NULL, taken_at = NULL, updated_at = @now::timestamptz
FROM customers c
WHERE c.id = t.customer_id AND c.dealer_id = @dealer_id AND c.phone = @phone AND t.status = 'open'
RETURNING t.id;

-- name: SuppressQueuedSMS :execrows
UPDATE sms_messages SET status = 'suppressed', error = @reason
WHERE dealer_id = @dealer_id AND phone = @phone AND status = 'queued';

-- name: OpenComplaintFromCall :exec
INSERT INTO complaints (dealer_id, customer_id, opened_on, category, description)
VALUES (@dealer_id, @customer_id, @opened_on, @category, @description)
ON CONFLICT (customer_id, opened_on, category, description) DO NOTHING;

-- name: InsertCallOutcome :one
INSERT INTO call_outcomes (dealer_id, client_id, task_id, attempt_id, agent_user_id, code,
    appointment_at, callback_at, callback_mine, answers, complaint_category, notes, script_version, created_at)
VALUES (@dealer_id, @client_id, @task_id, @attempt_id, @agent_user_id, @code,
    @appointment_at, @callback_at, @callback_mine, @answers, @complaint_category, @notes, @script_version, @created_at)
ON CONFLICT (dealer_id, client_id) DO NOTHING
RETURNING id;

-- name: GetCallOutcomeByClientID :one
SELECT * FROM call_outcomes WHERE dealer_id = @dealer_id AND client_id = @client_id;

-- name: SetCallOutcomeResult :exec
UPDATE call_outcomes SET effect = @effect, task_status = @task_status WHERE id = @id;

-- name: GetCallTaskStatus :one
SELECT status FROM call_tasks WHERE id = @id;

-- name: UpsertShowroomProspect :one
-- UpsertShowroomProspect finds the visitor by phone or creates a prospect; a visitor who
-- was no prospect becomes an open one, and blank fields never overwrite known ones.
INSERT INTO customers (dealer_id, name, title, phone, prospect_status, status_day, consultant, intent_level)
VALUES (@dealer_id, @name, @title, @phone, 'open', @day, @consultant, @intent_level)
ON CONFLICT (dealer_id, phone) DO UPDATE
SET name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE customers.name END,
    title = CASE WHEN EXCLUDED.title <> '' THEN EXCLUDED.title ELSE customers.title END,
    prospect_status = CASE WHEN customers.prospect_status = '' THEN 'open' ELSE customers.prospect_status END,
    status_day = CASE WHEN customers.prospect_status = '' THEN EXCLUDED.status_day ELSE customers.status_day END,
    consultant = CASE WHEN customers.consultant = '' THEN EXCLUDED.consultant ELSE customers.consultant END,
    intent_level = CASE WHEN EXCLUDED.intent_level <> '' THEN EXCLUDED.intent_level ELSE customers.intent_level END,
    updated_at = now()
RETURNING id, name, title, phone, phone_valid;

-- name: UpsertShowroomVisit :one
INSERT INTO showroom_visits (dealer_id, customer_id, arrived_at, left_at, consultant, intent_level, note)
VALUES (@dealer_id, @customer_id, @arrived_at, @left_at, @consultant, @intent_level, @note)
ON CONFLICT (customer_id, arrived_at) DO UPDATE
SET left_at = COALESCE(EXCLUDED.left_at, showroom_visits.left_at),
    consultant = CASE WHEN EXCLUDED.consultant <> '' THEN EXCLUDED.consultant ELSE showroom_visits.consultant END,
    intent_level = CASE WHEN EXCLUDED.intent_level <> '' THEN EXCLUDED.intent_level ELSE showroom_visits.intent_level END,
    note = CASE WHEN EXCLUDED.note <> '' THEN EXCLUDED.note ELSE showroom_visits.note END
RETURNING id, left_at;

-- name: PhoneOnDoNotCall :one
SELECT EXISTS (SELECT 1 FROM do_not_call WHERE dealer_id = @dealer_id AND phone = @phone)::boolean AS dnc;

-- name: InsertSMSMessage :one
INSERT INTO sms_messages (dealer_id, customer_id, phone, kind, template, body, status, idempotency_key)
VALUES (@dealer_id, @customer_id, @phone, @kind, @template, @body, @status, @idempotency_key)
ON CONFLICT (dealer_id, idempotency_key) DO NOTHING
RETURNING id;

-- name: LockSMSMessage :one
SELECT * FROM sms_messages WHERE id = @id FOR UPDATE;

-- name: MarkSMSSent :exec
UPDATE sms_messages
SET status = 'sent', sent_at = @sent_at::timestamptz, provider = @provider, provider_id = @provider_id,
    attempts = attempts + 1, error = ''
WHERE id = @id;

-- name: MarkSMSSuppressed :exec
UPDATE sms_messages SET status = 'suppressed', error = @reason WHERE id = @id AND status = 'queued';

-- name: ClaimOutbox :many
-- ClaimOutbox locks up to @max unrelayed rows; a second relay skips them.
SELECT id, dealer_id, task_type, payload FROM outbox
WHERE relayed_at IS NULL
ORDER BY id
LIMIT @max
FOR UPDATE SKIP LOCKED;

-- name: MarkOutboxRelayed :exec
UPDATE outbox SET relayed_at = @now::timestamptz WHERE id = ANY (@ids::bigint[]);

-- name: ReturnStaleTasks :execrows
-- ReturnStaleTasks puts tasks taken before @stale_before back in the queue, flagged for
-- the director.
UPDATE call_tasks
SET taken_by = NULL, taken_at = NULL, flagged = true, updated_at = @now::timestamptz
WHERE status = 'open' AND taken_by IS NOT NULL AND taken_at < @stale_before::timestamptz;

-- name: OutcomeCallOfTask :one
-- OutcomeCallOfTask finds the call an outcome of the task is about: @attempt_id when
-- given (it must be a call of the task), else the agent's latest call of the task; in
-- both cases a call no earlier outcome used. No row: there is no such call.
SELECT a.id, (a.answer_at IS NOT NULL OR a.outcome = 'answered')::boolean AS answered
FROM call_attempts a
WHERE a.task_id = @task_id::bigint AND a.dealer_id = @dealer_id::bigint
  AND (CASE WHEN @attempt_id::bigint <> 0 THEN a.id = @attempt_id::bigint
            ELSE a.agent_user_id = @agent_user_id::bigint END)
  AND NOT EXISTS (SELECT 1 FROM call_outcomes o WHERE o.attempt_id = a.id)
ORDER BY a.invite_at DESC, a.id DESC
LIMIT 1;

-- name: InsertCallSkip :exec
INSERT INTO call_skips (dealer_id, task_id, customer_id, agent_user_id, reason, created_at)
SELECT t.dealer_id, t.id, t.customer_id, @agent_user_id, @reason, @now::timestamptz
FROM call_tasks t WHERE t.id = @task_id AND t.dealer_id = @dealer_id;
