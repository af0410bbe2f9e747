-- Showroom visits of prospects: the customer (a prospect) by phone, and one visit row per
-- arrival. The latest visit of a phone in the file gives the prospect's status.

-- block: stage
DROP TABLE IF EXISTS imp_stage, imp_chg_cust, imp_chg_visit;
CREATE TEMP TABLE imp_stage (
    row_no int4, phone text, name text, title text, arrived_at timestamptz, left_at timestamptz,
    consultant text, intent_level text, status text, lost_reason text, note text
) ON COMMIT DROP;
CREATE TEMP TABLE imp_chg_cust (phone text) ON COMMIT DROP;
CREATE TEMP TABLE imp_chg_visit (customer_id bigint, arrived_at timestamptz, inserted bool) ON COMMIT DROP;

-- block: new_customers
WITH src AS (
    SELECT DISTINCT ON (phone) phone, name, title, consultant, intent_level, status, lost_reason,
           (arrived_at AT TIME ZONE @zone::text)::date AS day
    FROM imp_stage ORDER BY phone, arrived_at DESC, row_no DESC
), up AS (
    INSERT INTO customers (dealer_id, name, title, phone, consultant, prospect_status, status_day, lost_reason, intent_level)
    SELECT @dealer, name, title, phone, consultant, COALESCE(NULLIF(status, ''), 'open'), day, lost_reason, intent_level
    FROM src
    ON CONFLICT (dealer_id, phone) DO NOTHING
    RETURNING phone
)
INSERT INTO imp_chg_cust (phone) SELECT phone FROM up;

-- block: customers
-- An empty status keeps the customer's status (or makes a new prospect 'open'); the status
-- day changes only when the status does.
WITH src AS (
    SELECT DISTINCT ON (phone) phone, name, title, consultant, intent_level, status, lost_reason,
           (arrived_at AT TIME ZONE @zone::text)::date AS day
    FROM imp_stage ORDER BY phone, arrived_at DESC, row_no DESC
), nv AS (
    SELECT c.id, src.day,
           COALESCE(NULLIF(src.name, ''), c.name) AS name,
           COALESCE(NULLIF(src.title, ''), c.title) AS title,
           COALESCE(NULLIF(src.consultant, ''), c.consultant) AS consultant,
           COALESCE(NULLIF(src.status, ''), NULLIF(c.prospect_status, ''), 'open') AS status,
           COALESCE(NULLIF(src.lost_reason, ''), c.lost_reason) AS lost_reason,
           COALESCE(NULLIF(src.intent_level, ''), c.intent_level) AS intent_level
    FROM src JOIN customers c ON c.dealer_id = @dealer AND c.phone = src.phone
), up AS (
    UPDATE customers c SET
        name = nv.name, title = nv.title, consultant = nv.consultant, prospect_status = nv.status,
        status_day = CASE WHEN c.prospect_status IS DISTINCT FROM nv.status THEN nv.day ELSE c.status_day END,
        lost_reason = nv.lost_reason, intent_level = nv.intent_level, updated_at = now()
    FROM nv
    WHERE c.id = nv.id
      AND (c.name, c.title, c.consultant, c.prospect_status, c.lost_reason, c.intent_level) IS DISTINCT FROM
          (nv.name, nv.title, nv.consultant, nv.status, nv.lost_reason, nv.intent_level)
    RETURNING c.phone
)
INSERT INTO imp_chg_cust (phone) SELECT phone FROM up;

-- block: visits
WITH up AS (
    INSERT INTO showroom_visits AS x (dealer_id, customer_id, arrived_at, left_at, consultant, intent_level, note)
    SELECT @dealer, c.id, s.arrived_at, s.left_at, s.consultant, s.intent_level, s.note
    FROM imp_stage s JOIN customers c ON c.dealer_id = @dealer AND c.phone = s.phone
    ON CONFLICT (customer_id, arrived_at) DO UPDATE SET
        left_at = COALESCE(EXCLUDED.left_at, x.left_at),
        consultant = COALESCE(NULLIF(EXCLUDED.consultant, ''), x.consultant),
        intent_level = COALESCE(NULLIF(EXCLUDED.intent_level, ''), x.intent_level),
        note = COALESCE(NULLIF(EXCLUDED.note, ''), x.note)
    WHERE (x.left_at, x.consultant, x.intent_level, x.note) IS DISTINCT FROM
          (COALESCE(EXCLUDED.left_at, x.left_at), COALESCE(NULLIF(EXCLUDED.consultant, ''), x.consultant),
           COALESCE(NULLIF(EXCLUDED.intent_level, ''), x.intent_level), COALESCE(NULLIF(EXCLUDED.note, ''), x.note))
    RETURNING x.customer_id, x.arrived_at, (x.xmax = 0) AS inserted
)
INSERT INTO imp_chg_visit (customer_id, arrived_at, inserted) SELECT customer_id, arrived_at, inserted FROM up;

-- block: counts
SELECT count(*) FILTER (WHERE cv.inserted),
       count(*) FILTER (WHERE cv.inserted IS NOT TRUE AND (cv.customer_id IS NOT NULL OR cc.phone IS NOT NULL))
FROM imp_stage s
JOIN customers c ON c.dealer_id = @dealer AND c.phone = s.phone
LEFT JOIN imp_chg_visit cv ON cv.customer_id = c.id AND cv.arrived_at = s.arrived_at
LEFT JOIN (SELECT DISTINCT phone FROM imp_chg_cust) cc ON cc.phone = s.phone;
