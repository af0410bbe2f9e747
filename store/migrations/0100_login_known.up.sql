-- login_known remembers where each user name last logged in successfully: a user name and
-- address with a recent success keeps logging in while that address is backed off for
-- guessing many user names (a call center behind one office address, one of its machines
-- spraying passwords).
CREATE TABLE login_known (
    username text NOT NULL,
    remote   text NOT NULL,
    last_at  timestamptz NOT NULL,
    PRIMARY KEY (username, remote)
);
CREATE INDEX login_known_last_idx ON login_known (last_at);
-- The limiter reads a user name and address pair's failures.
CREATE INDEX login_failures_pair_idx ON login_failures (username, remote, at);
