-- Reasons whose last day is before the build day expire.
WITH e AS (
    UPDATE call_task_reasons SET status = 'expired'
    WHERE dealer_id = @dealer::bigint AND status = 'open' AND expires_day < @day::date
    RETURNING task_id
)
INSERT INTO q_touched (task_id) SELECT task_id FROM e;

