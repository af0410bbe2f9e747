-- Queries of the agent console (agent-ui) and the call scripts (scripts).

-- name: CreateConsoleSession :exec
INSERT INTO console_sessions (token_hash, user_id, dealer_id, csrf_token, remote_addr, expires_at)
VALUES (@token_hash, @user_id, @dealer_id, @csrf_token, @remote_addr, @expires_at);

-- name: GetConsoleSession :one
-- GetConsoleSession returns a live session with its active user.
SELECT s.token_hash, s.csrf_token, s.expires_at,
       u.id AS user_id, u.dealer_id, u.username, u.display_name, u.role,
       d.code AS dealer_code, d.name AS dealer_name, d.time_zone
FROM console_sessions s
JOIN users u ON u.id = s.user_id AND u.dealer_id = s.dealer_id
JOIN dealers d ON d.id = u.dealer_id
WHERE s.token_hash = @token_hash AND s.expires_at > @now AND u.active;

-- name: DeleteConsoleSession :exec
DELETE FROM console_sessions WHERE token_hash = @token_hash;

-- name: DeleteExpiredConsoleSessions :execrows
DELETE FROM console_sessions WHERE expires_at <= @now;

-- name: InsertLoginFailure :exec
INSERT INTO login_failures (username, remote, at) VALUES (@username, @remote, @at);

-- name: CountLoginFailures :one
-- CountLoginFailures counts recent failures for a user name and for an address.
SELECT count(*) FILTER (WHERE username = @username)::bigint AS by_username,
       count(*) FILTER (WHERE remote = @remote)::bigint AS by_remote
FROM login_failures
WHERE at > @since AND (username = @username OR remote = @remote);

-- name: ClearLoginFailures :exec
DELETE FROM login_failures WHERE username = @username OR at < @before;

-- name: LatestScriptVersion :one
SELECT * FROM script_versions
WHERE dealer_id = @dealer_id AND campaign = @campaign
ORDER BY version DESC LIMIT 1;

-- name: GetScriptVersion :one
SELECT * FROM script_versions
WHERE dealer_id = @dealer_id AND campaign = @campaign AND version = @version;

-- name: ListScriptVersions :many
SELECT v.id, v.dealer_id, v.campaign, v.version, v.note, v.created_by, v.created_at,
       COALESCE(u.username, '')::text AS created_by_name
FROM script_versions v LEFT JOIN users u ON u.id = v.created_by
WHERE v.dealer_id = @dealer_id AND v.campaign = @campaign
ORDER BY v.version DESC;

-- name: LatestScriptVersionNumbers :many
SELECT campaign, max(version)::integer AS version, max(created_at)::timestamptz AS saved_at
FROM script_versions WHERE dealer_id = @dealer_id GROUP BY campaign;

-- name: InsertScriptVersion :one
-- InsertScriptVersion adds the next version; two directors saving at once make one of
-- them fail on the unique key instead of overwriting.
INSERT INTO script_versions (dealer_id, campaign, version, body, note, created_by)
SELECT @dealer_id, @campaign, COALESCE(max(version), 0) + 1, @body, @note, @created_by
FROM script_versions WHERE dealer_id = @dealer_id AND campaign = @campaign
RETURNING *;

-- name: GetDealerCustomer :one
SELECT * FROM customers WHERE id = @id AND dealer_id = @dealer_id;

-- name: ListCustomerVehicles :many
SELECT * FROM vehicles WHERE customer_id = @customer_id AND dealer_id = @dealer_id
ORDER BY active DESC, delivery_day DESC NULLS LAST, id;

-- name: ListCustomerWorkshopVisits :many
SELECT w.*, v.plate, v.model FROM workshop_visits w JOIN vehicles v ON v.id = w.vehicle_id
WHERE w.customer_id = @customer_id AND w.dealer_id = @dealer_id
ORDER BY w.day DESC, w.id DESC LIMIT @max_rows;

-- name: ListCustomerOutcomes :many
SELECT o.id, o.code, o.created_at, o.appointment_at, o.callback_at, o.notes, o.complaint_category,
       o.script_version, COALESCE(u.display_name, u.username, '')::text AS agent_name,
       COALESCE(oc.label_zh, o.code)::text AS label_zh, COALESCE(oc.label_en, o.code)::text AS label_en,
       t.campaigns
FROM call_outcomes o
JOIN call_tasks t ON t.id = o.task_id
LEFT JOIN users u ON u.id = o.agent_user_id
LEFT JOIN LATERAL (
    SELECT c.label_zh, c.label_en FROM outcome_codes c
    WHERE c.code = o.code AND (c.dealer_id IS NULL OR c.dealer_id = o.dealer_id)
    ORDER BY c.dealer_id NULLS LAST LIMIT 1
) oc ON true
WHERE t.customer_id = @customer_id AND o.dealer_id = @dealer_id
ORDER BY o.created_at DESC, o.id DESC LIMIT @max_rows;

-- name: ListCustomerOpenComplaints :many
SELECT * FROM complaints
WHERE customer_id = @customer_id AND dealer_id = @dealer_id AND closed_on IS NULL
ORDER BY opened_on;

-- name: GetOpenTaskForCustomer :one
SELECT * FROM call_tasks WHERE customer_id = @customer_id AND dealer_id = @dealer_id AND status = 'open';

-- name: GetDealerTask :one
SELECT * FROM call_tasks WHERE id = @id AND dealer_id = @dealer_id;

-- name: ListTaskReasons :many
SELECT * FROM call_task_reasons WHERE task_id = @task_id AND dealer_id = @dealer_id
ORDER BY priority DESC, due_day, id;

