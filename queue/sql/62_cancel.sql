-- ... and their open task is cancelled.
UPDATE call_tasks SET status = 'cancelled', closed_at = now(), updated_at = now()
WHERE dealer_id = @dealer::bigint AND status = 'open' AND customer_id = ANY (ARRAY(SELECT customer_id FROM q_bad));
