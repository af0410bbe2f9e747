package media

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestEstimateMOS: a clean G.711 call rates about 4.4 (R 92), loss and delay lower it as
// G.107 says, and the poor-quality line falls between 2% loss with a long delay and none.
func TestEstimateMOS(t *testing.T) {
	for _, tc := range []struct {
		name     string
		loss     float64
		rtt, jit time.Duration
		lo, hi   float64
	}{
		{"clean", 0, 0, 0, 4.38, 4.42},
		{"LAN", 0, 2 * time.Millisecond, time.Millisecond, 4.38, 4.42},
		{"1% loss", 1, 40 * time.Millisecond, 5 * time.Millisecond, 4.1, 4.3},
		{"5% loss", 5, 100 * time.Millisecond, 10 * time.Millisecond, 3.7, 3.95},
		{"long delay", 0, 600 * time.Millisecond, 20 * time.Millisecond, 3.2, 3.5},
		{"20% loss", 20, 200 * time.Millisecond, 40 * time.Millisecond, 1.5, 2.5},
		{"everything lost", 100, time.Second, 100 * time.Millisecond, 1, 1.3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := EstimateMOS(tc.loss, tc.rtt, tc.jit)
			require.GreaterOrEqual(t, m, tc.lo)
			require.LessOrEqual(t, m, tc.hi)
		})
	}
	require.Less(t, EstimateMOS(5, 100*time.Millisecond, 10*time.Millisecond), EstimateMOS(1, 100*time.Millisecond, 10*time.Millisecond))
	q := QualityOf(Stats{Packets: 95, Lost: 5, RTT: 100 * time.Millisecond, Jitter: 10 * time.Millisecond})
	require.InDelta(t, 5.0, q.LossPercent(), 1e-9)
	require.Less(t, q.MOS, PoorMOS+0.3)
	require.Zero(t, Quality{}.LossPercent())
}
