package telephony

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// memCallLog keeps the saved records by Call-ID.
type memCallLog struct {
	mu   sync.Mutex
	byID map[string]CallResult
}

func (m *memCallLog) SaveCall(_ context.Context, r *CallResult) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byID[r.CallID] = *r
	return nil
}

func TestAgentDialerSimulated(t *testing.T) {
	ctx := context.Background()
	_, err := NewAgentDialer(AgentDialerConfig{Log: testLogger()}).Dial(ctx, "agent1", DialParams{To: "13900000001"})
	require.ErrorIs(t, err, ErrAgentNotConnected, "no phone and no simulation: no call")

	log := &memCallLog{byID: map[string]CallResult{}}
	d := NewAgentDialer(AgentDialerConfig{Simulate: true, CallLog: log, Log: testLogger()})
	require.ErrorIs(t, d.Hangup("dev-nothing"), ErrNoSuchCall)

	// Hung up while dialing: not answered, hung up by the agent, stored once more at the end.
	updates, err := d.Dial(ctx, "agent1", DialParams{To: "13900000001", Meta: CallMeta{TaskID: 7}})
	require.NoError(t, err)
	first := <-updates
	require.Equal(t, CallDialing, first.State)
	require.NoError(t, d.Hangup(first.ID))
	var last CallUpdate
	for u := range updates {
		last = u
	}
	require.Equal(t, CallEnded, last.State)
	require.Equal(t, OutcomeNoAnswer, last.Result.Outcome)
	require.Equal(t, HangupAgent, last.Result.HangupBy)
	require.Equal(t, int64(7), log.byID[first.ID].Meta.TaskID)
	require.Equal(t, OutcomeNoAnswer, log.byID[first.ID].Outcome)
	require.ErrorIs(t, d.Hangup(first.ID), ErrNoSuchCall, "the call is gone once ended")
	require.Eventually(t, func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return len(d.calls) == 0
	}, time.Second, 5*time.Millisecond)
}

// TestAgentDialerGatewayCallID: a call the AgentDialer places through the gateway has
// the dialer's id as its SIP Call-ID, so the console's id of the call finds its record.
func TestAgentDialerGatewayCallID(t *testing.T) {
	customer := startSipp(t, "uas_answer_pcap.xml", "udp", "talk", "500", "codec", "8", "pcap", sippPCMA)
	creds := mapCredentials{"agent1": {Username: "agent1", HA1: HA1("agent1", "huifang", "pw1"), UserID: 7, DealerID: 3}}
	log := &memCallLog{byID: map[string]CallResult{}}
	g := newTestGateway(t, Config{Trunk: Trunk{URI: customer.TrunkURI()}, Credentials: creds, CallLog: log, RecordingsDir: t.TempDir()})
	phone := startSippUAC(t, "uac_agent.xml", "udp", g.Addr(),
		"user", "agent1", "password", "pw1", "wait", "300", "stay", "3000", "pcap", sippPCMA)
	waitAgent(t, g, "agent1")

	d := NewAgentDialer(AgentDialerConfig{Gateway: g, Log: testLogger()})
	updates, err := d.Dial(context.Background(), "agent1", DialParams{To: "13900000001"})
	require.NoError(t, err)
	first := <-updates
	var last CallUpdate
	for u := range updates {
		last = u
	}
	require.Equal(t, CallEnded, last.State)
	require.NotNil(t, last.Result)
	require.Equal(t, first.ID, last.Result.CallID, "the SIP Call-ID is the dialer's id")
	log.mu.Lock()
	_, stored := log.byID[first.ID]
	log.mu.Unlock()
	require.True(t, stored, "the record is stored under it")
	require.NoError(t, customer.Wait(t))
	require.NoError(t, phone.Wait(t))
}
