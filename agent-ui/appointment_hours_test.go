package agentui

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// An appointment outside the dealer's workshop hours (08:30-17:30 every day by default) is
// refused in Chinese naming the field and the hours, nothing stored; inside them it saves.
func TestOutcomeAppointmentInWorkshopHours(t *testing.T) {
	b := setup(t, nil)
	a1 := b.login(t, "agent1")
	ws := b.agentWS(t, a1)
	ws.send(map[string]any{"type": "ready", "mode": "preview"})
	ws.until("preview", isState(phasePreview))
	task := b.tasks["王建国"]
	ws.send(map[string]any{"type": "call"})
	call := b.dialer.next(t)
	call.events <- CallEvent{State: CallAnswered, AttemptID: 0}
	call.events <- CallEvent{State: CallEnded, Result: "answered", HangupBy: "agent"}
	close(call.events)
	ws.until("wrap-up", isState(phaseWrapup))
	for i, at := range []string{"2030-01-05T02:30", "2030-01-05T08:29", "2030-01-05T17:31"} {
		id := "hours-" + string(rune('a'+i)) + "-0123456789"
		ws.send(map[string]any{"type": "outcome", "client_id": id, "task_id": task, "code": "appointment", "appointment_at": at})
		e := ws.until("refused "+at, func(m map[string]any) bool { return m["type"] == "error" && m["client_id"] == id })
		require.Equal(t, "appointment_hours", e["code"], at)
		require.Equal(t, "appointment_at", e["field"])
		require.Contains(t, e["message"], "不在接车时间内")
		require.Contains(t, e["message"], "每天 08:30-17:30")
	}
	require.Equal(t, 0, outcomeRows(t, b, task))
	ws.send(map[string]any{"type": "outcome", "client_id": "hours-ok-0123456789", "task_id": task, "code": "appointment", "appointment_at": "2030-01-05T17:30"})
	ws.until("saved", func(m map[string]any) bool { return m["type"] == "saved" })
	require.Equal(t, 1, outcomeRows(t, b, task))
}
