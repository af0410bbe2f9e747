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
	return scheduleTx(ctx, tx, dealerID, days)
}

func scheduleTx(ctx context.Context, tx pgx.Tx, dealerID int64, days []time.Time) (map[time.Time][]VehicleDue, error) {
	rules, err := LoadRules(ctx, tx, dealerID)
	if err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	var tz string
	if err := tx.QueryRow(ctx, `SELECT time_zone FROM dealers WHERE id = $1`, dealerID).Scan(&tz); err != nil {
		return nil, fmt.Errorf("schedule: dealer %d: %w", dealerID, err)
	}
	args := rules.namedArgs()
	args["dealer"], args["tz"] = dealerID, tz
	if _, err := execFile(ctx, tx, "00_tables.sql", args); err != nil {
		return nil, fmt.Errorf("schedule: scratch tables: %w", err)
	}
	if _, err := tx.Exec(ctx, `SET LOCAL enable_nestloop = off`); err != nil {
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
	// rule (time or projected mileage) as known the day before the first maintenance visit,
	// or on the period's last day when there was none.
	Delivery, Due time.Time
	// ByMileage is true when the projected mileage set the due day.
	ByMileage bool
	// Came is the first maintenance visit between delivery and Due + first_maintenance_grace, or nil.
	Came *time.Time
}

// FirstMaintenanceReturn lists the vehicles whose first maintenance fell due in [from, to]
// by the dealer's own rule (the queue's schedule, time or projected mileage, the dealer's
// settings), each with whether a maintenance visit came between delivery and its due day +
// first_maintenance_grace: the first-maintenance return rate is the share that came. The
// due day of a vehicle that came is the one known the day before that visit, as the queue
// knew it when it called.
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
	months, grace := rules.Get("first_maintenance_months"), rules.Get("first_maintenance_grace")
	// The vehicles that came for a first maintenance by the end of the period and could
	// have fallen due in it (due is between delivery and delivery + months).
	rows, err := tx.Query(ctx, `SELECT v.id, min(w.day)::date
		FROM vehicles v JOIN workshop_visits w ON w.vehicle_id = v.id AND w.kind = 'maintenance' AND w.day >= v.delivery_day
		WHERE v.dealer_id = $1 AND v.delivery_day IS NOT NULL AND v.delivery_day + $4::int <= $3::date
		  AND (v.delivery_day + make_interval(months => $5::int))::date + $4::int >= $2::date
		GROUP BY v.id HAVING min(w.day) <= $3::date`, dealerID, from, to, grace, months)
	if err != nil {
		return nil, fmt.Errorf("first maintenance return: %w", err)
	}
	firstVisit := map[int64]time.Time{}
	days := []time.Time{to}
	for rows.Next() {
		var id int64
		var d time.Time
		if err := rows.Scan(&id, &d); err != nil {
			rows.Close()
			return nil, fmt.Errorf("first maintenance return: %w", err)
		}
		firstVisit[id] = d
		days = append(days, d.AddDate(0, 0, -1))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("first maintenance return: %w", err)
	}
	sched, err := scheduleTx(ctx, tx, dealerID, days)
	if err != nil {
		return nil, err
	}
	var out []FirstMaintenanceDue
	in := func(due time.Time) bool {
		end := due.AddDate(0, 0, grace)
		return !end.Before(from) && !end.After(to)
	}
	add := func(v VehicleDue, came *time.Time) {
		if v.Due == nil || v.Delivery == nil || !in(*v.Due) {
			return
		}
		f := FirstMaintenanceDue{VehicleID: v.VehicleID, CustomerID: v.CustomerID, Delivery: *v.Delivery, Due: *v.Due,
			ByMileage: v.KmDue != nil && v.TimeDue != nil && v.KmDue.Before(*v.TimeDue)}
		if came != nil && !came.After(v.Due.AddDate(0, 0, grace)) {
			f.Came = came
		}
		out = append(out, f)
	}
	for _, v := range sched[to] {
		if v.MaintenanceCount == 0 {
			if _, ok := firstVisit[v.VehicleID]; !ok {
				add(v, nil)
			}
		}
	}
	for _, d := range days[1:] {
		for _, v := range sched[dayOf(d)] {
			fv, ok := firstVisit[v.VehicleID]
			if ok && v.MaintenanceCount == 0 && dayOf(fv.AddDate(0, 0, -1)).Equal(dayOf(d)) {
				fv := fv
				add(v, &fv)
				delete(firstVisit, v.VehicleID)
			}
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
