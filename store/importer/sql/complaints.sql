-- Complaints: the customer by phone (created when unknown), optionally the vehicle by VIN.

-- block: stage
DROP TABLE IF EXISTS imp_stage;
CREATE TEMP TABLE imp_stage (
    row_no int4, phone text, name text, vin text, opened_on date, closed_on date,
    category text, description text
) ON COMMIT DROP;

-- block: customers
INSERT INTO customers (dealer_id, name, phone)
SELECT DISTINCT ON (phone) @dealer, name, phone FROM imp_stage ORDER BY phone, row_no
ON CONFLICT (dealer_id, phone) DO NOTHING;

-- block: counts
WITH up AS (
    INSERT INTO complaints AS k (dealer_id, customer_id, vehicle_id, opened_on, closed_on, category, description)
    SELECT @dealer, c.id, v.id, s.opened_on, s.closed_on, s.category, s.description
    FROM imp_stage s
    JOIN customers c ON c.dealer_id = @dealer AND c.phone = s.phone
    LEFT JOIN vehicles v ON s.vin <> '' AND v.dealer_id = @dealer AND v.vin = s.vin
    ON CONFLICT (customer_id, opened_on, category, description) DO UPDATE SET
        closed_on = COALESCE(EXCLUDED.closed_on, k.closed_on),
        vehicle_id = COALESCE(EXCLUDED.vehicle_id, k.vehicle_id)
    WHERE (k.closed_on, k.vehicle_id) IS DISTINCT FROM
          (COALESCE(EXCLUDED.closed_on, k.closed_on), COALESCE(EXCLUDED.vehicle_id, k.vehicle_id))
    RETURNING (k.xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up;
