-- SMS broadcasts, senders, delivery reports, replies and consent (issue 7).

-- name: LockSMSForSend :one
-- LockSMSForSend locks a message and says what decides whether it may go out now.
SELECT m.id, m.dealer_id, m.phone, m.kind, m.template, m.body, m.status, m.attempts, m.vars,
       d.time_zone::text AS time_zone,
       COALESCE(NULLIF(d.settings->>'sms_signature', ''), d.name)::text AS signature,
       timezone(d.time_zone, @now::timestamptz)::time AS local_time,
       sms_quiet_start(d.settings)::time AS quiet_start, sms_quiet_end(d.settings)::time AS quiet_end,
       EXISTS (SELECT 1 FROM do_not_call n WHERE n.dealer_id = m.dealer_id AND n.phone = m.phone) AS do_not_call,
       EXISTS (SELECT 1 FROM sms_consent c WHERE c.dealer_id = m.dealer_id AND c.phone = m.phone AND c.state = 'opted_out') AS opted_out,
       COALESCE((SELECT t.provider_code FROM sms_templates t WHERE t.dealer_id = m.dealer_id AND t.code = m.template), '')::text AS provider_template,
       COALESCE((SELECT t.body FROM sms_templates t WHERE t.dealer_id = m.dealer_id AND t.code = m.template), '')::text AS template_body
FROM sms_messages m JOIN dealers d ON d.id = m.dealer_id
WHERE m.id = @id
FOR UPDATE OF m;

-- name: ClaimSMS :exec
-- ClaimSMS moves a queued message to 'sending': the sender owns it from here, and no
-- other run of the task may submit it again. The body is stored as submitted.
UPDATE sms_messages SET status = 'sending', claimed_at = @now::timestamptz, claimed_by = @claimed_by,
    attempts = attempts + 1, body = @body
WHERE id = @id AND status = 'queued';

-- name: MarkSMSSubmitted :exec
-- MarkSMSSubmitted records that the provider accepted the message, the moment it did; a
-- delivery report that came first keeps its status, and a message the sweep took for
-- stranded meanwhile ('uncertain') is sent after all.
UPDATE sms_messages
SET status = CASE WHEN status IN ('sending', 'uncertain') THEN 'sent' ELSE status END,
    sent_at = COALESCE(sent_at, @now::timestamptz), provider = @provider, provider_id = @provider_id, error = ''
WHERE id = @id;

-- name: ReleaseSMSClaim :exec
-- ReleaseSMSClaim gives a message back to the queue after a submission that surely failed.
UPDATE sms_messages SET status = 'queued', claimed_at = NULL, claimed_by = '', error = @error
WHERE id = @id AND status = 'sending';

-- name: FailSMS :exec
UPDATE sms_messages SET status = 'failed', error = @error
WHERE id = @id AND status IN ('queued', 'sending', 'uncertain');

-- name: SuppressSMS :exec
UPDATE sms_messages SET status = 'suppressed', error = @reason
WHERE id = @id AND status = 'queued';

-- name: DeferSMS :exec
-- DeferSMS holds a queued message until not_before: the release sweep writes its outbox row then.
UPDATE sms_messages SET not_before = @not_before::timestamptz, released_at = NULL
WHERE id = @id AND status = 'queued';

-- name: ReleaseDueSMS :many
-- ReleaseDueSMS writes the sms:send outbox row of up to @max held messages whose time has come.
WITH due AS (
    SELECT id, dealer_id FROM sms_messages
    WHERE released_at IS NULL AND status = 'queued' AND (not_before IS NULL OR not_before <= @now::timestamptz)
    ORDER BY not_before NULLS FIRST, id
    LIMIT @max
    FOR UPDATE SKIP LOCKED
), upd AS (
    UPDATE sms_messages m SET released_at = @now::timestamptz FROM due WHERE m.id = due.id
)
INSERT INTO outbox (dealer_id, task_type, payload)
SELECT dealer_id, 'sms:send', jsonb_build_object('message_id', id) FROM due
RETURNING id;

