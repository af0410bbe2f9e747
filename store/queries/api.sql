-- Queries of the JSON API (agent-ui/api) and its keys.

-- name: CreateAPIKey :one
INSERT INTO api_keys (dealer_id, name, key_hash, prefix) VALUES (@dealer_id, @name, @key_hash, @prefix)
RETURNING id;

-- name: ListAPIKeys :many
SELECT id, name, prefix, created_at, revoked_at FROM api_keys WHERE dealer_id = @dealer_id ORDER BY id;

-- name: RevokeAPIKey :execrows
UPDATE api_keys SET revoked_at = @now WHERE id = @id AND dealer_id = @dealer_id AND revoked_at IS NULL;

-- name: GetAPIKeyByHash :one
SELECT k.id, k.dealer_id, k.revoked_at, d.code AS dealer_code, d.time_zone
FROM api_keys k JOIN dealers d ON d.id = k.dealer_id
WHERE k.key_hash = @key_hash;

-- name: GetExternalID :one
SELECT record_id, body_hash FROM api_external_ids
WHERE dealer_id = @dealer_id AND kind = @kind AND external_id = @external_id;

-- name: PutExternalID :exec
INSERT INTO api_external_ids (dealer_id, kind, external_id, record_id, body_hash)
VALUES (@dealer_id, @kind, @external_id, @record_id, @body_hash)
ON CONFLICT (dealer_id, kind, external_id) DO UPDATE
SET record_id = EXCLUDED.record_id, body_hash = EXCLUDED.body_hash, updated_at = now();

-- name: GetAPISecret :one
SELECT secret FROM api_secrets WHERE name = @name;

-- name: InsertAPISecret :exec
INSERT INTO api_secrets (name, secret) VALUES (@name, @secret) ON CONFLICT (name) DO NOTHING;

-- name: CustomerIDByPhone :one
SELECT id FROM customers WHERE dealer_id = @dealer_id AND phone = @phone;

-- name: VehicleByVIN :one
SELECT id, customer_id FROM vehicles WHERE dealer_id = @dealer_id AND vin = @vin;

-- name: RekeyCustomerPhone :execrows
-- A caller's record changed its phone: the customer keeps its id, unless another customer
-- already has the new phone.
UPDATE customers c SET phone = @phone, updated_at = now()
WHERE c.id = @id AND c.dealer_id = @dealer_id AND c.phone <> @phone
  AND NOT EXISTS (SELECT 1 FROM customers o WHERE o.dealer_id = @dealer_id AND o.phone = @phone);

-- name: RekeyWorkshopVisit :exec
UPDATE workshop_visits w SET vehicle_id = @vehicle_id, customer_id = @customer_id, day = @day, type_label = @type_label
WHERE w.id = @id AND w.dealer_id = @dealer_id
  AND (w.vehicle_id, w.day, w.type_label) IS DISTINCT FROM (@vehicle_id, @day, @type_label)
  AND NOT EXISTS (SELECT 1 FROM workshop_visits o WHERE o.vehicle_id = @vehicle_id AND o.day = @day AND o.type_label = @type_label);

-- name: WorkshopVisitID :one
SELECT id FROM workshop_visits WHERE vehicle_id = @vehicle_id AND day = @day AND type_label = @type_label;

-- name: RekeyComplaint :exec
UPDATE complaints k SET customer_id = @customer_id, opened_on = @opened_on, category = @category, description = @description
WHERE k.id = @id AND k.dealer_id = @dealer_id
  AND (k.customer_id, k.opened_on, k.category, k.description) IS DISTINCT FROM (@customer_id, @opened_on, @category, @description)
  AND NOT EXISTS (SELECT 1 FROM complaints o WHERE o.customer_id = @customer_id AND o.opened_on = @opened_on
                  AND o.category = @category AND o.description = @description);

-- name: ComplaintID :one
SELECT id FROM complaints WHERE customer_id = @customer_id AND opened_on = @opened_on AND category = @category AND description = @description;

-- name: UpsertOdometerReading :one
INSERT INTO odometer_readings AS o (vehicle_id, day, km, source) VALUES (@vehicle_id, @day, @km, @source)
ON CONFLICT (vehicle_id, day) DO UPDATE SET km = EXCLUDED.km, source = EXCLUDED.source
RETURNING o.id;

-- name: DeleteOdometerReading :exec
DELETE FROM odometer_readings o WHERE o.id = @id AND o.vehicle_id IN (SELECT v.id FROM vehicles v WHERE v.dealer_id = @dealer_id)
  AND (o.vehicle_id, o.day) IS DISTINCT FROM (@vehicle_id::bigint, @day::date);

