package telephony

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/telephony/simcarrier"
)

// TestMetricsMoveWithCalls places an answered call (with audio) and a busy one through
// the simulated carrier and reads the gateway's series from its registry.
func TestMetricsMoveWithCalls(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	ctx := context.Background()

	answer := newTestCarrier(t, simcarrier.Config{Odds: simcarrier.Odds{Answer: 1}, RingMin: 10 * time.Millisecond, RingMax: 20 * time.Millisecond,
		TalkMin: 300 * time.Millisecond, TalkMax: 350 * time.Millisecond})
	g := newTestGateway(t, Config{Trunk: Trunk{URI: answer.URI()}, Metrics: m})
	done := make(chan *CallResult, 1)
	go func() {
		res, err := g.Dial(ctx, DialParams{To: "13900000001", Kind: "agent"})
		require.NoError(t, err)
		done <- res
	}()
	require.Eventually(t, func() bool { return testutil.ToFloat64(m.inProgress.WithLabelValues("agent")) == 1 },
		5*time.Second, 5*time.Millisecond, "the call is in progress while it rings and talks")
	res := <-done
	require.Equal(t, OutcomeAnswered, res.Outcome, res.SIPReason)
	require.Equal(t, 0.0, testutil.ToFloat64(m.inProgress.WithLabelValues("agent")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.calls.WithLabelValues("agent", "answered", "200")))
	require.Equal(t, float64(res.CustomerRTP.Packets), testutil.ToFloat64(m.rtpPackets.WithLabelValues("customer")))
	require.Greater(t, res.CustomerRTP.Packets, uint64(5), "the carrier's tone came back")
	require.Equal(t, float64(res.CustomerRTP.Lost), testutil.ToFloat64(m.rtpLost.WithLabelValues("customer")))

	busy := newTestCarrier(t, simcarrier.Config{Odds: simcarrier.Odds{Busy: 1}, RingMin: 10 * time.Millisecond, RingMax: 20 * time.Millisecond})
	g2 := newTestGateway(t, Config{Trunk: Trunk{URI: busy.URI()}, Metrics: m})
	res, err := g2.Dial(ctx, DialParams{To: "13900000002", Kind: "agent"})
	require.NoError(t, err)
	require.Equal(t, OutcomeBusy, res.Outcome)
	require.Equal(t, 1.0, testutil.ToFloat64(m.calls.WithLabelValues("agent", "busy", "486")))

	// Histograms: one talk time (the answered call), setup times of both calls, one
	// jitter reading of the customer side.
	counts := histogramCounts(t, reg)
	require.Equal(t, uint64(1), counts["huifang_call_talk_seconds"])
	require.Equal(t, uint64(2), counts["huifang_call_setup_seconds"])
	require.Equal(t, uint64(1), counts["huifang_rtp_jitter_seconds"])
}

func TestSetupTime(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name       string
		ring, ans  time.Duration
		want       time.Duration
		wantExists bool
	}{
		{"rang then answered", 2 * time.Second, 5 * time.Second, 2 * time.Second, true},
		{"answered without ringing", 0, 3 * time.Second, 3 * time.Second, true},
		{"rang, never answered", time.Second, 0, time.Second, true},
		{"no ring, no answer", 0, 0, 0, false},
	}
	for _, c := range cases {
		r := &CallResult{InviteAt: t0}
		if c.ring > 0 {
			r.RingAt = t0.Add(c.ring)
		}
		if c.ans > 0 {
			r.AnswerAt = t0.Add(c.ans)
		}
		got, ok := setupTime(r)
		require.Equal(t, c.wantExists, ok, c.name)
		require.Equal(t, c.want, got, c.name)
	}
}

// histogramCounts returns the sample count of every histogram in reg, summed over labels.
func histogramCounts(t *testing.T, reg *prometheus.Registry) map[string]uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]uint64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				out[mf.GetName()] += h.GetSampleCount()
			}
		}
	}
	return out
}
