CREATE INDEX IF NOT EXISTS call_tasks_queue_idx ON call_tasks (dealer_id, priority DESC, due_day) WHERE status = 'open';
