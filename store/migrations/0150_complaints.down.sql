ALTER TABLE users DROP COLUMN IF EXISTS mobile;
ALTER TABLE spot_checks DROP COLUMN IF EXISTS sample_day, DROP COLUMN IF EXISTS source;
DROP TABLE IF EXISTS low_score_acks, call_scores, complaint_events;
DROP INDEX IF EXISTS complaints_untold_idx;
DROP INDEX IF EXISTS complaints_dealer_status_idx;
DROP TRIGGER IF EXISTS complaint_defaults ON complaints;
DROP FUNCTION IF EXISTS complaint_defaults();
ALTER TABLE complaints
    DROP COLUMN IF EXISTS told_resolve_overdue_at, DROP COLUMN IF EXISTS told_respond_overdue_at,
    DROP COLUMN IF EXISTS told_open_at, DROP COLUMN IF EXISTS reopened, DROP COLUMN IF EXISTS closed_at,
    DROP COLUMN IF EXISTS resolution_note, DROP COLUMN IF EXISTS resolved_at, DROP COLUMN IF EXISTS response_note,
    DROP COLUMN IF EXISTS responded_at, DROP COLUMN IF EXISTS resolve_due, DROP COLUMN IF EXISTS respond_due,
    DROP COLUMN IF EXISTS opened_at, DROP COLUMN IF EXISTS attempt_id, DROP COLUMN IF EXISTS outcome_id,
    DROP COLUMN IF EXISTS opened_by, DROP COLUMN IF EXISTS owner_user_id, DROP COLUMN IF EXISTS source,
    DROP COLUMN IF EXISTS severity, DROP COLUMN IF EXISTS status;
