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

// TypeBuild is the Asynq task type that builds one dealer's queue as of one day
// (BuildPayload). The worker routes "queue:" tasks to the queue's handlers; other
// packages register their own prefixes (WorkerConfig.Handlers).
const TypeBuild = "queue:build"

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

// TypeSMSSend is the task type of queue/notify's SMS sender (notify.TypeSMSSend is the
// same), declared here with its payload so that queue can queue an SMS in its caller's
// transaction (the complaint alerts to directors: an sms_messages row and an outbox row
// of this type) without importing notify. notify owns its handler.
const TypeSMSSend = "sms:send"

// SMSSendPayload is the payload of a TypeSMSSend task, and of an sms:send outbox row.
type SMSSendPayload struct {
	// MessageID is the sms_messages row to send.
	MessageID int64 `json:"message_id"`
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

// handlers are the Asynq handlers of the queue's task types.
type handlers struct {
	db  *pgxpool.Pool
	log *slog.Logger
	now func() time.Time
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
