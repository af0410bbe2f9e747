package queue

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// TestHelperDyingWorker is not a test: run by TestRelayRedoesTheTaskOfAKilledWorker in
// a process of its own, it is an Asynq worker that takes one task, says so and hangs
// until it is killed.
func TestHelperDyingWorker(t *testing.T) {
	url := os.Getenv("HUIFANG_TEST_DYING_WORKER_REDIS")
	if url == "" {
		t.Skip("helper process only")
	}
	opt, err := redis.ParseURL(url)
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 1, TaskCheckInterval: 50 * time.Millisecond,
		Logger: asynqLogger{quietLog()}})
	require.NoError(t, srv.Start(asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		fmt.Printf("took %s\n", id)
		<-ctx.Done()
		return ctx.Err()
	})))
	select {} // until killed
}

// TestRelayRedoesTheTaskOfAKilledWorker: a worker process takes a queue build and is
// killed (SIGKILL). Asynq itself runs the task again only when its recoverer, every
// minute, finds the lease 30 s expired, and then after the retry delay (100-106 s in
// make faults, issue 18). The relay's check sees the lease expired and enqueues a
// replacement, which a live worker runs and which marks the outbox row done; a second
// check enqueues no other (slow: waits for the 30 s lease).
func TestRelayRedoesTheTaskOfAKilledWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for Asynq's 30 s lease")
	}
	b := newWorkBundle(t, 0)
	r := storetest.NewRedis(t)
	ctx := context.Background()
	rowID, err := store.New(b.db).InsertOutbox(ctx, store.InsertOutboxParams{DealerID: &b.dealer, TaskType: TypeBuild,
		Payload: []byte(fmt.Sprintf(`{"dealer_id": %d, "day": "2026-11-23"}`, b.dealer))})
	require.NoError(t, err)
	relay, err := NewRelay(RelayConfig{DB: b.db, Redis: r.Client, Log: quietLog(), CheckAfter: time.Millisecond})
	require.NoError(t, err)
	defer relay.Shutdown()
	_, err = relay.Drain(ctx)
	require.NoError(t, err)

	dying := exec.Command(os.Args[0], "-test.run=^TestHelperDyingWorker$", "-test.count=1")
	dying.Env = append(os.Environ(), "HUIFANG_TEST_DYING_WORKER_REDIS="+r.URL)
	out, err := dying.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, dying.Start())
	defer func() { _ = dying.Process.Kill(); _ = dying.Wait() }()
	took := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "took "); ok {
				took <- id
			}
		}
	}()
	select {
	case id := <-took:
		require.Equal(t, fmt.Sprintf("outbox:%d", rowID), id)
	case <-time.After(30 * time.Second):
		t.Fatal("the worker process took no task")
	}
	require.NoError(t, dying.Process.Kill())
	_ = dying.Wait()
	killed := time.Now()

	res, err := relay.Check(ctx)
	require.NoError(t, err)
	require.Empty(t, res.Redone, "the lease has not expired: the worker may be alive")

	w, err := NewWorker(WorkerConfig{DB: b.db, Redis: r.Client, Log: quietLog(), Concurrency: 1, PollInterval: 50 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, w.Start())
	defer w.Shutdown()
	require.Eventually(t, func() bool {
		res, err := relay.Check(ctx)
		require.NoError(t, err)
		return res.Orphaned == 1
	}, 45*time.Second, 500*time.Millisecond, "the relay replaces the task once its lease has expired")
	require.Eventually(t, func() bool {
		_, done, _ := b.outboxRow(t, rowID)
		return done != nil
	}, 10*time.Second, 50*time.Millisecond, "the replacement runs and marks the row done")
	t.Logf("build of a killed worker done %.1f s after the kill", time.Since(killed).Seconds())
	_, _, redone := b.outboxRow(t, rowID)
	require.Equal(t, 1, redone)
	info, err := asynq.NewInspectorFromRedisClient(r.Client).GetTaskInfo("default", fmt.Sprintf("outbox:%d:1", rowID))
	require.NoError(t, err)
	require.Equal(t, asynq.TaskStateCompleted, info.State)
	res, err = relay.Check(ctx)
	require.NoError(t, err)
	require.Empty(t, res.Redone, "a done row is not replaced again")
}

// TestShortRetryDelay: builds and SMS tasks retry after 1, 2, 4, 8, 16 s, then every 30 s.
func TestShortRetryDelay(t *testing.T) {
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second} {
		require.Equal(t, want, shortRetryDelay(n), "retry %d", n)
	}
}
