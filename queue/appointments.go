package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/huifang/huifang/store"
)

// bookFromCall records the appointment an agent booked in a call (outcome code
// "appointment") as an appointments row (source call), which the appointment.booked
// webhook and the service desk read; the customer's open bookings from today on are
// rescheduled by it (docs/domain.md, "After the call"). The outcome form has no kind or
// advisor yet, so the kind is "other".
func (e effector) bookFromCall(ctx context.Context, task store.LockCallTaskRow, outcomeID int64, at time.Time, agent *int64) error {
	if err := CheckAppointmentTime(ctx, e.q, e.dealerID, "appointment_at", at); err != nil {
		return err
	}
	day, err := e.q.LocalDay(ctx, store.LocalDayParams{At: at, DealerID: e.dealerID})
	if err != nil {
		return fmt.Errorf("appointment day: %w", err)
	}
	id, err := e.q.InsertAppointment(ctx, store.InsertAppointmentParams{DealerID: e.dealerID, CustomerID: task.CustomerID,
		At: at, Day: day, Kind: "other", Source: "call", CallOutcomeID: &outcomeID, CreatedBy: agent})
	if err != nil {
		return fmt.Errorf("appointment for customer %d: %w", task.CustomerID, err)
	}
	today, err := e.today(ctx)
	if err != nil {
		return err
	}
	if err := e.q.RescheduleOpenAppointments(ctx, store.RescheduleOpenAppointmentsParams{Now: &e.now, CustomerID: task.CustomerID,
		Today: today, KeepID: id}); err != nil {
		return fmt.Errorf("reschedule appointments of customer %d: %w", task.CustomerID, err)
	}
	return nil
}
