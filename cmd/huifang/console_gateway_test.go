package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	agentui "github.com/huifang/huifang/agent-ui"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony"
	"github.com/huifang/huifang/telephony/sipptest"
)

// gatewayCreds gives the gateway one agent.
type gatewayCreds struct{ agent telephony.Agent }

func (c gatewayCreds) LookupAgent(_ context.Context, user string) (telephony.Agent, error) {
	if user != c.agent.Username {
		return telephony.Agent{}, telephony.ErrUnknownAgent
	}
	return c.agent, nil
}

// TestGatewayDialerBridgesToAgentPhone places a console call through the real gateway: a
// sipp phone registers as agent1 and keeps its leg up, a sipp customer answers, the agent
// hangs up from the console; the call record and the queue's attempt are written.
func TestGatewayDialerBridgesToAgentPhone(t *testing.T) {
	sipptest.Require(t)
	ctx := context.Background()
	db := storetest.New(t)
	q := store.New(db)
	dealer, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "GW", Name: "网关测试店"})
	require.NoError(t, err)
	agent, err := q.CreateUser(ctx, store.CreateUserParams{DealerID: dealer.ID, Username: "agent1", Role: "agent", PasswordHash: "x", SipHa1: store.SIPHA1("agent1", store.SIPRealm, "pw1")})
	require.NoError(t, err)
	var customerID, taskID int64
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, title, phone) VALUES ($1, '李娜', '女士', '13900000002') RETURNING id`, dealer.ID).Scan(&customerID))
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns, taken_by, taken_at)
		VALUES ($1, $2, 40, current_date - 1, current_date + 30, '{insurance}', $3, now()) RETURNING id`, dealer.ID, customerID, agent.ID).Scan(&taskID))

	testdata := filepath.Join("..", "..", "telephony", "testdata")
	customer := sipptest.Start(t, sipptest.Options{Scenario: filepath.Join(testdata, "uas_answer_wait_bye.xml"), Keys: []string{"codec", "8"}})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	gw, err := telephony.New(telephony.Config{
		ListenAddr:    "127.0.0.1:0",
		Trunk:         telephony.Trunk{URI: customer.TrunkURI()},
		Credentials:   gatewayCreds{telephony.Agent{Username: "agent1", HA1: telephony.HA1("agent1", "huifang", "pw1"), UserID: agent.ID, DealerID: dealer.ID}},
		CallLog:       telephony.NewStoreCallLog(db),
		RecordingsDir: t.TempDir(),
		Logger:        log,
	})
	require.NoError(t, err)
	require.NoError(t, gw.Start())
	t.Cleanup(func() { _ = gw.Close() })
	sipptest.Start(t, sipptest.Options{Scenario: filepath.Join(testdata, "uac_agent.xml"), Remote: gw.Addr(),
		Keys: []string{"user", "agent1", "password", "pw1", "wait", "300", "stay", "8000", "pcap", "/usr/share/sip-tester/g711a.pcap"}})
	for i := 0; i < 200 && !gw.AgentConnected("agent1"); i++ {
		time.Sleep(25 * time.Millisecond)
	}
	require.True(t, gw.AgentConnected("agent1"), "the agent's phone leg is up")

	d := newTestConsoleDialer(db, gw, false)
	events, err := d.Dial(ctx, agentui.DialRequest{DealerID: dealer.ID, TaskID: taskID, CustomerID: customerID,
		AgentUserID: agent.ID, AgentUsername: "agent1", Number: "13900000002"})
	require.NoError(t, err)
	var states []string
	var last agentui.CallEvent
	timeout := time.After(20 * time.Second)
	for done := false; !done; {
		select {
		case ev, ok := <-events:
			if !ok {
				done = true
				break
			}
			states = append(states, ev.State)
			last = ev
			if ev.State == agentui.CallAnswered {
				require.NoError(t, d.Hangup(ctx, ev.CallID))
			}
		case <-timeout:
			t.Fatalf("the call did not end; states %v", states)
		}
	}
	require.Equal(t, agentui.CallDialing, states[0])
	require.Contains(t, states, agentui.CallAnswered)
	require.Equal(t, agentui.CallEnded, last.State)
	require.Equal(t, "answered", last.Result)
	require.Equal(t, telephony.HangupAgent, last.HangupBy)
	require.NotZero(t, last.AttemptID, "the gateway's call record is linked")
	// The call's result reached the queue's attempt rules, once.
	var sipCallID string
	require.NoError(t, db.QueryRow(ctx, `SELECT call_id FROM call_attempts WHERE id = $1 AND task_id = $2`, last.AttemptID, taskID).Scan(&sipCallID))
	effect, err := q.GetAttemptEffect(ctx, store.GetAttemptEffectParams{DealerID: dealer.ID, CallID: sipCallID})
	require.NoError(t, err)
	require.Equal(t, "open", effect.TaskStatus, "an answered call leaves the task with the agent")
}
