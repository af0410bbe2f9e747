package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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
	// NoListen makes the relay poll every PollInterval without LISTENing, for a DB
	// reached through a pooler in transaction mode (where a LISTEN does not stay on the
	// client's server connection).
	NoListen bool
	// BatchSize is how many rows one transaction relays; zero means 100.
	BatchSize int
	// Retention is how long a relayed task stays in Redis after it ran, so that a row
	// relayed again (the relay died between enqueue and commit) still collides on its
	// task id; zero means 24h.
	Retention time.Duration
	// CheckInterval is how often the relay checks the rows it relayed whose work has not
	// completed against Redis, and relays again those whose task Redis lost (a flush, a
	// restart without persistence, a failover) or whose worker died holding it; zero
	// means 10s.
	CheckInterval time.Duration
	// CheckAfter leaves alone the rows relayed less than this long ago; zero means 10s.
	CheckAfter time.Duration
	// Now is the clock of the check; nil means time.Now.
	Now func() time.Time
	// Recovered, when set, is called once per check that redid or closed rows, with the
	// counts (a metric).
	Recovered func(OutboxCheckResult)
}

// Relay moves outbox rows to Asynq: each unrelayed row becomes a task of the row's type
// and payload with task id "outbox:<id>", and the row is marked relayed in the same
// transaction that locked it (FOR UPDATE SKIP LOCKED, so several relays share the work).
// A task id conflict means the row was enqueued before, and counts as relayed. The relay
// wakes on the outbox trigger's NOTIFY and polls as a fallback.
//
// The row in Postgres stays the truth until the work is done: the worker marks it done
// when its task completes (or fails for good), and every CheckInterval the relay looks
// up the relayed rows not done in Redis: a task Redis no longer holds is enqueued again
// (its handler is idempotent), a task Redis holds as completed or archived marks its row
// done, and a build or SMS task left active by a worker that died (its Asynq lease
// expired) is enqueued again under a task id of its own ("outbox:<id>:<n>"), so it runs
// within seconds of the lease's end rather than when Asynq's recoverer finds it (a
// minute after the lease, then its retry delay). So work lost with Redis or with a
// worker is redone within a minute. Its life cycle is NewRelay, Start, Shutdown.
type Relay struct {
	cfg       RelayConfig
	client    *asynq.Client
	inspector *asynq.Inspector
	// kick asks for a check now (Redis answers again after a failure).
	kick    chan struct{}
	failed  atomic.Bool
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
	if cfg.CheckInterval <= 0 {
		cfg.CheckInterval = 10 * time.Second
	}
	if cfg.CheckAfter <= 0 {
		cfg.CheckAfter = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Relay{cfg: cfg, client: asynq.NewClientFromRedisClient(cfg.Redis),
		inspector: asynq.NewInspectorFromRedisClient(cfg.Redis), kick: make(chan struct{}, 1)}, nil
}

// Start runs the relay in the background until Shutdown.
func (r *Relay) Start(ctx context.Context) error {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel = cancel
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		r.run(ctx)
	}()
	go func() {
		defer r.wg.Done()
		// A relay that starts checks at once (the process may have restarted after a
		// Redis that lost its data); then on the cycle, every poll interval while the
		// check fails (Redis down), and at once when the relay reaches Redis again.
		for {
			wait := r.cfg.CheckInterval
			if _, err := r.Check(ctx); err != nil && ctx.Err() == nil {
				r.cfg.Log.Warn("outbox check", "err", err)
				wait = r.cfg.PollInterval
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			case <-r.kick:
				t.Stop()
			}
		}
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
	_ = r.inspector.Close()
}

// Relayed returns how many rows this relay has relayed since it was made.
func (r *Relay) Relayed() int64 { return r.relayed.Load() }

// run listens for notifications and drains the outbox after each one, or after each
// poll interval without one.
func (r *Relay) run(ctx context.Context) {
	if r.cfg.NoListen {
		r.poll(ctx)
		return
	}
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

// poll drains the outbox every poll interval until ctx ends.
func (r *Relay) poll(ctx context.Context) {
	t := time.NewTicker(r.cfg.PollInterval)
	defer t.Stop()
	for {
		if _, err := r.Drain(ctx); err != nil && ctx.Err() == nil {
			r.cfg.Log.Error("outbox relay", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
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
			r.failed.Store(true)
		} else if len(rows) > 0 && r.failed.Swap(false) {
			// Redis answers again: check now what it may have lost.
			select {
			case r.kick <- struct{}{}:
			default:
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	r.relayed.Add(int64(len(done)))
	return len(done), nil
}

// OutboxCheckResult counts what one outbox check found.
type OutboxCheckResult struct {
	// Checked rows were relayed, not done, and looked up in Redis.
	Checked int
	// Redone rows had lost their task (it is enqueued again), or their task was left
	// active by a dead worker (a replacement is enqueued).
	Redone []int64
	// Orphaned counts the rows of Redone whose task a dead worker held.
	Orphaned int
	// Closed rows had their task completed or archived in Redis: now done.
	Closed int
}

// Check looks up in Redis every row relayed more than CheckAfter ago whose work is not
// done: a task Redis lost is enqueued again (with the same task id) and the row counted
// redone; a task Redis holds as completed or archived marks the row done; a task of a
// dead worker gets a replacement (orphanTask). It logs one line when it redid anything,
// naming the rows and their task types.
func (r *Relay) Check(ctx context.Context) (*OutboxCheckResult, error) {
	res := &OutboxCheckResult{}
	redoneTypes := map[string]int{}
	orphans, err := r.orphans()
	if err != nil {
		return res, err
	}
	// A client of its own: an Asynq client records the queues it has published once, and
	// a Redis that lost its data lost that record too.
	client := asynq.NewClientFromRedisClient(r.cfg.Redis)
	defer client.Close()
	var after int64
	for {
		n, last, err := r.checkPage(ctx, client, after, orphans, res, redoneTypes)
		if err != nil {
			return res, err
		}
		if n < r.cfg.BatchSize {
			break
		}
		after = last
	}
	if len(res.Redone) > 0 {
		r.cfg.Log.Warn("outbox check: Redis had lost tasks or a worker died holding them; enqueued again", "rows", len(res.Redone),
			"of_dead_workers", res.Orphaned, "types", redoneTypes, "ids", firstIDs(res.Redone, 20))
	}
	if r.cfg.Recovered != nil && (len(res.Redone) > 0 || res.Closed > 0) {
		r.cfg.Recovered(*res)
	}
	return res, nil
}

// checkPage checks up to BatchSize rows after id after, in one transaction that locks
// them (so two relays do not redo a row twice); it returns how many it read and the last id.
func (r *Relay) checkPage(ctx context.Context, client *asynq.Client, after int64, orphans map[string]bool, res *OutboxCheckResult, redoneTypes map[string]int) (int, int64, error) {
	var n int
	var last int64
	now := r.cfg.Now()
	err := store.WithTx(ctx, r.cfg.DB, func(tx pgx.Tx) error {
		q := store.New(tx)
		rows, err := q.UndoneOutboxForCheck(ctx, store.UndoneOutboxForCheckParams{
			After: after, Before: now.Add(-r.cfg.CheckAfter), Max: int32(r.cfg.BatchSize),
		})
		if err != nil {
			return fmt.Errorf("outbox check: %w", err)
		}
		n = len(rows)
		var redone, closed []int64
		for _, row := range rows {
			last = row.ID
			res.Checked++
			taskID := fmt.Sprintf("outbox:%d", row.ID)
			info, err := r.inspector.GetTaskInfo("default", taskID)
			switch {
			case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
				// Enqueued again under its own id; a conflict means Redis has the task
				// after all (it lost only its list of queues, which this fresh client
				// writes again).
				task := asynq.NewTask(row.TaskType, row.Payload)
				_, err := client.EnqueueContext(ctx, task, asynq.TaskID(taskID), asynq.Retention(r.cfg.Retention))
				if errors.Is(err, asynq.ErrTaskIDConflict) {
					continue
				}
				if err != nil {
					return fmt.Errorf("outbox check: enqueue %d again: %w", row.ID, err)
				}
				redone = append(redone, row.ID)
				redoneTypes[row.TaskType]++
			case err != nil:
				return fmt.Errorf("outbox check: look up %s: %w", taskID, err)
			case info.State == asynq.TaskStateCompleted || info.State == asynq.TaskStateArchived:
				closed = append(closed, row.ID)
			case info.State == asynq.TaskStateActive && orphans[taskID] && orphanRedoable(row.TaskType):
				ok, err := r.replaceOrphan(ctx, client, row.ID, int(row.Redone), row.TaskType, row.Payload, orphans)
				if err != nil {
					return err
				}
				if ok {
					redone = append(redone, row.ID)
					redoneTypes[row.TaskType]++
					res.Orphaned++
				}
			}
		}
		if len(redone) > 0 {
			if err := q.MarkOutboxRedone(ctx, store.MarkOutboxRedoneParams{Now: now, Ids: redone}); err != nil {
				return fmt.Errorf("outbox check: %w", err)
			}
		}
		if len(closed) > 0 {
			if err := q.MarkOutboxDoneMany(ctx, store.MarkOutboxDoneManyParams{Now: now, Ids: closed}); err != nil {
				return fmt.Errorf("outbox check: %w", err)
			}
		}
		res.Redone = append(res.Redone, redone...)
		res.Closed += len(closed)
		return nil
	})
	return n, last, err
}

// orphans returns the ids of the tasks Asynq holds as active whose lease has expired:
// the worker that took them died (or lost Redis, and then stopped them).
func (r *Relay) orphans() (map[string]bool, error) {
	out := map[string]bool{}
	for page := 1; ; page++ {
		tasks, err := r.inspector.ListActiveTasks("default", asynq.PageSize(500), asynq.Page(page))
		if errors.Is(err, asynq.ErrQueueNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("outbox check: active tasks: %w", err)
		}
		for _, t := range tasks {
			if t.IsOrphaned {
				out[t.ID] = true
			}
		}
		if len(tasks) < 500 {
			return out, nil
		}
	}
}

// orphanRedoable reports whether a task left by a dead worker may run again at once,
// while Asynq still holds the first one (its recoverer runs it again later): the build
// skips what a newer build saw, and an SMS is claimed in Postgres before it is sent, so
// a second run sends nothing twice. Webhooks and message calls wait for Asynq.
func orphanRedoable(taskType string) bool {
	return strings.HasPrefix(taskType, "queue:") || strings.HasPrefix(taskType, "sms:")
}

// replaceOrphan enqueues a replacement "outbox:<id>:<redone+1>" for an outbox row whose
// task a dead worker held, unless the previous replacement is still waiting or running;
// it reports whether it enqueued one.
func (r *Relay) replaceOrphan(ctx context.Context, client *asynq.Client, id int64, redone int, taskType string, payload []byte, orphans map[string]bool) (bool, error) {
	if redone > 0 {
		prev := fmt.Sprintf("outbox:%d:%d", id, redone)
		info, err := r.inspector.GetTaskInfo("default", prev)
		switch {
		case errors.Is(err, asynq.ErrTaskNotFound):
		case err != nil:
			return false, fmt.Errorf("outbox check: look up %s: %w", prev, err)
		case info.State == asynq.TaskStateActive && orphans[prev]:
		default:
			return false, nil // waiting, running, or done (its worker marks the row)
		}
	}
	taskID := fmt.Sprintf("outbox:%d:%d", id, redone+1)
	_, err := client.EnqueueContext(ctx, asynq.NewTask(taskType, payload), asynq.TaskID(taskID), asynq.Retention(r.cfg.Retention))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("outbox check: replace %s: %w", taskID, err)
	}
	return true, nil
}

// firstIDs returns at most n of ids, for a log line.
func firstIDs(ids []int64, n int) []int64 {
	if len(ids) > n {
		return ids[:n]
	}
	return ids
}
