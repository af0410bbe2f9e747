-- 0051_director_search: indexes for the record search's filters that can match few of a
-- dealer's calls (benchmark: agent-ui/BENCH_DIRECTOR.md): a rare SIP status, and one
-- outcome code (the search looks the outcomes up by dealer, code and time).
CREATE INDEX call_attempts_dealer_sip_invite_idx ON call_attempts (dealer_id, sip_status, invite_at DESC, id DESC);
CREATE INDEX call_outcomes_dealer_code_idx ON call_outcomes (dealer_id, code, created_at) INCLUDE (attempt_id);
