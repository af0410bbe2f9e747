-- 0040_console: the agent console (agent-ui) and call scripts (scripts).

-- script_versions holds a dealer's edits of a campaign's call script (话术). The embedded
-- script is version 0; each save by a director adds the next version. A call records the
-- version it was made with (call_outcomes.script_version), so old versions are never changed.
CREATE TABLE script_versions (
    id         bigserial PRIMARY KEY,
    dealer_id  bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    campaign   text NOT NULL,
    version    integer NOT NULL CHECK (version > 0),
    body       text NOT NULL,
    note       text NOT NULL DEFAULT '',
    created_by bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dealer_id, campaign, version)
);

-- console_sessions are the console's login sessions. The cookie holds a random token;
-- only its SHA-256 is stored.
CREATE TABLE console_sessions (
    token_hash   text PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    dealer_id    bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    remote_addr  text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX console_sessions_user_idx ON console_sessions (user_id);
CREATE INDEX console_sessions_expires_idx ON console_sessions (expires_at);

-- login_failures records failed logins, to rate limit guessing by user name and by address.
CREATE TABLE login_failures (
    id       bigserial PRIMARY KEY,
    username text NOT NULL,
    remote   text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_username_idx ON login_failures (username, at);
CREATE INDEX login_failures_remote_idx ON login_failures (remote, at);
