-- name: SetDealerCallWindow :execrows
-- SetDealerCallWindow stores a dealer's calling window (queue.SaveCallWindow checks it).
UPDATE dealers SET call_window_start = @start, call_window_end = @end_at, same_day_window_end = @same_day_end
WHERE id = @id;

-- name: PutHoliday :one
-- PutHoliday adds a holiday, or renames it when the day is listed; inserted is false then.
INSERT INTO dealer_holidays (dealer_id, day, name) VALUES (@dealer_id, @day, @name)
ON CONFLICT (dealer_id, day) DO UPDATE SET name = EXCLUDED.name
RETURNING (xmax = 0) AS inserted;

-- name: RemoveHoliday :execrows
DELETE FROM dealer_holidays WHERE dealer_id = @dealer_id AND day = @day;

-- name: ListCampaignSettingOverrides :many
-- ListCampaignSettingOverrides returns the dealer's overridden rule settings.
SELECT key, value FROM campaign_settings WHERE dealer_id = $1 ORDER BY key;
