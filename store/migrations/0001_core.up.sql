-- 0001_core: the data model of the whole product (docs/domain.md).
-- Days are calendar days in the dealer's time zone (type date); instants are timestamptz.

CREATE TABLE dealers (
    id                  bigserial PRIMARY KEY,
    code                text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_-]{1,32}$'),
    name                text NOT NULL,
    time_zone           text NOT NULL DEFAULT 'Asia/Shanghai',
    call_window_start   time NOT NULL DEFAULT '09:00',
    call_window_end     time NOT NULL DEFAULT '20:30',
    same_day_window_end time NOT NULL DEFAULT '21:00',
    -- settings holds per-dealer overrides of the default rules (queue) and other knobs.
    settings            jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dealer_holidays (
    dealer_id bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    day       date NOT NULL,
    name      text NOT NULL DEFAULT '',
    PRIMARY KEY (dealer_id, day)
);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    dealer_id     bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    username      text NOT NULL,
    display_name  text NOT NULL DEFAULT '',
    role          text NOT NULL CHECK (role IN ('agent', 'director', 'admin')),
    password_hash text NOT NULL,
    -- sip_password is the agent's softphone secret (digest auth at the registrar).
    sip_password  text NOT NULL DEFAULT '',
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dealer_id, username)
);

CREATE TABLE customers (
    id              bigserial PRIMARY KEY,
    dealer_id       bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    name            text NOT NULL,
    title           text NOT NULL DEFAULT '' CHECK (title IN ('', '先生', '女士')),
    -- phone is normalised: mainland mobiles as 11 digits (13900000001), landlines as 0AA[A]NNNNNNN[N].
    phone           text NOT NULL,
    phone_valid     boolean NOT NULL DEFAULT true,
    birthday        date,
    -- grade is the base-customer grade (基盘客户分级) of owners.
    grade           text CHECK (grade IN ('premium', 'potential', 'general')),
    -- consultant is the sales consultant (销售顾问) who owns the customer.
    consultant      text NOT NULL DEFAULT '',
    -- prospect_status: '' (not a prospect), 'open', 'key' (重点), 'pre_lost' (准战败), 'lost' (战败), 'won' (成交).
    prospect_status text NOT NULL DEFAULT '' CHECK (prospect_status IN ('', 'open', 'key', 'pre_lost', 'lost', 'won')),
    status_day      date,
    lost_reason     text NOT NULL DEFAULT '',
    intent_level    text NOT NULL DEFAULT '',
    price_band      text NOT NULL DEFAULT '' CHECK (price_band IN ('', 'luxury', 'mid', 'lower_mid', 'economy')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dealer_id, phone)
);

CREATE TABLE vehicles (
    id             bigserial PRIMARY KEY,
    dealer_id      bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    customer_id    bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    vin            text NOT NULL CHECK (length(vin) = 17),
    plate          text NOT NULL DEFAULT '',
    brand          text NOT NULL DEFAULT '',
    model          text NOT NULL DEFAULT '',
    delivery_day   date,
    warranty_end   date,
    insurance_end  date,
    inspection_due date,
    consultant     text NOT NULL DEFAULT '',
    -- active is false once the customer no longer owns the car.
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dealer_id, vin)
);
CREATE INDEX vehicles_customer_idx ON vehicles (customer_id);

CREATE TABLE odometer_readings (
    vehicle_id bigint NOT NULL REFERENCES vehicles(id) ON DELETE CASCADE,
    day        date NOT NULL,
    km         integer NOT NULL CHECK (km >= 0),
    source     text NOT NULL DEFAULT '',
    PRIMARY KEY (vehicle_id, day)
);

CREATE TABLE showroom_visits (
    id           bigserial PRIMARY KEY,
    dealer_id    bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    customer_id  bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    arrived_at   timestamptz NOT NULL,
    left_at      timestamptz,
    consultant   text NOT NULL DEFAULT '',
    intent_level text NOT NULL DEFAULT '',
    note         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, arrived_at)
);
CREATE INDEX showroom_visits_dealer_arrived_idx ON showroom_visits (dealer_id, arrived_at);

