package notify

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
)

// ownRedis is a redis-server of the test's own on a free loopback port, so that it can
// be killed and restarted.
type ownRedis struct {
	t    *testing.T
	dir  string
	port int
	aof  bool
	cmd  *exec.Cmd
}

func startOwnRedis(t *testing.T, aof bool) *ownRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	r := &ownRedis{t: t, dir: t.TempDir(), port: port, aof: aof}
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *ownRedis) addr() string { return fmt.Sprintf("127.0.0.1:%d", r.port) }

func (r *ownRedis) start() {
	r.t.Helper()
	appendonly := "no"
	if r.aof {
		appendonly = "yes"
	}
	// appendfsync always: what Redis acknowledged is on disk when it is killed.
	r.cmd = exec.Command("redis-server", "--bind", "127.0.0.1", "--port", fmt.Sprint(r.port), "--dir", r.dir,
		"--save", "", "--appendonly", appendonly, "--appendfsync", "always", "--logfile", filepath.Join(r.dir, "redis.log"))
	require.NoError(r.t, r.cmd.Start())
	c := redis.NewClient(&redis.Options{Addr: r.addr()})
	defer c.Close()
	require.Eventually(r.t, func() bool { return c.Ping(context.Background()).Err() == nil }, 10*time.Second, 50*time.Millisecond, "redis-server answers")
}

// kill stops the server with SIGKILL, as a crash would.
func (r *ownRedis) kill() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

// TestSMSRedisRestartLosesNothing relays a campaign's tasks to Redis (the outbox rows
// are then marked relayed: Redis acknowledged them), kills Redis and starts it again,
// then runs a worker: every message is sent exactly once. With Redis's append-only file
// the tasks survive; without it they are lost with Redis and the SMS sweep releases the
// messages again after the claim timeout.
func TestSMSRedisRestartLosesNothing(t *testing.T) {
	for _, aof := range []bool{true, false} {
		t.Run(fmt.Sprintf("appendonly=%v", aof), func(t *testing.T) {
			b := newWorkBundle(t, 0)
			red := startOwnRedis(t, aof)
			ctx := context.Background()
			const n = 120
			var ids []int64
			for i := 0; i < n; i++ {
				ids = append(ids, b.smsCust(t, fmt.Sprintf("客户%d", i), fmt.Sprintf("135%08d", i), true, ""))
			}
			now := b.at(t, "2026-11-23 10:00")
			res, err := StartSMSBroadcast(ctx, b.db, SMSBroadcastParams{DealerID: b.dealer, Code: "care", Template: "leave_store_care",
				Day: day("2026-11-23"), Audience: SMSAudience{CustomerIDs: ids}, Now: now})
			require.NoError(t, err)
			require.Equal(t, n, res.Queued)

			rdb := redis.NewClient(&redis.Options{Addr: red.addr()})
			relay, err := queue.NewRelay(queue.RelayConfig{DB: b.db, Redis: rdb, Log: quietLog()})
			require.NoError(t, err)
			relayed, err := relay.Drain(ctx)
			require.NoError(t, err)
			require.Positive(t, relayed)
			relay.Shutdown()
			var unrelayed int
			require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE relayed_at IS NULL`).Scan(&unrelayed))
			require.Zero(t, unrelayed, "Redis acknowledged every task")
			_ = rdb.Close()

			red.kill()
			red.start()
			rdb = redis.NewClient(&redis.Options{Addr: red.addr()})
			defer rdb.Close()
			keys, err := rdb.Keys(ctx, "asynq:*").Result()
			require.NoError(t, err)
			if aof {
				require.NotEmpty(t, keys, "the append-only file kept the tasks")
			} else {
				require.Empty(t, keys, "without persistence Redis lost the tasks")
				// The sweep, once the claim timeout has passed, releases them again.
				sw, err := SweepSMS(ctx, b.db, now.Add(11*time.Minute), 10*time.Minute, 0)
				require.NoError(t, err)
				require.EqualValues(t, n, sw.Rereleased)
				relay2, err := queue.NewRelay(queue.RelayConfig{DB: b.db, Redis: rdb, Log: quietLog()})
				require.NoError(t, err)
				_, err = relay2.Drain(ctx)
				require.NoError(t, err)
				relay2.Shutdown()
			}

			p := newCountingProvider()
			clock := func() time.Time { return now.Add(12 * time.Minute) }
			w, err := queue.NewWorker(queue.WorkerConfig{DB: b.db, Redis: rdb, Log: quietLog(), Concurrency: 2, PollInterval: 50 * time.Millisecond,
				Handlers: b.notifyHandlers(t, &ProviderSender{DB: b.db, Provider: p, Now: clock, Parallel: 4}, clock), Now: clock})
			require.NoError(t, err)
			require.NoError(t, w.Start())
			defer w.Shutdown()
			require.Eventually(t, func() bool {
				var left int
				require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM sms_messages WHERE status <> 'sent'`).Scan(&left))
				return left == 0
			}, 60*time.Second, 50*time.Millisecond, "every message sent")
			require.EqualValues(t, n, p.total.Load(), "each message submitted once")
			require.Equal(t, 1, p.maxCount())
		})
	}
}