-- name: UpsertProspect :one
-- A prospect's status, intent level and details as the DMS reports them; empty values keep
-- what is known, and the status day moves only when the status changes.
INSERT INTO customers AS c (dealer_id, name, title, phone, consultant, prospect_status, status_day, lost_reason, intent_level)
VALUES (@dealer_id, @name, @title, @phone, @consultant, COALESCE(NULLIF(@status::text, ''), 'open'), @day, @lost_reason, @intent_level)
ON CONFLICT (dealer_id, phone) DO UPDATE SET
    name = COALESCE(NULLIF(EXCLUDED.name, ''), c.name),
    title = COALESCE(NULLIF(EXCLUDED.title, ''), c.title),
    consultant = COALESCE(NULLIF(EXCLUDED.consultant, ''), c.consultant),
    prospect_status = COALESCE(NULLIF(@status::text, ''), NULLIF(c.prospect_status, ''), 'open'),
    status_day = CASE WHEN c.prospect_status IS DISTINCT FROM COALESCE(NULLIF(@status::text, ''), NULLIF(c.prospect_status, ''), 'open')
                      THEN EXCLUDED.status_day ELSE c.status_day END,
    lost_reason = COALESCE(NULLIF(EXCLUDED.lost_reason, ''), c.lost_reason),
    intent_level = COALESCE(NULLIF(EXCLUDED.intent_level, ''), c.intent_level),
    updated_at = now()
RETURNING c.id;

-- name: InsertAppointment :one
INSERT INTO appointments (dealer_id, customer_id, vehicle_id, at, day, kind, advisor, source, call_outcome_id, created_by)
VALUES (@dealer_id, @customer_id, @vehicle_id, @at, @day, @kind, @advisor, @source, @call_outcome_id, @created_by)
RETURNING id;

-- name: UpdateAppointment :exec
UPDATE appointments SET customer_id = @customer_id, vehicle_id = @vehicle_id, at = @at, day = @day,
    kind = @kind, advisor = @advisor, updated_at = now()
WHERE id = @id AND dealer_id = @dealer_id;

-- name: GetAppointment :one
SELECT a.id, a.customer_id, a.vehicle_id, a.at, a.day, a.kind, a.advisor, a.status, a.status_at, a.source,
       c.phone, c.name, COALESCE(v.vin, '')::text AS vin
FROM appointments a JOIN customers c ON c.id = a.customer_id LEFT JOIN vehicles v ON v.id = a.vehicle_id
WHERE a.id = @id AND a.dealer_id = @dealer_id;

-- name: SetAppointmentStatus :execrows
UPDATE appointments SET status = @status::text, status_at = @now, updated_at = @now
WHERE id = @id AND dealer_id = @dealer_id AND status <> @status;

-- name: ListAppointmentsByDay :many
SELECT a.id, a.customer_id, a.vehicle_id, a.at, a.day, a.kind, a.advisor, a.status, a.status_at, a.source,
       c.phone, c.name, COALESCE(v.vin, '')::text AS vin
FROM appointments a JOIN customers c ON c.id = a.customer_id LEFT JOIN vehicles v ON v.id = a.vehicle_id
WHERE a.dealer_id = @dealer_id AND a.day = @day
ORDER BY a.at, a.id;

-- name: ListComplaintsAPI :many
SELECT k.id, k.customer_id, c.phone, c.name, COALESCE(v.vin, '')::text AS vin, k.opened_on, k.closed_on,
       k.category, k.description
FROM complaints k JOIN customers c ON c.id = k.customer_id LEFT JOIN vehicles v ON v.id = k.vehicle_id
WHERE k.dealer_id = @dealer_id
  AND (@status::text = '' OR (@status::text = 'open') = (k.closed_on IS NULL))
  AND k.opened_on >= @since::date
  AND k.id > @after_id
ORDER BY k.id
LIMIT @max_rows;

-- name: ListCallRecords :many
-- Call detail records of a dealer from @since in time order, after the cursor (time, id).
SELECT a.id, a.invite_at, a.ring_at, a.answer_at, a.end_at, a.sip_status, a.sip_reason, a.outcome AS call_result,
       a.to_number, a.kind, a.recording_path, a.hangup_by,
       COALESCE(u.username, '')::text AS agent, COALESCE(u.display_name, '')::text AS agent_name,
       COALESCE(c.id, 0)::bigint AS customer_id, COALESCE(c.name, '')::text AS customer,
       COALESCE(t.campaigns, '{}')::text[] AS campaigns,
       COALESCE(o.code, '')::text AS outcome, COALESCE(o.answers, '{}'::jsonb) AS answers
