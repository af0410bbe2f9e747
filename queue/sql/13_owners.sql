-- An owner's last service day as known on the build day: the latest workshop visit of any
-- kind, or the latest delivery, of the owner's active vehicles (an owner who never came
-- back counts from the delivery day; a newer delivery also counts as a fresh start).
INSERT INTO q_owner (customer_id, last_visit, last_delivery, last_service)
SELECT customer_id, max(last_visit), max(delivery_day), greatest(max(last_visit), max(delivery_day))
FROM q_veh
WHERE asof = @day::date
GROUP BY customer_id;
