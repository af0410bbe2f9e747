-- An open task with no open reason left expires, unless it waits for a callback or a retry
-- that the outcome code kept alive past the build day (not_before set, expires_day >= day).
UPDATE call_tasks t SET status = 'expired', closed_at = now(), updated_at = now()
WHERE t.id = ANY (ARRAY(SELECT DISTINCT task_id FROM q_touched)) AND t.status = 'open'
  AND NOT (t.not_before IS NOT NULL AND t.expires_day >= @day::date)
  AND t.id <> ALL (ARRAY(SELECT DISTINCT r.task_id FROM call_task_reasons r
                         WHERE r.task_id = ANY (ARRAY(SELECT DISTINCT task_id FROM q_touched))
                           AND r.status = 'open'));
