-- Existing tasks that got new reasons are merged again (70_recompute.sql).
INSERT INTO q_touched (task_id) SELECT task_id FROM q_task WHERE NOT created;
