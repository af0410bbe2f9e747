-- Do-not-call lists: phones that no campaign may call or text again.

-- block: stage
DROP TABLE IF EXISTS imp_stage;
CREATE TEMP TABLE imp_stage (row_no int4, phone text, reason text) ON COMMIT DROP;

-- block: counts
WITH up AS (
    INSERT INTO do_not_call AS d (dealer_id, phone, reason, source)
    SELECT @dealer, phone, reason, @source::text FROM imp_stage
    ON CONFLICT (dealer_id, phone) DO UPDATE SET reason = EXCLUDED.reason
    WHERE EXCLUDED.reason <> '' AND d.reason IS DISTINCT FROM EXCLUDED.reason
    RETURNING (d.xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up;
