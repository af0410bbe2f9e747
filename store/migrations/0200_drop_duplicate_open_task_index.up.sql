-- 0200_drop_duplicate_open_task_index: call_tasks_queue_idx (dealer_id, priority DESC,
-- due_day) WHERE status = 'open' is a prefix of call_tasks_take_idx (dealer_id, priority
-- DESC, due_day, id) over the same rows, so every query that could use it can use the
-- other; every task a queue build writes maintained both (issue 16 item 6).
DROP INDEX IF EXISTS call_tasks_queue_idx;
