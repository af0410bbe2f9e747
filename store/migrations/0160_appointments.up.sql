-- 0160_appointments: appointments that remind, are marked arrived and catch no-shows
-- (docs/domain.md, "Appointments"): the service desk role (服务前台), the dealer's workshop
-- hours that bookings are checked against, and the one definition of an arrival.

-- service_desk (服务前台): sees today's and tomorrow's appointments and registers showroom
-- visitors; nothing else.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('agent', 'director', 'admin', 'service_desk'));

-- Workshop hours (接车时间): an appointment must fall on an open day (ISO weekday, 1 Monday
-- .. 7 Sunday) between open and close. Defaults 08:30-17:30, every day.
ALTER TABLE dealers ADD COLUMN workshop_open time NOT NULL DEFAULT '08:30',
    ADD COLUMN workshop_close time NOT NULL DEFAULT '17:30',
    ADD COLUMN workshop_days smallint[] NOT NULL DEFAULT '{1,2,3,4,5,6,7}',
    ADD CONSTRAINT dealers_workshop_hours_check CHECK (workshop_open < workshop_close),
    ADD CONSTRAINT dealers_workshop_days_check CHECK (workshop_days <@ '{1,2,3,4,5,6,7}'::smallint[]);

-- appointment_arrivals is the one definition of an arrival: marked at the desk (status
-- arrived) or a workshop visit of the customer on the appointment's day. The no_show rule,
-- the desk page and the arrival figures all read it.
CREATE VIEW appointment_arrivals AS
SELECT a.id, a.dealer_id, a.customer_id, a.day,
       (a.status = 'arrived' OR EXISTS (SELECT 1 FROM workshop_visits w
                                        WHERE w.customer_id = a.customer_id AND w.day = a.day)) AS arrived
FROM appointments a;

CREATE INDEX appointments_customer_created_idx ON appointments (customer_id, created_at);
