DROP INDEX IF EXISTS call_attempts_open_gateway_idx;
ALTER TABLE call_attempts DROP COLUMN IF EXISTS gateway_id;
DROP TABLE IF EXISTS gateways;