-- name: InsertSMSEvent :exec
INSERT INTO sms_events (message_id, kind, code, detail, at) VALUES (@message_id, @kind, @code, @detail, @at);

-- name: ApplySMSReport :execrows
-- ApplySMSReport moves a message's status on a delivery report: delivered is final,
-- failed does not undo delivered, submitted only confirms a send in flight.
UPDATE sms_messages
SET status = CASE
        WHEN @kind::text = 'delivered' THEN 'delivered'
        WHEN @kind::text IN ('failed', 'rejected') AND status <> 'delivered' THEN 'failed'
        WHEN @kind::text IN ('submitted', 'buffered') AND status IN ('sending', 'uncertain', 'queued') THEN 'sent'
        ELSE status END,
    delivered_at = CASE WHEN @kind::text = 'delivered' THEN @at::timestamptz ELSE delivered_at END,
    sent_at = COALESCE(sent_at, @at::timestamptz),
    error = CASE WHEN @kind::text IN ('failed', 'rejected') AND status <> 'delivered' THEN @detail::text ELSE error END
WHERE id = @id;

-- name: LatestSMSPerDealerTo :many
-- LatestSMSPerDealerTo returns, per dealer, the latest message that went out to a phone.
SELECT DISTINCT ON (dealer_id) id, dealer_id FROM sms_messages
WHERE phone = @phone AND status IN ('sending', 'sent', 'delivered', 'failed')
ORDER BY dealer_id, created_at DESC, id DESC;

-- name: InsertSMSReply :one
INSERT INTO sms_replies (dealer_id, phone, to_number, body, opt_out, message_id, provider, received_at)
VALUES (@dealer_id, @phone, @to_number, @body, @opt_out, @message_id, @provider, @received_at)
RETURNING id;

-- name: MarkSMSReplied :exec
UPDATE sms_messages SET replied_at = COALESCE(replied_at, @at::timestamptz) WHERE id = @id;

-- name: SetSMSConsent :exec
-- SetSMSConsent records a consent change with its time and source, and logs it.
WITH logged AS (
    INSERT INTO sms_consent_log (dealer_id, phone, state, source, detail, at)
    VALUES (@dealer_id, @phone, @state, @source, @detail, @at)
)
INSERT INTO sms_consent (dealer_id, phone, state, source, detail, at)
VALUES (@dealer_id, @phone, @state, @source, @detail, @at)
ON CONFLICT (dealer_id, phone) DO UPDATE
SET state = EXCLUDED.state, source = EXCLUDED.source, detail = EXCLUDED.detail, at = EXCLUDED.at;

-- name: GetSMSConsent :one
SELECT * FROM sms_consent WHERE dealer_id = @dealer_id AND phone = @phone;

-- name: SuppressQueuedMarketingSMS :execrows
UPDATE sms_messages SET status = 'suppressed', error = @reason
WHERE dealer_id = @dealer_id AND phone = @phone AND kind = 'marketing' AND status = 'queued';

-- name: UpsertSMSTemplate :one
INSERT INTO sms_templates (dealer_id, code, kind, title, body, provider_code, updated_by, updated_at)
VALUES (@dealer_id, @code, @kind, @title, @body, @provider_code, @updated_by, now())
ON CONFLICT (dealer_id, code) DO UPDATE
SET kind = EXCLUDED.kind, title = EXCLUDED.title, body = EXCLUDED.body, provider_code = EXCLUDED.provider_code,
    updated_by = EXCLUDED.updated_by, updated_at = now()
RETURNING *;

-- name: GetSMSTemplate :one
SELECT * FROM sms_templates WHERE dealer_id = @dealer_id AND code = @code;

-- name: ListSMSTemplates :many
SELECT * FROM sms_templates WHERE dealer_id = @dealer_id ORDER BY code;

-- name: EnsureBroadcast :one
INSERT INTO broadcasts (dealer_id, code, channel, template, prompt_path, created_by)
VALUES (@dealer_id, @code, @channel, @template, @prompt_path, @created_by)
ON CONFLICT (dealer_id, code) DO UPDATE SET code = EXCLUDED.code
RETURNING *;

