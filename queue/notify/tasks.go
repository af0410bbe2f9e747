package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// TaskPrefix is the prefix of the Asynq task types notify owns; the queue worker routes
// them to the handler of NewHandler (queue.WorkerConfig.Handlers).
const TaskPrefix = "sms:"

// TypeSMSSend sends one queued sms_messages row (SMSSendPayload). It is declared in
// queue, which writes such outbox rows too (complaint alerts), and handled here.
const TypeSMSSend = queue.TypeSMSSend

// SMSSendPayload is the payload of a TypeSMSSend task, and of an sms:send outbox row.
type SMSSendPayload = queue.SMSSendPayload

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
// is a ProviderSender; LogSender is the development sender.
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

// HandlerConfig configures NewHandler.
type HandlerConfig struct {
	// DB holds the messages.
	DB *pgxpool.Pool
	// Sender sends the messages; nil means a LogSender on DB (the development sender,
	// which sends nothing).
	Sender Sender
	// Log receives the handlers' lines; nil means slog.Default().
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// smsHandlers are the Asynq handlers of notify's task types.
type smsHandlers struct {
	db     *pgxpool.Pool
	sender Sender
	log    *slog.Logger
	now    func() time.Time
}

// NewHandler returns the Asynq handler of notify's task types (TypeSMSSend,
// TypeSMSBatch), to register on the queue worker under TaskPrefix:
//
//	queue.WorkerConfig{Handlers: map[string]asynq.Handler{notify.TaskPrefix: h}}
func NewHandler(cfg HandlerConfig) (asynq.Handler, error) {
	if cfg.DB == nil {
		return nil, errors.New("notify handler: DB is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sender == nil {
		cfg.Sender = LogSender{DB: cfg.DB, Log: cfg.Log, Now: cfg.Now}
	}
	return newSMSHandlers(cfg).mux(), nil
}

func newSMSHandlers(cfg HandlerConfig) *smsHandlers {
	return &smsHandlers{db: cfg.DB, sender: cfg.Sender, log: cfg.Log, now: cfg.Now}
}

// mux routes notify's task types to their handlers.
func (h *smsHandlers) mux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.HandleFunc(TypeSMSSend, h.handleSMSSend)
	mux.HandleFunc(TypeSMSBatch, h.handleSMSBatch) // broadcast batches (sms_batch.go)
	return mux
}

// handleSMSSend checks that a queued message may go out and hands it to the Sender.
func (h *smsHandlers) handleSMSSend(ctx context.Context, t *asynq.Task) error {
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
