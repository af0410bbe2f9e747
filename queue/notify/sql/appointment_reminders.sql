-- Appointments whose reminder SMS is due at now (docs/domain.md "Appointments"): it goes
-- at remind_minute (minutes after midnight, local) on the day before, or at once when the
-- booking was made later, if that is before until_minute on the same day, and before the
-- appointment; otherwise not at all. Those with a reminder already are left out.
WITH ap AS (
    SELECT b.id, b.customer_id, b.vehicle_id, b.at, b.day, b.kind, b.advisor, d.time_zone,
           greatest(((b.day - 1)::timestamp + (@remind_minute::int * interval '1 minute')) AT TIME ZONE d.time_zone,
                    b.created_at) AS send_at
    FROM appointments b JOIN dealers d ON d.id = b.dealer_id
    WHERE b.dealer_id = @dealer_id::bigint AND b.status = 'booked' AND b.at > @now::timestamptz
      AND b.day <= (@now::timestamptz AT TIME ZONE d.time_zone)::date + 1
)
SELECT a.id, a.customer_id, a.at, a.day, a.kind, a.advisor, c.phone, c.name, c.title, c.phone_valid,
       COALESCE(v.plate, '')::text AS plate, COALESCE(v.model, '')::text AS model
FROM ap a
JOIN customers c ON c.id = a.customer_id
LEFT JOIN vehicles v ON v.id = a.vehicle_id
WHERE a.send_at <= @now::timestamptz
  AND (a.send_at AT TIME ZONE a.time_zone)::date = (@now::timestamptz AT TIME ZONE a.time_zone)::date
  AND (@now::timestamptz AT TIME ZONE a.time_zone)::time < (time '00:00' + (@until_minute::int * interval '1 minute'))
  AND NOT EXISTS (SELECT 1 FROM sms_messages m WHERE m.dealer_id = @dealer_id::bigint
                  AND m.idempotency_key = 'appointment_reminder:' || a.id || ':' || to_char(a.day, 'YYYY-MM-DD'))
ORDER BY a.id;
