-- name: RecordSMSReports :many
-- RecordSMSReports applies many delivery reports in one statement, as RecordSMSReport
-- does one; each message id appears at most once in the arrays. It locks the messages in
-- id order first (as every statement that updates several messages does), so it cannot
-- deadlock with a sender or another batch. It returns the ids of the messages found (a
-- report for an unknown id stores nothing).
WITH x AS (
    SELECT unnest(@ids::bigint[]) AS id, unnest(@kinds::text[]) AS kind, unnest(@codes::text[]) AS code,
           unnest(@details::text[]) AS detail, unnest(@ats::timestamptz[]) AS at
), lk AS (
    SELECT s.id FROM sms_messages s WHERE s.id = ANY (@ids::bigint[]) ORDER BY s.id FOR UPDATE
), upd AS (
    UPDATE sms_messages s
    SET status = CASE
            WHEN x.kind = 'delivered' THEN 'delivered'
            WHEN x.kind IN ('failed', 'rejected') AND s.status <> 'delivered' THEN 'failed'
            WHEN x.kind IN ('submitted', 'buffered') AND s.status IN ('sending', 'queued') THEN 'sent'
            ELSE s.status END,
        delivered_at = CASE WHEN x.kind = 'delivered' THEN x.at ELSE s.delivered_at END,
        sent_at = COALESCE(s.sent_at, x.at),
        error = CASE WHEN x.kind IN ('failed', 'rejected') AND s.status <> 'delivered' THEN x.detail ELSE s.error END
    FROM x JOIN lk ON lk.id = x.id
    WHERE s.id = x.id
    RETURNING s.id
), ins AS (
    INSERT INTO sms_events (message_id, kind, code, detail, at)
    SELECT x.id, x.kind, x.code, x.detail, x.at FROM x JOIN upd ON upd.id = x.id
    RETURNING message_id
)
SELECT message_id FROM ins;
