-- 0030_sip_bindings: agents' SIP registrations (telephony's registrar), kept so that they
-- survive a restart of the gateway.

-- sip_bindings holds the current binding of each agent's phone (one per SIP user name:
-- the latest REGISTER). contact is the phone's Contact URI, source the HOST:PORT the
-- REGISTER came from, transport UDP/TCP as it arrived. A row past expires_at is dead; the
-- gateway does not load it and overwrites or deletes it on the next REGISTER.
CREATE TABLE sip_bindings (
    username   text PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    contact    text NOT NULL,
    source     text NOT NULL,
    transport  text NOT NULL,
    expires_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sip_bindings_user_idx ON sip_bindings (user_id);
