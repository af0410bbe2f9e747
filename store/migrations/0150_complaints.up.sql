-- 0150_complaints: complaints as records of their own (docs/domain.md, "Complaints"): an
-- owner, a severity, where they came from (the call and its recording), deadlines for the
-- first response and the resolution, and a life open -> responded -> resolved -> closed
-- (or reopened); a timeline per complaint; the scores calls gave (satisfaction report, low
-- scores); the directors' acknowledgement of low scores; spot-checks drawn by the morning
-- sample; the directors' mobile for their SMS alerts.
--
-- complaints.closed_on keeps its meaning for the queue: the day the complaint was resolved
-- (the daily complaint call stops, the satisfaction call follows D+3..D+7). closed_at is
-- when the satisfaction call closed it for good.

ALTER TABLE complaints
    ADD COLUMN status          text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'responded', 'resolved', 'closed')),
    ADD COLUMN severity        text NOT NULL DEFAULT 'normal' CHECK (severity IN ('normal', 'serious')),
    -- source: 'call' (an agent's outcome), 'director' (the console), 'api', 'import'.
    ADD COLUMN source          text NOT NULL DEFAULT 'import' CHECK (source IN ('call', 'director', 'api', 'import')),
    ADD COLUMN owner_user_id   bigint REFERENCES users(id) ON DELETE SET NULL,
    ADD COLUMN opened_by       bigint REFERENCES users(id) ON DELETE SET NULL,
    ADD COLUMN outcome_id      bigint REFERENCES call_outcomes(id) ON DELETE SET NULL,
    ADD COLUMN attempt_id      bigint REFERENCES call_attempts(id) ON DELETE SET NULL,
    -- opened_at: the moment the deadlines run from (the reopening, after a reopen); NULL
    -- for rows written before this migration or by an import until the sweep fills it.
    ADD COLUMN opened_at       timestamptz,
    ADD COLUMN respond_due     timestamptz,
    ADD COLUMN resolve_due     timestamptz,
    ADD COLUMN responded_at    timestamptz,
    ADD COLUMN response_note   text NOT NULL DEFAULT '',
    ADD COLUMN resolved_at     timestamptz,
    ADD COLUMN resolution_note text NOT NULL DEFAULT '',
    ADD COLUMN closed_at       timestamptz,
    ADD COLUMN reopened        integer NOT NULL DEFAULT 0,
    -- When the directors were told it opened, and that each deadline passed (each once).
    ADD COLUMN told_open_at    timestamptz,
    ADD COLUMN told_respond_overdue_at timestamptz,
    ADD COLUMN told_resolve_overdue_at timestamptz;

-- Rows from before: opened at the start of their day (Asia/Shanghai unless the dealer
-- says otherwise), resolved when closed_on is set; nobody is told about them.
UPDATE complaints k SET
    opened_at = (k.opened_on::timestamp AT TIME ZONE d.time_zone),
    status = CASE WHEN k.closed_on IS NULL THEN 'open' ELSE 'resolved' END,
    resolved_at = CASE WHEN k.closed_on IS NOT NULL THEN (k.closed_on::timestamp AT TIME ZONE d.time_zone) END,
    told_open_at = now(), told_respond_overdue_at = now(), told_resolve_overdue_at = now()
FROM dealers d WHERE d.id = k.dealer_id;

-- A complaint written with closed_on (an import of a closed complaint) is resolved.
CREATE FUNCTION complaint_defaults() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.closed_on IS NOT NULL AND NEW.status IN ('open', 'responded') THEN
        NEW.status := 'resolved';
        NEW.resolved_at := COALESCE(NEW.resolved_at,
            (SELECT NEW.closed_on::timestamp AT TIME ZONE d.time_zone FROM dealers d WHERE d.id = NEW.dealer_id));
    END IF;
    IF NEW.opened_at IS NULL THEN
        NEW.opened_at := (SELECT NEW.opened_on::timestamp AT TIME ZONE d.time_zone FROM dealers d WHERE d.id = NEW.dealer_id);
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER complaint_defaults BEFORE INSERT OR UPDATE OF closed_on ON complaints
    FOR EACH ROW EXECUTE FUNCTION complaint_defaults();

-- The complaints page walks a dealer's complaints by state; the sweep finds the ones not
-- yet told or not yet past their deadlines.
CREATE INDEX complaints_dealer_status_idx ON complaints (dealer_id, status, opened_at DESC);
CREATE INDEX complaints_untold_idx ON complaints (dealer_id)
    WHERE told_open_at IS NULL OR (status IN ('open', 'responded') AND (told_respond_overdue_at IS NULL OR told_resolve_overdue_at IS NULL));

-- complaint_events is the timeline of a complaint: every change, who made it and when.
CREATE TABLE complaint_events (
    id           bigserial PRIMARY KEY,
    complaint_id bigint NOT NULL REFERENCES complaints(id) ON DELETE CASCADE,
    dealer_id    bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    at           timestamptz NOT NULL,
    user_id      bigint REFERENCES users(id) ON DELETE SET NULL,
    -- kind: opened, assigned, severity, responded, resolved, closed, reopened, overdue, note.
    kind         text NOT NULL,
    note         text NOT NULL DEFAULT '',
    detail       jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX complaint_events_complaint_idx ON complaint_events (complaint_id, at, id);

-- call_scores: every 1-5 score a call's answers gave (a question of kind score), written
-- with the outcome; the satisfaction report, the low-score list and the spot-check sample
-- read it. day is the dealer's local day of the outcome; campaign the task's first
-- campaign; advisor the service advisor of the customer's latest workshop visit then.
CREATE TABLE call_scores (
    outcome_id     bigint NOT NULL REFERENCES call_outcomes(id) ON DELETE CASCADE,
    question       text NOT NULL,
    dealer_id      bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    attempt_id     bigint REFERENCES call_attempts(id) ON DELETE SET NULL,
    customer_id    bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    agent_user_id  bigint REFERENCES users(id) ON DELETE SET NULL,
    campaign       text NOT NULL DEFAULT '',
    advisor        text NOT NULL DEFAULT '',
    day            date NOT NULL,
    score          smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    PRIMARY KEY (outcome_id, question)
);
CREATE INDEX call_scores_dealer_day_idx ON call_scores (dealer_id, day) INCLUDE (score, campaign, agent_user_id, advisor);
CREATE INDEX call_scores_low_idx ON call_scores (dealer_id, day) WHERE score <= 2;

-- low_score_acks: a director's acknowledgement of a low-score call, with a note.
CREATE TABLE low_score_acks (
    outcome_id  bigint PRIMARY KEY REFERENCES call_outcomes(id) ON DELETE CASCADE,
    dealer_id   bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    user_id     bigint REFERENCES users(id) ON DELETE SET NULL,
    at          timestamptz NOT NULL,
    note        text NOT NULL CHECK (note <> '')
);

-- spot_checks drawn by the morning sample say why: 'manual' (a director drew it),
-- 'sample' (the random share), 'low_score', 'complaint'; sample_day is the day sampled.
ALTER TABLE spot_checks
    ADD COLUMN source text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'sample', 'low_score', 'complaint')),
    ADD COLUMN sample_day date;

-- users.mobile: where a director's SMS alerts go (empty: none).
ALTER TABLE users ADD COLUMN mobile text NOT NULL DEFAULT '';
