package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/huifang/huifang/store"
)

// RelayConfig configures a Relay.
type RelayConfig struct {
	// DB holds the outbox table.
	DB *pgxpool.Pool
	// Redis is the Asynq broker; the relay does not close it.
	Redis redis.UniversalClient
	// Log receives the relay's log lines.
	Log *slog.Logger
	// PollInterval is the longest the relay waits without a notification before it
	// looks at the outbox anyway; zero means 2s.
	PollInterval time.Duration
	// BatchSize is how many rows one transaction relays; zero means 100.
	BatchSize int
	// Retention is how long a relayed task stays in Redis after it ran, so that a row
	// relayed again (the relay died between enqueue and commit) still collides on its
	// task id; zero means 24h.
	Retention time.Duration
}

// Relay moves outbox rows to Asynq: each unrelayed row becomes a task of the row's type
// and payload with task id "outbox:<id>", and the row is marked relayed in the same
// transaction that locked it (FOR UPDATE SKIP LOCKED, so several relays share the work).
// A task id conflict means the row was enqueued before, and counts as done. The relay
// wakes on the outbox trigger's NOTIFY and polls as a fallback. Its life cycle is
// NewRelay, Start, Shutdown.
type Relay struct {
	cfg     RelayConfig
	client  *asynq.Client
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	relayed atomic.Int64
}

// NewRelay checks cfg and returns a relay that is not running yet.
func NewRelay(cfg RelayConfig) (*Relay, error) {
	if cfg.DB == nil || cfg.Redis == nil {
		return nil, errors.New("outbox relay: DB and Redis are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 2 * time.Second
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 100
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 24 * time.Hour
	}
	return &Relay{cfg: cfg, client: asynq.NewClientFromRedisClient(cfg.Redis)}, nil
}

// Start runs the relay in the background until Shutdown.
func (r *Relay) Start(ctx context.Context) error {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel = cancel
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.run(ctx)
	}()
	return nil
}

// Shutdown stops the relay and waits for the batch in flight to commit or roll back.
func (r *Relay) Shutdown() {
	if r.cancel != nil {
		r.cancel()
	}
	r.wg.Wait()
	_ = r.client.Close()
}

// Relayed returns how many rows this relay has relayed since it was made.
func (r *Relay) Relayed() int64 { return r.relayed.Load() }

// run listens for notifications and drains the outbox after each one, or after each
// poll interval without one.
func (r *Relay) run(ctx context.Context) {
	backoff := r.cfg.PollInterval
	for ctx.Err() == nil {
		err := r.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		r.cfg.Log.Warn("outbox relay: listen failed, retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
}

// listen holds one connection LISTENing on the outbox channel and drains the outbox
// whenever it is woken; it returns on a connection error or when ctx ends.
func (r *Relay) listen(ctx context.Context) error {
	pc, err := r.cfg.DB.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := pc.Hijack() // a LISTENing connection must not go back to the pool
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN huifang_outbox"); err != nil {
		return err
	}
	for {
		if _, err := r.Drain(ctx); err != nil && ctx.Err() == nil {
			r.cfg.Log.Error("outbox relay", "err", err)
		}
		wctx, cancel := context.WithTimeout(ctx, r.cfg.PollInterval)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	}
}

// Drain relays batches until the outbox has no unrelayed row this relay can lock, and
// returns how many rows it relayed.
func (r *Relay) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := r.relayBatch(ctx)
		total += n
		if err != nil || n < r.cfg.BatchSize {
			return total, err
		}
	}
}

// relayBatch relays up to BatchSize rows in one transaction.
func (r *Relay) relayBatch(ctx context.Context) (int, error) {
	var done []int64
	err := store.WithTx(ctx, r.cfg.DB, func(tx pgx.Tx) error {
		q := store.New(tx)
		rows, err := q.ClaimOutbox(ctx, int32(r.cfg.BatchSize))
		if err != nil {
			return fmt.Errorf("claim outbox: %w", err)
		}
		var enqueueErr error
		for _, row := range rows {
			task := asynq.NewTask(row.TaskType, row.Payload)
			_, err := r.client.EnqueueContext(ctx, task,
				asynq.TaskID(fmt.Sprintf("outbox:%d", row.ID)), asynq.Retention(r.cfg.Retention))
			if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
				enqueueErr = fmt.Errorf("enqueue outbox %d (%s): %w", row.ID, row.TaskType, err)
				break
			}
			done = append(done, row.ID)
		}
		if len(done) > 0 {
			if err := q.MarkOutboxRelayed(ctx, store.MarkOutboxRelayedParams{Now: time.Now(), Ids: done}); err != nil {
				return fmt.Errorf("mark outbox relayed: %w", err)
			}
		}
		if enqueueErr != nil {
			// Commit what was enqueued; the rest stays for the next pass.
			r.cfg.Log.Error("outbox relay", "err", enqueueErr)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	r.relayed.Add(int64(len(done)))
	return len(done), nil
}
