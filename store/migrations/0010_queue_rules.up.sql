-- 0010_queue_rules: per-dealer campaign settings, the build log, and indexes the queue
-- builder needs (queue/build.go).

-- campaign_settings holds a dealer's overrides of the default rules (queue.DefaultRules):
-- one integer per setting key, such as first_maintenance_months = 6. A key missing here
-- takes the default from the code.
CREATE TABLE campaign_settings (
    dealer_id  bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    key        text NOT NULL CHECK (key ~ '^[a-z0-9_]+$'),
    value      integer NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dealer_id, key)
);

-- queue_builds logs every build of a dealer's queue: the day it was built as of and what it did.
CREATE TABLE queue_builds (
    id         bigserial PRIMARY KEY,
    dealer_id  bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    day        date NOT NULL,
    built_at   timestamptz NOT NULL DEFAULT now(),
    duration_ms integer NOT NULL DEFAULT 0,
    counts     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX queue_builds_dealer_idx ON queue_builds (dealer_id, built_at DESC);

-- Expiry walks the open reasons of a dealer by expiry day; listing walks reasons by day.
CREATE INDEX call_task_reasons_open_idx ON call_task_reasons (dealer_id, expires_day) WHERE status = 'open';
CREATE INDEX call_task_reasons_customer_idx ON call_task_reasons (customer_id);

-- Customers whose number is known bad are few; the builder looks them up by dealer.
CREATE INDEX customers_invalid_phone_idx ON customers (dealer_id) WHERE NOT phone_valid;

-- Owner rules read a vehicle's odometer history and a customer's visits by day.
CREATE INDEX workshop_visits_vehicle_day_idx ON workshop_visits (vehicle_id, day);
CREATE INDEX complaints_customer_idx ON complaints (customer_id);

-- A customer's call history (key prospects' outcomes of the week) is found through their tasks.
CREATE INDEX call_tasks_customer_idx ON call_tasks (customer_id);
