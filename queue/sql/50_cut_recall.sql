-- A recall ends the day its work is recorded: the occurrence expires the day before done_on.
WITH cut AS (
    UPDATE call_task_reasons r SET expires_day = rv.done_on - 1
    FROM recall_vehicles rv
    WHERE r.dealer_id = @dealer::bigint AND r.status = 'open' AND r.campaign = 'recall'
      AND r.expires_day = DATE '9999-12-31'
      AND rv.recall_id = (r.facts->>'recall_id')::bigint AND rv.vin = r.facts->>'vin'
      AND rv.done_on IS NOT NULL
    RETURNING r.task_id
)
INSERT INTO q_touched (task_id) SELECT task_id FROM cut;
