-- 0090_sip_secret: an agent's softphone secret is no longer the console password, and
-- it is no longer stored in plain text.
--
-- sip_ha1 is what digest authentication needs and nothing more: the hex MD5 of
-- username:realm:secret (RFC 2617 HA1), for the registrar's realm (store.SIPRealm). The
-- secret itself is random, shown once when issued, and never stored. Only agents have one;
-- '' means none (the phone cannot register). sip_secret_at is when it was last issued.
--
-- The plain-text sip_password column is dropped: every existing agent has no secret after
-- this migration until an admin issues one (README, upgrade notes).
ALTER TABLE users ADD COLUMN sip_ha1 text NOT NULL DEFAULT ''
    CHECK (sip_ha1 = '' OR (role = 'agent' AND sip_ha1 ~ '^[0-9a-f]{32}$'));
ALTER TABLE users ADD COLUMN sip_secret_at timestamptz;
ALTER TABLE users DROP COLUMN sip_password;
