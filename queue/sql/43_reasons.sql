-- Each new occurrence becomes a reason of its customer's open task.
INSERT INTO call_task_reasons (dealer_id, task_id, customer_id, campaign, occurrence, priority,
                               due_day, expires_day, text, facts, status)
SELECT @dealer::bigint, t.task_id, c.customer_id, c.campaign, c.occurrence, c.priority,
       c.due_day, c.expires_day, c.text, c.facts, 'open'
FROM q_cand c
JOIN q_task t ON t.customer_id = c.customer_id
ON CONFLICT (dealer_id, campaign, occurrence) DO NOTHING;