CREATE TABLE workshop_visits (
    id          bigserial PRIMARY KEY,
    dealer_id   bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    vehicle_id  bigint NOT NULL REFERENCES vehicles(id) ON DELETE CASCADE,
    customer_id bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    day         date NOT NULL,
    -- kind: 'maintenance' (保养, 首保, 定保) or 'repair' (维修, 钣喷, 事故, others).
    kind        text NOT NULL CHECK (kind IN ('maintenance', 'repair')),
    type_label  text NOT NULL DEFAULT '',
    amount      numeric(12, 2) NOT NULL DEFAULT 0,
    mileage     integer CHECK (mileage >= 0),
    advisor     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (vehicle_id, day, type_label)
);
CREATE INDEX workshop_visits_customer_day_idx ON workshop_visits (customer_id, day);

CREATE TABLE complaints (
    id          bigserial PRIMARY KEY,
    dealer_id   bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    customer_id bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    vehicle_id  bigint REFERENCES vehicles(id) ON DELETE SET NULL,
    opened_on   date NOT NULL,
    closed_on   date,
    category    text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (closed_on IS NULL OR closed_on >= opened_on),
    UNIQUE (customer_id, opened_on, category, description)
);
CREATE INDEX complaints_open_idx ON complaints (dealer_id) WHERE closed_on IS NULL;

CREATE TABLE recalls (
    id         bigserial PRIMARY KEY,
    dealer_id  bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    code       text NOT NULL,
    title      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dealer_id, code)
);

CREATE TABLE recall_vehicles (
    recall_id   bigint NOT NULL REFERENCES recalls(id) ON DELETE CASCADE,
    vin         text NOT NULL,
    imported_on date NOT NULL,
    -- done_on is the day the recall work was recorded; the recall call stops then.
    done_on     date,
    PRIMARY KEY (recall_id, vin)
);
CREATE INDEX recall_vehicles_vin_idx ON recall_vehicles (vin);

CREATE TABLE do_not_call (
    dealer_id  bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    phone      text NOT NULL,
    reason     text NOT NULL DEFAULT '',
    source     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dealer_id, phone)
);

