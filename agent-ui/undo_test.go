package agentui

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// answeredCall places the call of the task on screen, answers it and hangs up: wrap-up.
func answeredCall(t *testing.T, b *bundle, ws *wsConn) {
	t.Helper()
	ws.send(map[string]any{"type": "call"})
	call := b.dialer.next(t)
	call.events <- CallEvent{State: CallAnswered}
	ws.until("answered", func(m map[string]any) bool {
		c, _ := m["call"].(map[string]any)
		return m["type"] == "state" && c["state"] == CallAnswered
	})
	call.events <- CallEvent{State: CallEnded, Result: "answered", HangupBy: "agent"}
	close(call.events)
	ws.until("wrap-up", isState(phaseWrapup))
}

// TestUndoLastOutcome: at the WebSocket level, "saved" says until when the outcome may be
// undone; "undo" puts the task and its call back on screen in wrap-up (the next task taken
// meanwhile goes back to the queue), a new outcome is saved for it; too late, or while a
// call waits for its outcome, undo is refused with a clear error.
func TestUndoLastOutcome(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	a1 := b.login(t, "agent1")
	ws := b.agentWS(t, a1)
	ws.send(map[string]any{"type": "ready", "mode": "preview"})
	ws.until("a task in preview", isState(phasePreview))
	answeredCall(t, b, ws)

	first := b.tasks["王建国"]
	ws.send(map[string]any{"type": "outcome", "client_id": "u1-0123456789", "task_id": first, "code": "reached"})
	saved := ws.until("saved", func(m map[string]any) bool { return m["type"] == "saved" && m["client_id"] == "u1-0123456789" })
	require.EqualValues(t, 60, saved["undo_secs"])
	until, err := time.Parse(time.RFC3339, saved["undo_until"].(string))
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(time.Minute), until, 5*time.Second)
	next := ws.until("the next task", isState(phasePreview))
	second := b.tasks["李娜"]
	require.EqualValues(t, second, taskOf(next)["id"])

	ws.send(map[string]any{"type": "undo", "client_id": "u1-0123456789"})
	ws.until("undone", func(m map[string]any) bool { return m["type"] == "undone" && m["task_id"] == float64(first) })
	st := ws.until("the first task back in wrap-up", isState(phaseWrapup))
	require.EqualValues(t, first, taskOf(st)["id"])
	call, _ := st["call"].(map[string]any)
	require.NotNil(t, call["answered"], "the answered call is back with it")
	require.Equal(t, 0, outcomeRows(t, b, first))
	var takenBy *int64
	require.NoError(t, b.db.QueryRow(ctx, `SELECT taken_by FROM call_tasks WHERE id = $1`, second).Scan(&takenBy))
	require.Nil(t, takenBy, "the task taken meanwhile went back to the queue")

	// Undo again while this call waits for its outcome: refused.
	ws.send(map[string]any{"type": "undo"})
	e := ws.until("refused", func(m map[string]any) bool { return m["type"] == "error" })
	require.Equal(t, "undo_none", e["code"])

	// A new outcome for the same call.
	ws.send(map[string]any{"type": "outcome", "client_id": "u2-0123456789", "task_id": first, "code": "reached"})
	ws.until("saved again", func(m map[string]any) bool { return m["type"] == "saved" && m["client_id"] == "u2-0123456789" })
	require.Equal(t, 1, outcomeRows(t, b, first))

	// Past the minute: refused, nothing changes.
	b.advance(2 * time.Minute)
	ws.send(map[string]any{"type": "undo", "client_id": "u2-0123456789"})
	e = ws.until("too late", func(m map[string]any) bool { return m["type"] == "error" })
	require.Equal(t, "undo_too_late", e["code"])
	require.Contains(t, e["message"], "撤销")
	require.Equal(t, 1, outcomeRows(t, b, first))
}

// TestPauseReasonIsChecked: an unknown pause reason is refused with a clear error and the
// agent's status does not change.
func TestPauseReasonIsChecked(t *testing.T) {
	b := setup(t, nil)
	a1 := b.login(t, "agent1")
	ws := b.agentWS(t, a1)
	ws.send(map[string]any{"type": "ready", "mode": "preview"})
	ws.until("ready", func(m map[string]any) bool { return m["type"] == "state" && m["status"] == statusReady })
	for _, r := range []string{"", "smoke", "休息"} {
		ws.send(map[string]any{"type": "pause", "reason": r})
		e := ws.until("refused", func(m map[string]any) bool { return m["type"] == "error" })
		require.Equal(t, "pause_reason", e["code"], r)
		require.Contains(t, e["message"], "暂停原因")
	}
	a := b.agentOf("agent1")
	a.mu.Lock()
	require.Equal(t, statusReady, a.status)
	a.mu.Unlock()
	ws.send(map[string]any{"type": "pause", "reason": "training"})
	ws.until("paused", func(m map[string]any) bool {
		return m["type"] == "state" && m["status"] == statusPaused && m["pause_reason"] == "training"
	})
}