FROM call_attempts a
LEFT JOIN users u ON u.id = a.agent_user_id
LEFT JOIN customers c ON c.id = a.customer_id
LEFT JOIN call_tasks t ON t.id = a.task_id
LEFT JOIN LATERAL (SELECT co.code, co.answers FROM call_outcomes co WHERE co.attempt_id = a.id ORDER BY co.id DESC LIMIT 1) o ON true
WHERE a.dealer_id = @dealer_id AND a.invite_at >= @since AND a.invite_at < @until
  AND (a.invite_at, a.id) > (@after_at::timestamptz, @after_id::bigint)
ORDER BY a.invite_at, a.id
LIMIT @max_rows;

-- name: GetCallRecording :one
SELECT recording_path FROM call_attempts WHERE id = @id AND dealer_id = @dealer_id;

-- name: MoveShowroomVisit :exec
-- A caller's visit gets a new prospect or arrival time (queue.ShowroomVisit.ID).
UPDATE showroom_visits SET customer_id = @customer_id, arrived_at = @arrived_at
WHERE id = @id AND dealer_id = @dealer_id AND (customer_id, arrived_at) IS DISTINCT FROM (@customer_id, @arrived_at);

-- name: GetExternalIDs :many
SELECT external_id, record_id, body_hash FROM api_external_ids
WHERE dealer_id = @dealer_id AND kind = @kind AND external_id = ANY (@external_ids::text[]);

-- name: PutExternalIDs :exec
INSERT INTO api_external_ids (dealer_id, kind, external_id, record_id, body_hash)
SELECT @dealer_id, @kind, unnest(@external_ids::text[]), unnest(@record_ids::bigint[]), unnest(@body_hashes::text[])
ON CONFLICT (dealer_id, kind, external_id) DO UPDATE
SET record_id = EXCLUDED.record_id, body_hash = EXCLUDED.body_hash, updated_at = now();

-- name: CustomerIDsByPhones :many
SELECT id, phone FROM customers WHERE dealer_id = @dealer_id AND phone = ANY (@phones::text[]);

-- name: InsertWebhookEndpoint :one
INSERT INTO webhook_endpoints (dealer_id, url, events, secret) VALUES (@dealer_id, @url, @events, @secret)
RETURNING id;

-- name: ListWebhookEndpoints :many
SELECT id, url, events, active, created_at FROM webhook_endpoints WHERE dealer_id = @dealer_id ORDER BY id;

-- name: DeactivateWebhookEndpoint :execrows
UPDATE webhook_endpoints SET active = false WHERE id = @id AND dealer_id = @dealer_id AND active;

-- name: GetWebhookDelivery :one
SELECT d.id, d.dealer_id, d.status, d.tries, d.window_start, e.event, e.body, w.url, w.secret, w.active
FROM webhook_deliveries d
JOIN webhook_events e ON e.id = d.event_id
JOIN webhook_endpoints w ON w.id = d.endpoint_id
WHERE d.id = @id;

-- name: FinishWebhookTry :exec
UPDATE webhook_deliveries SET status = @status, tries = tries + 1, last_status = @last_status, last_error = @last_error,
    last_try_at = @now, delivered_at = CASE WHEN @status = 'delivered' THEN @now ELSE delivered_at END
WHERE id = @id;

-- name: RestartWebhookDelivery :execrows
UPDATE webhook_deliveries SET status = 'pending', window_start = @now WHERE id = @id AND dealer_id = @dealer_id;

-- name: ListWebhookDeliveries :many
SELECT d.id, d.status, d.tries, d.last_status, d.last_error, d.last_try_at, d.delivered_at, d.created_at,
       e.event, e.id AS event_id, w.url
FROM webhook_deliveries d
JOIN webhook_events e ON e.id = d.event_id
JOIN webhook_endpoints w ON w.id = d.endpoint_id
WHERE d.dealer_id = @dealer_id
ORDER BY d.id DESC
LIMIT @max_rows;

-- name: RescheduleOpenAppointments :exec
-- A new booking replaces the customer's open bookings from today on (rescheduled).
UPDATE appointments SET status = 'rescheduled', status_at = @now, updated_at = @now
WHERE customer_id = @customer_id AND status = 'booked' AND day >= @today AND id <> @keep_id;
