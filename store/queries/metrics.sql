-- Figures read by the Prometheus collectors at each scrape (queue.Collector).

-- name: MetricsOpenTasks :many
-- The open tasks per dealer and primary campaign (the task's highest-priority reason).
SELECT d.code AS dealer, coalesce(t.campaigns[1], '')::text AS campaign, count(*)::bigint AS tasks
FROM call_tasks t JOIN dealers d ON d.id = t.dealer_id
WHERE t.status = 'open'
GROUP BY d.code, t.campaigns[1];

-- name: MetricsOutbox :one
-- The outbox rows not yet relayed to Asynq and the age of the oldest one.
SELECT count(*)::bigint AS pending,
       coalesce(extract(epoch FROM (now() - min(created_at))), 0)::float8 AS oldest_seconds
FROM outbox WHERE relayed_at IS NULL;

-- name: MetricsSMSByStatus :many
-- The SMS created since @since, by status.
SELECT status, count(*)::bigint AS messages
FROM sms_messages WHERE created_at >= @since
GROUP BY status;
