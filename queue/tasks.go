package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/store"
)

// The Asynq task types the queue owns. The worker routes by prefix: "queue:" tasks to
// the queue's handlers, "sms:" tasks to the SMS handlers.
const (
	// TypeBuild builds one dealer's queue as of one day (BuildPayload).
	TypeBuild = "queue:build"
	// TypeSMSSend sends one queued sms_messages row (SMSSendPayload).
	TypeSMSSend = "sms:send"
)

// BuildPayload is the payload of a TypeBuild task, and of a queue:build outbox row.
type BuildPayload struct {
	// DealerID is the dealer whose queue is built.
	DealerID int64 `json:"dealer_id"`
	// Day is the day built as of (YYYY-MM-DD); empty means today in the dealer's zone
	// when the task runs.
	Day string `json:"day,omitempty"`
}

// NewBuildTask returns a task that builds the dealer's queue as of day; a zero day means
// the dealer's today when the task runs.
func NewBuildTask(dealerID int64, day time.Time) (*asynq.Task, error) {
	b, err := buildPayload(dealerID, day)
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeBuild, b), nil
}

func buildPayload(dealerID int64, day time.Time) ([]byte, error) {
	if dealerID <= 0 {
		return nil, fmt.Errorf("build task: bad dealer id %d", dealerID)
	}
	p := BuildPayload{DealerID: dealerID}
	if !day.IsZero() {
		p.Day = day.Format(time.DateOnly)
	}
	return json.Marshal(p)
}

// SMSSendPayload is the payload of a TypeSMSSend task, and of an sms:send outbox row.
type SMSSendPayload struct {
	// MessageID is the sms_messages row to send.
	MessageID int64 `json:"message_id"`
}

// NewSMSSendTask returns a task that sends the queued SMS messageID.
func NewSMSSendTask(messageID int64) (*asynq.Task, error) {
	if messageID <= 0 {
		return nil, fmt.Errorf("sms task: bad message id %d", messageID)
	}
	b, err := json.Marshal(SMSSendPayload{MessageID: messageID})
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeSMSSend, b), nil
}

// RequestBuild asks, in the caller's transaction, for a build of the dealer's queue as of
// day: a queue:build outbox row, which the relay hands to a worker once tx commits. Every
// write that adds facts (a visit, the API, a rule change) asks for its rebuild this way.
func RequestBuild(ctx context.Context, tx pgx.Tx, dealerID int64, day time.Time) error {
	if day.IsZero() {
		return ErrBadDay
	}
	return insertOutbox(ctx, store.New(tx), dealerID, TypeBuild, BuildPayload{DealerID: dealerID, Day: day.Format(time.DateOnly)})
}

// SMS is one message handed to a Sender.
type SMS struct {
	// ID is the sms_messages row.
	ID int64
	// DealerID is the dealer sending it.
	DealerID int64
	// Phone is the normalised number.
	Phone string
	// Kind is 'service' or 'marketing'.
	Kind string
	// Template names the template the body came from.
	Template string
	// Body is the text to send.
	Body string
}

// Sender delivers SMS messages. It is called once a message is ready (queued, not on
// the do-not-call list, due) and records the result on the sms_messages row: 'sent' with
// its provider and provider id, or an error for Asynq to retry. A real carrier sender
// comes with the automated campaigns; LogSender is the development sender.
type Sender interface {
	// Send delivers msg and records that it was sent.
	Send(ctx context.Context, msg SMS) error
}

// LogSender is the development sender: it sends nothing, logs the message and records it
// as 'sent' by provider "dev-log". Never use it where customers expect real messages.
type LogSender struct {
	// DB is where the message is marked sent.
	DB *pgxpool.Pool
	// Log receives one line per message.
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Send logs msg and marks it sent by the development provider.
func (s LogSender) Send(ctx context.Context, msg SMS) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if s.Log != nil {
		s.Log.Info("sms (development sender, not sent)", "id", msg.ID, "dealer", msg.DealerID, "phone", msg.Phone, "template", msg.Template, "body", msg.Body)
	}
	err := store.New(s.DB).MarkSMSSent(ctx, store.MarkSMSSentParams{
		SentAt: now(), Provider: "dev-log", ProviderID: fmt.Sprintf("dev-%d", msg.ID), ID: msg.ID,
	})
	if err != nil {
		return fmt.Errorf("dev sender: mark sms %d sent: %w", msg.ID, err)
	}
	return nil
}

