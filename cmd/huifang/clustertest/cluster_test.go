//go:build cluster

package clustertest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// serveProc is one `huifang serve` process.
type serveProc struct {
	name string
	addr string
	cmd  *exec.Cmd
	log  string
}

type lab struct {
	t     *testing.T
	bin   string
	dir   string
	dbURL string
	redis string
	// sip, when set, gives each process its gateway's address, the Kamailio its agents'
	// phones register to, and the trunk (a sipp customer).
	sip *sipLab
}

// sipLab is the SIP side: Kamailio with the gateways' addresses fixed in advance, one
// sipp phone answering every agent's leg, one sipp customer answering every call.
type sipLab struct {
	proxy    string
	trunk    string
	gateways map[string]string // process name -> gateway HOST:PORT
}

func (l *lab) start(name string) *serveProc {
	t := l.t
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	p := &serveProc{name: name, addr: addr, log: filepath.Join(l.dir, name+".log")}
	logf, err := os.Create(p.log)
	require.NoError(t, err)
	p.cmd = exec.Command(l.bin, "serve")
	p.cmd.Env = append(os.Environ(), "DATABASE_URL="+l.dbURL, "REDIS_URL="+l.redis, "HUIFANG_HTTP_ADDR="+addr,
		"HUIFANG_METRICS_ADDR=off", "HUIFANG_SMS_CALLBACK_ADDR=off", "HUIFANG_SIP_ADDR=127.0.0.1:0",
		"HUIFANG_PUBLIC_URL=http://console.test", "HUIFANG_RECORDINGS_DIR="+filepath.Join(l.dir, "rec-"+name),
		"HUIFANG_SHUTDOWN_TIMEOUT=10s", "HUIFANG_WORKERS=2", "HUIFANG_LOG_FORMAT=json",
		"HUIFANG_GATEWAY_LEASE=3s")
	if l.sip != nil {
		p.cmd.Env = append(p.cmd.Env, "HUIFANG_SIP_ADDR="+l.sip.gateways[name], "HUIFANG_SIP_PROXY="+l.sip.proxy,
			"HUIFANG_SIP_TRUNK="+l.sip.trunk)
	}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	require.NoError(t, p.cmd.Start())
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
		_ = logf.Close()
	})
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond, "%s answers", name)
	return p
}

// browser is one agent's console tab: it works every task it is given (call, hang up
// once answered, outcome "refused") and reconnects to the other process when its
// connection drops, resending an outcome not yet confirmed with the same client id.
type browser struct {
	token string
	mu    sync.Mutex
	// confirmed are the client ids the console confirmed as saved.
	confirmed map[string]bool
	// sent counts the outcomes sent per client id.
	sent map[string]int
}

func clientID(taskID any) string { return fmt.Sprintf("cluster-task-%v", taskID) }

// work runs the tab until ctx ends, connecting to addrs() in turn.
func (b *browser) work(ctx context.Context, addrs func() []string) {
	for i := 0; ctx.Err() == nil; i++ {
		list := addrs()
		addr := list[i%len(list)]
		h := http.Header{}
		h.Set("Cookie", "huifang_session="+b.token)
		h.Set("Origin", "http://console.test")
		conn, _, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+addr+"/ws", h)
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		b.session(ctx, conn)
		conn.Close()
	}
}

func (b *browser) session(ctx context.Context, conn *websocket.Conn) {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	send := func(v any) { _ = conn.WriteJSON(v) }
	send(map[string]any{"type": "ready", "mode": "preview"})
	lastCalled, lastHung := any(nil), any(nil)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		var m map[string]any
		if err := conn.ReadJSON(&m); err != nil {
			return
		}
		switch m["type"] {
		case "saved":
			b.mu.Lock()
			b.confirmed[clientID(m["task_id"])] = true
			b.mu.Unlock()
		case "state":
			task, _ := m["task"].(map[string]any)
			call, _ := m["call"].(map[string]any)
			switch m["phase"] {
			case "idle":
				if m["status"] != "ready" {
					send(map[string]any{"type": "ready", "mode": "preview"})
				}
			case "preview":
				if task != nil && (lastCalled != task["id"] || m["notice"] == "call_lost") {
					lastCalled = task["id"]
					send(map[string]any{"type": "call"})
				}
			case "call":
				if call != nil && call["state"] == "answered" && lastHung != task["id"] {
					lastHung = task["id"]
					send(map[string]any{"type": "hangup"})
				}
			case "wrapup":
				if task != nil {
					id := clientID(task["id"])
					b.mu.Lock()
					b.sent[id]++
					b.mu.Unlock()
					send(map[string]any{"type": "outcome", "client_id": id, "task_id": task["id"], "code": "refused"})
				}
			}
		}
	}
}

func (b *browser) confirmedCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.confirmed)
}

