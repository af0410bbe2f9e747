package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	agentui "github.com/huifang/huifang/agent-ui"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// BenchmarkConsoleTakeAtOnce measures the console's take end to end as serve wires it:
// 200 agents on WebSockets press Ready at the same moment; each takes its next task
// through the queue engine (queue.Take) and receives the customer card and the merged
// script. Run with go test -run '^$' -bench ConsoleTakeAtOnce -benchtime 1x ./cmd/huifang/
func BenchmarkConsoleTakeAtOnce(b *testing.B) {
	const agentsN = 200
	ctx := context.Background()
	db := storetest.New(b)
	q := store.New(db)
	dealer, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "TB", Name: "压测店"})
	require.NoError(b, err)
	_, err = db.Exec(ctx, `UPDATE dealers SET call_window_start = '00:00', call_window_end = '23:59:59', same_day_window_end = '23:59:59' WHERE id = $1`, dealer.ID)
	require.NoError(b, err)
	_, err = db.Exec(ctx, `INSERT INTO users (dealer_id, username, display_name, role, password_hash)
		SELECT $1::bigint, 'a' || g, '坐席' || g, 'agent', 'x' FROM generate_series(1, $2::int) g`, dealer.ID, agentsN)
	require.NoError(b, err)
	_, err = db.Exec(ctx, `INSERT INTO console_sessions (token_hash, user_id, dealer_id, csrf_token, expires_at)
		SELECT encode(sha256(convert_to('tok-' || username, 'UTF8')), 'hex'), id, dealer_id, 'c', now() + interval '1 day'
		FROM users WHERE dealer_id = $1`, dealer.ID)
	require.NoError(b, err)

	srv := httptest.NewUnstartedServer(nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c, err := agentui.New(agentui.Config{PublicURL: "http://" + srv.Listener.Addr().String(), TakeRetry: time.Hour},
		agentui.Deps{DB: db, Queue: queueAdapter{db: db}, Figures: figuresAdapter{db: db}, Dialer: newTestConsoleDialer(db, nil, true), Log: log})
	require.NoError(b, err)
	srv.Config.Handler = c.Handler()
	srv.Start()
	defer srv.Close()
	c.Start(ctx)
	defer func() { _ = c.Shutdown(ctx) }()

	type msg struct {
		Type  string `json:"type"`
		Phase string `json:"phase"`
	}
	conns := make([]*websocket.Conn, agentsN)
	for i := range conns {
		h := http.Header{}
		h.Set("Cookie", fmt.Sprintf("huifang_session=tok-a%d", i+1))
		h.Set("Origin", srv.URL)
		conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", h)
		require.NoError(b, err)
		defer conn.Close()
		conns[i] = conn
	}
	// One round: the agents keep their tasks on screen afterwards. The round takes
	// seconds, so the default -benchtime runs it once.
	for n := 0; n < b.N && n < 1; n++ {
		b.StopTimer()
		_, err = db.Exec(ctx, `DELETE FROM call_tasks WHERE dealer_id = $1`, dealer.ID)
		require.NoError(b, err)
		_, err = db.Exec(ctx, `WITH c AS (
				INSERT INTO customers (dealer_id, name, title, phone)
				SELECT $1::bigint, '客户' || g, '先生', (13800000000 + $3::int * 1000 + g)::text FROM generate_series(1, $2::int) g RETURNING id)
			INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns)
			SELECT $1, id, 50, current_date - 1, current_date + 30, '{maintenance,insurance}' FROM c`, dealer.ID, agentsN, n)
		require.NoError(b, err)
		for _, conn := range conns {
			require.NoError(b, conn.WriteJSON(map[string]any{"type": "pause", "reason": "break"}))
		}
		time.Sleep(500 * time.Millisecond)
		b.StartTimer()

		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, conn := range conns {
			wg.Add(1)
			go func(conn *websocket.Conn) {
				defer wg.Done()
				<-start
				t0 := time.Now()
				if conn.WriteJSON(map[string]any{"type": "ready", "mode": "preview"}) != nil {
					return
				}
				_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
				for {
					_, data, err := conn.ReadMessage()
					if err != nil {
						return
					}
					var m msg
					if json.Unmarshal(data, &m) == nil && m.Type == "state" && m.Phase == "preview" {
						mu.Lock()
						lat = append(lat, time.Since(t0))
						mu.Unlock()
						return
					}
				}
			}(conn)
		}
		close(start)
		wg.Wait()
		b.StopTimer()
		require.Len(b, lat, agentsN, "every agent got a task")
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		p := func(f float64) float64 { return float64(lat[int(float64(len(lat)-1)*f)].Microseconds()) / 1000 }
		b.ReportMetric(p(0.99), "take-p99-ms")
		fmt.Printf("console take, %d agents at once through queue.Take: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", agentsN, p(0.5), p(0.99), p(1))
		b.StartTimer()
	}
}
