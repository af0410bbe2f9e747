-- 0050_director: the director console (agent-ui director pages): indexes for the call-record
-- search, spot-checks (抽查) with a rubric each dealer can edit, and the note a purged
-- recording leaves on its call record.

-- The record search walks a dealer's calls newest first (call_attempts_dealer_invite_idx);
-- these serve its selective filters: one agent, one customer, one outcome.
CREATE INDEX call_attempts_dealer_agent_invite_idx ON call_attempts (dealer_id, agent_user_id, invite_at DESC, id DESC);
CREATE INDEX call_attempts_customer_invite_idx ON call_attempts (customer_id, invite_at DESC);
CREATE INDEX call_outcomes_attempt_idx ON call_outcomes (attempt_id) WHERE attempt_id IS NOT NULL;
CREATE INDEX customers_dealer_name_idx ON customers (dealer_id, name);
-- Retention finds the recordings still on disk, oldest first.
CREATE INDEX call_attempts_recorded_idx ON call_attempts (dealer_id, invite_at) WHERE recording_path <> '';

-- recording_purged_at is when retention deleted the call's recording file (recording_path is
-- cleared then); the record itself is kept.
ALTER TABLE call_attempts ADD COLUMN recording_purged_at timestamptz;

-- spot_check_items is a dealer's scoring rubric; a dealer with no rows uses the defaults
-- (agent-ui defaultRubric).
CREATE TABLE spot_check_items (
    dealer_id  bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    key        text NOT NULL CHECK (key ~ '^[a-z0-9_]{1,32}$'),
    label      text NOT NULL CHECK (label <> ''),
    max_score  integer NOT NULL CHECK (max_score BETWEEN 1 AND 100),
    sort       integer NOT NULL DEFAULT 0,
    active     boolean NOT NULL DEFAULT true,
    PRIMARY KEY (dealer_id, key)
);

-- spot_checks: a call drawn for a director to listen to and score; 'pending' until scored.
CREATE TABLE spot_checks (
    id              bigserial PRIMARY KEY,
    dealer_id       bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    attempt_id      bigint NOT NULL REFERENCES call_attempts(id) ON DELETE CASCADE,
    agent_user_id   bigint REFERENCES users(id) ON DELETE SET NULL,
    drawn_by        bigint REFERENCES users(id) ON DELETE SET NULL,
    scored_by       bigint REFERENCES users(id) ON DELETE SET NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'scored')),
    -- scores: rubric key -> points given; rubric: the items as they were when scored.
    scores          jsonb NOT NULL DEFAULT '{}'::jsonb,
    rubric          jsonb NOT NULL DEFAULT '[]'::jsonb,
    total           integer NOT NULL DEFAULT 0,
    max_total       integer NOT NULL DEFAULT 0,
    passed          boolean NOT NULL DEFAULT false,
    coaching        boolean NOT NULL DEFAULT false,
    comment         text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    scored_at       timestamptz,
    UNIQUE (attempt_id)
);
CREATE INDEX spot_checks_dealer_idx ON spot_checks (dealer_id, status, created_at DESC);
CREATE INDEX spot_checks_agent_idx ON spot_checks (agent_user_id, scored_at DESC) WHERE status = 'scored';
