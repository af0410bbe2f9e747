package queue

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/huifang/huifang/store"
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
	// Handlers adds task handlers by type prefix, for task types other packages own (such
	// as queue/notify's "sms:"); the queue's own prefixes "queue:" and "webhook:" cannot
	// be replaced.
	Handlers map[string]asynq.Handler
	// PollInterval is how often an idle worker looks for tasks; zero means Asynq's 1s.
	PollInterval time.Duration
	// Now is the clock for "today" and for the heartbeat; nil means time.Now.
	Now func() time.Time
	// Metrics counts webhook deliveries; nil counts nothing.
	Metrics *Metrics
	// WebhookClient posts webhooks; nil means a client with a 10 s timeout.
	WebhookClient *http.Client
	// WebhookRetryDelay is the wait before retry n of a webhook delivery; nil means 30 s
	// doubling up to 2 h (deliveries are given up WebhookWindow after they started).
	WebhookRetryDelay func(n int) time.Duration
	// ID names this worker process in queue_workers and on the SMS claims its handlers take;
	// empty means host:pid:random.
	ID string
	// Heartbeat is how often the worker records that it is alive; zero means 5s. The SMS
	// sweep takes the claims of a worker silent for three heartbeats as stranded.
	Heartbeat time.Duration
}

// Worker runs the Asynq server that executes the queue's tasks (builds, webhooks) and
// the handlers other packages register (queue/notify's SMS). Its life cycle is NewWorker, Start, Shutdown, like Asynq's own
// components.
type Worker struct {
	srv    *asynq.Server
	mux    *asynq.ServeMux
	log    *slog.Logger
	cfg    WorkerConfig
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewWorker checks cfg and returns a worker that is not running yet.
func NewWorker(cfg WorkerConfig) (*Worker, error) {
	if cfg.DB == nil || cfg.Redis == nil {
		return nil, errors.New("queue worker: DB and Redis are required")
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
	if cfg.ID == "" {
		cfg.ID = NewWorkerID()
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 5 * time.Second
	}
	h := &handlers{db: cfg.DB, log: cfg.Log, now: cfg.Now, metrics: cfg.Metrics, webhookClient: cfg.WebhookClient}
	queueMux := asynq.NewServeMux()
	queueMux.HandleFunc(TypeBuild, h.handleBuild)
	queueMux.HandleFunc(TypeSpotCheckSample, handleSpotCheckSample(cfg.DB, cfg.Now)) // spotcheck.go
	mux := asynq.NewServeMux()
	mux.Handle("queue:", queueMux)
	mux.HandleFunc(TypeWebhookDeliver, h.handleWebhookDeliver) // webhook.go
	for prefix, handler := range cfg.Handlers {
		if prefix == "queue:" || prefix == "webhook:" {
			return nil, fmt.Errorf("queue worker: prefix %q belongs to the queue package", prefix)
		}
		mux.Handle(prefix, handler)
	}
	mux.Use(func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			err := next.ProcessTask(withWorkerID(ctx, cfg.ID), t)
			markOutboxDone(ctx, cfg.DB, cfg.Log, cfg.Now, err)
			return err
		})
	})
	srv := asynq.NewServerFromRedisClient(cfg.Redis, asynq.Config{
		Concurrency:       cfg.Concurrency,
		Logger:            asynqLogger{cfg.Log},
		TaskCheckInterval: cfg.PollInterval,
		RetryDelayFunc: func(n int, err error, t *asynq.Task) time.Duration {
			switch {
			case strings.HasPrefix(t.Type(), "webhook:"):
				return cfg.WebhookRetryDelay(n)
			case strings.HasPrefix(t.Type(), "sms:") || strings.HasPrefix(t.Type(), "queue:"):
				return shortRetryDelay(n)
			}
			return asynq.DefaultRetryDelayFunc(n, err, t)
		},
		ErrorHandler: asynq.ErrorHandlerFunc(func(_ context.Context, t *asynq.Task, err error) {
			cfg.Log.Error("task failed", "type", t.Type(), "err", err)
		}),
	})
	return &Worker{srv: srv, mux: mux, log: cfg.Log, cfg: cfg}, nil
}

