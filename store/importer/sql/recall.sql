-- Recall VIN lists: the recall by code, and each VIN on it, imported on the import day.

-- block: stage
DROP TABLE IF EXISTS imp_stage;
CREATE TEMP TABLE imp_stage (row_no int4, code text, title text, vin text) ON COMMIT DROP;

-- block: recalls
INSERT INTO recalls AS r (dealer_id, code, title)
SELECT DISTINCT ON (code) @dealer, code, title FROM imp_stage ORDER BY code, (title = ''), row_no
ON CONFLICT (dealer_id, code) DO UPDATE SET title = EXCLUDED.title
WHERE EXCLUDED.title <> '' AND r.title IS DISTINCT FROM EXCLUDED.title;

-- block: counts
WITH up AS (
    INSERT INTO recall_vehicles (recall_id, vin, imported_on)
    SELECT r.id, s.vin, @today::date
    FROM imp_stage s JOIN recalls r ON r.dealer_id = @dealer AND r.code = s.code
    ON CONFLICT (recall_id, vin) DO NOTHING
    RETURNING 1
)
SELECT count(*), 0::bigint FROM up;
