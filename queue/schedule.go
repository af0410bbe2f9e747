package queue

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// VehicleDue is an owner vehicle's next maintenance as known on a day, by the queue's own
// schedule (queue/sql/12_vehicles.sql: time or projected mileage, whichever comes first,
// with the dealer's settings).
type VehicleDue struct {
	// AsOf is the day the schedule was read as of.
	AsOf time.Time
	// VehicleID and CustomerID name the vehicle and its owner.
	VehicleID, CustomerID int64
	// Delivery is the delivery day, LastMaintenance the last maintenance visit known (nil: none).
	Delivery, LastMaintenance *time.Time
	// MaintenanceCount is the number of maintenance visits since delivery known that day:
	// 0 means the next one is the first maintenance.
	MaintenanceCount int
	// Due is the next maintenance's due day; TimeDue and KmDue the two limits (KmDue nil
	// without two readings).
	Due, TimeDue, KmDue *time.Time
}

// Schedule returns the next maintenance of every owner vehicle of the dealer as known on
// each of the days, with the dealer's rules: the same SQL the queue builds with, so a
// figure counts exactly what the queue calls. It writes nothing.
func Schedule(ctx context.Context, db *pgxpool.Pool, dealerID int64, days []time.Time) (map[time.Time][]VehicleDue, error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	return scheduleTx(ctx, tx, dealerID, days, false)
}

