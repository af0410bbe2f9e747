DROP TRIGGER IF EXISTS users_password_change_ends_sessions ON users;
DROP FUNCTION IF EXISTS end_sessions_on_password_change();