-- name: ListOutcomeCodes :many
-- ListOutcomeCodes returns the dealer's outcome list: the defaults, overridden or extended
-- by the dealer's own rows.
SELECT DISTINCT ON (code) * FROM outcome_codes
WHERE dealer_id IS NULL OR dealer_id = @dealer_id
ORDER BY code, dealer_id NULLS LAST;

-- name: QueueDepthByCampaign :many
-- QueueDepthByCampaign counts open tasks that are due by a day, per campaign.
SELECT c.campaign::text AS campaign, count(*)::bigint AS open_tasks,
       count(*) FILTER (WHERE t.taken_by IS NOT NULL)::bigint AS taken,
       count(*) FILTER (WHERE t.flagged)::bigint AS flagged
FROM call_tasks t, unnest(t.campaigns) AS c(campaign)
WHERE t.dealer_id = @dealer_id AND t.status = 'open' AND t.due_day <= @day
GROUP BY c.campaign ORDER BY c.campaign;

-- name: GetOutcomeByClientID :one
SELECT * FROM call_outcomes WHERE dealer_id = @dealer_id AND client_id = @client_id;

-- name: GetCustomerCard :one
-- GetCustomerCard returns, in one round trip, what the console shows of a customer of
-- the dealer: the customer, vehicles, the last ten workshop visits, the last ten calls
-- (times in the dealer's zone) and open complaints, as one JSON object.
SELECT jsonb_build_object(
    'customer_id', c.id, 'name', c.name, 'title', c.title, 'phone', c.phone,
    'phone_valid', c.phone_valid, 'grade', COALESCE(c.grade, ''), 'consultant', c.consultant,
    'prospect_status', c.prospect_status,
    'vehicles', COALESCE((SELECT jsonb_agg(jsonb_build_object(
            'plate', v.plate, 'brand', v.brand, 'model', v.model, 'vin', v.vin,
            'delivery_day', COALESCE(to_char(v.delivery_day, 'YYYY-MM-DD'), ''),
            'warranty_end', COALESCE(to_char(v.warranty_end, 'YYYY-MM-DD'), ''),
            'insurance_end', COALESCE(to_char(v.insurance_end, 'YYYY-MM-DD'), ''),
            'inspection_due', COALESCE(to_char(v.inspection_due, 'YYYY-MM-DD'), ''),
            'active', v.active)
            ORDER BY v.active DESC, v.delivery_day DESC NULLS LAST, v.id)
        FROM vehicles v WHERE v.customer_id = c.id AND v.dealer_id = c.dealer_id), '[]'::jsonb),
    'visits', COALESCE((SELECT jsonb_agg(x.o ORDER BY x.day DESC, x.id DESC) FROM (
            SELECT w.id, w.day, jsonb_build_object('day', to_char(w.day, 'YYYY-MM-DD'), 'kind', w.kind,
                'label', w.type_label, 'plate', v.plate, 'mileage', w.mileage, 'advisor', w.advisor) AS o
            FROM workshop_visits w JOIN vehicles v ON v.id = w.vehicle_id
            WHERE w.customer_id = c.id AND w.dealer_id = c.dealer_id
            ORDER BY w.day DESC, w.id DESC LIMIT 10) x), '[]'::jsonb),
    'calls', COALESCE((SELECT jsonb_agg(x.o ORDER BY x.created_at DESC, x.id DESC) FROM (
            SELECT o.id, o.created_at, jsonb_build_object(
                'at', to_char(o.created_at AT TIME ZONE d.time_zone, 'YYYY-MM-DD HH24:MI'), 'code', o.code,
                'label_zh', COALESCE(oc.label_zh, o.code), 'label_en', COALESCE(oc.label_en, o.code),
                'agent', COALESCE(NULLIF(u.display_name, ''), u.username, ''), 'notes', o.notes,
                'campaigns', t.campaigns) AS o
            FROM call_outcomes o
            JOIN call_tasks t ON t.id = o.task_id
            LEFT JOIN users u ON u.id = o.agent_user_id
            LEFT JOIN LATERAL (
                SELECT oc.label_zh, oc.label_en FROM outcome_codes oc
                WHERE oc.code = o.code AND (oc.dealer_id IS NULL OR oc.dealer_id = o.dealer_id)
                ORDER BY oc.dealer_id NULLS LAST LIMIT 1
            ) oc ON true
            WHERE t.customer_id = c.id AND o.dealer_id = c.dealer_id
            ORDER BY o.created_at DESC, o.id DESC LIMIT 10) x), '[]'::jsonb),
    'complaints', COALESCE((SELECT jsonb_agg(jsonb_build_object(
            'opened_on', to_char(x.opened_on, 'YYYY-MM-DD'), 'category', x.category, 'description', x.description)
            ORDER BY x.opened_on)
        FROM complaints x WHERE x.customer_id = c.id AND x.dealer_id = c.dealer_id AND x.closed_on IS NULL), '[]'::jsonb)
)::jsonb AS card
FROM customers c JOIN dealers d ON d.id = c.dealer_id
WHERE c.id = @id AND c.dealer_id = @dealer_id;

-- name: AgentHasCustomer :one
-- AgentHasCustomer says whether the customer is one of the agent's own: a task of the
-- customer the agent holds now or that is pinned to the agent, or a call the agent made.
SELECT (EXISTS (
    SELECT 1 FROM call_tasks t
    WHERE t.customer_id = @customer_id AND t.dealer_id = @dealer_id AND t.status = 'open'
      AND (t.taken_by = @agent_user_id::bigint OR t.assigned_user_id = @agent_user_id::bigint)
) OR EXISTS (
    SELECT 1 FROM call_attempts a
    WHERE a.customer_id = @customer_id AND a.dealer_id = @dealer_id AND a.agent_user_id = @agent_user_id::bigint
))::boolean AS own;