-- outcome_codes is the fixed list of outcomes; dealer_id NULL rows are the defaults,
-- a director may add rows for the dealer.
CREATE TABLE outcome_codes (
    id           bigserial PRIMARY KEY,
    dealer_id    bigint REFERENCES dealers(id) ON DELETE CASCADE,
    code         text NOT NULL,
    label_zh     text NOT NULL,
    label_en     text NOT NULL,
    -- effect: 'done' closes the task as handled, 'retry' retries after retry_minutes,
    -- 'callback' schedules a callback, 'close' closes it unhandled, 'invalid' marks the number invalid,
    -- 'dnc' adds the number to do-not-call, 'complaint' opens a complaint and closes the task.
    effect        text NOT NULL CHECK (effect IN ('done', 'retry', 'callback', 'close', 'invalid', 'dnc', 'complaint')),
    retry_minutes integer NOT NULL DEFAULT 0,
    reached       boolean NOT NULL DEFAULT false,
    sort          integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX outcome_codes_code_idx ON outcome_codes (COALESCE(dealer_id, 0), code);

INSERT INTO outcome_codes (code, label_zh, label_en, effect, retry_minutes, reached, sort) VALUES
    ('reached',        '已接通完成',   'Reached and done',      'done',      0,   true,  10),
    ('appointment',    '已预约',       'Appointment booked',    'done',      0,   true,  20),
    ('callback',       '约定回电',     'Call back later',       'callback',  0,   true,  30),
    ('busy',           '占线',         'Busy',                  'retry',     30,  false, 40),
    ('no_answer',      '无人接听',     'No answer',             'retry',     120, false, 50),
    ('switched_off',   '关机/无法接通', 'Switched off',          'retry',     240, false, 60),
    ('wrong_number',   '号码错误',     'Wrong number',          'invalid',   0,   false, 70),
    ('no_such_number', '空号',         'Number does not exist', 'invalid',   0,   false, 80),
    ('refused',        '拒绝回访',     'Refused',               'close',     0,   true,  90),
    ('do_not_call',    '勿再致电',     'Do not call again',     'dnc',       0,   true,  100),
    ('complaint',      '投诉/抱怨',    'Complaint opened',      'complaint', 0,   true,  110),
    ('not_owner',      '已不是车主',   'No longer owns the car', 'done',     0,   true,  120),
    ('moved_away',     '已搬离',       'Moved away',            'done',      0,   true,  130);

-- call_tasks is the outbound queue: at most one open task per customer.
CREATE TABLE call_tasks (
    id               bigserial PRIMARY KEY,
    dealer_id        bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    customer_id      bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    -- status: 'open' (in the queue), 'done' (handled), 'unreachable', 'invalid', 'expired', 'cancelled'.
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'unreachable', 'invalid', 'expired', 'cancelled')),
    priority         integer NOT NULL,
    due_day          date NOT NULL,
    expires_day      date NOT NULL,
    campaigns        text[] NOT NULL DEFAULT '{}',
    -- assigned_user_id pins the task to one agent (a "mine" callback).
    assigned_user_id bigint REFERENCES users(id) ON DELETE SET NULL,
    -- consultant restricts the task to the owning sales consultant (sales follow-up, key prospects).
    consultant       text NOT NULL DEFAULT '',
    not_before       timestamptz,
    attempts         integer NOT NULL DEFAULT 0,
    attempts_today   integer NOT NULL DEFAULT 0,
    last_attempt_day date,
    -- taken_by/taken_at: the agent working the task now (the atomic take).
    taken_by         bigint REFERENCES users(id) ON DELETE SET NULL,
    taken_at         timestamptz,
    flagged          boolean NOT NULL DEFAULT false,
    outcome          text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz
);
CREATE UNIQUE INDEX call_tasks_one_open_idx ON call_tasks (customer_id) WHERE status = 'open';
CREATE INDEX call_tasks_queue_idx ON call_tasks (dealer_id, priority DESC, due_day) WHERE status = 'open';

-- call_task_reasons: why a task exists; one row per rule occurrence, never created twice.
CREATE TABLE call_task_reasons (
    id             bigserial PRIMARY KEY,
    dealer_id      bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    task_id        bigint NOT NULL REFERENCES call_tasks(id) ON DELETE CASCADE,
    customer_id    bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    campaign       text NOT NULL,
    -- occurrence identifies the rule occurrence (for example the vehicle and due day).
    occurrence     text NOT NULL,
    priority       integer NOT NULL,
    due_day        date NOT NULL,
    expires_day    date NOT NULL,
    text           text NOT NULL,
    facts          jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- status: 'open', 'handled', 'expired', 'suppressed'.
    status         text NOT NULL DEFAULT 'open',
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dealer_id, campaign, occurrence)
);
CREATE INDEX call_task_reasons_task_idx ON call_task_reasons (task_id);

