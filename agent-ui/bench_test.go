package agentui

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// timedQueue records how long each Take spends in the queue, to tell the queue's share
// of a take from the console's.
type timedQueue struct {
	Queue
	mu    sync.Mutex
	takes []time.Duration
}

func (q *timedQueue) Take(ctx context.Context, dealerID, userID int64) (*Task, error) {
	t0 := time.Now()
	t, err := q.Queue.Take(ctx, dealerID, userID)
	q.mu.Lock()
	q.takes = append(q.takes, time.Since(t0))
	q.mu.Unlock()
	return t, err
}

// benchAgent is one simulated agent's browser: a WebSocket and a reader goroutine.
type benchAgent struct {
	name string
	conn *websocket.Conn
	msgs chan benchMsg
}

// benchMsg holds the few fields the benchmark looks at (decoding whole messages into
// maps would make the simulated browsers, on the same two cores, the bottleneck).
type benchMsg struct {
	Type        string `json:"type"`
	Phase       string `json:"phase"`
	PauseReason string `json:"pause_reason"`
	Agents      []struct {
		Username    string `json:"username"`
		Status      string `json:"status"`
		PauseReason string `json:"pause_reason"`
	} `json:"agents"`
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	i := int(float64(len(d)-1) * p)
	return d[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkConsoleLoad drives 1,000 simulated agents and 10 wallboards over real
// WebSockets on loopback: every agent changes state five times in ten seconds (per-agent
// event latency, and the time until every wallboard shows the change), then 200 agents go ready
// at the same moment and take their next task (end to end, through the test queue on
// Postgres). Figures are printed and reported as metrics; run with
// go test -run '^$' -bench ConsoleLoad -benchtime 1x ./agent-ui/
func BenchmarkConsoleLoad(b *testing.B) { benchConsoleLoad(b, false) }

// BenchmarkConsoleLoadCluster is BenchmarkConsoleLoad on two console processes sharing
// one Redis (Deps.Cluster): half the wallboards on each; every odd agent is owned by the
// first process (a connection there stays open) and works through a connection to the
// second, so its every message and state crosses Redis twice; every even agent works on
// the first directly (its changes are saved to Redis and published to the second's
// wallboards).
func BenchmarkConsoleLoadCluster(b *testing.B) { benchConsoleLoad(b, true) }

func benchConsoleLoad(b *testing.B, cluster bool) {
	const agentsN, wallboardsN, takersN, rounds = 1000, 10, 200, 5
	ctx := context.Background()
	db := storetest.New(b)
	q := store.New(db)
	dealer, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "BENCH", Name: "压测4S店"})
	require.NoError(b, err)
	// Users and sessions are made in SQL: logging in 1,010 users through bcrypt is not
	// what is measured.
	_, err = db.Exec(ctx, `INSERT INTO users (dealer_id, username, display_name, role, password_hash)
		SELECT $1::bigint, 'a' || g, '坐席' || g, 'agent', 'x' FROM generate_series(1, $2::int) g
		UNION ALL SELECT $1::bigint, 'd' || g, '总监' || g, 'director', 'x' FROM generate_series(1, $3::int) g`, dealer.ID, agentsN, wallboardsN)
	require.NoError(b, err)
	_, err = db.Exec(ctx, `INSERT INTO console_sessions (token_hash, user_id, dealer_id, csrf_token, expires_at)
		SELECT encode(sha256(convert_to('tok-' || username, 'UTF8')), 'hex'), id, dealer_id, 'c', now() + interval '1 day'
		FROM users WHERE dealer_id = $1`, dealer.ID)
	require.NoError(b, err)
	_, err = db.Exec(ctx, `WITH c AS (
			INSERT INTO customers (dealer_id, name, title, phone)
			SELECT $1, '客户' || g, '先生', (13800000000 + g)::text FROM generate_series(1, $2) g RETURNING id)
		INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns)
		SELECT $1, id, 50, '2026-01-01', '2030-01-01', '{maintenance}' FROM c`, dealer.ID, takersN)
	require.NoError(b, err)

	tq := &timedQueue{Queue: &testQueue{db: db}}
	var shared redis.UniversalClient
	if cluster {
		shared = storetest.NewRedis(b).Client
	}
	start := func() *httptest.Server {
		srv := httptest.NewUnstartedServer(nil)
		c, err := New(Config{PublicURL: "http://" + srv.Listener.Addr().String(), TakeRetry: time.Hour},
			Deps{DB: db, Queue: tq, Figures: testFigures{db: db}, Dialer: newFakeDialer(), Cluster: shared,
				Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		require.NoError(b, err)
		srv.Config.Handler = c.Handler()
		srv.Start()
		c.Start(ctx)
		b.Cleanup(func() { srv.Close(); _ = c.Shutdown(ctx) })
		return srv
	}
	srv := start()
	second := srv
	if cluster {
		second = start()
	}

	dialTo := func(srv *httptest.Server, name, query string) *benchAgent {
		h := http.Header{}
		h.Set("Cookie", sessionCookie+"=tok-"+name)
		h.Set("Origin", srv.URL)
		conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws"+query, h)
		require.NoError(b, err, name)
		a := &benchAgent{name: name, conn: conn, msgs: make(chan benchMsg, 4096)}
		go func() {
			defer close(a.msgs)
			for {
				_, data, err := conn.ReadMessage()
				if err != nil {
					return
				}
				var m benchMsg
				if json.Unmarshal(data, &m) == nil {
					a.msgs <- m
				}
			}
		}()
		return a
	}
	dial := func(name, query string) *benchAgent { return dialTo(srv, name, query) }
	wait := func(a *benchAgent, ok func(benchMsg) bool) bool {
		timeout := time.After(30 * time.Second)
		for {
			select {
			case m, open := <-a.msgs:
				if !open {
					return false
				}
				if ok(m) {
					return true
				}
			case <-timeout:
				return false
			}
		}
	}

	// sent[user][reason] is when the agent sent the change the wallboards wait for.
	var sentMu sync.Mutex
	sent := map[string]time.Time{}
	var boardMu sync.Mutex
	var boardLat []time.Duration
	var boardsWG sync.WaitGroup
	for i := 1; i <= wallboardsN; i++ {
		w := dialTo(map[bool]*httptest.Server{true: second, false: srv}[i%2 == 0], fmt.Sprintf("d%d", i), "?view=wallboard")
		defer w.conn.Close()
		boardsWG.Add(1)
		go func() {
			defer boardsWG.Done()
			seen := 0
			for m := range w.msgs {
				if m.Type != "agents" {
					continue
				}
				now := time.Now()
				for _, s := range m.Agents {
					if s.Status != statusPaused {
						continue
					}
					sentMu.Lock()
					at, ok := sent[s.Username+"/"+s.PauseReason]
					sentMu.Unlock()
					if ok {
						boardMu.Lock()
						boardLat = append(boardLat, now.Sub(at))
						boardMu.Unlock()
						seen++
					}
				}
				if seen >= agentsN*rounds {
					return
				}
			}
		}()
	}
	agentsList := make([]*benchAgent, agentsN)
	for i := range agentsList {
		name := fmt.Sprintf("a%d", i+1)
		if cluster && i%2 == 1 {
			owner := dial(name, "")
			require.True(b, wait(owner, func(m benchMsg) bool { return m.Type == "state" }))
			go func() {
				for range owner.msgs {
				}
			}()
			defer owner.conn.Close()
			agentsList[i] = dialTo(second, name, "")
		} else {
			agentsList[i] = dial(name, "")
		}
		defer agentsList[i].conn.Close()
	}
	for _, a := range agentsList {
		require.True(b, wait(a, func(m benchMsg) bool { return m.Type == "state" }))
	}

	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		// 1. Every agent changes state five times in ten seconds, at random moments: 500
		// events a second over 1,000 connected agents.
		reasons := []string{"break", "meal", "meeting", "training", "admin_work"}
		var mu sync.Mutex
		var eventLat []time.Duration
		var wg sync.WaitGroup
		t0 := time.Now()
		for i, a := range agentsList {
			wg.Add(1)
			go func(i int, a *benchAgent) {
				defer wg.Done()
				rnd := rand.New(rand.NewPCG(uint64(i), 7))
				for k, r := range reasons {
					slot := t0.Add(time.Duration(k)*2*time.Second + time.Duration(rnd.Int64N(int64(2*time.Second))))
					time.Sleep(time.Until(slot))
					start := time.Now()
					sentMu.Lock()
					sent[a.name+"/"+r] = start
					sentMu.Unlock()
					if a.conn.WriteJSON(map[string]any{"type": "pause", "reason": r}) != nil {
						return
					}
					if wait(a, func(m benchMsg) bool { return m.Type == "state" && m.PauseReason == r }) {
						mu.Lock()
						eventLat = append(eventLat, time.Since(start))
						mu.Unlock()
					}
				}
			}(i, a)
		}
		wg.Wait()
		done := make(chan struct{})
		go func() { boardsWG.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}

		// 2. 200 agents go ready at the same moment and take their next task.
		var takeLat []time.Duration
		start := make(chan struct{})
		for _, a := range agentsList[:takersN] {
			wg.Add(1)
			go func(a *benchAgent) {
				defer wg.Done()
				<-start
				t0 := time.Now()
				if a.conn.WriteJSON(map[string]any{"type": "ready", "mode": "preview"}) != nil {
					return
				}
				if wait(a, func(m benchMsg) bool { return m.Type == "state" && m.Phase == phasePreview }) {
					mu.Lock()
					takeLat = append(takeLat, time.Since(t0))
					mu.Unlock()
				}
			}(a)
		}
		close(start)
		wg.Wait()

		if len(eventLat) != agentsN*rounds {
			fmt.Printf("answered %d of %d events\n", len(eventLat), agentsN*rounds)
		}
		require.Len(b, eventLat, agentsN*rounds, "every agent event answered")
		require.Len(b, takeLat, takersN, "every taker got a task")
		boardMu.Lock()
		bl := append([]time.Duration(nil), boardLat...)
		boardMu.Unlock()
		tq.mu.Lock()
		inQueue := append([]time.Duration(nil), tq.takes...)
		tq.mu.Unlock()
		b.ReportMetric(ms(percentile(eventLat, 0.99)), "event-p99-ms")
		b.ReportMetric(ms(percentile(bl, 0.99)), "wallboard-p99-ms")
		b.ReportMetric(ms(percentile(takeLat, 0.99)), "take-p99-ms")
		label := "console load"
		if cluster {
			label = "console load, two processes (odd agents through the other)"
		}
		fmt.Printf("%s: %d agents x %d events in 10 s: p50 %.1f ms, p99 %.1f ms; %d wallboards saw %d changes: p50 %.1f ms, p99 %.1f ms; %d agents take at once: p50 %.1f ms, p99 %.1f ms (in the queue's Take: p50 %.1f ms, p99 %.1f ms)\n",
			label, agentsN, rounds, ms(percentile(eventLat, 0.5)), ms(percentile(eventLat, 0.99)),
			wallboardsN, len(bl), ms(percentile(bl, 0.5)), ms(percentile(bl, 0.99)),
			takersN, ms(percentile(takeLat, 0.5)), ms(percentile(takeLat, 0.99)),
			ms(percentile(inQueue, 0.5)), ms(percentile(inQueue, 0.99)))
	}
}
