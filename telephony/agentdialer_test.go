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
