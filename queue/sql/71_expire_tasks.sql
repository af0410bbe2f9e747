-- An open task with no open reason left expires.
UPDATE call_tasks t SET status = 'expired', closed_at = now(), updated_at = now()
WHERE t.id IN (SELECT task_id FROM q_touched) AND t.status = 'open'
  AND NOT EXISTS (SELECT 1 FROM call_task_reasons r WHERE r.task_id = t.id AND r.status = 'open');
