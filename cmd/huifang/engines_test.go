package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// TestServeThroughPgBouncerAndSentinel runs the whole of `huifang serve` with Postgres
// behind PgBouncer in transaction mode (one server connection for the process's
// twenty) and Redis found through three Sentinels: an agent takes a task, calls and
// saves the outcome, and an outbox row becomes a queue build through the relay, Asynq and
// the worker. Then the Redis master is killed: the Sentinels promote the replica and
// the next outbox row is built through the new master, with nothing restarted.
func TestServeThroughPgBouncerAndSentinel(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	q := store.New(db.Pool)
	dealer, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "PB", Name: "连接池测试店"})
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `UPDATE dealers SET call_window_start = '00:00', call_window_end = '23:59:59', same_day_window_end = '23:59:59' WHERE id = $1`, dealer.ID)
	require.NoError(t, err)
	agent, err := q.CreateUser(ctx, store.CreateUserParams{DealerID: dealer.ID, Username: "pb.agent", Role: "agent", PasswordHash: "x"})
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `INSERT INTO console_sessions (token_hash, user_id, dealer_id, csrf_token, expires_at)
		VALUES (encode(sha256(convert_to('tok-pb', 'UTF8')), 'hex'), $1, $2, 'c', now() + interval '1 day')`, agent.ID, dealer.ID)
	require.NoError(t, err)
	var customerID int64
	require.NoError(t, db.Pool.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, title, phone) VALUES ($1, '李明', '先生', '13900000002') RETURNING id`, dealer.ID).Scan(&customerID))
	_, err = db.Pool.Exec(ctx, `INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns)
		VALUES ($1, $2, 40, current_date - 1, current_date + 30, '{maintenance}')`, dealer.ID, customerID)
	require.NoError(t, err)

	sentinels := storetest.StartSentinels(t)
	pgURL := storetest.StartPgBouncer(t, db, 1)
	p := startServe(t, db, &storetest.Redis{URL: "redis://127.0.0.1:1/3"}, "serve", map[string]string{
		"DATABASE_URL":            pgURL,
		"HUIFANG_DB_POOL_MODE":    "transaction",
		"REDIS_URL":               "redis://sentinel-decides:6379/3",
		"HUIFANG_REDIS_SENTINELS": strings.Join(sentinels.Addrs, ","),
		"HUIFANG_REDIS_MASTER":    sentinels.Master,
	})

	// An agent's whole call, through the console.
	ws := dialConsole(t, p.httpAddr, "tok-pb", "")
	ws.send(map[string]any{"type": "ready", "mode": "preview"})
	st := ws.until("a task on screen", statePhase("preview"))
	taskID := st["task"].(map[string]any)["id"]
	ws.send(map[string]any{"type": "call"})
	ws.until("the answer", callState("answered"))
	ws.send(map[string]any{"type": "hangup"})
	ws.until("wrap-up", statePhase("wrapup"))
	ws.send(map[string]any{"type": "outcome", "client_id": "pgbouncer-0001", "task_id": taskID, "code": "refused"})
	ws.until("no next task", statePhase("idle"))
	var status string
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT status FROM call_tasks WHERE customer_id = $1`, customerID).Scan(&status))
	require.NotEqual(t, "open", status, "the outcome closed the task")

	// An outbox row: relay (polling, no LISTEN behind the pooler) -> Asynq on the
	// Sentinels' master -> worker -> a build of the day, in temporary tables, through
	// PgBouncer.
	built := func(day string) bool {
		var n int
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM queue_builds WHERE dealer_id = $1 AND day = $2`, dealer.ID, day).Scan(&n))
		return n == 1
	}
	outboxBuild := func(day string) {
		_, err := db.Pool.Exec(ctx, `INSERT INTO outbox (dealer_id, task_type, payload) VALUES ($1, 'queue:build', $2)`,
			dealer.ID, fmt.Sprintf(`{"dealer_id":%d,"day":%q}`, dealer.ID, day))
		require.NoError(t, err)
	}
	outboxBuild("2026-03-02")
	require.Eventually(t, func() bool { return built("2026-03-02") }, 30*time.Second, 50*time.Millisecond, "the build through the outbox ran")

	// The master dies; the replica becomes the master and the same process goes on.
	sentinels.KillMaster(t)
	require.Eventually(t, func() bool { return sentinels.CurrentMaster(t) == sentinels.ReplicaAddr },
		30*time.Second, 100*time.Millisecond, "the sentinels promote the replica")
	outboxBuild("2026-03-03")
	require.Eventually(t, func() bool { return built("2026-03-03") }, 60*time.Second, 100*time.Millisecond, "the build after the failover ran")
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + p.httpAddr + "/healthz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && strings.TrimSpace(string(b)) == "ok"
	}, 20*time.Second, 100*time.Millisecond, "healthz is ok on the new master")
}

// TestEngineSettings: the Sentinel and pooler settings are read, and bad values are
// refused with the setting's name.
func TestEngineSettings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(*testing.T, *config)
	}{
		{name: "defaults", env: nil, check: func(t *testing.T, c *config) {
			require.Empty(t, c.RedisSentinels)
			require.Equal(t, "session", c.DBPoolMode)
		}},
		{name: "sentinels", env: map[string]string{"HUIFANG_REDIS_SENTINELS": "10.0.0.1:26379, 10.0.0.2:26379", "HUIFANG_REDIS_MASTER": "hf"},
			check: func(t *testing.T, c *config) {
				require.Equal(t, []string{"10.0.0.1:26379", "10.0.0.2:26379"}, c.RedisSentinels)
				require.Equal(t, "hf", c.RedisMaster)
			}},
		{name: "default master name", env: map[string]string{"HUIFANG_REDIS_SENTINELS": "s1:26379"},
			check: func(t *testing.T, c *config) { require.Equal(t, "mymaster", c.RedisMaster) }},
		{name: "transaction pooling", env: map[string]string{"HUIFANG_DB_POOL_MODE": "Transaction"},
			check: func(t *testing.T, c *config) { require.Equal(t, "transaction", c.DBPoolMode) }},
		{name: "sentinel without port", env: map[string]string{"HUIFANG_REDIS_SENTINELS": "s1"}, wantErr: `HUIFANG_REDIS_SENTINELS: "s1" is not host:port`},
		{name: "unknown pool mode", env: map[string]string{"HUIFANG_DB_POOL_MODE": "statement"}, wantErr: "HUIFANG_DB_POOL_MODE must be session or transaction"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadConfig(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}
