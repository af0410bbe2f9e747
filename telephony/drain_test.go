package telephony

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDrainWaitsForCallsAndRefusesNew: a gateway with an id saves each call's record,
// unfinished and naming the gateway, before the INVITE leaves; once draining it refuses
// new calls, and Drain returns when the call in progress has ended.
func TestDrainWaitsForCallsAndRefusesNew(t *testing.T) {
	customer := startSipp(t, "uas_answer_pcap.xml", "udp", "talk", "1000", "codec", "8", "pcap", sippPCMA)
	log := &memCallLog{byID: map[string]CallResult{}}
	g := newTestGateway(t, Config{ID: "gw-a", Trunk: Trunk{URI: customer.TrunkURI()}, CallLog: log})

	done := make(chan *CallResult, 1)
	go func() {
		res, err := g.Dial(context.Background(), DialParams{To: "13900000001"})
		require.NoError(t, err)
		done <- res
	}()
	require.Eventually(t, func() bool { return g.CallsInProgress() == 1 }, 5*time.Second, 5*time.Millisecond)
	require.Eventually(t, func() bool {
		log.mu.Lock()
		defer log.mu.Unlock()
		for _, r := range log.byID {
			return r.Gateway == "gw-a" && r.Outcome == ""
		}
		return false
	}, 5*time.Second, 5*time.Millisecond, "the unfinished record names its gateway")

	drained := make(chan error, 1)
	go func() { drained <- g.Drain(context.Background()) }()
	require.Eventually(t, g.Draining, 5*time.Second, 5*time.Millisecond)
	_, err := g.Dial(context.Background(), DialParams{To: "13900000002"})
	require.ErrorIs(t, err, ErrDraining, "no new call while draining")
	_, err = g.DialAgent(context.Background(), "agent1", DialParams{To: "13900000002"})
	require.ErrorIs(t, err, ErrDraining)

	res := <-done
	require.Equal(t, OutcomeAnswered, res.Outcome, "the call in progress finished")
	require.Equal(t, "gw-a", res.Gateway)
	require.NoError(t, <-drained)
	require.NoError(t, customer.Wait(t))
	log.mu.Lock()
	require.Len(t, log.byID, 1)
	require.Equal(t, OutcomeAnswered, log.byID[res.CallID].Outcome)
	log.mu.Unlock()
}

// TestDrainIsBounded: a call that does not end in time leaves Drain with an error naming
// it once its context ends; closing the gateway then ends the call.
func TestDrainIsBounded(t *testing.T) {
	s := startSipp(t, "uas_ring_forever.xml", "udp", "delay", "0")
	g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI()}, ByeTimeout: 300 * time.Millisecond})
	done := make(chan *CallResult, 1)
	go func() {
		res, _ := g.Dial(context.Background(), DialParams{To: "13900000001", RingTimeout: time.Minute})
		done <- res
	}()
	require.Eventually(t, func() bool { return g.CallsInProgress() == 1 }, 5*time.Second, 5*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := g.Drain(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "1 calls still in progress")
	require.NoError(t, g.Close())
	res := <-done
	require.NotNil(t, res)
	require.NotEqual(t, OutcomeAnswered, res.Outcome)
}
