-- Queries of the director's broadcast start page (agent-ui /director/sms/new).

-- name: CustomersByPhones :many
-- CustomersByPhones finds the dealer's customers with these (normalised) phones.
SELECT c.id, c.phone
FROM customers c
WHERE c.dealer_id = @dealer_id AND c.phone = ANY(@phones::text[])
ORDER BY c.id;

-- name: CustomersByIDs :many
-- CustomersByIDs keeps the ids that are the dealer's customers.
SELECT c.id
FROM customers c
WHERE c.dealer_id = @dealer_id AND c.id = ANY(@ids::bigint[])
ORDER BY c.id;

-- name: GetBroadcastByCode :one
SELECT * FROM broadcasts WHERE dealer_id = @dealer_id AND code = @code;

-- name: ReasonsDueCounts :many
-- ReasonsDueCounts counts, per campaign, the customers with a reason due on @day.
SELECT r.campaign, count(DISTINCT r.customer_id) AS customers
FROM call_task_reasons r
WHERE r.dealer_id = @dealer_id AND r.due_day = @day
GROUP BY r.campaign
ORDER BY r.campaign;
