-- name: SetWorkshopHours :execrows
-- A dealer's workshop hours (接车时间), which appointments are checked against.
UPDATE dealers SET workshop_open = @open::time, workshop_close = @close::time, workshop_days = @days::smallint[]
WHERE id = @id;

-- name: DeskAppointments :many
-- The service desk's list: the dealer's appointments on the given days that were not
-- replaced by a later booking, with their arrival (appointment_arrivals).
SELECT a.id, a.customer_id, a.at, a.day, a.kind, a.advisor, a.status, a.status_at, a.source,
       c.phone, c.name, c.title, COALESCE(v.plate, '')::text AS plate, COALESCE(v.model, '')::text AS model,
       x.arrived
FROM appointments a
JOIN customers c ON c.id = a.customer_id
JOIN appointment_arrivals x ON x.id = a.id
LEFT JOIN vehicles v ON v.id = a.vehicle_id
WHERE a.dealer_id = @dealer_id AND a.day = ANY (@days::date[]) AND a.status <> 'rescheduled'
ORDER BY a.day, a.at, a.id;

-- name: DeskSetAppointmentStatus :execrows
-- The desk marks a booked appointment of one of the given days arrived or cancelled.
UPDATE appointments SET status = @status::text, status_at = @now, updated_at = @now
WHERE id = @id AND dealer_id = @dealer_id AND status = 'booked' AND day = ANY (@days::date[]);

-- name: AppointmentStatusOf :one
SELECT status, day FROM appointments WHERE id = @id AND dealer_id = @dealer_id;

-- name: DirectorThankYouSMS :many
-- A day's workshop-visit customers with their thank-you SMS (the director's daily check).
SELECT w.customer_id, c.name AS customer_name, c.title AS customer_title,
       string_agg(DISTINCT w.type_label, '/')::text AS labels,
       COALESCE(m.status, '')::text AS sms_status, m.sent_at
FROM workshop_visits w
JOIN customers c ON c.id = w.customer_id
LEFT JOIN sms_messages m ON m.dealer_id = w.dealer_id
     AND m.idempotency_key = 'thank_you:' || w.customer_id::text || ':' || to_char(w.day, 'YYYY-MM-DD')
WHERE w.dealer_id = @dealer_id AND w.day = @day
GROUP BY w.customer_id, c.name, c.title, m.status, m.sent_at
ORDER BY w.customer_id;

-- name: DirectorAppointmentsFellDue :many
-- The appointments that fell due in [from_day, last_day] (the one definition of the arrival
-- and no-show rates, docs/domain.md "Appointments"): booked for a day of the range that has
-- passed, not cancelled nor replaced by a later booking, with their arrival
-- (appointment_arrivals).
SELECT a.id, a.customer_id, c.name AS customer_name, c.title AS customer_title, c.phone, a.at, a.day, a.kind, a.advisor,
       x.arrived
FROM appointments a
JOIN appointment_arrivals x ON x.id = a.id
JOIN customers c ON c.id = a.customer_id
WHERE a.dealer_id = @dealer_id AND a.day >= @from_day AND a.day <= @last_day
  AND a.status NOT IN ('cancelled', 'rescheduled')
ORDER BY a.day, a.at, a.id;
