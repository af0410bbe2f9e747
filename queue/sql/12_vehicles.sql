-- Each owner vehicle's maintenance schedule as known on @asof: only visits and odometer
-- readings dated on or before @asof count, and only vehicles that are active and delivered
-- by then.
--
-- The next maintenance is due at the earlier of a time limit and a mileage limit:
--   first (no maintenance visit since delivery): delivery + first_maintenance_months, or
--     when the projected mileage reaches first_maintenance_km;
--   later: the last maintenance visit + maintenance_months, or maintenance_km more than
--     the mileage at that visit.
-- Months are added with Postgres interval arithmetic, which clamps to the month's end
-- (2026-08-31 + 6 months = 2027-02-28; 2028-02-29 + 12 months = 2029-02-28).
-- Mileage is projected on the straight line through the two latest readings known on
-- @asof (odometer readings and workshop visits that recorded a mileage; the odometer wins
-- on the same day), or through delivery day at 0 km and the only reading. The line gives
-- the first day on which the projected mileage is at least the target. Without a line
-- (no reading, or no increase) only the time limit applies.
INSERT INTO q_veh (asof, vehicle_id, customer_id, delivery_day, last_visit, last_maint, maint_count,
                   ref_day, time_due, km_due, due_day, km_now, reading_day)
WITH w AS (
    SELECT w.vehicle_id,
           max(w.day) AS last_visit,
           max(w.day) FILTER (WHERE w.kind = 'maintenance' AND (v.delivery_day IS NULL OR w.day >= v.delivery_day)) AS last_maint,
           count(*) FILTER (WHERE w.kind = 'maintenance' AND (v.delivery_day IS NULL OR w.day >= v.delivery_day)) AS maint_count
    FROM workshop_visits w
    JOIN vehicles v ON v.id = w.vehicle_id
    WHERE w.dealer_id = @dealer::bigint AND w.day <= @asof::date
    GROUP BY w.vehicle_id
), readings AS (
    SELECT DISTINCT ON (vehicle_id, day) vehicle_id, day, km
    FROM (
        SELECT o.vehicle_id, o.day, o.km, 0 AS src
        FROM odometer_readings o
        JOIN vehicles v ON v.id = o.vehicle_id
        WHERE v.dealer_id = @dealer::bigint AND o.day <= @asof::date
        UNION ALL
        SELECT w.vehicle_id, w.day, w.mileage, 1
        FROM workshop_visits w
        WHERE w.dealer_id = @dealer::bigint AND w.mileage IS NOT NULL AND w.day <= @asof::date
    ) x
    ORDER BY vehicle_id, day DESC, src
), ranked AS (
    SELECT vehicle_id, day, km, row_number() OVER (PARTITION BY vehicle_id ORDER BY day DESC) AS rn
    FROM readings
), r AS (
    SELECT vehicle_id,
           max(day) FILTER (WHERE rn = 1) AS d2, max(km) FILTER (WHERE rn = 1) AS k2,
           max(day) FILTER (WHERE rn = 2) AS d1, max(km) FILTER (WHERE rn = 2) AS k1
    FROM ranked
    WHERE rn <= 2
    GROUP BY vehicle_id
), base AS (
    SELECT v.id AS vehicle_id, v.customer_id, v.delivery_day,
           w.last_visit, w.last_maint, coalesce(w.maint_count, 0)::int AS maint_count,
           r.d2, r.k2,
           CASE WHEN r.d1 IS NOT NULL THEN r.d1 WHEN v.delivery_day < r.d2 THEN v.delivery_day END AS d1,
           CASE WHEN r.d1 IS NOT NULL THEN r.k1 WHEN v.delivery_day < r.d2 THEN 0 END AS k1
    FROM vehicles v
    LEFT JOIN w ON w.vehicle_id = v.id
    LEFT JOIN r ON r.vehicle_id = v.id
    WHERE v.dealer_id = @dealer::bigint AND v.active
      AND (v.delivery_day IS NULL OR v.delivery_day <= @asof::date)
), sched AS (
    SELECT b.*,
           CASE WHEN b.maint_count = 0 THEN b.delivery_day ELSE b.last_maint END AS ref_day,
           CASE WHEN b.maint_count = 0
                THEN (b.delivery_day + make_interval(months => @first_maintenance_months::int))::date
                ELSE (b.last_maint + make_interval(months => @maintenance_months::int))::date
           END AS time_due,
           CASE WHEN b.d1 IS NOT NULL AND b.k2 > b.k1 THEN
                CASE WHEN b.maint_count = 0 THEN @first_maintenance_km::int::numeric
                     ELSE b.k2 + (b.last_maint - b.d2)::numeric * (b.k2 - b.k1) / (b.d2 - b.d1) + @maintenance_km::int
                END
           END AS km_target
    FROM base b
), due AS (
    SELECT s.*,
           CASE WHEN s.km_target IS NOT NULL AND s.ref_day IS NOT NULL
                THEN s.d2 + ceil((s.km_target - s.k2) * (s.d2 - s.d1) / (s.k2 - s.k1))::int
           END AS km_due
    FROM sched s
)
SELECT @asof::date, vehicle_id, customer_id, delivery_day, last_visit, last_maint, maint_count,
       ref_day, time_due, km_due, least(time_due, km_due),
       CASE WHEN d1 IS NOT NULL AND k2 > k1
            THEN round(k2 + (@asof::date - d2)::numeric * (k2 - k1) / (d2 - d1))::int
            ELSE k2 END,
       d2
FROM due;
