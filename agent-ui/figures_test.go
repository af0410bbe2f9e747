package agentui

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/queue"
)

// testFigures is the console's Figures on the queue's schedule, as cmd wires it.
type testFigures struct{ db *pgxpool.Pool }

func (f testFigures) FirstMaintenance(ctx context.Context, dealerID int64, from, to time.Time) ([]FirstMaintenanceDue, error) {
	rows, err := queue.FirstMaintenanceReturn(ctx, f.db, dealerID, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]FirstMaintenanceDue, len(rows))
	for i, r := range rows {
		out[i] = FirstMaintenanceDue{VehicleID: r.VehicleID, CustomerID: r.CustomerID, Delivery: r.Delivery, Due: r.Due, ByMileage: r.ByMileage, Came: r.Came}
	}
	return out, nil
}

func (f testFigures) DueNotCome(ctx context.Context, dealerID int64, month, asOf time.Time) ([]DueVehicle, error) {
	rows, err := queue.DueNotCome(ctx, f.db, dealerID, month, asOf)
	if err != nil {
		return nil, err
	}
	out := make([]DueVehicle, len(rows))
	for i, r := range rows {
		out[i] = DueVehicle{VehicleID: r.VehicleID, CustomerID: r.CustomerID, LastMaintenance: r.LastMaintenance, MaintenanceCount: r.MaintenanceCount}
		if r.Due != nil {
			out[i].Due = *r.Due
		}
	}
	return out, nil
}
