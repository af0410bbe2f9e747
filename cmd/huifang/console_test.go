package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	agentui "github.com/huifang/huifang/agent-ui"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony"
)

// TestConsoleWiring drives the console's Queue and Dialer as serve wires them: the queue
// engine on Postgres and the development dialer.
func TestConsoleWiring(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	q := store.New(db)
	dealer, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "CW", Name: "接线测试店"})
	require.NoError(t, err)
	_, err = db.Exec(ctx, `UPDATE dealers SET call_window_start = '00:00', call_window_end = '23:59:59', same_day_window_end = '23:59:59' WHERE id = $1`, dealer.ID)
	require.NoError(t, err)
	agent, err := q.CreateUser(ctx, store.CreateUserParams{DealerID: dealer.ID, Username: "agent1", Role: "agent", PasswordHash: "x"})
	require.NoError(t, err)
	var customerID, taskID int64
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, title, phone) VALUES ($1, '王建国', '先生', '13900000001') RETURNING id`, dealer.ID).Scan(&customerID))
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns)
		VALUES ($1, $2, 40, current_date - 1, current_date + 30, '{maintenance}') RETURNING id`, dealer.ID, customerID).Scan(&taskID))

	qa := queueAdapter{db: db}
	task, err := qa.Take(ctx, dealer.ID, agent.ID)
	require.NoError(t, err)
	require.Equal(t, taskID, task.ID)
	require.Equal(t, "13900000001", task.Phone)
	// Taking again (a console restarted) hands back the task the agent holds.
	again, err := qa.Take(ctx, dealer.ID, agent.ID)
	require.NoError(t, err)
	require.Equal(t, taskID, again.ID)

	// Before any call, an outcome is refused (nothing stored) and says why.
	noCall := agentui.Outcome{ClientID: "wiring-0000", DealerID: dealer.ID, TaskID: taskID, AgentUserID: agent.ID, Code: "reached"}
	require.ErrorIs(t, qa.RecordOutcome(ctx, noCall), agentui.ErrNoCall)

	// The development dialer plays a call and records it.
	dd := newTestConsoleDialer(db, nil, true)
	events, err := dd.Dial(ctx, agentui.DialRequest{DealerID: dealer.ID, TaskID: taskID, CustomerID: customerID,
		AgentUserID: agent.ID, AgentUsername: "agent1", Number: task.Phone})
	require.NoError(t, err)
	var states []string
	var callID string
	var attemptID int64
	timeout := time.After(15 * time.Second)
	for done := false; !done; {
		select {
		case ev, ok := <-events:
			if !ok {
				done = true
				break
			}
			states = append(states, ev.State)
			callID, attemptID = ev.CallID, ev.AttemptID
			if ev.State == agentui.CallAnswered {
				require.NoError(t, dd.Hangup(ctx, callID))
			}
			if ev.State == agentui.CallEnded {
				require.Equal(t, "answered", ev.Result)
				require.Equal(t, "agent", ev.HangupBy)
			}
		case <-timeout:
			t.Fatalf("call did not end; states %v", states)
		}
	}
	require.Equal(t, []string{agentui.CallDialing, agentui.CallRinging, agentui.CallAnswered, agentui.CallEnded}, states)
	require.NotZero(t, attemptID)
	a, err := q.GetCallAttemptByCallID(ctx, callID)
	require.NoError(t, err)
	require.NotNil(t, a.AnswerAt)
	require.NotNil(t, a.EndAt)
	require.Equal(t, "answered", a.Outcome)

	// The outcome is saved once, however often it is sent.
	o := agentui.Outcome{ClientID: "wiring-0001", DealerID: dealer.ID, TaskID: taskID, AgentUserID: agent.ID,
		AttemptID: attemptID, Code: "reached", Answers: json.RawMessage(`{"satisfaction":{"score":5}}`), ScriptVersion: "maintenance@0",
		SMSOptOut: true}
	require.NoError(t, qa.RecordOutcome(ctx, o))
	require.NoError(t, qa.RecordOutcome(ctx, o))
	var n int
	var status string
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM call_outcomes WHERE task_id = $1`, taskID).Scan(&n))
	require.NoError(t, db.QueryRow(ctx, `SELECT status FROM call_tasks WHERE id = $1`, taskID).Scan(&status))
	require.Equal(t, 1, n)
	require.Equal(t, "done", status)
	var consent string
	require.NoError(t, db.QueryRow(ctx, `SELECT state || '/' || source FROM sms_consent WHERE dealer_id = $1`, dealer.ID).Scan(&consent))
	require.Equal(t, "opted_out/agent", consent, "the agent's SMS opt-out box reaches the queue")
	_, err = qa.Take(ctx, dealer.ID, agent.ID)
	require.ErrorIs(t, err, agentui.ErrNoTask)

	// With a real trunk and no registered phone, no call is placed.
	_, err = newTestConsoleDialer(db, nil, false).Dial(ctx, agentui.DialRequest{AgentUsername: "agent1", Number: "13900000001"})
	require.ErrorIs(t, err, agentui.ErrPhoneNotConnected)

	// Outside the calling window the console is told when it opens.
	_, err = db.Exec(ctx, `UPDATE dealers SET call_window_start = '00:00', call_window_end = '00:00:01', same_day_window_end = '00:00:01' WHERE id = $1`, dealer.ID)
	require.NoError(t, err)
	_, err = qa.Take(ctx, dealer.ID, agent.ID)
	var closed *agentui.ClosedError
	require.True(t, errors.As(err, &closed), "got %v", err)
	require.True(t, closed.NextOpen.After(time.Now()))
}

// newTestConsoleDialer is the console's dialer as serve wires it, on gw (nil: none),
// simulating calls for agents without a phone when simulate is set.
func newTestConsoleDialer(db *pgxpool.Pool, gw *telephony.Gateway, simulate bool) *consoleDialer {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &consoleDialer{calls: telephony.NewAgentDialer(telephony.AgentDialerConfig{Gateway: gw, Simulate: simulate,
		CallLog: telephony.NewStoreCallLog(db), Log: log}), db: db, log: log}
}
