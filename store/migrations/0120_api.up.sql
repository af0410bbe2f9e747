-- 0120_api: the JSON API and webhooks (agent-ui/api, queue/webhook.go): API keys, the
-- callers' external ids, appointments as records, and signed webhooks whose deliveries are
-- written to the outbox by triggers in the same transaction as the change that caused them.

-- api_keys: a dealer's API keys. Only the SHA-256 of a key is stored; the key is shown once.
CREATE TABLE api_keys (
    id          bigserial PRIMARY KEY,
    dealer_id   bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (name <> ''),
    key_hash    text NOT NULL UNIQUE,
    -- prefix is the first characters of the key, to tell keys apart in lists.
    prefix      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_keys_dealer_idx ON api_keys (dealer_id);

-- api_external_ids maps a caller's external_id of a kind of record to our record, so a
-- write sent twice creates nothing new; body_hash is the request last applied.
CREATE TABLE api_external_ids (
    dealer_id   bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    kind        text NOT NULL,
    external_id text NOT NULL CHECK (external_id <> ''),
    record_id   bigint NOT NULL,
    body_hash   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dealer_id, kind, external_id)
);

-- api_secrets holds server-side secrets made on first use, such as the key that signs
-- recording URLs.
CREATE TABLE api_secrets (
    name       text PRIMARY KEY,
    secret     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- odometer_readings get an id, so the API can name a reading.
ALTER TABLE odometer_readings ADD COLUMN id bigserial NOT NULL;
ALTER TABLE odometer_readings ADD CONSTRAINT odometer_readings_id_key UNIQUE (id);

-- appointments (预约): booked from a call outcome, by a director, through the API or an
-- import; day is the local calendar day of at. status: booked, arrived, cancelled,
-- no_show, rescheduled. source: call, director, api, import.
CREATE TABLE appointments (
    id              bigserial PRIMARY KEY,
    dealer_id       bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    customer_id     bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    vehicle_id      bigint REFERENCES vehicles(id) ON DELETE SET NULL,
    at              timestamptz NOT NULL,
    day             date NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('maintenance', 'repair', 'inspection', 'test_drive', 'other')),
    advisor         text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'arrived', 'cancelled', 'no_show', 'rescheduled')),
    status_at       timestamptz,
    source          text NOT NULL DEFAULT '' CHECK (source IN ('', 'call', 'director', 'api', 'import')),
    call_outcome_id bigint REFERENCES call_outcomes(id) ON DELETE SET NULL,
    created_by      bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appointments_dealer_day_idx ON appointments (dealer_id, day);
CREATE INDEX appointments_customer_idx ON appointments (customer_id);

