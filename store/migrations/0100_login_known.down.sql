DROP INDEX IF EXISTS login_failures_pair_idx;
DROP TABLE IF EXISTS login_known;
