-- An occurrence is created once, whatever its status now (open, handled, expired, suppressed).
DELETE FROM q_cand c
USING call_task_reasons r
WHERE r.dealer_id = @dealer::bigint AND r.campaign = c.campaign AND r.occurrence = c.occurrence;
