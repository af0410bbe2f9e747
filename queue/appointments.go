package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	_, err := bookTx(ctx, e.q, booking{dealerID: e.dealerID, customerID: task.CustomerID, field: "appointment_at", at: at,
		kind: "other", source: "call", outcomeID: &outcomeID, by: agent, now: e.now})
	return err
}

// booking is one appointment to book (bookTx).
type booking struct {
	dealerID, customerID int64
	// field names the time in errors (appointment_at for the console, at for the page).
	field         string
	at            time.Time
	kind, advisor string
	vehicleID     *int64
	// source is call or director.
	source    string
	outcomeID *int64
	by        *int64
	now       time.Time
}

// bookTx books an appointment in the caller's transaction, as a call's outcome and a
// director's booking both do: the time checked against the workshop hours (a
// *WorkshopHoursError naming b.field), the row written, and the customer's other open
// bookings from today on marked rescheduled by it.
func bookTx(ctx context.Context, q *store.Queries, b booking) (int64, error) {
	if err := CheckAppointmentTime(ctx, q, b.dealerID, b.field, b.at); err != nil {
		return 0, err
	}
	day, err := q.LocalDay(ctx, store.LocalDayParams{At: b.at, DealerID: b.dealerID})
	if err != nil {
		return 0, fmt.Errorf("appointment day: %w", err)
	}
	id, err := q.InsertAppointment(ctx, store.InsertAppointmentParams{DealerID: b.dealerID, CustomerID: b.customerID,
		VehicleID: b.vehicleID, At: b.at, Day: day, Kind: b.kind, Advisor: b.advisor, Source: b.source,
		CallOutcomeID: b.outcomeID, CreatedBy: b.by})
	if err != nil {
		return 0, fmt.Errorf("appointment for customer %d: %w", b.customerID, err)
	}
	today, err := q.LocalDay(ctx, store.LocalDayParams{At: b.now, DealerID: b.dealerID})
	if err != nil {
		return 0, fmt.Errorf("dealer %d local day: %w", b.dealerID, err)
	}
	if err := q.RescheduleOpenAppointments(ctx, store.RescheduleOpenAppointmentsParams{Now: &b.now, CustomerID: b.customerID,
		Today: today, KeepID: id}); err != nil {
		return 0, fmt.Errorf("reschedule appointments of customer %d: %w", b.customerID, err)
	}
	return id, nil
}

// AppointmentKinds are the kinds of appointment (预约) in the order forms list them.
func AppointmentKinds() []string {
	return []string{"maintenance", "repair", "inspection", "test_drive", "other"}
}

// ErrAppointmentPast is a booking for a time that has passed.
var ErrAppointmentPast = errors.New("appointment time has passed")

// ErrNoCustomer is a customer the dealer does not have.
var ErrNoCustomer = errors.New("no such customer")

// BookParams is an appointment a director books for a customer (BookAppointment).
type BookParams struct {
	DealerID   int64
	CustomerID int64
	// VehicleID is the customer's car it is for; nil for none.
	VehicleID *int64
	// At is the time booked; it must be after Now and inside the workshop hours.
	At time.Time
	// Kind is one of AppointmentKinds; Advisor is the service advisor, free text.
	Kind, Advisor string
	// UserID is the director (audited, created_by).
	UserID int64
	// Now is the current instant.
	Now time.Time
}

// BookAppointment books (or, for a customer with a booking, reschedules) an appointment
// for a customer as a director on the customer's booking page: the same booking as a call's
// (bookTx: workshop hours, the other open bookings rescheduled), source director, with an
// audit row (appointment.book) and a rebuild of today's queue, in one transaction. A time
// outside the workshop hours is a *WorkshopHoursError naming field "at"; a past time is
// ErrAppointmentPast, an unknown kind a *FieldError, an unknown customer or car
// ErrNoCustomer.
func BookAppointment(ctx context.Context, db store.TxBeginner, p BookParams) (int64, error) {
	if !slices.Contains(AppointmentKinds(), p.Kind) {
		return 0, &FieldError{Field: "kind", Msg: fmt.Sprintf("kind %q is not one of %v", p.Kind, AppointmentKinds())}
	}
	if !p.At.After(p.Now) {
		return 0, fmt.Errorf("appointment at %s: %w", p.At.Format(time.RFC3339), ErrAppointmentPast)
	}
	var id int64
	err := store.WithTx(ctx, db, func(tx pgx.Tx) error {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1 AND dealer_id = $2)
			AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM vehicles WHERE id = $3 AND customer_id = $1 AND dealer_id = $2))`,
			p.CustomerID, p.DealerID, p.VehicleID).Scan(&ok); err != nil {
			return fmt.Errorf("appointment for customer %d: %w", p.CustomerID, err)
		}
		if !ok {
			return fmt.Errorf("customer %d: %w", p.CustomerID, ErrNoCustomer)
		}
		q := store.New(tx)
		var err error
		id, err = bookTx(ctx, q, booking{dealerID: p.DealerID, customerID: p.CustomerID, field: "at", at: p.At, kind: p.Kind,
			advisor: p.Advisor, vehicleID: p.VehicleID, source: "director", by: nullID(p.UserID), now: p.Now})
		if err != nil {
			return err
		}
		b, _ := json.Marshal(map[string]any{"customer": p.CustomerID, "at": p.At, "kind": p.Kind, "advisor": p.Advisor})
		if err := q.InsertAudit(ctx, store.InsertAuditParams{DealerID: &p.DealerID, UserID: nullID(p.UserID),
			Action: "appointment.book", SubjectType: "appointment", SubjectID: &id, Detail: b}); err != nil {
			return fmt.Errorf("appointment %d: audit: %w", id, err)
		}
		today, err := q.LocalDay(ctx, store.LocalDayParams{At: p.Now, DealerID: p.DealerID})
		if err != nil {
			return fmt.Errorf("dealer %d local day: %w", p.DealerID, err)
		}
		return RequestBuild(ctx, tx, p.DealerID, today)
	})
	return id, err
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
