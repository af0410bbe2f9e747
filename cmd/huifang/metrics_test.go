package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// logLines returns the JSON log lines written so far.
func logLines(t *testing.T, s *storetest.SyncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s.String()))
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "every log line is JSON: %s", sc.Text())
		out = append(out, m)
	}
	return out
}

// servedProcess is `huifang serve` (or worker) running inside the test.
type servedProcess struct {
	logs        *storetest.SyncBuffer
	metricsAddr string
	httpAddr    string
	// stop ends the process as SIGTERM does and returns its error (once; the cleanup
	// does it otherwise).
	stop func() error
}

// startServe runs `huifang <name>` with the test's database and Redis, every listener
// on a free loopback port and JSON logs, until the test ends.
func startServe(t *testing.T, db *storetest.DB, rdb *storetest.Redis, name string, extra map[string]string) *servedProcess {
	t.Helper()
	vars := map[string]string{
		"DATABASE_URL": db.URL, "REDIS_URL": rdb.URL, "HUIFANG_HTTP_ADDR": "127.0.0.1:0",
		"HUIFANG_METRICS_ADDR": "127.0.0.1:0", "HUIFANG_SMS_CALLBACK_ADDR": "off", "HUIFANG_SIP_ADDR": "127.0.0.1:0", "HUIFANG_LOG_FORMAT": "json",
		"HUIFANG_RECORDINGS_DIR": t.TempDir(), "HUIFANG_PUBLIC_URL": "http://console.test", "HUIFANG_SHUTDOWN_TIMEOUT": "5s", "HUIFANG_WORKERS": "2",
	}
	for k, v := range extra {
		vars[k] = v
	}
	logs := &storetest.SyncBuffer{}
	env := &cliEnv{stdout: io.Discard, stderr: logs, getenv: func(k string) string { return vars[k] }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		if name == "worker" {
			done <- cmdWorker(ctx, env, nil)
		} else {
			done <- cmdServe(ctx, env, nil)
		}
	}()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(30 * time.Second):
				stopErr = fmt.Errorf("%s did not stop", name)
			}
		})
		return stopErr
	}
	t.Cleanup(func() { require.NoError(t, stop(), "%s stops cleanly", name) })
	p := &servedProcess{logs: logs, stop: stop}
	var early error
	ended := false
	require.Eventually(t, func() bool {
		select {
		case early = <-done:
			ended = true
			return true
		default:
		}
		for _, l := range logLines(t, logs) {
			switch l["msg"] {
			case "metrics listening":
				p.metricsAddr, _ = l["addr"].(string)
			case "listening":
				p.httpAddr, _ = l["addr"].(string)
			}
		}
		return p.metricsAddr != "" && (name == "worker" || p.httpAddr != "")
	}, 30*time.Second, 20*time.Millisecond, "the listeners are up")
	if ended {
		done <- early // for the cleanup
		t.Fatalf("%s ended early: %v; logs:\n%s", name, early, logs.String())
	}
	return p
}

// scrape returns the value of every sample of /metrics, keyed by its name and labels as
// the exposition format writes them (huifang_open_tasks{campaign="x",dealer="y"}).
func (p *servedProcess) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + p.metricsAddr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, line)
		out[line[:i]] = v
	}
	return out
}

// TestServeMetricsMoveWithWork runs serve as a user would, scrapes its metrics listener
// and checks that the series move when an agent works a task and saves its outcome, and
// that the console's port does not serve the metrics.
func TestServeMetricsMoveWithWork(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	rdb := storetest.NewRedis(t)
	q := store.New(db.Pool)
	dealer, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "MT", Name: "指标测试店"})
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `UPDATE dealers SET call_window_start = '00:00', call_window_end = '23:59:59', same_day_window_end = '23:59:59' WHERE id = $1`, dealer.ID)
	require.NoError(t, err)
	agent, err := q.CreateUser(ctx, store.CreateUserParams{DealerID: dealer.ID, Username: "mt.agent", Role: "agent", PasswordHash: "x"})
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `INSERT INTO console_sessions (token_hash, user_id, dealer_id, csrf_token, expires_at)
		VALUES (encode(sha256(convert_to('tok-mt', 'UTF8')), 'hex'), $1, $2, 'c', now() + interval '1 day')`, agent.ID, dealer.ID)
	require.NoError(t, err)
	var customerID int64
	require.NoError(t, db.Pool.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, title, phone) VALUES ($1, '王建国', '先生', '13900000001') RETURNING id`, dealer.ID).Scan(&customerID))
	_, err = db.Pool.Exec(ctx, `INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns)
		VALUES ($1, $2, 40, current_date - 1, current_date + 30, '{maintenance,insurance}')`, dealer.ID, customerID)
	require.NoError(t, err)

	p := startServe(t, db, rdb, "serve", nil)
	openTasks := `huifang_open_tasks{campaign="maintenance",dealer="MT"}`
	m := p.scrape(t)
	require.Equal(t, 1.0, m[openTasks])
	require.Contains(t, m, "huifang_outbox_lag_seconds")
	require.Contains(t, m, "huifang_sip_dialogs")
	require.Contains(t, m, "go_goroutines")

	// The console's port is public: no metrics there.
	resp, err := http.Get("http://" + p.httpAddr + "/metrics")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// The agent connects, takes the task, calls (the development dialer, no phone) and
	// hangs up once answered, then saves the outcome.
	ws := dialConsole(t, p.httpAddr, "tok-mt", "")
	ws.send(map[string]any{"type": "ready", "mode": "preview"})
	st := ws.until("a task on screen", statePhase("preview"))
	taskID := st["task"].(map[string]any)["id"]
	ws.send(map[string]any{"type": "call"})
	ws.until("the answer", callState("answered"))
	agents := `huifang_agents{phase="call",status="ready"}`
	require.Equal(t, 1.0, p.scrape(t)[agents], "the agent is counted on a call")
	ws.send(map[string]any{"type": "hangup"})
	ws.until("wrap-up", statePhase("wrapup"))
	ws.send(map[string]any{"type": "outcome", "client_id": "metrics-0001", "task_id": taskID, "code": "refused"})
	ws.until("the next task or none", func(msg map[string]any) bool { return msg["type"] == "state" && msg["phase"] == "idle" })

	m = p.scrape(t)
	require.Zero(t, m[openTasks], "the task is closed: no open task left")
	require.Equal(t, 1.0, m[`huifang_calls_total{kind="agent",outcome="answered",sip_status="0"}`], "the simulated call is counted")
	require.Zero(t, m[agents])
	require.Equal(t, 1.0, m[`huifang_agents{phase="idle",status="ready"}`])

	// Every log line is JSON and every HTTP line has a request id.
	var httpLines int
	for _, l := range logLines(t, p.logs) {
		if _, ok := l["path"]; ok {
			httpLines++
			require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{16}$`), l["request_id"], fmt.Sprint(l))
		}
	}
	require.NotZero(t, httpLines, "the HTTP requests were logged")
}

// TestWorkerServesMetrics: `huifang worker` has its metrics listener too, with the
// queue's figures and without the console's.
func TestWorkerServesMetrics(t *testing.T) {
	db := storetest.NewDB(t)
	rdb := storetest.NewRedis(t)
	p := startServe(t, db, rdb, "worker", nil)
	m := p.scrape(t)
	require.Contains(t, m, "huifang_outbox_pending")
	require.Contains(t, m, "huifang_outbox_lag_seconds")
	require.NotContains(t, m, "huifang_sip_dialogs", "the worker runs no gateway")
	require.Empty(t, p.httpAddr, "the worker serves no console")
}
