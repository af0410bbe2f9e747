-- Workshop visits: linked to the vehicle by VIN, or by plate when the VIN is missing and
-- exactly one active vehicle of the dealer has that plate.

-- block: stage
DROP TABLE IF EXISTS imp_stage, imp_ws;
CREATE TEMP TABLE imp_stage (
    row_no int4, vin text, plate text, day date, kind text, type_label text,
    amount numeric(12, 2), mileage int4, advisor text
) ON COMMIT DROP;
CREATE TEMP TABLE imp_ws (row_no int4, vehicle_id bigint, customer_id bigint, problem text) ON COMMIT DROP;

-- block: resolve
INSERT INTO imp_ws (row_no, vehicle_id, customer_id, problem)
SELECT s.row_no,
       COALESCE(bv.id, CASE WHEN bp.n = 1 THEN bp.id END),
       COALESCE(bv.customer_id, CASE WHEN bp.n = 1 THEN bp.customer_id END),
       CASE WHEN s.vin <> '' AND bv.id IS NULL THEN 'unknown_vin'
            WHEN s.vin = '' AND bp.n IS NULL THEN 'unknown_plate'
            WHEN s.vin = '' AND bp.n > 1 THEN 'ambiguous_plate' END
FROM imp_stage s
LEFT JOIN vehicles bv ON s.vin <> '' AND bv.dealer_id = @dealer AND bv.vin = s.vin
LEFT JOIN (SELECT regexp_replace(upper(plate), '[[:space:]·.-]', '', 'g') AS plate,
                  min(id) AS id, min(customer_id) AS customer_id, count(*) AS n
           FROM vehicles WHERE dealer_id = @dealer AND plate <> '' AND active GROUP BY 1) bp
       ON s.vin = '' AND bp.plate = s.plate;

-- block: check
SELECT w.row_no, s.vin, s.plate, w.problem
FROM imp_ws w JOIN imp_stage s USING (row_no)
WHERE w.problem IS NOT NULL ORDER BY w.row_no;

-- block: odometer
-- The visit mileage is also an odometer reading on the visit day.
INSERT INTO odometer_readings AS o (vehicle_id, day, km, source)
SELECT DISTINCT ON (w.vehicle_id, s.day) w.vehicle_id, s.day, s.mileage, 'workshop'
FROM imp_stage s JOIN imp_ws w USING (row_no)
WHERE w.vehicle_id IS NOT NULL AND s.mileage IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM odometer_readings r
                  WHERE r.vehicle_id = w.vehicle_id AND r.day = s.day AND r.km >= s.mileage)
ORDER BY w.vehicle_id, s.day, s.mileage DESC
ON CONFLICT (vehicle_id, day) DO UPDATE SET km = EXCLUDED.km, source = EXCLUDED.source
WHERE o.km IS DISTINCT FROM EXCLUDED.km;

-- block: counts
WITH src AS (
    SELECT DISTINCT ON (w.vehicle_id, s.day, s.type_label)
           w.vehicle_id, w.customer_id, s.day, s.kind, s.type_label, s.amount, s.mileage, s.advisor
    FROM imp_stage s JOIN imp_ws w USING (row_no)
    WHERE w.vehicle_id IS NOT NULL
    ORDER BY w.vehicle_id, s.day, s.type_label, s.row_no
), changed AS (
    -- Visits stored with the same values are left out: ON CONFLICT would lock each one.
    SELECT * FROM src
    WHERE NOT EXISTS (SELECT 1 FROM workshop_visits x
                      WHERE x.vehicle_id = src.vehicle_id AND x.day = src.day AND x.type_label = src.type_label
                        AND x.kind = src.kind AND x.amount = COALESCE(src.amount, 0)
                        AND (src.mileage IS NULL OR x.mileage = src.mileage)
                        AND (src.advisor = '' OR x.advisor = src.advisor))
), up AS (
    INSERT INTO workshop_visits AS x (dealer_id, vehicle_id, customer_id, day, kind, type_label, amount, mileage, advisor)
    SELECT @dealer, vehicle_id, customer_id, day, kind, type_label, COALESCE(amount, 0), mileage, advisor FROM changed
    ON CONFLICT (vehicle_id, day, type_label) DO UPDATE SET
        kind = EXCLUDED.kind,
        amount = EXCLUDED.amount,
        mileage = COALESCE(EXCLUDED.mileage, x.mileage),
        advisor = COALESCE(NULLIF(EXCLUDED.advisor, ''), x.advisor)
    WHERE (x.kind, x.amount, x.mileage, x.advisor) IS DISTINCT FROM
          (EXCLUDED.kind, EXCLUDED.amount, COALESCE(EXCLUDED.mileage, x.mileage), COALESCE(NULLIF(EXCLUDED.advisor, ''), x.advisor))
    RETURNING (x.xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up;