-- name: InsertBroadcastSMS :one
INSERT INTO sms_messages (dealer_id, customer_id, phone, kind, template, body, status, idempotency_key,
                          broadcast_id, parts, not_before, released_at, vars)
VALUES (@dealer_id, @customer_id, @phone, @kind, @template, @body, @status, @idempotency_key,
        @broadcast_id, @parts, @not_before, @released_at, COALESCE(sqlc.narg(vars)::jsonb, '{}'::jsonb))
ON CONFLICT (dealer_id, idempotency_key) DO NOTHING
RETURNING id;

-- name: InsertOutboxSMSSend :exec
INSERT INTO outbox (dealer_id, task_type, payload)
VALUES (@dealer_id, 'sms:send', jsonb_build_object('message_id', @message_id::bigint));

-- name: AudienceBirthdays :many
-- AudienceBirthdays lists the dealer's customers whose birthday is on @day (29 February
-- counts as 28 February in other years).
SELECT c.id, c.name, c.title, c.phone, c.phone_valid
FROM customers c
WHERE c.dealer_id = @dealer_id AND c.birthday IS NOT NULL
  AND (to_char(c.birthday, 'MM-DD') = to_char(@day::date, 'MM-DD')
       OR (to_char(c.birthday, 'MM-DD') = '02-29' AND to_char(@day::date, 'MM-DD') = '02-28'
           AND NOT (extract(year FROM @day::date)::int % 4 = 0 AND (extract(year FROM @day::date)::int % 100 <> 0 OR extract(year FROM @day::date)::int % 400 = 0))))
ORDER BY c.id;

-- name: AudienceReasons :many
-- AudienceReasons lists the customers given a reason of @campaign due on @day by the
-- queue's rules (maintenance, insurance, inspection...), with the reason's vehicle.
SELECT DISTINCT ON (c.id) c.id, c.name, c.title, c.phone, c.phone_valid, r.due_day, r.facts,
       COALESCE(v.plate, '')::text AS plate, COALESCE(v.model, '')::text AS model
FROM call_task_reasons r
JOIN customers c ON c.id = r.customer_id
LEFT JOIN LATERAL (SELECT plate, model FROM vehicles v WHERE v.customer_id = c.id AND v.active ORDER BY v.delivery_day DESC NULLS LAST LIMIT 1) v ON true
WHERE r.dealer_id = @dealer_id AND r.campaign = @campaign AND r.due_day = @day
ORDER BY c.id, r.id;

-- name: AudienceCustomers :many
SELECT c.id, c.name, c.title, c.phone, c.phone_valid,
       COALESCE(v.plate, '')::text AS plate, COALESCE(v.model, '')::text AS model
FROM customers c
LEFT JOIN LATERAL (SELECT plate, model FROM vehicles v WHERE v.customer_id = c.id AND v.active ORDER BY v.delivery_day DESC NULLS LAST LIMIT 1) v ON true
WHERE c.dealer_id = @dealer_id AND c.id = ANY(@ids::bigint[])
ORDER BY c.id;

-- name: BroadcastSMSStats :many
-- BroadcastSMSStats is the director's view of a dealer's SMS, per broadcast and template.
SELECT COALESCE(k.code, '')::text AS broadcast, m.template,
       count(*) AS total,
       count(*) FILTER (WHERE m.status IN ('sent', 'delivered')) AS sent,
       count(*) FILTER (WHERE m.status = 'delivered') AS delivered,
       count(*) FILTER (WHERE m.status = 'failed') AS failed,
       count(*) FILTER (WHERE m.status = 'suppressed') AS suppressed,
       count(*) FILTER (WHERE m.status IN ('queued', 'sending')) AS pending,
       count(*) FILTER (WHERE m.replied_at IS NOT NULL) AS replied,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM sms_replies r WHERE r.message_id = m.id AND r.opt_out)) AS opted_out
