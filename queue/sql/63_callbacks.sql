-- Tasks kept alive for a callback or retry past their reasons are looked at again once
-- their own expiry has passed.
INSERT INTO q_touched (task_id)
SELECT id FROM call_tasks
WHERE dealer_id = @dealer::bigint AND status = 'open' AND not_before IS NOT NULL AND expires_day < @day::date;
