-- Do-not-call is permanent: open reasons of a do-not-call or invalid number are suppressed.
WITH s AS (
    UPDATE call_task_reasons r SET status = 'suppressed'
    WHERE r.customer_id = ANY (ARRAY(SELECT customer_id FROM q_bad))
      AND r.dealer_id = @dealer::bigint AND r.status = 'open'
    RETURNING r.task_id
)
INSERT INTO q_touched (task_id) SELECT task_id FROM s;
