-- The secrets cannot come back (only their HA1 was kept): sip_password returns empty and
-- every agent's phone must be given a SIP password again.
ALTER TABLE users ADD COLUMN sip_password text NOT NULL DEFAULT '';
ALTER TABLE users DROP COLUMN sip_secret_at;
ALTER TABLE users DROP COLUMN sip_ha1;
