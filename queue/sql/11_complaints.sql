-- A complaint is open on day T when it was opened on or before T and not closed by T
-- (closed_on is the day it was closed: it is no longer open that day).
INSERT INTO q_cmp (customer_id)
SELECT DISTINCT customer_id
FROM complaints
WHERE dealer_id = @dealer::bigint
  AND opened_on <= @day::date
  AND (closed_on IS NULL OR closed_on > @day::date);
