-- 0250_figure_days: daily roll-ups of the satisfaction and complaint figures (issue 13),
-- so a month of a dealer's figures reads about a thousand rows instead of every score
-- and every outcome of the month (queue.Satisfaction, queue.ComplaintFigures).
--
-- call_score_days: per dealer, day (call_scores.day) and dimension (the campaign, the
-- agent, written COALESCE(agent_user_id, 0) as text, and the service advisor), how many
-- 1-5 scores, their sum and how many were 4 or 5. Each score counts once in each of the
-- three dimensions; the month and the whole period are sums of the campaign rows.
-- call_outcome_days: per dealer, local day of created_at (the dealer's time zone) and
-- outcome code, how many outcomes. Whether a code reached the customer is read from
-- outcome_codes at query time, so changing a code's flag changes no roll-up.
--
-- Both are kept by deferred constraint triggers on the rows they sum (an outcome and its
-- scores saved, an outcome undone and its scores deleted with it, a user deleted and its
-- scores moved to agent 0, a dealer or customer deleted): each change adds its delta to
-- the day's rows when its transaction commits, so the shared rows (a campaign, a code)
-- are locked only for the commit, always in key order. The counts are in the primary
-- keys (INCLUDE) so a period is read by an index-only scan. A row whose count falls to 0 is
-- deleted. A change of a dealer's time zone rebuilds its call_outcome_days. The triggers
-- take a shared advisory lock on the dealer and figure_days_rebuild an exclusive one, so a
-- rebuild never misses a commit. A dealer deleted takes its roll-ups with it (the deltas
-- of its rows deleted with it are skipped).
CREATE TABLE call_score_days (
    dealer_id  bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    day        date NOT NULL,
    dim        text NOT NULL CHECK (dim IN ('advisor', 'agent', 'campaign')),
    key        text NOT NULL,
    n          bigint NOT NULL,
    sum        bigint NOT NULL,
    high       bigint NOT NULL,
    PRIMARY KEY (dealer_id, day, dim, key) INCLUDE (n, sum, high)
);

CREATE TABLE call_outcome_days (
    dealer_id  bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    day        date NOT NULL,
    code       text NOT NULL,
    n          bigint NOT NULL,
    PRIMARY KEY (dealer_id, day, code) INCLUDE (n)
);

-- figure_days_lock_key is the advisory lock of a dealer's roll-ups (per schema: tests
-- run side by side in schemas of one database).
CREATE FUNCTION figure_days_lock_key(dealer bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT hashtextextended('huifang.figure_days:' || current_schema() || ':' || dealer, 0)
$$;

-- figure_days_rebuild recomputes the roll-ups of one dealer (every dealer when NULL)
-- from call_scores and call_outcomes.
CREATE FUNCTION figure_days_rebuild(dealer bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(figure_days_lock_key(d.id)) FROM dealers d
    WHERE figure_days_rebuild.dealer IS NULL OR d.id = figure_days_rebuild.dealer ORDER BY d.id;
    DELETE FROM call_score_days x WHERE figure_days_rebuild.dealer IS NULL OR x.dealer_id = figure_days_rebuild.dealer;
    INSERT INTO call_score_days (dealer_id, day, dim, key, n, sum, high)
    SELECT s.dealer_id, s.day, k.dim, k.key, count(*), sum(s.score), count(*) FILTER (WHERE s.score >= 4)
    FROM call_scores s
    CROSS JOIN LATERAL (VALUES ('advisor', s.advisor), ('agent', COALESCE(s.agent_user_id, 0)::text), ('campaign', s.campaign)) k (dim, key)
    WHERE figure_days_rebuild.dealer IS NULL OR s.dealer_id = figure_days_rebuild.dealer
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4;
    DELETE FROM call_outcome_days x WHERE figure_days_rebuild.dealer IS NULL OR x.dealer_id = figure_days_rebuild.dealer;
    INSERT INTO call_outcome_days (dealer_id, day, code, n)
    SELECT o.dealer_id, (o.created_at AT TIME ZONE d.time_zone)::date, o.code, count(*)
    FROM call_outcomes o JOIN dealers d ON d.id = o.dealer_id
    WHERE figure_days_rebuild.dealer IS NULL OR o.dealer_id = figure_days_rebuild.dealer
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
END $$;

CREATE FUNCTION call_score_days_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.dealer_id, OLD.day, OLD.campaign, OLD.agent_user_id, OLD.advisor, OLD.score)
                            IS NOT DISTINCT FROM (NEW.dealer_id, NEW.day, NEW.campaign, NEW.agent_user_id, NEW.advisor, NEW.score) THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_advisory_xact_lock_shared(figure_days_lock_key(OLD.dealer_id));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_advisory_xact_lock_shared(figure_days_lock_key(NEW.dealer_id));
    END IF;
    WITH delta (dealer_id, day, dim, key, n, sum, high) AS (
        SELECT r.dealer_id, r.day, k.dim, k.key, sum(r.sign), sum(r.sign * r.score), sum(r.sign) FILTER (WHERE r.score >= 4)
        FROM (SELECT OLD.dealer_id, OLD.day, OLD.campaign, OLD.agent_user_id, OLD.advisor, OLD.score::bigint, -1 WHERE TG_OP <> 'INSERT'
              UNION ALL
              SELECT NEW.dealer_id, NEW.day, NEW.campaign, NEW.agent_user_id, NEW.advisor, NEW.score::bigint, 1 WHERE TG_OP <> 'DELETE')
             r (dealer_id, day, campaign, agent_user_id, advisor, score, sign)
        JOIN dealers d ON d.id = r.dealer_id
        CROSS JOIN LATERAL (VALUES ('advisor', r.advisor), ('agent', COALESCE(r.agent_user_id, 0)::text), ('campaign', r.campaign)) k (dim, key)
        GROUP BY 1, 2, 3, 4
    )
    INSERT INTO call_score_days AS x (dealer_id, day, dim, key, n, sum, high)
    SELECT dealer_id, day, dim, key, n, sum, COALESCE(high, 0) FROM delta ORDER BY 1, 2, 3, 4
    ON CONFLICT (dealer_id, day, dim, key) DO UPDATE
    SET n = x.n + excluded.n, sum = x.sum + excluded.sum, high = x.high + excluded.high;
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM call_score_days x WHERE x.dealer_id = OLD.dealer_id AND x.day = OLD.day AND x.n = 0;
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER call_scores_days
    AFTER INSERT OR UPDATE OR DELETE ON call_scores DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION call_score_days_keep();

CREATE FUNCTION call_outcome_days_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.dealer_id, OLD.code, OLD.created_at) IS NOT DISTINCT FROM (NEW.dealer_id, NEW.code, NEW.created_at) THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_advisory_xact_lock_shared(figure_days_lock_key(OLD.dealer_id));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_advisory_xact_lock_shared(figure_days_lock_key(NEW.dealer_id));
    END IF;
    -- The time zone is read after the lock: a change of it has committed and rebuilt the
    -- dealer's rows, or waits for this commit.
    WITH delta (dealer_id, day, code, n) AS (
        SELECT r.dealer_id, (r.created_at AT TIME ZONE d.time_zone)::date, r.code, sum(r.sign)
        FROM (SELECT OLD.dealer_id, OLD.code, OLD.created_at, -1 WHERE TG_OP <> 'INSERT'
              UNION ALL
              SELECT NEW.dealer_id, NEW.code, NEW.created_at, 1 WHERE TG_OP <> 'DELETE') r (dealer_id, code, created_at, sign)
        JOIN dealers d ON d.id = r.dealer_id
        GROUP BY 1, 2, 3
    )
    INSERT INTO call_outcome_days AS x (dealer_id, day, code, n)
    SELECT dealer_id, day, code, n FROM delta ORDER BY 1, 2, 3
    ON CONFLICT (dealer_id, day, code) DO UPDATE SET n = x.n + excluded.n;
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM call_outcome_days x USING dealers d
        WHERE d.id = OLD.dealer_id AND x.dealer_id = OLD.dealer_id AND x.code = OLD.code
          AND x.day = (OLD.created_at AT TIME ZONE d.time_zone)::date AND x.n = 0;
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER call_outcomes_days
    AFTER INSERT OR UPDATE OF dealer_id, code, created_at OR DELETE ON call_outcomes DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION call_outcome_days_keep();

CREATE FUNCTION dealer_time_zone_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM figure_days_rebuild(NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER dealers_time_zone_days
    AFTER UPDATE OF time_zone ON dealers
    FOR EACH ROW WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone) EXECUTE FUNCTION dealer_time_zone_days();

SELECT figure_days_rebuild(NULL);
ANALYZE call_score_days;
ANALYZE call_outcome_days;
