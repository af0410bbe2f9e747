-- A lost_prospect call ends the day before the prospect's status changes after the day it
-- was lost (bought, reopened, key again: prospect_history), and a key_prospect call the day
-- before the prospect stops being key after that week's Monday; a status loaded later for
-- a past day cuts as well.
WITH r AS (
    SELECT r.id, r.task_id, r.customer_id, r.expires_day, r.campaign,
           CASE r.campaign WHEN 'lost_prospect' THEN (r.facts->>'lost_on')::date ELSE (r.facts->>'week_start')::date END AS after
    FROM call_task_reasons r
    WHERE r.dealer_id = @dealer::bigint AND r.status = 'open' AND r.campaign IN ('lost_prospect', 'key_prospect')
), s AS (
    SELECT r.id, min(h.day) AS stop
    FROM r
    JOIN prospect_history h ON h.customer_id = r.customer_id AND h.day > r.after AND h.status_changed
     AND (r.campaign = 'lost_prospect' OR h.prospect_status <> 'key')
    GROUP BY r.id
), cut AS (
    UPDATE call_task_reasons r SET expires_day = s.stop - 1
    FROM s
    WHERE r.id = s.id AND s.stop - 1 < r.expires_day
    RETURNING r.task_id
)
INSERT INTO q_touched (task_id) SELECT task_id FROM cut;