-- call_attempts are the call records: one row per attempt placed through the gateway.
CREATE TABLE call_attempts (
    id             bigserial PRIMARY KEY,
    dealer_id      bigint REFERENCES dealers(id) ON DELETE CASCADE,
    task_id        bigint REFERENCES call_tasks(id) ON DELETE SET NULL,
    customer_id    bigint REFERENCES customers(id) ON DELETE SET NULL,
    agent_user_id  bigint REFERENCES users(id) ON DELETE SET NULL,
    -- kind: 'agent' (bridged to an agent), 'message' (recorded message), 'test' (huifang dial).
    kind           text NOT NULL DEFAULT 'agent',
    call_id        text NOT NULL,
    trunk          text NOT NULL DEFAULT '',
    from_uri       text NOT NULL DEFAULT '',
    to_number      text NOT NULL,
    invite_at      timestamptz NOT NULL,
    ring_at        timestamptz,
    answer_at      timestamptz,
    end_at         timestamptz,
    sip_status     integer NOT NULL DEFAULT 0,
    sip_reason     text NOT NULL DEFAULT '',
    -- hangup_by: 'customer', 'agent', 'system', ''.
    hangup_by      text NOT NULL DEFAULT '',
    -- outcome: answered, busy, declined, no_answer, unreachable, invalid_number, trunk_failure.
    outcome        text NOT NULL DEFAULT '',
    dtmf           text NOT NULL DEFAULT '',
    recording_path text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (call_id)
);
CREATE INDEX call_attempts_dealer_invite_idx ON call_attempts (dealer_id, invite_at DESC, id DESC);
CREATE INDEX call_attempts_task_idx ON call_attempts (task_id);

-- call_outcomes: what the agent recorded for a task (the disposition form), saved exactly once
-- per client-generated id.
CREATE TABLE call_outcomes (
    id              bigserial PRIMARY KEY,
    dealer_id       bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    client_id       text NOT NULL,
    task_id         bigint NOT NULL REFERENCES call_tasks(id) ON DELETE CASCADE,
    attempt_id      bigint REFERENCES call_attempts(id) ON DELETE SET NULL,
    agent_user_id   bigint REFERENCES users(id) ON DELETE SET NULL,
    code            text NOT NULL,
    appointment_at  timestamptz,
    callback_at     timestamptz,
    callback_mine   boolean NOT NULL DEFAULT false,
    answers         jsonb NOT NULL DEFAULT '{}'::jsonb,
    complaint_category text NOT NULL DEFAULT '',
    notes           text NOT NULL DEFAULT '',
    script_version  text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dealer_id, client_id)
);
CREATE INDEX call_outcomes_task_idx ON call_outcomes (task_id);

CREATE TABLE sms_messages (
    id              bigserial PRIMARY KEY,
    dealer_id       bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    customer_id     bigint REFERENCES customers(id) ON DELETE SET NULL,
    phone           text NOT NULL,
    -- kind: 'service' (transactional, such as the leave-store care SMS) or 'marketing'.
    kind            text NOT NULL DEFAULT 'service' CHECK (kind IN ('service', 'marketing')),
    template        text NOT NULL DEFAULT '',
    body            text NOT NULL,
    -- status: 'queued', 'sent', 'delivered', 'failed', 'suppressed'.
    status          text NOT NULL DEFAULT 'queued',
    idempotency_key text NOT NULL,
    provider        text NOT NULL DEFAULT '',
    provider_id     text NOT NULL DEFAULT '',
    attempts        integer NOT NULL DEFAULT 0,
    error           text NOT NULL DEFAULT '',
    not_before      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    delivered_at    timestamptz,
    UNIQUE (dealer_id, idempotency_key)
);

-- outbox: a Postgres write that must cause an Asynq task writes a row here in the same
-- transaction; the relay enqueues it with the row id as the task id.
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    dealer_id  bigint REFERENCES dealers(id) ON DELETE CASCADE,
    task_type  text NOT NULL,
    payload    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    relayed_at timestamptz
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE relayed_at IS NULL;

CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    dealer_id    bigint REFERENCES dealers(id) ON DELETE CASCADE,
    user_id      bigint REFERENCES users(id) ON DELETE SET NULL,
    action       text NOT NULL,
    subject_type text NOT NULL DEFAULT '',
    subject_id   bigint,
    detail       jsonb NOT NULL DEFAULT '{}'::jsonb,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_dealer_at_idx ON audit_log (dealer_id, at DESC);
