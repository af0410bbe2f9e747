-- Owners and vehicles: one row per vehicle (VIN), its owner keyed by phone.
-- Empty cells never erase what the store already knows (COALESCE with the old value).
-- Imports of one dealer are serialised (advisory lock), so rows that do not exist yet are
-- added with plain INSERTs (much cheaper than INSERT ... ON CONFLICT for large files) and
-- existing rows are changed by UPDATEs that skip rows whose values are the same.
-- The reader marks first_of_phone on the first row of each phone (VINs are unique).

-- block: stage
DROP TABLE IF EXISTS imp_stage, imp_chg_cust, imp_chg_veh, imp_chg_odo;
CREATE TEMP TABLE imp_stage (
    row_no int4, phone text, name text, title text, birthday date, grade text, consultant text,
    vin text, plate text, brand text, model text, delivery_day date, warranty_end date,
    insurance_end date, inspection_due date, km int4, km_day date, first_of_phone bool
) ON COMMIT DROP;
CREATE TEMP TABLE imp_chg_cust (phone text) ON COMMIT DROP;
CREATE TEMP TABLE imp_chg_veh (vin text) ON COMMIT DROP;
CREATE TEMP TABLE imp_chg_odo (vin text) ON COMMIT DROP;

-- block: customers_update
-- The first row of a phone gives the customer's details; a prospect who now owns a car is won.
WITH up AS (
    UPDATE customers c SET
        name = s.name,
        title = COALESCE(NULLIF(s.title, ''), c.title),
        birthday = COALESCE(s.birthday, c.birthday),
        grade = COALESCE(s.grade, c.grade),
        consultant = COALESCE(NULLIF(s.consultant, ''), c.consultant),
        prospect_status = CASE WHEN c.prospect_status IN ('open', 'key', 'pre_lost') THEN 'won' ELSE c.prospect_status END,
        status_day = CASE WHEN c.prospect_status IN ('open', 'key', 'pre_lost') THEN @today::date ELSE c.status_day END,
        updated_at = now()
    FROM imp_stage s
    WHERE s.first_of_phone AND c.dealer_id = @dealer AND c.phone = s.phone
      AND ((c.name, c.title, c.birthday, c.grade, c.consultant) IS DISTINCT FROM
           (s.name, COALESCE(NULLIF(s.title, ''), c.title), COALESCE(s.birthday, c.birthday),
            COALESCE(s.grade, c.grade), COALESCE(NULLIF(s.consultant, ''), c.consultant))
           OR c.prospect_status IN ('open', 'key', 'pre_lost'))
    RETURNING c.phone
)
INSERT INTO imp_chg_cust (phone) SELECT phone FROM up;

-- block: customers_new
INSERT INTO customers (dealer_id, name, title, phone, birthday, grade, consultant)
SELECT @dealer, s.name, s.title, s.phone, s.birthday, s.grade, s.consultant
FROM imp_stage s
WHERE s.first_of_phone
  AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.dealer_id = @dealer AND c.phone = s.phone);

-- block: vehicles_update
WITH up AS (
    UPDATE vehicles v SET
        customer_id = c.id,
        plate = COALESCE(NULLIF(s.plate, ''), v.plate),
        brand = COALESCE(NULLIF(s.brand, ''), v.brand),
        model = COALESCE(NULLIF(s.model, ''), v.model),
        delivery_day = COALESCE(s.delivery_day, v.delivery_day),
        warranty_end = COALESCE(s.warranty_end, v.warranty_end),
        insurance_end = COALESCE(s.insurance_end, v.insurance_end),
        inspection_due = COALESCE(s.inspection_due, v.inspection_due),
        consultant = COALESCE(NULLIF(s.consultant, ''), v.consultant),
        active = true,
        updated_at = now()
    FROM imp_stage s JOIN customers c ON c.dealer_id = @dealer AND c.phone = s.phone
    WHERE v.dealer_id = @dealer AND v.vin = s.vin
      AND (v.customer_id, v.plate, v.brand, v.model, v.delivery_day, v.warranty_end, v.insurance_end,
           v.inspection_due, v.consultant, v.active) IS DISTINCT FROM
          (c.id, COALESCE(NULLIF(s.plate, ''), v.plate), COALESCE(NULLIF(s.brand, ''), v.brand),
           COALESCE(NULLIF(s.model, ''), v.model), COALESCE(s.delivery_day, v.delivery_day),
           COALESCE(s.warranty_end, v.warranty_end), COALESCE(s.insurance_end, v.insurance_end),
           COALESCE(s.inspection_due, v.inspection_due), COALESCE(NULLIF(s.consultant, ''), v.consultant), true)
    RETURNING v.vin
)
INSERT INTO imp_chg_veh (vin) SELECT vin FROM up;

