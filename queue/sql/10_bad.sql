-- Do-not-call numbers and numbers marked invalid: no task at all.
INSERT INTO q_bad (customer_id)
SELECT id FROM customers WHERE dealer_id = @dealer::bigint AND NOT phone_valid
UNION
SELECT c.id
FROM do_not_call d
JOIN customers c ON c.dealer_id = d.dealer_id AND c.phone = d.phone
WHERE d.dealer_id = @dealer::bigint;