FROM sms_messages m LEFT JOIN broadcasts k ON k.id = m.broadcast_id
WHERE m.dealer_id = @dealer_id AND m.created_at >= @since::timestamptz
GROUP BY 1, 2
ORDER BY 1, 2;

-- name: BroadcastCallStats :many
-- BroadcastCallStats is the director's view of message-call broadcasts: targets and keys pressed.
SELECT k.code AS broadcast,
       count(*) AS total,
       count(*) FILTER (WHERE t.status = 'done') AS answered,
       count(*) FILTER (WHERE t.key = '1') AS key_1,
       count(*) FILTER (WHERE t.key = '2') AS key_2,
       count(*) FILTER (WHERE t.key = '9') AS key_9,
       count(*) FILTER (WHERE t.status = 'unreachable') AS unreachable,
       count(*) FILTER (WHERE t.status IN ('pending', 'calling')) AS pending
FROM message_call_targets t JOIN broadcasts k ON k.id = t.broadcast_id
WHERE t.dealer_id = @dealer_id AND k.created_at >= @since::timestamptz
GROUP BY k.code
ORDER BY k.code;

-- name: InsertMessageCallTarget :execrows
INSERT INTO message_call_targets (broadcast_id, dealer_id, customer_id, phone, status, result)
VALUES (@broadcast_id, @dealer_id, @customer_id, @phone, @status, @result)
ON CONFLICT (broadcast_id, phone) DO NOTHING;

-- name: ClaimMessageCallTargets :many
-- ClaimMessageCallTargets takes up to @max due targets of a dealer for calling now.
UPDATE message_call_targets t SET status = 'calling', claimed_at = @now::timestamptz, updated_at = @now::timestamptz
WHERE t.id IN (
    SELECT x.id FROM message_call_targets x
    WHERE x.dealer_id = @dealer_id AND x.status = 'pending' AND (x.not_before IS NULL OR x.not_before <= @now::timestamptz)
    ORDER BY x.not_before NULLS FIRST, x.id
    LIMIT @max
    FOR UPDATE SKIP LOCKED)
RETURNING t.*;

-- name: LockMessageCallTarget :one
SELECT * FROM message_call_targets WHERE id = @id FOR UPDATE;

-- name: UpdateMessageCallTarget :exec
UPDATE message_call_targets
SET status = @status, attempts = @attempts, attempts_today = @attempts_today, last_attempt_day = @last_attempt_day,
    not_before = @not_before, claimed_at = NULL, last_call_id = @last_call_id, last_outcome = @last_outcome,
    key = @key, result = @result, callback_task_id = @callback_task_id, updated_at = @now::timestamptz
WHERE id = @id;

-- name: GetDealerSMS :one
-- GetDealerSMS returns what rendering and timing a dealer's SMS needs: its name, zone,
-- signature (settings.sms_signature, by default the dealer's name) and the quiet hours of
-- its marketing SMS (settings.sms_quiet_start and sms_quiet_end, by default 21:00-08:00).
SELECT id, name, time_zone, COALESCE(NULLIF(settings->>'sms_signature', ''), name)::text AS signature,
       sms_quiet_start(settings)::time AS quiet_start, sms_quiet_end(settings)::time AS quiet_end
FROM dealers WHERE id = @id;

-- name: SetDealerSMSSignature :exec
UPDATE dealers SET settings = jsonb_set(settings, '{sms_signature}', to_jsonb(@signature::text)) WHERE id = @id;

-- name: SetDealerSMSQuietHours :execrows
-- SetDealerSMSQuietHours stores a dealer's quiet hours of marketing SMS (checked before,
-- "HH:MM") and audits the change, in one statement; zero rows means no such dealer.
WITH upd AS (
    UPDATE dealers d
    SET settings = jsonb_set(jsonb_set(d.settings, '{sms_quiet_start}', to_jsonb(@quiet_start::text)),
                             '{sms_quiet_end}', to_jsonb(@quiet_end::text))
    WHERE d.id = @dealer_id::bigint
    RETURNING d.id AS dealer
)
INSERT INTO audit_log (dealer_id, user_id, action, subject_type, subject_id, detail)
SELECT upd.dealer, sqlc.narg(user_id)::bigint, 'sms_quiet_hours.save', 'dealer', upd.dealer,
       jsonb_build_object('start', @quiet_start::text, 'end', @quiet_end::text)
