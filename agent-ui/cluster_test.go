package agentui

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
)

// peer starts a second console process on the bundle's database, shared through the
// same Redis: its own server, dialer and agents' states.
func (b *bundle) peer(t *testing.T, tweak func(*Config), r *storetest.Redis) *bundle {
	t.Helper()
	p := &bundle{db: b.db, users: b.users, customers: b.customers, tasks: b.tasks, dealer: b.dealer, other: b.other,
		dialer: newFakeDialer()}
	p.startConsole(t, tweak, nil, nil, r.Client)
	return p
}

// die stops a console as a SIGKILL would: its connections drop, its timers and its
// Redis loops stop, and nothing is saved or given up.
func (b *bundle) die() {
	b.srv.CloseClientConnections()
	b.srv.Close()
	for _, a := range b.console.h.agents.list() {
		a.mu.Lock()
		a.stopTimersLocked()
		a.stopped = true
		a.mu.Unlock()
	}
	b.console.cancel()
	b.console.wg.Wait()
}

func isWallboardWith(user string, phase string) func(map[string]any) bool {
	return func(m map[string]any) bool {
		if m["type"] != "wallboard" && m["type"] != "agents" {
			return false
		}
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

// TestClusterAgentOnAnyProcess: two console processes on one Postgres and one Redis.
// An agent works on process A; a wallboard on B shows them; a second tab on B drives the
// same agent (the call is placed by A); A dies in the middle of the call; the tab on B
// reconnects to B, which takes the agent over in wrap-up with the same task, and the
// outcome is saved once however often the browser sends it.
func TestClusterAgentOnAnyProcess(t *testing.T) {
	ctx := context.Background()
	r := storetest.NewRedis(t)
	lease := func(c *Config) { c.ClusterLease = 600 * time.Millisecond; c.WallboardFlush = 50 * time.Millisecond }
	a := setupFull(t, lease, nil, nil, r.Client)
	b := a.peer(t, lease, r)

	agent := a.login(t, "agent1")
	director := a.login(t, "director1")

	onA := a.agentWS(t, agent)
	onA.until("hello", func(m map[string]any) bool { return m["type"] == "hello" })
	onA.send(map[string]any{"type": "ready", "mode": "preview"})
	st := onA.until("the first task", isState(phasePreview))
	taskID := taskOf(st)["id"]
	require.EqualValues(t, a.tasks["王建国"], taskID)

	// The wallboard on B shows the agent working on A.
	board, _, err := b.dialWS(t, director, b.srv.URL, "?view=wallboard")
	require.NoError(t, err)
	board.until("agent1 in preview on B's wallboard", isWallboardWith("agent1", phasePreview))

	// A second tab, on B, is served through A: same state, and its call is A's.
	onB := b.agentWS(t, agent)
	st = onB.until("the state through A", isState(phasePreview))
	require.Equal(t, taskID, taskOf(st)["id"])
	onB.send(map[string]any{"type": "call"})
	call := a.dialer.next(t)
	require.EqualValues(t, a.tasks["王建国"], call.req.TaskID, "the owner, A, places the call")
	b.noCall(t)
	call.events <- CallEvent{State: CallAnswered, At: time.Now()}
	onB.until("answered on B", func(m map[string]any) bool {
		c, _ := m["call"].(map[string]any)
		return m["type"] == "state" && c != nil && c["state"] == CallAnswered
	})
	board.until("agent1 on a call on B's wallboard", isWallboardWith("agent1", phaseCall))

	// A dies mid-call. B closes the tab it served through A once A's lease runs out;
	// the browser reconnects to B, which resumes the agent: the call ended with A before
	// A recorded it, so the same task is back in preview, not counted, to call again.
	a.die()
	_ = onB.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := onB.c.ReadMessage()
		if err != nil {
			require.False(t, isTimeout(err), "B closes the tab served through the dead A")
			break
		}
	}
	again := b.agentWS(t, agent)
	st = again.until("the task back in preview after the takeover", isState(phasePreview))
	require.Equal(t, taskID, taskOf(st)["id"])
	require.Equal(t, "call_lost", st["notice"])
	require.Nil(t, st["call"])
	again.send(map[string]any{"type": "call"})
	call = b.dialer.next(t)
	require.EqualValues(t, a.tasks["王建国"], call.req.TaskID, "B, the owner now, places the call again")
	call.events <- CallEvent{State: CallAnswered, At: time.Now()}
	call.events <- CallEvent{State: CallEnded, At: time.Now(), Result: "answered", HangupBy: "customer"}
	close(call.events)
	again.until("wrap-up on B", isState(phaseWrapup))

	outcome := map[string]any{"type": "outcome", "client_id": "cluster-0001", "task_id": taskID, "code": "refused"}
	again.send(outcome)
	again.until("the next task", isState(phasePreview))
	// The browser did not see the confirmation and sends it again, after another
	// reconnect: nothing more is stored.
	again.send(outcome)
	again.c.Close()
	last := b.agentWS(t, agent)
	last.send(outcome)
	last.until("the state", func(m map[string]any) bool { return m["type"] == "state" })
	var n int
	require.NoError(t, a.db.QueryRow(ctx, `SELECT count(*) FROM call_outcomes WHERE client_id = 'cluster-0001'`).Scan(&n))
	require.Equal(t, 1, n, "the outcome is stored once")
	board.until("agent1 back in preview on B's wallboard", isWallboardWith("agent1", phasePreview))
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

// TestClusterAdoptsOrphanedAgent: an agent with a task on screen works on process A,
// which dies; the agent never comes back. B adopts the agent once A's lease has run out
// (shown offline), and after the offline grace the task goes back to the queue.
func TestClusterAdoptsOrphanedAgent(t *testing.T) {
	ctx := context.Background()
	r := storetest.NewRedis(t)
	cfg := func(c *Config) { c.ClusterLease = 600 * time.Millisecond; c.WallboardFlush = 50 * time.Millisecond }
	a := setupFull(t, cfg, nil, nil, r.Client)
	b := a.peer(t, cfg, r)
	agent := a.login(t, "agent1")
	ws := a.agentWS(t, agent)
	ws.send(map[string]any{"type": "ready", "mode": "preview"})
	ws.until("the task", isState(phasePreview))
	taken := func() bool {
		var by *int64
		require.NoError(t, a.db.QueryRow(ctx, `SELECT taken_by FROM call_tasks WHERE id = $1`, a.tasks["王建国"]).Scan(&by))
		return by != nil
	}
	require.True(t, taken())

	a.die()
	require.Eventually(t, func() bool { return b.agentOf("agent1") != nil }, 10*time.Second, 20*time.Millisecond, "B adopts the agent")
	ag := b.agentOf("agent1")
	ag.mu.Lock()
	status, phase := ag.status, ag.phase
	ag.mu.Unlock()
	require.Equal(t, statusOffline, status)
	require.Equal(t, phasePreview, phase)
	require.True(t, taken(), "within the grace the task stays the agent's")
	b.advance(2 * time.Minute)
	require.Eventually(t, func() bool { return !taken() }, 10*time.Second, 20*time.Millisecond, "after the grace the task is back in the queue")
}

// TestClusterKeysNameTheDatabase: two databases (here two schemas) on one Redis database never share agents'
// states (a state saved against another database showed an agent a task not theirs, and
// its release failed every second), while every process on the same database does.
func TestClusterKeysNameTheDatabase(t *testing.T) {
	a, b := storetest.New(t), storetest.New(t)
	tagA, tagB := databaseTag(a), databaseTag(b)
	require.NotEmpty(t, tagA)
	require.NotEqual(t, tagA, tagB)
	require.Equal(t, tagA, databaseTag(a), "the same database, the same tag")
	require.Empty(t, databaseTag(nil))
}
