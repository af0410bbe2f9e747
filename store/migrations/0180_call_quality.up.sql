-- Call quality (issue 15): each side's audio as the gateway received it, stored with the
-- call record. packets and lost are RFC 3550 counts (lost: expected less received),
-- jitter the interarrival jitter at the end, rtt the RTCP round trip (for a browser phone
-- the ICE round trip; NULL when unknown), mos the E-model estimate (telephony/media).
-- NULL for a side that sent no audio. mos is the worse side's, the one the "poor quality
-- calls" filter reads (below 3.6).
ALTER TABLE call_attempts
    ADD COLUMN customer_packets   bigint,
    ADD COLUMN customer_lost      bigint,
    ADD COLUMN customer_jitter_ms real,
    ADD COLUMN customer_rtt_ms    real,
    ADD COLUMN customer_mos       real,
    ADD COLUMN agent_packets      bigint,
    ADD COLUMN agent_lost         bigint,
    ADD COLUMN agent_jitter_ms    real,
    ADD COLUMN agent_rtt_ms       real,
    ADD COLUMN agent_mos          real,
    ADD COLUMN mos                real;

CREATE INDEX call_attempts_poor_quality_idx ON call_attempts (dealer_id, invite_at) WHERE mos < 3.6;