// scheduleTx is Schedule in tx; firstOnly counts no maintenance visit, so every vehicle's
// row is its first maintenance as known on the day.
func scheduleTx(ctx context.Context, tx pgx.Tx, dealerID int64, days []time.Time, firstOnly bool) (map[time.Time][]VehicleDue, error) {
	rules, err := LoadRules(ctx, tx, dealerID)
	if err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	var tz string
	if err := tx.QueryRow(ctx, `SELECT time_zone FROM dealers WHERE id = $1`, dealerID).Scan(&tz); err != nil {
		return nil, fmt.Errorf("schedule: dealer %d: %w", dealerID, err)
	}
	args := rules.namedArgs()
	args["dealer"], args["tz"], args["first_only"] = dealerID, tz, 0
	if firstOnly {
		args["first_only"] = 1
	}
	if _, err := execFile(ctx, tx, "00_tables.sql", args); err != nil {
		return nil, fmt.Errorf("schedule: scratch tables: %w", err)
	}
	// The build's settings (see BuildTx): hash joins, room to sort, no JIT compiling.
	if _, err := tx.Exec(ctx, `SELECT set_config('enable_nestloop', 'off', true), set_config('work_mem', '256MB', true), set_config('jit', 'off', true)`); err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	out := map[time.Time][]VehicleDue{}
	seen := map[time.Time]bool{}
	for _, d := range days {
		d = dayOf(d)
		if seen[d] {
			continue
		}
		seen[d] = true
		if _, err := tx.Exec(ctx, `TRUNCATE q_veh`); err != nil {
			return nil, fmt.Errorf("schedule: %w", err)
		}
		args["day"], args["lock"] = d, d
		if _, err := execFile(ctx, tx, "12_vehicles.sql", args); err != nil {
			return nil, fmt.Errorf("schedule as of %s: %w", d.Format(time.DateOnly), err)
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT ON (vehicle_id) vehicle_id, customer_id, delivery_day, last_maint, maint_count, due_day, time_due, km_due
			FROM q_veh WHERE asof = $1 ORDER BY vehicle_id`, d)
		if err != nil {
			return nil, fmt.Errorf("schedule as of %s: %w", d.Format(time.DateOnly), err)
		}
		for rows.Next() {
			v := VehicleDue{AsOf: d}
			if err := rows.Scan(&v.VehicleID, &v.CustomerID, &v.Delivery, &v.LastMaintenance, &v.MaintenanceCount, &v.Due, &v.TimeDue, &v.KmDue); err != nil {
				rows.Close()
				return nil, fmt.Errorf("schedule as of %s: %w", d.Format(time.DateOnly), err)
			}
			out[d] = append(out[d], v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("schedule as of %s: %w", d.Format(time.DateOnly), err)
		}
	}
	return out, nil
}

// FirstMaintenanceDue is one vehicle of the first-maintenance return rate (首保进场率).
type FirstMaintenanceDue struct {
	// VehicleID and CustomerID name the vehicle and its owner.
	VehicleID, CustomerID int64
	// Delivery is the delivery day; Due the first maintenance's due day by the dealer's
	// rule (time or projected mileage) with the facts known on the period's last day.
	Delivery, Due time.Time
	// ByMileage is true when the projected mileage set the due day.
	ByMileage bool
	// Came is the first maintenance visit between delivery and Due + first_maintenance_grace, or nil.
	Came *time.Time
}

// FirstMaintenanceReturn lists the vehicles whose first maintenance fell due by the
// dealer's own rule (the queue's schedule, 12_vehicles.sql: time or projected mileage, the
// dealer's settings, the facts known on the period's last day) with its window (due +
// first_maintenance_grace) closing in [from, to], each with whether a maintenance visit
// came between delivery and the window's close: the first-maintenance return rate is the
// share that came. One pass of the schedule, counting no maintenance visit, so that a
// vehicle that came has its first maintenance's due day too.
func FirstMaintenanceReturn(ctx context.Context, db *pgxpool.Pool, dealerID int64, from, to time.Time) ([]FirstMaintenanceDue, error) {
	from, to = dayOf(from), dayOf(to)
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("first maintenance return: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	rules, err := LoadRules(ctx, tx, dealerID)
	if err != nil {
		return nil, err
	}
	grace := rules.Get("first_maintenance_grace")
	sched, err := scheduleTx(ctx, tx, dealerID, []time.Time{to}, true)
	if err != nil {
		return nil, err
	}
	var out []FirstMaintenanceDue
	var ids []int64
	for _, v := range sched[to] {
		if v.Due == nil || v.Delivery == nil {
			continue
		}
		end := v.Due.AddDate(0, 0, grace)
		if end.Before(from) || end.After(to) {
			continue
		}
		out = append(out, FirstMaintenanceDue{VehicleID: v.VehicleID, CustomerID: v.CustomerID, Delivery: *v.Delivery, Due: *v.Due,
			ByMileage: v.KmDue != nil && v.TimeDue != nil && v.KmDue.Before(*v.TimeDue)})
		ids = append(ids, v.VehicleID)
	}
	rows, err := tx.Query(ctx, `SELECT w.vehicle_id, min(w.day)::date FROM workshop_visits w JOIN vehicles v ON v.id = w.vehicle_id
		WHERE w.vehicle_id = ANY($1) AND w.kind = 'maintenance' AND w.day >= v.delivery_day AND w.day <= $2::date
		GROUP BY w.vehicle_id`, ids, to)
	if err != nil {
		return nil, fmt.Errorf("first maintenance return: %w", err)
	}
	first := map[int64]time.Time{}
	for rows.Next() {
		var id int64
		var d time.Time
		if err := rows.Scan(&id, &d); err != nil {
			rows.Close()
			return nil, fmt.Errorf("first maintenance return: %w", err)
		}
		first[id] = d
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("first maintenance return: %w", err)
	}
	for i := range out {
		if d, ok := first[out[i].VehicleID]; ok && !d.After(out[i].Due.AddDate(0, 0, grace)) {
			out[i].Came = &d
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Due.Equal(out[j].Due) {
			return out[i].Due.Before(out[j].Due)
		}
		return out[i].VehicleID < out[j].VehicleID
	})
	return out, nil
}

// DueNotCome lists the month-end list (应进未进) of month (its first day) as the
// due_not_come rule makes it (queue/sql/28_due_not_come.sql): the owner vehicles whose next
// maintenance, by the schedule known on the last day of the previous month (the list day),
// fell due on or before the 1st of month, and that have had no maintenance visit since the
// list day, up to asOf (the day the list is read).
func DueNotCome(ctx context.Context, db *pgxpool.Pool, dealerID int64, month, asOf time.Time) ([]VehicleDue, error) {
	month = dayOf(month)
	lock := month.AddDate(0, 0, -1)
	sched, err := Schedule(ctx, db, dealerID, []time.Time{lock})
	if err != nil {
		return nil, err
	}
	var out []VehicleDue
	for _, v := range sched[lock] {
		if v.Due == nil || v.Due.After(month) {
			continue
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]int64, len(out))
	for i, v := range out {
		ids[i] = v.VehicleID
	}
	rows, err := db.Query(ctx, `SELECT DISTINCT vehicle_id FROM workshop_visits
		WHERE vehicle_id = ANY($1) AND kind = 'maintenance' AND day > $2::date AND day <= $3::date`, ids, lock, dayOf(asOf))
	if err != nil {
		return nil, fmt.Errorf("due not come: %w", err)
	}
	came := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("due not come: %w", err)
		}
		came[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due not come: %w", err)
	}
	kept := out[:0]
	for _, v := range out {
		if !came[v.VehicleID] {
			kept = append(kept, v)
		}
	}
	return kept, nil
}
