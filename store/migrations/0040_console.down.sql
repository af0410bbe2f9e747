DROP TABLE IF EXISTS login_failures;
DROP TABLE IF EXISTS console_sessions;
DROP TABLE IF EXISTS script_versions;
