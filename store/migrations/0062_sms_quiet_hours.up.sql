-- 0062_sms_quiet_hours: per-dealer quiet hours for marketing SMS (issue 7).
-- No marketing SMS between 21:00 and 08:00 in the dealer's time zone; a dealer may widen
-- that period with settings.sms_quiet_start and settings.sms_quiet_end ("HH:MM", checked
-- by queue.ValidateQuietHours when saved), never narrow it. These functions give the
-- effective bounds: a missing or malformed value is the default, and a value that would
-- narrow the period is clamped to it (start at 21:00 at the latest, end at 08:00 at the
-- earliest), so whatever is stored the period always holds 21:00-08:00. They are
-- IMMUTABLE (make_time, not a text to time cast, which is only STABLE) so the planner
-- inlines them into the claim statements.

-- sms_quiet_start is the time of day the dealer's quiet hours start.
CREATE FUNCTION sms_quiet_start(settings jsonb) RETURNS time
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT LEAST(CASE WHEN settings->>'sms_quiet_start' ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
                      THEN make_time(split_part(settings->>'sms_quiet_start', ':', 1)::int, split_part(settings->>'sms_quiet_start', ':', 2)::int, 0) ELSE time '21:00' END, time '21:00')
$$;

-- sms_quiet_end is the time of day the dealer's quiet hours end.
CREATE FUNCTION sms_quiet_end(settings jsonb) RETURNS time
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT GREATEST(CASE WHEN settings->>'sms_quiet_end' ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
                         THEN make_time(split_part(settings->>'sms_quiet_end', ':', 1)::int, split_part(settings->>'sms_quiet_end', ':', 2)::int, 0) ELSE time '08:00' END, time '08:00')
$$;
