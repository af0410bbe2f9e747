package simcarrier

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPickFollowsOdds(t *testing.T) {
	c, err := New(Config{Seed: 7, Odds: Odds{Answer: 5, Busy: 2, Unreachable: 1, Invalid: 1, NoAnswer: 1},
		RingMin: time.Second, RingMax: 2 * time.Second, TalkMin: 3 * time.Second, TalkMax: 4 * time.Second})
	require.NoError(t, err)
	const n = 20000
	count := map[Scenario]int{}
	for i := 0; i < n; i++ {
		s, ring, talk := c.pick()
		count[s]++
		require.True(t, ring >= time.Second && ring <= 2*time.Second, "ring %v", ring)
		require.True(t, talk >= 3*time.Second && talk <= 4*time.Second, "talk %v", talk)
	}
	want := map[Scenario]float64{Answer: 0.5, Busy: 0.2, Unreachable: 0.1, Invalid: 0.1, NoAnswer: 0.1}
	for s, p := range want {
		require.InDelta(t, p, float64(count[s])/n, 0.02, "share of %s", s)
	}
}

func TestConfigRejects(t *testing.T) {
	_, err := New(Config{Odds: Odds{Answer: -1}})
	require.ErrorContains(t, err, "odds")
	_, err = New(Config{ListenAddr: "nowhere"})
	require.ErrorContains(t, err, "listen address")
	c, err := New(Config{})
	require.NoError(t, err)
	require.Equal(t, DefaultOdds(), c.cfg.Odds)
}
