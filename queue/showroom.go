package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/phone"
)

// ShowroomVisit is a prospect's visit to the showroom as the reception desk records it.
type ShowroomVisit struct {
	// DealerID is the dealer receiving the visitor.
	DealerID int64
	// Phone is the visitor's normalised phone: an 11-digit mobile or a landline with its
	// 0-prefixed area code.
	Phone string
	// Name and Title address the visitor; blank keeps what is known.
	Name  string
	Title string
	// ArrivedAt is when the visitor arrived; with the phone it identifies the visit, so
	// recording it again (with a leave time) updates the same visit.
	ArrivedAt time.Time
	// LeftAt is when the visitor left; nil while still in the showroom.
	LeftAt *time.Time
	// Consultant is the sales consultant who received the visitor.
	Consultant string
	// IntentLevel is the consultant's grading of the purchase intent (H/A/B/C...).
	IntentLevel string
	// Note is free text.
	Note string
	// ID, when not zero, is the visit to change (one the caller recorded before, such as
	// the API's record of an external id): it gets this phone's prospect and this arrival
	// time instead of a new visit being added.
	ID int64
}

// ShowroomVisitResult says what RecordShowroomVisit stored.
type ShowroomVisitResult struct {
	// DealerID is the dealer that received the visitor.
	DealerID int64
	// CustomerID is the prospect, found by phone or created.
	CustomerID int64
	// VisitID is the showroom_visits row.
	VisitID int64
	// Day is the visit's calendar day in the dealer's zone.
	Day time.Time
	// LeftAt is the visit's leave time as stored, nil while the visitor is still in.
	LeftAt *time.Time
	// Phone is the visitor's normalised number; PhoneValid is false when the prospect's
	// number is known to be wrong.
	Phone      string
	PhoneValid bool
	// Name and Title address the prospect as stored.
	Name, Title string
}

// FieldError is bad input to one of the queue's write functions, naming the field at
// fault (the JSON API's field name; the CLI shows the message).
type FieldError struct {
	// Field is the input field, such as phone or left_at.
	Field string
	// Msg says what is wrong.
	Msg string
}

func (e *FieldError) Error() string { return e.Msg }

// RecordShowroomVisit stores a showroom visit in the caller's transaction: it finds the
// visitor by phone or creates a prospect and inserts or updates the visit. In the same
// transaction it writes a "queue:build" outbox row for the dealer and the visit's day,
// so the relay and a worker put the same-day return visit in the queue within a minute.
// The leave-store care SMS is queue/notify's: callers pass the result to
// notify.LeaveStoreSMSTx in the same transaction.
func RecordShowroomVisit(ctx context.Context, tx pgx.Tx, v ShowroomVisit) (*ShowroomVisitResult, error) {
	number, perr := phone.Normalize(v.Phone)
	if perr != nil {
		return nil, &FieldError{Field: "phone", Msg: fmt.Sprintf("showroom visit: phone %q: %v", v.Phone, perr)}
	}
	v.Phone = number
	if v.ArrivedAt.IsZero() {
		return nil, &FieldError{Field: "arrived_at", Msg: "showroom visit: arrival time is missing"}
	}
	if v.LeftAt != nil && v.LeftAt.Before(v.ArrivedAt) {
		return nil, &FieldError{Field: "left_at", Msg: fmt.Sprintf("showroom visit: left at %s before arriving at %s", v.LeftAt.Format(time.RFC3339), v.ArrivedAt.Format(time.RFC3339))}
	}
	if v.Title != "" && v.Title != "先生" && v.Title != "女士" {
		return nil, &FieldError{Field: "title", Msg: fmt.Sprintf("showroom visit: title %q is not 先生 or 女士", v.Title)}
	}
	q := store.New(tx)
	_, err := q.GetDealer(ctx, v.DealerID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("showroom visit: no dealer %d", v.DealerID)
	}
	if err != nil {
		return nil, fmt.Errorf("showroom visit: dealer %d: %w", v.DealerID, err)
	}
	day, err := q.LocalDay(ctx, store.LocalDayParams{At: v.ArrivedAt, DealerID: v.DealerID})
	if err != nil {
		return nil, fmt.Errorf("showroom visit: local day: %w", err)
	}
	// The prospect's change is dated by the visit's day in its history (migration 0170).
	if _, err := tx.Exec(ctx, `SELECT set_config('huifang.fact_day', $1, true), set_config('huifang.fact_source', 'visit', true)`,
		day.Format(time.DateOnly)); err != nil {
		return nil, fmt.Errorf("showroom visit: %w", err)
	}
	cust, err := q.UpsertShowroomProspect(ctx, store.UpsertShowroomProspectParams{
		DealerID: v.DealerID, Name: v.Name, Title: v.Title, Phone: v.Phone, Day: &day,
		Consultant: v.Consultant, IntentLevel: v.IntentLevel,
	})
	if err != nil {
		return nil, fmt.Errorf("showroom visit: prospect %s: %w", v.Phone, err)
	}
	if v.ID != 0 {
		// Move the caller's visit to its new prospect and arrival, so the upsert below
		// finds it; a clash with another visit of that prospect at that time is an error.
		err := q.MoveShowroomVisit(ctx, store.MoveShowroomVisitParams{CustomerID: cust.ID, ArrivedAt: v.ArrivedAt, ID: v.ID, DealerID: v.DealerID})
		if store.IsUniqueViolation(err) {
			return nil, &FieldError{Field: "arrived_at", Msg: fmt.Sprintf("showroom visit %d: the visitor already has another visit arriving at %s", v.ID, v.ArrivedAt.Format(time.RFC3339))}
		}
		if err != nil {
			return nil, fmt.Errorf("showroom visit %d: %w", v.ID, err)
		}
	}
	visit, err := q.UpsertShowroomVisit(ctx, store.UpsertShowroomVisitParams{
		DealerID: v.DealerID, CustomerID: cust.ID, ArrivedAt: v.ArrivedAt, LeftAt: v.LeftAt,
		Consultant: v.Consultant, IntentLevel: v.IntentLevel, Note: v.Note,
	})
	if err != nil {
		return nil, fmt.Errorf("showroom visit: %w", err)
	}
	res := &ShowroomVisitResult{DealerID: v.DealerID, CustomerID: cust.ID, VisitID: visit.ID, Day: day,
		LeftAt: visit.LeftAt, Phone: v.Phone, PhoneValid: cust.PhoneValid, Name: cust.Name, Title: cust.Title}

	if err := insertOutbox(ctx, q, v.DealerID, TypeBuild, BuildPayload{DealerID: v.DealerID, Day: day.Format(time.DateOnly)}); err != nil {
		return nil, fmt.Errorf("showroom visit: %w", err)
	}
	return res, nil
}

// InsertOutboxTx writes, in the caller's transaction (or on db), an outbox row whose task
// the relay enqueues after commit: taskType with payload as JSON.
func InsertOutboxTx(ctx context.Context, db store.DBTX, dealerID int64, taskType string, payload any) error {
	return insertOutbox(ctx, store.New(db), dealerID, taskType, payload)
}

// insertOutbox writes an outbox row whose task the relay enqueues after commit.
func insertOutbox(ctx context.Context, q *store.Queries, dealerID int64, taskType string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("outbox %s: %w", taskType, err)
	}
	if _, err := q.InsertOutbox(ctx, store.InsertOutboxParams{DealerID: &dealerID, TaskType: taskType, Payload: b}); err != nil {
		return fmt.Errorf("outbox %s: %w", taskType, err)
	}
	return nil
}
