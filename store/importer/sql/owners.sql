-- Owners and vehicles: one row per vehicle (VIN), its owner keyed by phone.
-- Empty cells never erase what the store already knows (COALESCE with the old value).

-- block: stage
DROP TABLE IF EXISTS imp_stage, imp_chg_cust, imp_chg_veh, imp_chg_odo;
CREATE TEMP TABLE imp_stage (
    row_no int4, phone text, name text, title text, birthday date, grade text, consultant text,
    vin text, plate text, brand text, model text, delivery_day date, warranty_end date,
    insurance_end date, inspection_due date, km int4, km_day date
) ON COMMIT DROP;
CREATE TEMP TABLE imp_chg_cust (phone text) ON COMMIT DROP;
CREATE TEMP TABLE imp_chg_veh (vin text, inserted bool) ON COMMIT DROP;
CREATE TEMP TABLE imp_chg_odo (vin text) ON COMMIT DROP;

-- block: customers
-- The first row of a phone gives the customer's details; a prospect who now owns a car is won.
WITH src AS (
    SELECT DISTINCT ON (phone) phone, name, title, birthday, grade, consultant
    FROM imp_stage ORDER BY phone, row_no
), up AS (
    INSERT INTO customers AS c (dealer_id, name, title, phone, birthday, grade, consultant)
    SELECT @dealer, name, title, phone, birthday, grade, consultant FROM src
    ON CONFLICT (dealer_id, phone) DO UPDATE SET
        name = EXCLUDED.name,
        title = COALESCE(NULLIF(EXCLUDED.title, ''), c.title),
        birthday = COALESCE(EXCLUDED.birthday, c.birthday),
        grade = COALESCE(EXCLUDED.grade, c.grade),
        consultant = COALESCE(NULLIF(EXCLUDED.consultant, ''), c.consultant),
        prospect_status = CASE WHEN c.prospect_status IN ('open', 'key', 'pre_lost') THEN 'won' ELSE c.prospect_status END,
        status_day = CASE WHEN c.prospect_status IN ('open', 'key', 'pre_lost') THEN @today::date ELSE c.status_day END,
        updated_at = now()
    WHERE (c.name, c.title, c.birthday, c.grade, c.consultant) IS DISTINCT FROM
          (EXCLUDED.name, COALESCE(NULLIF(EXCLUDED.title, ''), c.title), COALESCE(EXCLUDED.birthday, c.birthday),
           COALESCE(EXCLUDED.grade, c.grade), COALESCE(NULLIF(EXCLUDED.consultant, ''), c.consultant))
       OR c.prospect_status IN ('open', 'key', 'pre_lost')
    RETURNING c.phone
)
INSERT INTO imp_chg_cust (phone) SELECT phone FROM up;

-- block: vehicles
WITH up AS (
    INSERT INTO vehicles AS v (dealer_id, customer_id, vin, plate, brand, model, delivery_day,
                               warranty_end, insurance_end, inspection_due, consultant)
    SELECT @dealer, c.id, s.vin, s.plate, s.brand, s.model, s.delivery_day,
           s.warranty_end, s.insurance_end, s.inspection_due, s.consultant
    FROM imp_stage s JOIN customers c ON c.dealer_id = @dealer AND c.phone = s.phone
    ON CONFLICT (dealer_id, vin) DO UPDATE SET
        customer_id = EXCLUDED.customer_id,
        plate = COALESCE(NULLIF(EXCLUDED.plate, ''), v.plate),
        brand = COALESCE(NULLIF(EXCLUDED.brand, ''), v.brand),
        model = COALESCE(NULLIF(EXCLUDED.model, ''), v.model),
        delivery_day = COALESCE(EXCLUDED.delivery_day, v.delivery_day),
        warranty_end = COALESCE(EXCLUDED.warranty_end, v.warranty_end),
        insurance_end = COALESCE(EXCLUDED.insurance_end, v.insurance_end),
        inspection_due = COALESCE(EXCLUDED.inspection_due, v.inspection_due),
        consultant = COALESCE(NULLIF(EXCLUDED.consultant, ''), v.consultant),
        active = true,
        updated_at = now()
    WHERE (v.customer_id, v.plate, v.brand, v.model, v.delivery_day, v.warranty_end, v.insurance_end,
           v.inspection_due, v.consultant, v.active) IS DISTINCT FROM
          (EXCLUDED.customer_id, COALESCE(NULLIF(EXCLUDED.plate, ''), v.plate),
           COALESCE(NULLIF(EXCLUDED.brand, ''), v.brand), COALESCE(NULLIF(EXCLUDED.model, ''), v.model),
           COALESCE(EXCLUDED.delivery_day, v.delivery_day), COALESCE(EXCLUDED.warranty_end, v.warranty_end),
           COALESCE(EXCLUDED.insurance_end, v.insurance_end), COALESCE(EXCLUDED.inspection_due, v.inspection_due),
           COALESCE(NULLIF(EXCLUDED.consultant, ''), v.consultant), true)
    RETURNING v.vin, (v.xmax = 0) AS inserted
)
INSERT INTO imp_chg_veh (vin, inserted) SELECT vin, inserted FROM up;

-- block: odometer
-- A reading on its mileage day; a reading without a day is dated the import day and is
-- only added when the vehicle has no reading as high already (so re-imports add nothing).
WITH src AS (
    SELECT v.id AS vehicle_id, s.vin, COALESCE(s.km_day, @today::date) AS day, s.km, s.km_day IS NULL AS undated
    FROM imp_stage s JOIN vehicles v ON v.dealer_id = @dealer AND v.vin = s.vin
    WHERE s.km IS NOT NULL
), up AS (
    INSERT INTO odometer_readings AS o (vehicle_id, day, km, source)
    SELECT vehicle_id, day, km, 'import' FROM src
    WHERE NOT (undated AND EXISTS (SELECT 1 FROM odometer_readings r
                                   WHERE r.vehicle_id = src.vehicle_id AND r.km >= src.km))
    ON CONFLICT (vehicle_id, day) DO UPDATE SET km = EXCLUDED.km, source = EXCLUDED.source
    WHERE o.km IS DISTINCT FROM EXCLUDED.km
    RETURNING o.vehicle_id
)
INSERT INTO imp_chg_odo (vin) SELECT src.vin FROM up JOIN src USING (vehicle_id);

-- block: counts
SELECT count(*) FILTER (WHERE cv.inserted),
       count(*) FILTER (WHERE cv.inserted IS NOT TRUE
                          AND (cv.vin IS NOT NULL OR cc.phone IS NOT NULL OR co.vin IS NOT NULL))
FROM imp_stage s
LEFT JOIN imp_chg_veh cv ON cv.vin = s.vin
LEFT JOIN (SELECT DISTINCT phone FROM imp_chg_cust) cc ON cc.phone = s.phone
LEFT JOIN imp_chg_odo co ON co.vin = s.vin;
