-- Each owner vehicle's maintenance schedule as known on two days in one pass: the build day
-- (@day) and the last day of the previous month (@lock, for due_not_come). As known on a
-- day: only visits and odometer readings dated on or before it count, and only vehicles that
-- are active and delivered by then.
--
-- The next maintenance is due at the earlier of a time limit and a mileage limit:
--   first (no maintenance visit since delivery): delivery + first_maintenance_months, or
--     when the projected mileage reaches first_maintenance_km;
--   later: the last maintenance visit + maintenance_months, or maintenance_km more than
--     the mileage at that visit.
-- @first_only = 1 (figures only, never the build) counts no maintenance visit: every
-- vehicle's row is then its first maintenance as the facts known on the day give it.
-- Months are added with Postgres interval arithmetic, which clamps to the month's end
-- (2026-08-31 + 6 months = 2027-02-28, and 2028-02-29 + 12 months = 2029-02-28).
-- Mileage is projected on the straight line through the two latest readings known on the
-- day (odometer readings and workshop visits that recorded a mileage; the odometer wins on
-- the same day), or through delivery day at 0 km and the only reading. The line gives the
-- first day on which the projected mileage is at least the target. Without a line (no
-- reading, or no increase) only the time limit applies.
INSERT INTO q_veh (asof, vehicle_id, customer_id, delivery_day, last_visit, last_maint, maint_count,
                   ref_day, time_due, km_due, due_day, km_now, reading_day, km_target)
WITH w AS (
    SELECT w.vehicle_id,
           max(w.day) AS last_visit_t,
           max(w.day) FILTER (WHERE w.day <= @lock::date) AS last_visit_e,
           max(w.day) FILTER (WHERE w.kind = 'maintenance' AND @first_only::int = 0 AND (v.delivery_day IS NULL OR w.day >= v.delivery_day)) AS last_maint_t,
           max(w.day) FILTER (WHERE w.kind = 'maintenance' AND @first_only::int = 0 AND (v.delivery_day IS NULL OR w.day >= v.delivery_day)
                                AND w.day <= @lock::date) AS last_maint_e,
           count(*) FILTER (WHERE w.kind = 'maintenance' AND @first_only::int = 0 AND (v.delivery_day IS NULL OR w.day >= v.delivery_day)) AS maint_count_t,
           count(*) FILTER (WHERE w.kind = 'maintenance' AND @first_only::int = 0 AND (v.delivery_day IS NULL OR w.day >= v.delivery_day)
                              AND w.day <= @lock::date) AS maint_count_e
    FROM workshop_visits w
    JOIN vehicles v ON v.id = w.vehicle_id
    WHERE w.dealer_id = @dealer::bigint AND w.day <= @day::date
    GROUP BY w.vehicle_id
), readings AS (
    SELECT DISTINCT ON (vehicle_id, day) vehicle_id, day, km
    FROM (
        SELECT o.vehicle_id, o.day, o.km, 0 AS src
        FROM odometer_readings o
        JOIN vehicles v ON v.id = o.vehicle_id
        WHERE v.dealer_id = @dealer::bigint AND o.day <= @day::date
        UNION ALL
        SELECT w.vehicle_id, w.day, w.mileage, 1
        FROM workshop_visits w
        WHERE w.dealer_id = @dealer::bigint AND w.mileage IS NOT NULL AND w.day <= @day::date
    ) x
    ORDER BY vehicle_id, day DESC, src
), ranked AS (
    -- rn_t counts readings back from the build day, rn_e from the lock day (the readings
    -- after the lock day come first in the same order, so rn_e = rn_t minus their count).
    SELECT vehicle_id, day, km,
           row_number() OVER (PARTITION BY vehicle_id ORDER BY day DESC) AS rn_t,
           row_number() OVER (PARTITION BY vehicle_id ORDER BY day DESC)
             - count(*) FILTER (WHERE day > @lock::date) OVER (PARTITION BY vehicle_id) AS rn_e
    FROM readings
), r AS (
    SELECT vehicle_id,
           max(day) FILTER (WHERE rn_t = 1) AS d2_t, max(km) FILTER (WHERE rn_t = 1) AS k2_t,
           max(day) FILTER (WHERE rn_t = 2) AS d1_t, max(km) FILTER (WHERE rn_t = 2) AS k1_t,
           max(day) FILTER (WHERE day <= @lock::date AND rn_e = 1) AS d2_e, max(km) FILTER (WHERE day <= @lock::date AND rn_e = 1) AS k2_e,
           max(day) FILTER (WHERE day <= @lock::date AND rn_e = 2) AS d1_e, max(km) FILTER (WHERE day <= @lock::date AND rn_e = 2) AS k1_e
    FROM ranked
    WHERE rn_t <= 2 OR (day <= @lock::date AND rn_e <= 2)
    GROUP BY vehicle_id
), base AS (
    SELECT x.asof, v.id AS vehicle_id, v.customer_id, v.delivery_day,
           x.last_visit, x.last_maint, coalesce(x.maint_count, 0)::int AS maint_count,
           x.d2, x.k2,
           CASE WHEN x.d1 IS NOT NULL THEN x.d1 WHEN v.delivery_day < x.d2 THEN v.delivery_day END AS d1,
           CASE WHEN x.d1 IS NOT NULL THEN x.k1 WHEN v.delivery_day < x.d2 THEN 0 END AS k1
    FROM vehicles v
    LEFT JOIN w ON w.vehicle_id = v.id
    LEFT JOIN r ON r.vehicle_id = v.id
    CROSS JOIN LATERAL (VALUES
        (@day::date, w.last_visit_t, w.last_maint_t, w.maint_count_t, r.d2_t, r.k2_t, r.d1_t, r.k1_t),
        (@lock::date, w.last_visit_e, w.last_maint_e, w.maint_count_e, r.d2_e, r.k2_e, r.d1_e, r.k1_e)
    ) AS x(asof, last_visit, last_maint, maint_count, d2, k2, d1, k1)
    WHERE v.dealer_id = @dealer::bigint AND (v.active OR v.inactive_on > x.asof)
      AND (v.delivery_day IS NULL OR v.delivery_day <= x.asof)
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
SELECT asof, vehicle_id, customer_id, delivery_day, last_visit, last_maint, maint_count,
       ref_day, time_due, km_due, least(time_due, km_due),
       CASE WHEN d1 IS NOT NULL AND k2 > k1
            THEN round(k2 + (asof - d2)::numeric * (k2 - k1) / (d2 - d1))::int
            ELSE k2 END,
       d2, round(km_target)::int
FROM due;
