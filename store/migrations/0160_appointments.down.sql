DROP INDEX IF EXISTS appointments_customer_created_idx;
DROP VIEW IF EXISTS appointment_arrivals;
ALTER TABLE dealers DROP CONSTRAINT IF EXISTS dealers_workshop_days_check,
    DROP CONSTRAINT IF EXISTS dealers_workshop_hours_check,
    DROP COLUMN IF EXISTS workshop_days, DROP COLUMN IF EXISTS workshop_close, DROP COLUMN IF EXISTS workshop_open;
DELETE FROM users WHERE role = 'service_desk';
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('agent', 'director', 'admin'));