-- webhook_endpoints: where a dealer wants to hear of events. The secret signs each
-- delivery (HMAC-SHA256), so it is kept as given and shown once.
CREATE TABLE webhook_endpoints (
    id         bigserial PRIMARY KEY,
    dealer_id  bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    url        text NOT NULL CHECK (url ~ '^https?://'),
    events     text[] NOT NULL CHECK (cardinality(events) > 0),
    secret     text NOT NULL,
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_dealer_idx ON webhook_endpoints (dealer_id) WHERE active;

-- webhook_events: one event, with the exact body every endpoint receives.
CREATE TABLE webhook_events (
    id          bigserial PRIMARY KEY,
    dealer_id   bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    event       text NOT NULL,
    occurred_at timestamptz NOT NULL,
    body        text NOT NULL DEFAULT ''
);

-- webhook_deliveries: one event to one endpoint. status: pending, delivered, failed (gave
-- up after the retry window). window_start is when the retry window began (the event, or
-- an admin's redelivery).
CREATE TABLE webhook_deliveries (
    id           bigserial PRIMARY KEY,
    dealer_id    bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    event_id     bigint NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
    endpoint_id  bigint NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    tries        integer NOT NULL DEFAULT 0,
    last_status  integer NOT NULL DEFAULT 0,
    last_error   text NOT NULL DEFAULT '',
    window_start timestamptz NOT NULL DEFAULT now(),
    last_try_at  timestamptz,
    delivered_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_dealer_idx ON webhook_deliveries (dealer_id, id DESC);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id);

-- webhook_emit records an event for the dealer's endpoints that subscribe to it: the event
-- with its body, one delivery per endpoint and one outbox row per delivery, in the caller's
-- transaction. Nothing is written when no endpoint listens.
CREATE FUNCTION webhook_emit(p_dealer bigint, p_event text, p_at timestamptz, p_data jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    ev bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints
                   WHERE dealer_id = p_dealer AND active AND p_event = ANY (events)) THEN
        RETURN;
    END IF;
    INSERT INTO webhook_events (dealer_id, event, occurred_at) VALUES (p_dealer, p_event, p_at)
    RETURNING id INTO ev;
    UPDATE webhook_events SET body = jsonb_build_object(
        'id', ev, 'event', p_event,
        'occurred_at', to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'dealer', (SELECT code FROM dealers WHERE id = p_dealer),
        'data', p_data)::text
    WHERE id = ev;
    WITH d AS (
        INSERT INTO webhook_deliveries (dealer_id, event_id, endpoint_id)
        SELECT p_dealer, ev, e.id FROM webhook_endpoints e
        WHERE e.dealer_id = p_dealer AND e.active AND p_event = ANY (e.events)
        RETURNING id
    )
    INSERT INTO outbox (dealer_id, task_type, payload)
    SELECT p_dealer, 'webhook:deliver', jsonb_build_object('delivery_id', d.id) FROM d;
END;
$$;

-- The triggers below emit every event whatever caused it: a call, a director, the API or
-- an import.

CREATE FUNCTION webhook_on_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM webhook_emit(NEW.dealer_id, 'outcome.recorded', NEW.created_at, jsonb_build_object(
        'outcome_id', NEW.id, 'task_id', NEW.task_id, 'call_id', NEW.attempt_id,
        'customer_id', t.customer_id, 'phone', c.phone, 'campaigns', to_jsonb(t.campaigns),
        'code', NEW.code, 'agent', COALESCE(u.username, ''),
        'appointment_at', NEW.appointment_at, 'callback_at', NEW.callback_at,
        'answers', NEW.answers, 'complaint_category', NEW.complaint_category, 'notes', NEW.notes))
    FROM call_tasks t JOIN customers c ON c.id = t.customer_id
    LEFT JOIN users u ON u.id = NEW.agent_user_id
    WHERE t.id = NEW.task_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER webhook_outcome AFTER INSERT ON call_outcomes
    FOR EACH ROW EXECUTE FUNCTION webhook_on_outcome();

CREATE FUNCTION webhook_appointment_data(a appointments) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('appointment_id', a.id, 'customer_id', a.customer_id,
        'phone', c.phone, 'vin', COALESCE(v.vin, ''), 'at', a.at, 'day', a.day, 'kind', a.kind,
        'advisor', a.advisor, 'status', a.status, 'source', a.source)
    FROM customers c LEFT JOIN vehicles v ON v.id = a.vehicle_id
    WHERE c.id = a.customer_id
$$;

CREATE FUNCTION webhook_on_appointment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.status = 'booked' THEN
        PERFORM webhook_emit(NEW.dealer_id, 'appointment.booked', now(), webhook_appointment_data(NEW));
    ELSIF TG_OP = 'UPDATE' AND NEW.status = 'cancelled' AND OLD.status <> 'cancelled' THEN
        PERFORM webhook_emit(NEW.dealer_id, 'appointment.cancelled', now(), webhook_appointment_data(NEW));
    ELSIF TG_OP = 'UPDATE' AND NEW.status = 'booked' AND (OLD.status <> 'booked' OR OLD.at <> NEW.at) THEN
        PERFORM webhook_emit(NEW.dealer_id, 'appointment.booked', now(), webhook_appointment_data(NEW));
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER webhook_appointment AFTER INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION webhook_on_appointment();

CREATE FUNCTION webhook_complaint_data(k complaints) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('complaint_id', k.id, 'customer_id', k.customer_id,
        'phone', c.phone, 'vin', COALESCE(v.vin, ''), 'opened_on', k.opened_on,
        'closed_on', k.closed_on, 'category', k.category, 'description', k.description)
    FROM customers c LEFT JOIN vehicles v ON v.id = k.vehicle_id
    WHERE c.id = k.customer_id
$$;

CREATE FUNCTION webhook_on_complaint() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM webhook_emit(NEW.dealer_id, 'complaint.opened', now(), webhook_complaint_data(NEW));
        IF NEW.closed_on IS NOT NULL THEN
            PERFORM webhook_emit(NEW.dealer_id, 'complaint.resolved', now(), webhook_complaint_data(NEW));
        END IF;
    ELSIF NEW.closed_on IS NOT NULL AND OLD.closed_on IS NULL THEN
        PERFORM webhook_emit(NEW.dealer_id, 'complaint.resolved', now(), webhook_complaint_data(NEW));
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER webhook_complaint AFTER INSERT OR UPDATE ON complaints
    FOR EACH ROW EXECUTE FUNCTION webhook_on_complaint();

CREATE FUNCTION webhook_on_consent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'opted_out' THEN
        PERFORM webhook_emit(NEW.dealer_id, 'sms.opted_out', NEW.at, jsonb_build_object(
            'phone', NEW.phone, 'source', NEW.source, 'detail', NEW.detail, 'at', NEW.at));
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER webhook_consent AFTER INSERT ON sms_consent_log
    FOR EACH ROW EXECUTE FUNCTION webhook_on_consent();
