-- 0060_sms_campaigns: automated SMS and recorded-message call campaigns (issue 7):
-- templates, campaigns, send claims, delivery reports, replies, consent and message-call targets.

-- sms_messages gains the campaign it belongs to, its segment count, the claim a sender
-- takes before it submits (status 'sending'), and released_at: when its sms:send outbox
-- row was written (NULL while it waits for not_before).
ALTER TABLE sms_messages
    ADD COLUMN campaign_id bigint,
    ADD COLUMN parts       integer NOT NULL DEFAULT 1,
    ADD COLUMN claimed_at  timestamptz,
    ADD COLUMN released_at timestamptz,
    ADD COLUMN replied_at  timestamptz;
-- Rows queued before this migration were released by their writer (the showroom visit).
UPDATE sms_messages SET released_at = created_at WHERE released_at IS NULL;
ALTER TABLE sms_messages ALTER COLUMN released_at SET DEFAULT now();
CREATE INDEX sms_messages_unreleased_idx ON sms_messages (not_before) WHERE released_at IS NULL AND status = 'queued';
CREATE INDEX sms_messages_sending_idx ON sms_messages (claimed_at) WHERE status = 'sending';
CREATE INDEX sms_messages_campaign_idx ON sms_messages (campaign_id) WHERE campaign_id IS NOT NULL;
CREATE INDEX sms_messages_phone_idx ON sms_messages (phone, created_at DESC);

-- sms_templates: the texts a director edits; body holds {variables}; the dealer's
-- signature 【...】 is added when a message is rendered.
CREATE TABLE sms_templates (
    id         bigserial PRIMARY KEY,
    dealer_id  bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    code       text NOT NULL CHECK (code ~ '^[a-z0-9_]{1,64}$'),
    -- kind: 'service' (transactional) or 'marketing' (greetings, reminders, offers: opt-out and quiet hours apply).
    kind       text NOT NULL CHECK (kind IN ('service', 'marketing')),
    title      text NOT NULL DEFAULT '',
    body       text NOT NULL CHECK (body <> ''),
    updated_by bigint REFERENCES users(id) ON DELETE SET NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dealer_id, code)
);

-- sms_campaigns: one run of a template (SMS) or of a prompt (message call) to an audience.
CREATE TABLE sms_campaigns (
    id          bigserial PRIMARY KEY,
    dealer_id   bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    -- code identifies the run, so starting it twice adds nothing (for example "birthday:2026-11-23").
    code        text NOT NULL,
    -- channel: 'sms' or 'message_call'.
    channel     text NOT NULL CHECK (channel IN ('sms', 'message_call')),
    template    text NOT NULL DEFAULT '',
    prompt_path text NOT NULL DEFAULT '',
    created_by  bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dealer_id, code)
);
ALTER TABLE sms_messages ADD CONSTRAINT sms_messages_campaign_fk
    FOREIGN KEY (campaign_id) REFERENCES sms_campaigns(id) ON DELETE SET NULL;

-- sms_events: every delivery report (DLR) a provider sent for a message.
CREATE TABLE sms_events (
    id          bigserial PRIMARY KEY,
    message_id  bigint NOT NULL REFERENCES sms_messages(id) ON DELETE CASCADE,
    -- kind: 'delivered', 'failed', 'buffered', 'submitted', 'rejected'.
    kind        text NOT NULL,
    -- code is the provider's raw status (Kannel's DLR type 1/2/4/8/16).
    code        text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_events_message_idx ON sms_events (message_id);

-- sms_replies: every incoming SMS (MO) from a customer.
CREATE TABLE sms_replies (
    id          bigserial PRIMARY KEY,
    dealer_id   bigint REFERENCES dealers(id) ON DELETE CASCADE,
    phone       text NOT NULL,
    to_number   text NOT NULL DEFAULT '',
    body        text NOT NULL,
    opt_out     boolean NOT NULL DEFAULT false,
    -- message_id is our latest message to the phone before the reply, when there is one.
    message_id  bigint REFERENCES sms_messages(id) ON DELETE SET NULL,
    provider    text NOT NULL DEFAULT '',
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_replies_phone_idx ON sms_replies (phone, received_at DESC);

-- sms_consent: the current marketing-SMS consent of a phone at a dealer.
CREATE TABLE sms_consent (
    dealer_id  bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    phone      text NOT NULL,
    -- state: 'opted_in' or 'opted_out'.
    state      text NOT NULL CHECK (state IN ('opted_in', 'opted_out')),
    -- source: 'sms_reply', 'agent', 'message_call', 'import', 'director'.
    source     text NOT NULL,
    detail     text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL,
    PRIMARY KEY (dealer_id, phone)
);

-- sms_consent_log: every consent change, kept for proof.
CREATE TABLE sms_consent_log (
    id        bigserial PRIMARY KEY,
    dealer_id bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    phone     text NOT NULL,
    state     text NOT NULL CHECK (state IN ('opted_in', 'opted_out')),
    source    text NOT NULL,
    detail    text NOT NULL DEFAULT '',
    at        timestamptz NOT NULL
);
CREATE INDEX sms_consent_log_phone_idx ON sms_consent_log (dealer_id, phone, at);

-- message_call_targets: one owner to call in a message-call campaign, with its attempts
-- (the calling window and the attempt rules of the queue apply) and the key pressed.
CREATE TABLE message_call_targets (
    id             bigserial PRIMARY KEY,
    campaign_id    bigint NOT NULL REFERENCES sms_campaigns(id) ON DELETE CASCADE,
    dealer_id      bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    customer_id    bigint REFERENCES customers(id) ON DELETE SET NULL,
    phone          text NOT NULL,
    -- status: 'pending', 'calling', 'done' (a key or an answer), 'unreachable', 'invalid', 'suppressed'.
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'calling', 'done', 'unreachable', 'invalid', 'suppressed')),
    attempts       integer NOT NULL DEFAULT 0,
    attempts_today integer NOT NULL DEFAULT 0,
    last_attempt_day date,
    not_before     timestamptz,
    claimed_at     timestamptz,
    last_call_id   text NOT NULL DEFAULT '',
    last_outcome   text NOT NULL DEFAULT '',
    -- key: the DTMF digit pressed ('' none); result: 'callback', 'not_interested', 'do_not_call', 'no_key'.
    key            text NOT NULL DEFAULT '',
    result         text NOT NULL DEFAULT '',
    callback_task_id bigint REFERENCES call_tasks(id) ON DELETE SET NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, phone)
);
CREATE INDEX message_call_targets_due_idx ON message_call_targets (dealer_id, not_before) WHERE status = 'pending';
