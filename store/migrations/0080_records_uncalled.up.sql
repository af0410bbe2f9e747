-- The call-record search (DirectorListCalls) lists outcomes saved without a call next to
-- the calls, newest first: this small partial index finds a dealer's in a day range.
CREATE INDEX call_outcomes_uncalled_idx ON call_outcomes (dealer_id, created_at DESC, id) WHERE attempt_id IS NULL;
