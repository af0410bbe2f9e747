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