// TestCluster: two serve processes, agents on both; one killed mid-calls, the other
// stopped while a fresh process takes its place; nothing lost, nothing twice.
func TestCluster(t *testing.T) {
	const agentsN, tasksN = 6, 400
	ctx := context.Background()
	dir := t.TempDir()
	bin := filepath.Join(dir, "huifang")
	root, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err)
	build := exec.Command("go", "build", "-o", bin, "./cmd/huifang")
	build.Dir = filepath.Dir(strings.TrimSpace(string(root)))
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build: %s", out)

	db := storetest.NewDB(t)
	rdb := storetest.NewRedis(t)
	q := store.New(db.Pool)
	dealer, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "CT", Name: "集群整体测试店"})
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `UPDATE dealers SET call_window_start = '00:00', call_window_end = '23:59:59', same_day_window_end = '23:59:59' WHERE id = $1`, dealer.ID)
	require.NoError(t, err)
	browsers := make([]*browser, agentsN)
	for i := range browsers {
		u, err := q.CreateUser(ctx, store.CreateUserParams{DealerID: dealer.ID, Username: fmt.Sprintf("ct.agent%d", i+1), Role: "agent", PasswordHash: "x"})
		require.NoError(t, err)
		token := fmt.Sprintf("tok-ct%d", i+1)
		_, err = db.Pool.Exec(ctx, `INSERT INTO console_sessions (token_hash, user_id, dealer_id, csrf_token, expires_at)
			VALUES (encode(sha256(convert_to($3, 'UTF8')), 'hex'), $1, $2, 'c', now() + interval '1 day')`, u.ID, dealer.ID, token)
		require.NoError(t, err)
		browsers[i] = &browser{token: token, confirmed: map[string]bool{}, sent: map[string]int{}}
	}
	_, err = db.Pool.Exec(ctx, `WITH c AS (
			INSERT INTO customers (dealer_id, name, title, phone)
			SELECT $1, '客户' || g, '先生', (13800000000 + g)::text FROM generate_series(1, $2) g RETURNING id)
		INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns)
		SELECT $1, id, 50, current_date - 1, current_date + 30, '{maintenance}' FROM c`, dealer.ID, tasksN)
	require.NoError(t, err)

	l := &lab{t: t, bin: bin, dir: dir, dbURL: db.URL, redis: rdb.URL}
	if kamailioInstalled(t) {
		l.sip = startSIP(t, db, agentsN, []string{"a", "b", "c"})
	}
	a, b := l.start("a"), l.start("b")
	var addrMu sync.Mutex
	live := []string{a.addr, b.addr}
	addrs := func() []string {
		addrMu.Lock()
		defer addrMu.Unlock()
		return append([]string(nil), live...)
	}
	setLive := func(l ...string) {
		addrMu.Lock()
		live = l
		addrMu.Unlock()
	}
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i, br := range browsers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half the agents start on each process.
			first := addrs()
			if i%2 == 1 {
				first[0], first[1] = first[1], first[0]
			}
			br.work(wctx, func() []string {
				l := addrs()
				if len(l) == 2 && first[0] == l[1] {
					l[0], l[1] = l[1], l[0]
				}
				return l
			})
		}()
	}
	total := func() int {
		n := 0
		for _, br := range browsers {
			n += br.confirmedCount()
		}
		return n
	}
	waitOutcomes := func(n int, what string) {
		require.Eventually(t, func() bool { return total() >= n }, 90*time.Second, 100*time.Millisecond, "%s: %d outcomes (have %d)", what, n, total())
	}
	// callsInProgress counts the calls placed and not finished: with more than half the
	// agents on a call, at least one of them is on each process.
	callsInProgress := func() bool {
		var n int
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM call_attempts WHERE dealer_id = $1 AND outcome = ''`, dealer.ID).Scan(&n))
		return n > agentsN/2
	}

	waitOutcomes(12, "both processes work")
	// SIGKILL a while some of its agents are on a call.
	require.Eventually(t, callsInProgress, 30*time.Second, 5*time.Millisecond)
	t.Logf("SIGKILL a at %s", time.Now().UTC().Format("15:04:05.000"))
	require.NoError(t, a.cmd.Process.Signal(syscall.SIGKILL))
	_ = a.cmd.Wait()
	setLive(b.addr)
	killedAt := time.Now()
	before := total()
	waitOutcomes(before+12, "the survivor works every agent")
	if l.sip != nil {
		// The killed gateway's calls are closed by the survivor once a's lease (3 s) ran
		// out, whether or not their agents were taken over.
		gatewayOfA := fmt.Sprintf("%%-%d-%%", a.cmd.Process.Pid)
		require.Eventually(t, func() bool {
			var n int
			require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM call_attempts WHERE dealer_id = $1 AND outcome = '' AND gateway_id LIKE $2`, dealer.ID, gatewayOfA).Scan(&n))
			return n == 0
		}, 30*time.Second, 50*time.Millisecond, "a's unfinished calls closed")
		t.Logf("a's calls closed within %s of the SIGKILL", time.Since(killedAt).Round(100*time.Millisecond))
	}

	// A fresh process takes a's place; b is stopped with SIGTERM.
	c := l.start("c")
	setLive(c.addr, b.addr)
	waitOutcomes(total()+6, "the fresh process works")
	setLive(c.addr)
	t.Logf("SIGTERM b at %s", time.Now().UTC().Format("15:04:05.000"))
	require.NoError(t, b.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, b.cmd.Wait(), "b stops cleanly")
	before = total()
	waitOutcomes(before+12, "the fresh process works every agent")
	stop()
	wg.Wait()

	// Every confirmed outcome is stored once; every stored outcome was confirmed or
	// its confirmation was cut off by a kill; no task is lost.
	rows, err := db.Pool.Query(ctx, `SELECT client_id FROM call_outcomes WHERE dealer_id = $1`, dealer.ID)
	require.NoError(t, err)
	stored := map[string]int{}
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		stored[id]++
	}
	require.NoError(t, rows.Err())
	confirmed := 0
	for _, br := range browsers {
		for id := range br.confirmed {
			confirmed++
			require.Equal(t, 1, stored[id], "confirmed outcome %s stored once", id)
		}
	}
	var open, done, attemptsTwice int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE status <> 'open') FROM call_tasks WHERE dealer_id = $1`, dealer.ID).Scan(&open, &done))
	require.Equal(t, tasksN, open+done, "no task lost")
	require.Equal(t, len(stored), done, "every closed task has its one outcome")
	// A customer is called again only when the first call was cut off with the killed
	// process (a trunk failure, not a customer attempt): no task has two customer attempts,
	// the calls cut off by the SIGKILL were closed as trunk failures (not customer
	// attempts) when another process took their agents over, and only the calls still
	// in progress when the agents stopped are unfinished.
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT task_id FROM call_attempts WHERE dealer_id = $1 AND outcome NOT IN ('', 'trunk_failure') GROUP BY task_id HAVING count(*) > 1) x`, dealer.ID).Scan(&attemptsTwice))
	var unfinished int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM call_attempts WHERE dealer_id = $1 AND outcome = ''`, dealer.ID).Scan(&unfinished))
	if unfinished > 0 {
		rows, err := db.Pool.Query(ctx, `SELECT task_id, agent_user_id, invite_at FROM call_attempts WHERE dealer_id = $1 AND outcome = '' ORDER BY invite_at`, dealer.ID)
		require.NoError(t, err)
		for rows.Next() {
			var task, agent int64
			var inv time.Time
			require.NoError(t, rows.Scan(&task, &agent, &inv))
			t.Logf("unfinished: task %d agent %d invite %s", task, agent, inv.UTC().Format("15:04:05.000"))
		}
	}
	require.LessOrEqual(t, unfinished, agentsN, "only calls in progress when the agents stopped are unfinished: those cut off by the SIGKILL were closed by the takeover")
	var lost int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM call_attempts WHERE dealer_id = $1 AND outcome = 'trunk_failure' AND hangup_by = 'system'`, dealer.ID).Scan(&lost))
	require.NotZero(t, lost, "a call of the killed process was cut off, closed and not counted")
	if l.sip != nil {
		// The calls went through the gateways, each naming its own, to the agents'
		// phones through Kamailio.
		var gateways int
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(DISTINCT gateway_id) FROM call_attempts WHERE dealer_id = $1 AND gateway_id <> ''`, dealer.ID).Scan(&gateways))
		require.Equal(t, 3, gateways, "calls placed by the gateways of a, b and c")
		var swept int
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM call_attempts WHERE dealer_id = $1 AND sip_reason = 'gateway lost'`, dealer.ID).Scan(&swept))
		t.Logf("SIP through Kamailio: %d calls closed by the gateway sweep (the others cut off by the SIGKILL were closed by the console's takeover)", swept)
	}
	if attemptsTwice > 0 {
		rows, err := db.Pool.Query(ctx, `SELECT task_id, agent_user_id, outcome, hangup_by, invite_at, answer_at, end_at FROM call_attempts
			WHERE task_id IN (SELECT task_id FROM call_attempts WHERE dealer_id = $1 AND outcome NOT IN ('', 'trunk_failure') GROUP BY task_id HAVING count(*) > 1) ORDER BY task_id, invite_at`, dealer.ID)
		require.NoError(t, err)
		for rows.Next() {
			var task, agent int64
			var outcome, by string
			var inv time.Time
			var ans, end *time.Time
			require.NoError(t, rows.Scan(&task, &agent, &outcome, &by, &inv, &ans, &end))
			t.Logf("task %d agent %d %s by %q invite %s answer %v end %v", task, agent, outcome, by, inv.Format("15:04:05.000"), ans, end)
		}
	}
	require.Zero(t, attemptsTwice, "no customer called twice")
	var stuck int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM call_tasks WHERE dealer_id = $1 AND status = 'open' AND taken_by IS NOT NULL`, dealer.ID).Scan(&stuck))
	t.Logf("%d outcomes confirmed, %d stored, %d tasks closed, %d open (%d taken by agents still working), %d calls cut off by the SIGKILL (closed as trunk failures, placed again), %d in progress at the end", confirmed, len(stored), done, open, stuck, lost, unfinished)
}
