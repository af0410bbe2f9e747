-- Benchmark data for one dealer (@dealer) as of @day: @n customers, 80 % of them owners with
-- one vehicle (one in seven owners has a second one), up to four workshop visits a vehicle,
-- one odometer reading, showroom visits, complaints, a recall and do-not-call numbers.
-- Statements are separated by a line ending in ";".
INSERT INTO customers (id, dealer_id, name, title, phone, grade, birthday, consultant, prospect_status, status_day, created_at)
SELECT i, @dealer::bigint, '客户' || i, CASE WHEN i % 2 = 0 THEN '先生' ELSE '女士' END, (13000000000 + i)::text,
       CASE i % 10 WHEN 0 THEN 'premium' WHEN 1 THEN 'potential' WHEN 2 THEN 'potential'
                   WHEN 3 THEN 'general' WHEN 4 THEN 'general' WHEN 6 THEN 'general' END,
       DATE '1960-01-01' + ((i::bigint * 7919) % 15000)::int,
       '顾问' || (i % 50),
       CASE WHEN i % 5 = 0 THEN (ARRAY['open', 'key', 'lost', 'pre_lost'])[1 + (i / 5) % 4] ELSE '' END,
       CASE WHEN i % 5 = 0 THEN @day::date - (i * 7) % 60 END,
       TIMESTAMPTZ '2020-01-01'
FROM generate_series(1, @n::int) AS i;
SELECT setval('customers_id_seq', @n::int);
INSERT INTO vehicles (id, dealer_id, customer_id, vin, plate, brand, model, delivery_day, warranty_end, insurance_end, inspection_due, consultant)
SELECT x.id, @dealer::bigint, x.c, 'LBENCH' || lpad(x.id::text, 11, '0'), '沪A' || lpad((x.id % 100000)::text, 5, '0'), '品牌', '车型',
       x.dd, (x.dd + interval '3 years')::date, x.dd + ((@day::date - x.dd) / 365 + 1) * 365, (x.dd + interval '2 years')::date, '顾问' || (x.c % 50)
FROM (
    SELECT i AS id, i AS c, @day::date - (i * 37) % 1800 AS dd FROM generate_series(1, @n::int) AS i WHERE i % 5 <> 0
    UNION ALL
    SELECT @n::int + i, i, @day::date - (i * 53) % 900 FROM generate_series(1, @n::int) AS i WHERE i % 5 <> 0 AND i % 7 = 0
) x;
SELECT setval('vehicles_id_seq', 2 * @n::int);
INSERT INTO workshop_visits (dealer_id, vehicle_id, customer_id, day, kind, type_label, mileage)
SELECT @dealer::bigint, v.id, v.customer_id, v.delivery_day + (170 * (k + 1) + (v.id % 20))::int,
       CASE WHEN k % 3 = 2 THEN 'repair' ELSE 'maintenance' END,
       CASE WHEN k % 3 = 2 THEN '维修' ELSE '保养' END,
       ((170 * (k + 1) + (v.id % 20)) * (20 + v.id % 40))::int
FROM vehicles v
CROSS JOIN generate_series(0, 3) AS k
WHERE v.dealer_id = @dealer::bigint AND k <= v.id % 4
  AND v.delivery_day + (170 * (k + 1) + (v.id % 20))::int <= @day::date;
INSERT INTO odometer_readings (vehicle_id, day, km)
SELECT v.id, v.delivery_day + (@day::date - v.delivery_day) * 4 / 5 + 1, (((@day::date - v.delivery_day) * 4 / 5 + 1) * (20 + v.id % 40))::int
FROM vehicles v
WHERE v.dealer_id = @dealer::bigint AND v.delivery_day < @day::date - 10;
INSERT INTO showroom_visits (dealer_id, customer_id, arrived_at, consultant)
SELECT @dealer::bigint, i, ((@day::date - i % 3)::timestamp + interval '10 hours') AT TIME ZONE 'Asia/Shanghai', '顾问' || (i % 50)
FROM generate_series(1, @n::int) AS i WHERE i % 50 = 0;
INSERT INTO complaints (dealer_id, customer_id, opened_on, closed_on, category, description)
SELECT @dealer::bigint, i, @day::date - i % 30, CASE WHEN i % 400 = 1 THEN @day::date - i % 5 END, '服务态度', '投诉' || i
FROM generate_series(1, @n::int) AS i WHERE i % 200 = 1 AND @day::date - i % 30 <= coalesce(@day::date - i % 5, @day::date);
INSERT INTO recalls (dealer_id, code, title) VALUES (@dealer::bigint, 'BENCH-R1', '基准召回');
INSERT INTO recall_vehicles (recall_id, vin, imported_on)
SELECT r.id, v.vin, @day::date - 10
FROM vehicles v, recalls r
WHERE v.dealer_id = @dealer::bigint AND r.dealer_id = @dealer::bigint AND v.id % 100 = 3;
INSERT INTO do_not_call (dealer_id, phone, reason)
SELECT @dealer::bigint, (13000000000 + i)::text, 'bench'
FROM generate_series(1, @n::int) AS i WHERE i % 1000 = 7;
