package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// WorkerConfig configures a Worker.
type WorkerConfig struct {
	// DB is the Postgres pool the handlers use.
	DB *pgxpool.Pool
	// Redis is the Asynq broker; the worker does not close it.
	Redis redis.UniversalClient
	// Log receives the worker's and Asynq's log lines.
	Log *slog.Logger
	// Concurrency is how many tasks run at once; zero means 10.
	Concurrency int
	// Sender sends SMS; nil is an error (use LogSender in development).
	Sender Sender
	// Handlers adds task handlers by type prefix (such as "message:"), for task types
	// other packages own; the queue's own prefixes "queue:" and "sms:" cannot be replaced.
	Handlers map[string]asynq.Handler
	// PollInterval is how often an idle worker looks for tasks; zero means Asynq's 1s.
	PollInterval time.Duration
	// Now is the clock for "today"; nil means time.Now.
	Now func() time.Time
	// Metrics counts webhook deliveries; nil counts nothing.
	Metrics *Metrics
	// WebhookClient posts webhooks; nil means a client with a 10 s timeout.
	WebhookClient *http.Client
	// WebhookRetryDelay is the wait before retry n of a webhook delivery; nil means 30 s
	// doubling up to 2 h (deliveries are given up WebhookWindow after they started).
	WebhookRetryDelay func(n int) time.Duration
}

// Worker runs the Asynq server that executes the queue's tasks (builds, SMS) and any
// extra handlers. Its life cycle is NewWorker, Start, Shutdown, like Asynq's own
// components.
type Worker struct {
	srv *asynq.Server
	mux *asynq.ServeMux
	log *slog.Logger
}

// NewWorker checks cfg and returns a worker that is not running yet.
func NewWorker(cfg WorkerConfig) (*Worker, error) {
	if cfg.DB == nil || cfg.Redis == nil {
		return nil, errors.New("queue worker: DB and Redis are required")
	}
	if cfg.Sender == nil {
		return nil, errors.New("queue worker: an SMS Sender is required (LogSender in development)")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.WebhookClient == nil {
		cfg.WebhookClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.WebhookRetryDelay == nil {
		cfg.WebhookRetryDelay = webhookBackoff
	}
	h := &handlers{db: cfg.DB, sender: cfg.Sender, log: cfg.Log, now: cfg.Now, metrics: cfg.Metrics, webhookClient: cfg.WebhookClient}
	queueMux := asynq.NewServeMux()
	queueMux.HandleFunc(TypeBuild, h.handleBuild)
	smsMux := asynq.NewServeMux()
	smsMux.HandleFunc(TypeSMSSend, h.handleSMSSend)
	smsMux.HandleFunc(TypeSMSBatch, h.handleSMSBatch) // campaign batches (sms_batch.go)
	mux := asynq.NewServeMux()
	mux.Handle("queue:", queueMux)
	mux.Handle("sms:", smsMux)
	mux.HandleFunc(TypeWebhookDeliver, h.handleWebhookDeliver) // webhook.go
	for prefix, handler := range cfg.Handlers {
		if prefix == "queue:" || prefix == "sms:" || prefix == "webhook:" {
			return nil, fmt.Errorf("queue worker: prefix %q belongs to the queue package", prefix)
		}
		mux.Handle(prefix, handler)
	}
	srv := asynq.NewServerFromRedisClient(cfg.Redis, asynq.Config{
		Concurrency:       cfg.Concurrency,
		Logger:            asynqLogger{cfg.Log},
		TaskCheckInterval: cfg.PollInterval,
		RetryDelayFunc: func(n int, err error, t *asynq.Task) time.Duration {
			if strings.HasPrefix(t.Type(), "webhook:") {
				return cfg.WebhookRetryDelay(n)
			}
			return asynq.DefaultRetryDelayFunc(n, err, t)
		},
		ErrorHandler: asynq.ErrorHandlerFunc(func(_ context.Context, t *asynq.Task, err error) {
			cfg.Log.Error("task failed", "type", t.Type(), "err", err)
		}),
	})
	return &Worker{srv: srv, mux: mux, log: cfg.Log}, nil
}

// Start starts processing tasks and returns at once.
func (w *Worker) Start() error {
	if err := w.srv.Start(w.mux); err != nil {
		return fmt.Errorf("queue worker: %w", err)
	}
	return nil
}

// Shutdown stops taking new tasks and waits for running ones (up to Asynq's shutdown
// timeout, 8s by default); unfinished tasks go back to Redis and run again later.
func (w *Worker) Shutdown() {
	w.srv.Shutdown()
}

// asynqLogger sends Asynq's log lines to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }

// Fatal logs at error level; Asynq does not call it on its own paths, and a library
// must not exit the process.
func (a asynqLogger) Fatal(args ...any) {
	a.l.Error(fmt.Sprint(args...), "component", "asynq", "fatal", true)
}
