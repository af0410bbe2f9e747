-- name: SetWorkshopHours :execrows
-- A dealer's workshop hours (接车时间), which appointments are checked against.
UPDATE dealers SET workshop_open = @open::time, workshop_close = @close::time, workshop_days = @days::smallint[]
WHERE id = @id;
