-- Customers whose thank-you SMS for a workshop visit on D is due at now (docs/domain.md
-- "Thank-you SMS"): at at_minute local on D, or at once when the visit became known later
-- that day before until_minute, else at next_minute on D+1 (for a visit known by then);
-- once per customer and day.
WITH wv AS (
    SELECT x.customer_id, x.day, min(x.created_at) AS known_at, d.time_zone,
           max(x.vehicle_id) AS vehicle_id
    FROM workshop_visits x JOIN dealers d ON d.id = x.dealer_id
    WHERE x.dealer_id = @dealer_id::bigint
      AND x.day >= (@now::timestamptz AT TIME ZONE d.time_zone)::date - 1 AND x.day <= (@now::timestamptz AT TIME ZONE d.time_zone)::date
    GROUP BY x.customer_id, x.day, d.time_zone
), sv AS (
    SELECT wv.customer_id, wv.day, wv.known_at, wv.time_zone, wv.vehicle_id,
           greatest((wv.day::timestamp + (@at_minute::int * interval '1 minute')) AT TIME ZONE wv.time_zone, wv.known_at) AS first_at,
           (wv.day::timestamp + (@until_minute::int * interval '1 minute')) AT TIME ZONE wv.time_zone AS until_at,
           ((wv.day + 1)::timestamp + (@next_minute::int * interval '1 minute')) AT TIME ZONE wv.time_zone AS next_at
    FROM wv
)
SELECT sv.customer_id, sv.day, c.phone, c.name, c.title, c.phone_valid,
       COALESCE(v.plate, '')::text AS plate, COALESCE(v.model, '')::text AS model
FROM sv
JOIN customers c ON c.id = sv.customer_id
LEFT JOIN vehicles v ON v.id = sv.vehicle_id
WHERE ((sv.first_at < sv.until_at AND sv.first_at <= @now::timestamptz AND @now::timestamptz < sv.until_at)
       OR (sv.first_at >= sv.until_at AND sv.known_at <= sv.next_at AND sv.next_at <= @now::timestamptz
           AND @now::timestamptz < ((sv.day + 1)::timestamp + (@until_minute::int * interval '1 minute')) AT TIME ZONE sv.time_zone))
  AND NOT EXISTS (SELECT 1 FROM sms_messages m WHERE m.dealer_id = @dealer_id::bigint
                  AND m.idempotency_key = 'thank_you:' || sv.customer_id || ':' || to_char(sv.day, 'YYYY-MM-DD'))
ORDER BY sv.customer_id, sv.day;