FROM upd;

-- name: UpsertCallbackTask :one
-- UpsertCallbackTask gives the customer an open call task carrying the message-call
-- callback, merged into the open task when there is one.
INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns)
VALUES (@dealer_id, @customer_id, @priority, @due_day, @expires_day, ARRAY['message_callback']::text[])
ON CONFLICT (customer_id) WHERE status = 'open' DO UPDATE
SET priority = GREATEST(call_tasks.priority, EXCLUDED.priority),
    due_day = LEAST(call_tasks.due_day, EXCLUDED.due_day),
    expires_day = GREATEST(call_tasks.expires_day, EXCLUDED.expires_day),
    campaigns = CASE WHEN 'message_callback' = ANY (call_tasks.campaigns) THEN call_tasks.campaigns
                     ELSE ARRAY['message_callback']::text[] || call_tasks.campaigns END,
    updated_at = now()
RETURNING id;

-- name: InsertCallbackReason :exec
INSERT INTO call_task_reasons (dealer_id, task_id, customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
VALUES (@dealer_id, @task_id, @customer_id, 'message_callback', @occurrence, @priority, @due_day, @expires_day, @text, @facts)
ON CONFLICT (dealer_id, campaign, occurrence) DO NOTHING;

-- name: InsertDoNotCallNumber :exec
INSERT INTO do_not_call (dealer_id, phone, reason, source) VALUES (@dealer_id, @phone, @reason, @source)
ON CONFLICT (dealer_id, phone) DO NOTHING;

-- name: GetDealerWindow :one
SELECT id, name, time_zone, call_window_start, call_window_end FROM dealers WHERE id = @id;

-- name: ClaimSMSFast :one
-- ClaimSMSFast claims a queued message in one statement when nothing holds it back (not
-- on do-not-call; for marketing, not opted out and outside the dealer's quiet hours:
-- 21:00-08:00 or wider, sms_quiet_start and sms_quiet_end of migration 0062);
-- it signs the body with the dealer's signature when it has none. No row: the caller
-- takes the slow path (LockSMSForSend) to learn why.
UPDATE sms_messages m
SET status = 'sending', claimed_at = @now::timestamptz, claimed_by = @claimed_by, attempts = m.attempts + 1,
    body = CASE WHEN m.body LIKE '【%' THEN m.body
                ELSE '【' || COALESCE(NULLIF(d.settings->>'sms_signature', ''), d.name) || '】' || m.body END
FROM dealers d
WHERE m.id = @id AND d.id = m.dealer_id AND m.status = 'queued'
  AND NOT EXISTS (SELECT 1 FROM do_not_call n WHERE n.dealer_id = m.dealer_id AND n.phone = m.phone)
  AND (m.kind <> 'marketing' OR (
        NOT EXISTS (SELECT 1 FROM sms_consent c WHERE c.dealer_id = m.dealer_id AND c.phone = m.phone AND c.state = 'opted_out')
        AND timezone(d.time_zone, @now::timestamptz)::time >= sms_quiet_end(d.settings)
        AND timezone(d.time_zone, @now::timestamptz)::time < sms_quiet_start(d.settings)))
RETURNING m.id, m.phone, m.body, m.attempts, m.template, m.vars,
       COALESCE(NULLIF(d.settings->>'sms_signature', ''), d.name)::text AS signature,
       COALESCE((SELECT t.provider_code FROM sms_templates t WHERE t.dealer_id = m.dealer_id AND t.code = m.template), '')::text AS provider_template,
       COALESCE((SELECT t.body FROM sms_templates t WHERE t.dealer_id = m.dealer_id AND t.code = m.template), '')::text AS template_body;

-- name: RecordSMSReport :execrows
-- RecordSMSReport applies a delivery report (as ApplySMSReport) and stores it, in one
-- statement; zero rows means no such message.
WITH upd AS (
    UPDATE sms_messages s
    SET status = CASE
            WHEN @kind::text = 'delivered' THEN 'delivered'
            WHEN @kind::text IN ('failed', 'rejected') AND s.status <> 'delivered' THEN 'failed'
            WHEN @kind::text IN ('submitted', 'buffered') AND s.status IN ('sending', 'uncertain', 'queued') THEN 'sent'
            ELSE s.status END,
        delivered_at = CASE WHEN @kind::text = 'delivered' THEN @at::timestamptz ELSE s.delivered_at END,
        sent_at = COALESCE(s.sent_at, @at::timestamptz),
        error = CASE WHEN @kind::text IN ('failed', 'rejected') AND s.status <> 'delivered' THEN @detail::text ELSE s.error END
    WHERE s.id = @id
    RETURNING s.id
)
INSERT INTO sms_events (message_id, kind, code, detail, at)
SELECT upd.id, @kind::text, @code::text, @detail::text, @at::timestamptz FROM upd;

-- name: ClaimSMSBatchFast :many
-- ClaimSMSBatchFast is ClaimSMSFast for up to @max of the messages @ids at once (the
-- sender claims only what the rate limit lets go now); it locks them in id order and
-- skips rows another transaction holds.
WITH lk AS (
    SELECT m.id FROM sms_messages m JOIN dealers d ON d.id = m.dealer_id
    WHERE m.id = ANY (@ids::bigint[]) AND m.status = 'queued'
      AND (m.not_before IS NULL OR m.not_before <= @now::timestamptz)
      AND NOT EXISTS (SELECT 1 FROM do_not_call n WHERE n.dealer_id = m.dealer_id AND n.phone = m.phone)
      AND (m.kind <> 'marketing' OR (
            NOT EXISTS (SELECT 1 FROM sms_consent c WHERE c.dealer_id = m.dealer_id AND c.phone = m.phone AND c.state = 'opted_out')
            AND timezone(d.time_zone, @now::timestamptz)::time >= sms_quiet_end(d.settings)
            AND timezone(d.time_zone, @now::timestamptz)::time < sms_quiet_start(d.settings)))
    ORDER BY m.id
    LIMIT @max
    FOR UPDATE OF m SKIP LOCKED
)
UPDATE sms_messages m
SET status = 'sending', claimed_at = @now::timestamptz, claimed_by = @claimed_by, attempts = m.attempts + 1,
    body = CASE WHEN m.body LIKE '【%' THEN m.body
                ELSE '【' || COALESCE(NULLIF(d.settings->>'sms_signature', ''), d.name) || '】' || m.body END
FROM lk, dealers d
WHERE m.id = lk.id AND d.id = m.dealer_id AND m.status = 'queued'
RETURNING m.id, m.phone, m.body, m.attempts, m.template, m.vars,
       COALESCE(NULLIF(d.settings->>'sms_signature', ''), d.name)::text AS signature,
       COALESCE((SELECT t.provider_code FROM sms_templates t WHERE t.dealer_id = m.dealer_id AND t.code = m.template), '')::text AS provider_template,
       COALESCE((SELECT t.body FROM sms_templates t WHERE t.dealer_id = m.dealer_id AND t.code = m.template), '')::text AS template_body;

-- name: InsertOutboxSMSBatch :exec
INSERT INTO outbox (dealer_id, task_type, payload)
VALUES (@dealer_id, 'sms:batch', jsonb_build_object('message_ids', @message_ids::bigint[]));

-- name: RereleaseStaleQueued :execrows
-- RereleaseStaleQueued marks for release again the messages released before @before that
-- are still queued (a safety net: the outbox check redoes a task Redis lost within a
-- minute or two); a second task is harmless, the claim lets one run send. It locks the
-- rows in id order, skipping those a sender or a report holds.
UPDATE sms_messages SET released_at = NULL
WHERE id IN (SELECT id FROM sms_messages
             WHERE status = 'queued' AND released_at < @before::timestamptz
             ORDER BY id FOR UPDATE SKIP LOCKED);
