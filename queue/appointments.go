package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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

// ErrAppointmentNotFound is an appointment id the dealer does not have.
var ErrAppointmentNotFound = errors.New("no such appointment")

// ErrAppointmentNotBooked is an appointment the desk cannot change: not booked (arrived,
// cancelled, rescheduled already) or not on one of the desk's days.
var ErrAppointmentNotBooked = errors.New("appointment is not booked for today or tomorrow")

// DeskMarkParams says which appointment the service desk marks and how.
type DeskMarkParams struct {
	// DealerID is the desk's dealer; the appointment must be one of its own.
	DealerID int64
	// ID is the appointment.
	ID int64
	// Status is "arrived" or "cancelled".
	Status string
	// Days are the days the desk may change (today and tomorrow).
	Days []time.Time
	// UserID is who marks it (audited).
	UserID int64
	// Now is the current instant.
	Now time.Time
}

// DeskMarkAppointment marks a booked appointment of one of p.Days arrived (the customer is
// at the desk) or cancelled, with an audit row (appointment.arrived, appointment.cancelled),
// in one transaction. An arrival is read by the no_show rule through appointment_arrivals.
func DeskMarkAppointment(ctx context.Context, db store.TxBeginner, p DeskMarkParams) error {
	if p.Status != "arrived" && p.Status != "cancelled" {
		return fmt.Errorf("appointment %d: status %q is not arrived or cancelled", p.ID, p.Status)
	}
	return store.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := store.New(tx)
		n, err := q.DeskSetAppointmentStatus(ctx, store.DeskSetAppointmentStatusParams{Status: p.Status, Now: &p.Now,
			ID: p.ID, DealerID: p.DealerID, Days: p.Days})
		if err != nil {
			return fmt.Errorf("appointment %d: %w", p.ID, err)
		}
		if n == 0 {
			if _, err := q.AppointmentStatusOf(ctx, store.AppointmentStatusOfParams{ID: p.ID, DealerID: p.DealerID}); errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("appointment %d: %w", p.ID, ErrAppointmentNotFound)
			} else if err != nil {
				return fmt.Errorf("appointment %d: %w", p.ID, err)
			}
			return fmt.Errorf("appointment %d: %w", p.ID, ErrAppointmentNotBooked)
		}
		b, _ := json.Marshal(map[string]any{"status": p.Status})
		if err := q.InsertAudit(ctx, store.InsertAuditParams{DealerID: &p.DealerID, UserID: nullID(p.UserID),
			Action: "appointment." + p.Status, SubjectType: "appointment", SubjectID: &p.ID, Detail: b}); err != nil {
			return fmt.Errorf("appointment %d: audit: %w", p.ID, err)
		}
		return nil
	})
}