// ID is the worker's name in queue_workers and on its SMS claims.
func (w *Worker) ID() string { return w.cfg.ID }

// Start records the worker's first heartbeat, starts processing tasks and keeps beating
// until Shutdown; it returns at once.
func (w *Worker) Start() error {
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.beat(ctx)
	if err := w.srv.Start(w.mux); err != nil {
		cancel()
		return fmt.Errorf("queue worker: %w", err)
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(w.cfg.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				w.beat(ctx)
			}
		}
	}()
	return nil
}

// beat records that the worker is alive.
func (w *Worker) beat(ctx context.Context) {
	host, _ := os.Hostname()
	err := store.New(w.cfg.DB).BeatQueueWorker(ctx, store.BeatQueueWorkerParams{
		ID: w.cfg.ID, Host: host, Pid: int32(os.Getpid()), At: w.cfg.Now(),
	})
	if err != nil && ctx.Err() == nil {
		w.log.Warn("queue worker: heartbeat", "err", err)
	}
}

// Shutdown stops taking new tasks and waits for running ones (up to Asynq's shutdown
// timeout, 8s by default); unfinished tasks go back to Redis and run again later. Then
// it stops the heartbeat and removes the worker's row: a sender that stopped cleanly
// gave its claims back, and what it still holds is stranded at once.
func (w *Worker) Shutdown() {
	w.srv.Shutdown()
	if w.cancel != nil {
		w.cancel()
	}
	w.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := store.New(w.cfg.DB).DeleteQueueWorker(ctx, w.cfg.ID); err != nil {
		w.log.Warn("queue worker: remove heartbeat", "err", err)
	}
}

// shortRetryDelay is the wait before retry n (from 0) of a build or SMS task: 1 s
// doubling up to 30 s. Their failures are Redis or Postgres unreachable for a while (a
// restart, an outage, a lease lost with Redis), and the work should resume within
// seconds of the end of the fault, not after Asynq's default backoff (15-45 s for the
// first retry, then n^4 s). A provider that refuses messages is not retried this way:
// each message counts its own attempts in Postgres (ProviderSender.MaxAttempts).
func shortRetryDelay(n int) time.Duration {
	if n >= 5 {
		return 30 * time.Second
	}
	return time.Second << n
}

// NewWorkerID returns a name for a worker process: host, pid and a random suffix, so a
// restarted process never takes over the claims of the one before.
func NewWorkerID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%x", host, os.Getpid(), b)
}

// workerIDKey carries the worker's id in a handler's context.
type workerIDKey struct{}

func withWorkerID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, workerIDKey{}, id)
}

// WorkerID is the id of the worker running the handler whose context ctx is, "" outside
// a worker; SMS claims carry it.
func WorkerID(ctx context.Context) string {
	id, _ := ctx.Value(workerIDKey{}).(string)
	return id
}

// markOutboxDone records that the task of an outbox row ("outbox:<id>") completed: it
// succeeded, failed for good, or used its last retry. A task that will run again is not
// done.
func markOutboxDone(ctx context.Context, db *pgxpool.Pool, log *slog.Logger, now func() time.Time, err error) {
	taskID, _ := asynq.GetTaskID(ctx)
	id, ok := outboxRowID(taskID)
	if !ok {
		return
	}
	if err != nil && !errors.Is(err, asynq.SkipRetry) {
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		if retried < maxRetry {
			return
		}
	}
	if merr := store.New(db).MarkOutboxDone(context.WithoutCancel(ctx), store.MarkOutboxDoneParams{Now: now(), ID: id}); merr != nil {
		// The outbox check finds the task completed in Redis and marks it then.
		log.Warn("outbox: mark done", "outbox", id, "err", merr)
	}
}

// outboxRowID reads the outbox row id of a task id "outbox:<id>", or of a replacement
// "outbox:<id>:<n>" the relay enqueued for a task a dead worker held.
func outboxRowID(taskID string) (int64, bool) {
	rest, ok := strings.CutPrefix(taskID, "outbox:")
	if !ok {
		return 0, false
	}
	rest, _, _ = strings.Cut(rest, ":")
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
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
