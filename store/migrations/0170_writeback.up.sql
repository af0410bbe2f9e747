-- 0170_writeback: what a call's answers change (docs/domain.md, "What a call's answers
-- change") and the prospects' history the prospect_followup rule reads as of any day.

-- prospect_history: every change of a customer's prospect status, intent level or lost
-- reason, dated by the day it happened (not the day it was written), so a queue built as
-- of a past day reads the prospect as it was that day. Written by the trigger below,
-- whatever made the change (import, API, showroom visit, a call's answers). The writer
-- may name the day and the source for its transaction with
--   set_config('huifang.fact_day', 'YYYY-MM-DD', true), set_config('huifang.fact_source', 'call', true);
-- without them the day is the new status day when the status changed, else the dealer's
-- today (the day the customer was created for a new customer).
CREATE TABLE prospect_history (
    id              bigserial PRIMARY KEY,
    dealer_id       bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    customer_id     bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    day             date NOT NULL,
    prospect_status text NOT NULL,
    intent_level    text NOT NULL,
    lost_reason     text NOT NULL,
    -- status_changed is true when the status differs from the row before (a new customer's first row too).
    status_changed  boolean NOT NULL,
    -- source: '' (import, API or another writer that did not say), 'api', 'visit', 'call', 'reopen' (a
    -- lost-prospect check found the customer has not bought yet), 'undo'.
    source          text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX prospect_history_customer_idx ON prospect_history (customer_id, day, id);
CREATE INDEX prospect_history_dealer_idx ON prospect_history (dealer_id, day);

CREATE FUNCTION prospect_history_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d        date;
    src      text;
    changed  boolean;
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.prospect_status, OLD.intent_level, OLD.lost_reason)
                            IS NOT DISTINCT FROM (NEW.prospect_status, NEW.intent_level, NEW.lost_reason) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' AND NEW.prospect_status = '' AND NEW.intent_level = '' THEN
        RETURN NULL;
    END IF;
    changed := TG_OP = 'INSERT' OR OLD.prospect_status IS DISTINCT FROM NEW.prospect_status;
    d := nullif(current_setting('huifang.fact_day', true), '')::date;
    IF d IS NULL AND changed THEN
        d := NEW.status_day;
    END IF;
    IF d IS NULL THEN
        SELECT ((CASE WHEN TG_OP = 'INSERT' THEN NEW.created_at ELSE now() END) AT TIME ZONE x.time_zone)::date
        INTO d FROM dealers x WHERE x.id = NEW.dealer_id;
    END IF;
    src := coalesce(current_setting('huifang.fact_source', true), '');
    INSERT INTO prospect_history (dealer_id, customer_id, day, prospect_status, intent_level, lost_reason, status_changed, source)
    VALUES (NEW.dealer_id, NEW.id, d, NEW.prospect_status, NEW.intent_level, NEW.lost_reason, changed, src);
    RETURN NULL;
END $$;

CREATE TRIGGER customers_prospect_history
    AFTER INSERT OR UPDATE OF prospect_status, intent_level, lost_reason ON customers
    FOR EACH ROW EXECUTE FUNCTION prospect_history_record();

-- The prospects known before this migration: one row each, on their status day (or the day
-- they were created).
INSERT INTO prospect_history (dealer_id, customer_id, day, prospect_status, intent_level, lost_reason, status_changed, source)
SELECT c.dealer_id, c.id, coalesce(c.status_day, (c.created_at AT TIME ZONE d.time_zone)::date),
       c.prospect_status, c.intent_level, c.lost_reason, true, ''
FROM customers c JOIN dealers d ON d.id = c.dealer_id
WHERE c.prospect_status <> '' OR c.intent_level <> '';

-- moved_away_on: the day the customer said they moved away (已搬离); from that day only
-- complaint and recall calls are made to them.
ALTER TABLE customers ADD COLUMN moved_away_on date;

-- vehicles.inactive_on: the day the customer said they no longer own the car (已不是车主).
ALTER TABLE vehicles ADD COLUMN inactive_on date;

-- outcome_undo: what an outcome found before it changed anything, so the agent may undo it
-- for a short time (queue.UndoOutcome): the tasks, reasons, appointments, complaints,
-- do-not-call entry, SMS, vehicles, readings and prospect fields of its customer. Removed
-- with the outcome when undone; the audit_log keeps both.
CREATE TABLE outcome_undo (
    outcome_id    bigint PRIMARY KEY REFERENCES call_outcomes(id) ON DELETE CASCADE,
    dealer_id     bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    before        jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
