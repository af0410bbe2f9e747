package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// consoleWS is an agent's or director's WebSocket to one serve process.
type consoleWS struct {
	t    *testing.T
	conn *websocket.Conn
	msgs chan map[string]any
}

func dialConsole(t *testing.T, httpAddr, token, query string) *consoleWS {
	t.Helper()
	h := http.Header{}
	h.Set("Cookie", "huifang_session="+token)
	h.Set("Origin", "http://console.test")
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+httpAddr+"/ws"+query, h)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	w := &consoleWS{t: t, conn: conn, msgs: make(chan map[string]any, 256)}
	go func() {
		defer close(w.msgs)
		for {
			var m map[string]any
			if err := conn.ReadJSON(&m); err != nil {
				return
			}
			w.msgs <- m
		}
	}()
	return w
}

func (w *consoleWS) send(v any) { require.NoError(w.t, w.conn.WriteJSON(v)) }

func (w *consoleWS) until(what string, ok func(map[string]any) bool) map[string]any {
	w.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case m, open := <-w.msgs:
			require.True(w.t, open, "the socket closed waiting for %s", what)
			if ok(m) {
				return m
			}
		case <-deadline:
			w.t.Fatalf("no %s", what)
		}
	}
}

func statePhase(want string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == "state" && m["phase"] == want }
}

func callState(want string) func(map[string]any) bool {
	return func(m map[string]any) bool {
		c, _ := m["call"].(map[string]any)
		return m["type"] == "state" && c != nil && c["state"] == want
	}
}

func boardShows(user, phase string) func(map[string]any) bool {
	return func(m map[string]any) bool {
		list, _ := m["agents"].([]any)
		for _, x := range list {
			s, _ := x.(map[string]any)
			if s["username"] == user && s["phase"] == phase {
				return true
			}
		}
		return false
	}
}

// TestTwoServesShareAgents: two `huifang serve` on one Postgres and one Redis. Agents
// work on both; the wallboard of either shows both; one process is stopped (SIGTERM)
// while its agent is in wrap-up, and the agent's browser, reconnecting to the other
// process, finds the same task in wrap-up there and saves the outcome once.
func TestTwoServesShareAgents(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	rdb := storetest.NewRedis(t)
	q := store.New(db.Pool)
	dealer, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "CL", Name: "集群测试店"})
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `UPDATE dealers SET call_window_start = '00:00', call_window_end = '23:59:59', same_day_window_end = '23:59:59' WHERE id = $1`, dealer.ID)
	require.NoError(t, err)
	for i, u := range []struct{ name, role string }{{"cl.agent1", "agent"}, {"cl.agent2", "agent"}, {"cl.director", "director"}} {
		user, err := q.CreateUser(ctx, store.CreateUserParams{DealerID: dealer.ID, Username: u.name, Role: u.role, PasswordHash: "x"})
		require.NoError(t, err)
		_, err = db.Pool.Exec(ctx, `INSERT INTO console_sessions (token_hash, user_id, dealer_id, csrf_token, expires_at)
			VALUES (encode(sha256(convert_to($3, 'UTF8')), 'hex'), $1, $2, 'c', now() + interval '1 day')`, user.ID, dealer.ID, fmt.Sprintf("tok-cl%d", i+1))
		require.NoError(t, err)
	}
	for i := 0; i < 3; i++ {
		var customerID int64
		require.NoError(t, db.Pool.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, title, phone) VALUES ($1, $2, '先生', $3) RETURNING id`,
			dealer.ID, fmt.Sprintf("客户%d", i+1), fmt.Sprintf("1390000001%d", i)).Scan(&customerID))
		_, err = db.Pool.Exec(ctx, `INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns)
			VALUES ($1, $2, 40, current_date - 1, current_date + 30, '{maintenance}')`, dealer.ID, customerID)
		require.NoError(t, err)
	}

	a := startServe(t, db, rdb, "serve", nil)
	b := startServe(t, db, rdb, "serve", nil)

	one := dialConsole(t, a.httpAddr, "tok-cl1", "")
	two := dialConsole(t, b.httpAddr, "tok-cl2", "")
	one.send(map[string]any{"type": "ready", "mode": "preview"})
	two.send(map[string]any{"type": "ready", "mode": "preview"})
	task1 := one.until("agent1's task on A", statePhase("preview"))["task"].(map[string]any)["id"]
	task2 := two.until("agent2's task on B", statePhase("preview"))["task"].(map[string]any)["id"]
	require.NotEqual(t, task1, task2)

	// Either wallboard shows both agents.
	for _, p := range []*servedProcess{a, b} {
		board := dialConsole(t, p.httpAddr, "tok-cl3", "?view=wallboard")
		board.until("agent1 on the wallboard", boardShows("cl.agent1", "preview"))
		board.send(map[string]any{"type": "ping"})
		board.conn.Close()
		board = dialConsole(t, p.httpAddr, "tok-cl3", "?view=wallboard")
		board.until("agent2 on the wallboard", boardShows("cl.agent2", "preview"))
	}

	// agent1 calls (the development dialer answers) and hangs up: wrap-up on A.
	one.send(map[string]any{"type": "call"})
	one.until("the answer", callState("answered"))
	one.send(map[string]any{"type": "hangup"})
	one.until("wrap-up", statePhase("wrapup"))

	// A is stopped; agent1's browser reconnects to B and finds the wrap-up there.
	require.NoError(t, a.stop())
	again := dialConsole(t, b.httpAddr, "tok-cl1", "")
	st := again.until("wrap-up on B", statePhase("wrapup"))
	require.Equal(t, task1, st["task"].(map[string]any)["id"])
	outcome := map[string]any{"type": "outcome", "client_id": "cluster-0001", "task_id": task1, "code": "refused"}
	again.send(outcome)
	again.until("agent1's next task, on B", func(m map[string]any) bool {
		return m["type"] == "state" && (m["phase"] == "preview" || m["phase"] == "idle")
	})
	again.send(outcome) // sent again, as a browser does after a reconnect: nothing more

	// agent2 works on B as before.
	two.send(map[string]any{"type": "call"})
	two.until("agent2's answer", callState("answered"))
	two.send(map[string]any{"type": "hangup"})
	two.until("agent2's wrap-up", statePhase("wrapup"))
	two.send(map[string]any{"type": "outcome", "client_id": "cluster-0002", "task_id": task2, "code": "refused"})
	two.until("agent2's next", func(m map[string]any) bool {
		return m["type"] == "state" && (m["phase"] == "preview" || m["phase"] == "idle")
	})

	var outcomes, open int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM call_outcomes WHERE dealer_id = $1`, dealer.ID).Scan(&outcomes))
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM call_tasks WHERE dealer_id = $1 AND status = 'open'`, dealer.ID).Scan(&open))
	require.Equal(t, 2, outcomes, "one outcome per call, none twice")
	require.Equal(t, 1, open, "the third task is still to call")
}
