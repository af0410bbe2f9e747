-- 0231_gateway_leases: a call belongs to one gateway (issue 16 item 2). Each running
-- gateway (the one inside each `huifang serve`) holds a lease here, renewed every few
-- seconds; each call attempt names the gateway that placed it. When a gateway's lease
-- runs out (its process died), any other serve closes that gateway's unfinished attempts
-- as trunk failures (not customer attempts) and gives their tasks back to the queue.
CREATE TABLE gateways (
    id           text PRIMARY KEY,
    -- sip_addr is the gateway's SIP address (HUIFANG_SIP_ADDR), for the operator.
    sip_addr     text NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL,
    -- draining: stopping (SIGTERM), placing no new calls, waiting for its calls to end.
    draining     boolean NOT NULL DEFAULT false
);

ALTER TABLE call_attempts ADD COLUMN gateway_id text NOT NULL DEFAULT '';
CREATE INDEX call_attempts_open_gateway_idx ON call_attempts (gateway_id) WHERE outcome = '' AND gateway_id <> '';
