DROP INDEX IF EXISTS call_attempts_poor_quality_idx;
ALTER TABLE call_attempts
    DROP COLUMN IF EXISTS customer_packets,
    DROP COLUMN IF EXISTS customer_lost,
    DROP COLUMN IF EXISTS customer_jitter_ms,
    DROP COLUMN IF EXISTS customer_rtt_ms,
    DROP COLUMN IF EXISTS customer_mos,
    DROP COLUMN IF EXISTS agent_packets,
    DROP COLUMN IF EXISTS agent_lost,
    DROP COLUMN IF EXISTS agent_jitter_ms,
    DROP COLUMN IF EXISTS agent_rtt_ms,
    DROP COLUMN IF EXISTS agent_mos,
    DROP COLUMN IF EXISTS mos;
