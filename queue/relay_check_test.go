package queue

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
)

// outboxRow returns an outbox row's relayed_at, done_at and redone.
func (b *workBundle) outboxRow(t testing.TB, id int64) (relayed, done *time.Time, redone int) {
	t.Helper()
	require.NoError(t, b.db.QueryRow(context.Background(),
		`SELECT relayed_at, done_at, redone FROM outbox WHERE id = $1`, id).Scan(&relayed, &done, &redone))
	return relayed, done, redone
}

// TestRelayRedoesABuildRedisLost: the relay hands a queue build (asked for by a showroom
// visit or a rule change) to Redis, and Redis loses it (a flush, a restart without its
// append-only file) before a worker runs it. The outbox row stays the truth: within the
// relay's check cycle the build is enqueued again and runs, and its row is marked done
// when it completes (issue 18).
func TestRelayRedoesABuildRedisLost(t *testing.T) {
	b := newWorkBundle(t, 0)
	rdb := newQueueRedis(t)
	ctx := context.Background()
	rowID, err := store.New(b.db).InsertOutbox(ctx, store.InsertOutboxParams{DealerID: &b.dealer, TaskType: TypeBuild,
		Payload: []byte(fmt.Sprintf(`{"dealer_id": %d, "day": "2026-11-23"}`, b.dealer))})
	require.NoError(t, err)

	relay, err := NewRelay(RelayConfig{DB: b.db, Redis: rdb, Log: quietLog(), PollInterval: 50 * time.Millisecond,
		CheckInterval: 100 * time.Millisecond, CheckAfter: 50 * time.Millisecond})
	require.NoError(t, err)
	n, err := relay.Drain(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	relayed, done, _ := b.outboxRow(t, rowID)
	require.NotNil(t, relayed)
	require.Nil(t, done, "relayed is not done")

	require.NoError(t, rdb.FlushDB(ctx).Err(), "Redis loses the task")

	w, err := NewWorker(WorkerConfig{DB: b.db, Redis: rdb, Log: quietLog(), Concurrency: 1, PollInterval: 50 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, w.Start())
	defer w.Shutdown()
	require.NoError(t, relay.Start(ctx))
	defer relay.Shutdown()

	require.Eventually(t, func() bool {
		_, done, _ := b.outboxRow(t, rowID)
		return done != nil
	}, 30*time.Second, 50*time.Millisecond, "the lost build runs within the check cycle")
	_, _, redone := b.outboxRow(t, rowID)
	require.Equal(t, 1, redone)

	// Done rows are not checked again: a second flush redoes nothing.
	require.NoError(t, rdb.FlushDB(ctx).Err())
	res, err := relay.Check(ctx)
	require.NoError(t, err)
	require.Zero(t, res.Checked)
}

// TestRelayCheckClosesCompletedAndLeavesPendingAlone: rows whose task Redis holds as
// completed (the worker could not mark them) are marked done; a row whose task is still
// pending is left alone; nothing is enqueued twice.
func TestRelayCheckClosesCompletedAndLeavesPendingAlone(t *testing.T) {
	b := newWorkBundle(t, 0)
	rdb := newQueueRedis(t)
	ctx := context.Background()
	now := time.Now()
	relay, err := NewRelay(RelayConfig{DB: b.db, Redis: rdb, Log: quietLog(), Now: func() time.Time { return now }})
	require.NoError(t, err)
	defer relay.Shutdown()
	outbox := func(day string) int64 {
		rowID, err := store.New(b.db).InsertOutbox(ctx, store.InsertOutboxParams{DealerID: &b.dealer, TaskType: TypeBuild,
			Payload: []byte(fmt.Sprintf(`{"dealer_id": %d, "day": "%s"}`, b.dealer, day))})
		require.NoError(t, err)
		_, err = relay.Drain(ctx)
		require.NoError(t, err)
		return rowID
	}
	completed := []int64{outbox("2026-11-23"), outbox("2026-11-24")}
	// A bare Asynq server (no outbox bookkeeping: a worker that died before it marked
	// the rows) completes their tasks.
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 1, TaskCheckInterval: 50 * time.Millisecond,
		Logger: asynqLogger{quietLog()}})
	require.NoError(t, srv.Start(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil })))
	ins := asynq.NewInspectorFromRedisClient(rdb)
	require.Eventually(t, func() bool {
		for _, id := range completed {
			info, err := ins.GetTaskInfo("default", fmt.Sprintf("outbox:%d", id))
			if err != nil || info.State != asynq.TaskStateCompleted {
				return false
			}
		}
		return true
	}, 30*time.Second, 50*time.Millisecond)
	srv.Shutdown()
	pending := outbox("2026-11-25")
	_, err = b.db.Exec(ctx, `UPDATE outbox SET relayed_at = $1`, now.Add(-time.Minute))
	require.NoError(t, err)

	res, err := relay.Check(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, res.Checked)
	require.Equal(t, 2, res.Closed)
	require.Empty(t, res.Redone)
	for _, id := range completed {
		_, done, _ := b.outboxRow(t, id)
		require.NotNil(t, done)
	}
	_, done, redone := b.outboxRow(t, pending)
	require.Nil(t, done, "still pending in Redis")
	require.Zero(t, redone)
}