// handlers are the Asynq handlers of the queue's task types.
type handlers struct {
	db     *pgxpool.Pool
	sender Sender
	log    *slog.Logger
	now    func() time.Time
	// metrics counts webhook deliveries; webhookClient posts them (webhook.go).
	metrics       *Metrics
	webhookClient *http.Client
}

// handleBuild runs Build for the payload's dealer and day.
func (h *handlers) handleBuild(ctx context.Context, t *asynq.Task) error {
	var p BuildPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("%s: bad payload %q: %v: %w", TypeBuild, t.Payload(), err, asynq.SkipRetry)
	}
	if p.DealerID <= 0 {
		return fmt.Errorf("%s: payload has no dealer id: %w", TypeBuild, asynq.SkipRetry)
	}
	q := store.New(h.db)
	var day time.Time
	if p.Day != "" {
		d, err := time.Parse(time.DateOnly, p.Day)
		if err != nil {
			return fmt.Errorf("%s: bad day %q: %w", TypeBuild, p.Day, asynq.SkipRetry)
		}
		day = d
	} else {
		d, err := q.LocalDay(ctx, store.LocalDayParams{At: h.now(), DealerID: p.DealerID})
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%s: no dealer %d: %w", TypeBuild, p.DealerID, asynq.SkipRetry)
		}
		if err != nil {
			return fmt.Errorf("%s dealer %d: %w", TypeBuild, p.DealerID, err)
		}
		day = d
	}
	if _, err := q.GetDealer(ctx, p.DealerID); errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: no dealer %d: %w", TypeBuild, p.DealerID, asynq.SkipRetry)
	}
	// Every fact this task was asked for had committed before it ran (the relay only sees
	// committed rows), so a build that began after now covers it.
	var asked time.Time
	if err := h.db.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&asked); err != nil {
		return fmt.Errorf("%s dealer %d: %w", TypeBuild, p.DealerID, err)
	}
	start := time.Now()
	res, err := Build(ctx, h.db, BuildParams{DealerID: p.DealerID, Day: day, UnlessBuiltSince: asked})
	if err != nil {
		return fmt.Errorf("%s dealer %d day %s: %w", TypeBuild, p.DealerID, day.Format(time.DateOnly), err)
	}
	if res.Skipped {
		h.log.Debug("queue build skipped: a newer build covers it", "dealer", p.DealerID, "day", day.Format(time.DateOnly))
		return nil
	}
	h.log.Info("queue built", "dealer", p.DealerID, "day", day.Format(time.DateOnly), "took", time.Since(start))
	return nil
}

// handleSMSSend checks that a queued message may go out and hands it to the Sender.
func (h *handlers) handleSMSSend(ctx context.Context, t *asynq.Task) error {
	var p SMSSendPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("%s: bad payload %q: %v: %w", TypeSMSSend, t.Payload(), err, asynq.SkipRetry)
	}
	if p.MessageID <= 0 {
		return fmt.Errorf("%s: payload has no message id: %w", TypeSMSSend, asynq.SkipRetry)
	}
	var msg *SMS
	err := store.WithTx(ctx, h.db, func(tx pgx.Tx) error {
		q := store.New(tx)
		m, err := q.LockSMSMessage(ctx, p.MessageID)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%s: no message %d: %w", TypeSMSSend, p.MessageID, asynq.SkipRetry)
		}
		if err != nil {
			return fmt.Errorf("%s message %d: %w", TypeSMSSend, p.MessageID, err)
		}
		if m.Status != "queued" {
			return nil // sent, suppressed or failed before: nothing to do
		}
		dnc, err := q.PhoneOnDoNotCall(ctx, store.PhoneOnDoNotCallParams{DealerID: m.DealerID, Phone: m.Phone})
		if err != nil {
			return fmt.Errorf("%s message %d: %w", TypeSMSSend, p.MessageID, err)
		}
		if dnc {
			return q.MarkSMSSuppressed(ctx, store.MarkSMSSuppressedParams{Reason: "do not call", ID: m.ID})
		}
		if m.NotBefore != nil && m.NotBefore.After(h.now()) {
			return fmt.Errorf("%s message %d: not before %s", TypeSMSSend, m.ID, m.NotBefore.Format(time.RFC3339))
		}
		msg = &SMS{ID: m.ID, DealerID: m.DealerID, Phone: m.Phone, Kind: m.Kind, Template: m.Template, Body: m.Body}
		return nil
	})
	if err != nil || msg == nil {
		return err
	}
	if err := h.sender.Send(ctx, *msg); err != nil {
		return fmt.Errorf("%s message %d: %w", TypeSMSSend, msg.ID, err)
	}
	return nil
}
