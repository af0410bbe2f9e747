-- No call at all to a do-not-call or invalid number; while a complaint is open, only the
-- complaint call stays (the other rules' occurrences are not created that day; those created
-- before the complaint opened are hidden while it is open, see 70_recompute.sql and list.sql).
-- A customer who said they moved away (moved_away_on on or before the day) gets complaint
-- and recall calls only.
DELETE FROM q_cand
WHERE customer_id IN (SELECT customer_id FROM q_bad)
   OR (campaign <> 'complaint' AND customer_id IN (SELECT customer_id FROM q_cmp))
   OR (campaign NOT IN ('complaint', 'recall') AND customer_id = ANY (ARRAY(
          SELECT id FROM customers WHERE dealer_id = @dealer::bigint AND moved_away_on <= @day::date)));