-- block: odometer_existing
-- A reading on its mileage day; a reading without a day is dated the import day and is
-- only added when the vehicle has no reading as high already (so re-imports add nothing).
-- This statement covers vehicles that existed before this file; odometer_new the others.
WITH src AS (
    SELECT v.id AS vehicle_id, s.vin, COALESCE(s.km_day, @today::date) AS day, s.km, s.km_day IS NULL AS undated
    FROM imp_stage s JOIN vehicles v ON v.dealer_id = @dealer AND v.vin = s.vin
    WHERE s.km IS NOT NULL
), up AS (
    INSERT INTO odometer_readings AS o (vehicle_id, day, km, source)
    SELECT vehicle_id, day, km, 'import' FROM src
    WHERE NOT (undated AND EXISTS (SELECT 1 FROM odometer_readings r
                                   WHERE r.vehicle_id = src.vehicle_id AND r.km >= src.km))
      -- Known readings are left out here: ON CONFLICT would lock (and so write) each one.
      AND NOT EXISTS (SELECT 1 FROM odometer_readings r
                      WHERE r.vehicle_id = src.vehicle_id AND r.day = src.day AND r.km = src.km)
    ON CONFLICT (vehicle_id, day) DO UPDATE SET km = EXCLUDED.km, source = EXCLUDED.source
    WHERE o.km IS DISTINCT FROM EXCLUDED.km
    RETURNING o.vehicle_id
)
INSERT INTO imp_chg_odo (vin) SELECT src.vin FROM up JOIN src USING (vehicle_id);

-- block: updated (updated)
-- Rows whose vehicle exists and that changed it, its owner or its mileage.
SELECT count(*)
FROM imp_stage s
JOIN vehicles v ON v.dealer_id = @dealer AND v.vin = s.vin
WHERE EXISTS (SELECT 1 FROM imp_chg_veh x WHERE x.vin = s.vin)
   OR EXISTS (SELECT 1 FROM imp_chg_cust x WHERE x.phone = s.phone)
   OR EXISTS (SELECT 1 FROM imp_chg_odo x WHERE x.vin = s.vin);

-- block: vehicles_new (inserted)
INSERT INTO vehicles (dealer_id, customer_id, vin, plate, brand, model, delivery_day,
                      warranty_end, insurance_end, inspection_due, consultant)
SELECT @dealer, c.id, s.vin, s.plate, s.brand, s.model, s.delivery_day,
       s.warranty_end, s.insurance_end, s.inspection_due, s.consultant
FROM imp_stage s JOIN customers c ON c.dealer_id = @dealer AND c.phone = s.phone
WHERE NOT EXISTS (SELECT 1 FROM vehicles v WHERE v.dealer_id = @dealer AND v.vin = s.vin);

-- block: odometer_new
INSERT INTO odometer_readings (vehicle_id, day, km, source)
SELECT v.id, COALESCE(s.km_day, @today::date), s.km, 'import'
FROM imp_stage s JOIN vehicles v ON v.dealer_id = @dealer AND v.vin = s.vin
WHERE s.km IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM odometer_readings r WHERE r.vehicle_id = v.id);
