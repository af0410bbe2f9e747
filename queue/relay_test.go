package queue

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
)

// newQueueRedis returns a client on an empty Redis database leased to the test.
func newQueueRedis(t testing.TB) *redis.Client {
	t.Helper()
	return storetest.NewRedis(t).Client
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// taskIDs lists the ids of the tasks in a state ("pending" or "scheduled") of the default queue.
func taskIDs(t testing.TB, rdb *redis.Client, state string) []string {
	t.Helper()
	ins := asynq.NewInspectorFromRedisClient(rdb)
	var tasks []*asynq.TaskInfo
	var err error
	switch state {
	case "pending":
		tasks, err = ins.ListPendingTasks("default", asynq.PageSize(1000))
	case "scheduled":
		tasks, err = ins.ListScheduledTasks("default", asynq.PageSize(1000))
	}
	if err != nil {
		return nil // a queue never used is reported as not found: no tasks
	}
	var ids []string
	for _, ti := range tasks {
		ids = append(ids, ti.ID)
	}
	sort.Strings(ids)
	return ids
}

func TestRelayEnqueuesEachRowOnceWithTwoRelays(t *testing.T) {
	b := newWorkBundle(t, 0)
	rdb := newQueueRedis(t)
	ctx := context.Background()
	var relays []*Relay
	for range 2 {
		r, err := NewRelay(RelayConfig{DB: b.db, Redis: rdb, Log: quietLog(), PollInterval: 200 * time.Millisecond, BatchSize: 7})
		require.NoError(t, err)
		require.NoError(t, r.Start(ctx))
		relays = append(relays, r)
	}
	const rows = 60
	var want []string
	for i := range rows {
		var id int64
		require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO outbox (dealer_id, task_type, payload) VALUES ($1, 'sms:send', $2) RETURNING id`,
			b.dealer, fmt.Sprintf(`{"message_id": %d}`, i+1)).Scan(&id))
		want = append(want, fmt.Sprintf("outbox:%d", id))
	}
	sort.Strings(want)
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE relayed_at IS NULL`).Scan(&n))
		return n == 0
	}, 10*time.Second, 50*time.Millisecond, "outbox relayed")
	for _, r := range relays {
		r.Shutdown()
	}
	require.Equal(t, int64(rows), relays[0].Relayed()+relays[1].Relayed(), "each row relayed by exactly one relay")
	require.Equal(t, want, taskIDs(t, rdb, "pending"))

	// A row relayed again (the relay died before its commit) collides on its task id.
	_, err := b.db.Exec(ctx, `UPDATE outbox SET relayed_at = NULL WHERE id = (SELECT min(id) FROM outbox)`)
	require.NoError(t, err)
	r, err := NewRelay(RelayConfig{DB: b.db, Redis: rdb, Log: quietLog()})
	require.NoError(t, err)
	n, err := r.Drain(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, want, taskIDs(t, rdb, "pending"), "no second task")
}

func TestHandlersSkipRetryOnBadPayload(t *testing.T) {
	h := &handlers{log: quietLog(), now: time.Now}
	for _, tc := range []struct {
		typ     string
		payload string
		handle  func(context.Context, *asynq.Task) error
	}{
		{TypeBuild, `{`, h.handleBuild},
		{TypeBuild, `{"day":"2026-11-23"}`, h.handleBuild},
		{TypeBuild, `{"dealer_id":1,"day":"23/11/2026"}`, h.handleBuild},
	} {
		err := tc.handle(context.Background(), asynq.NewTask(tc.typ, []byte(tc.payload)))
		require.ErrorIs(t, err, asynq.SkipRetry, "%s %s", tc.typ, tc.payload)
	}
	_, err := NewBuildTask(0, time.Time{})
	require.Error(t, err)
}
