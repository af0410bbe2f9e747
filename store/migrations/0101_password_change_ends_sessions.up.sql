-- A changed login password ends the user's console sessions, whatever changed it (the
-- admin's page, huifang user passwd, SQL by hand): a session stolen before the change
-- does not outlive it.
CREATE FUNCTION end_sessions_on_password_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM console_sessions WHERE user_id = NEW.id;
    RETURN NEW;
END $$;

CREATE TRIGGER users_password_change_ends_sessions
    AFTER UPDATE OF password_hash ON users
    FOR EACH ROW WHEN (OLD.password_hash IS DISTINCT FROM NEW.password_hash)
    EXECUTE FUNCTION end_sessions_on_password_change();
