package media

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestJitter(t *testing.T) {
	const frame = 20 * time.Millisecond
	cases := []struct {
		name string
		// late is how late packet i arrives against a steady 20 ms pace.
		late func(i int) time.Duration
		// ts0 is the first packet's timestamp (near the wrap, to check it).
		ts0  uint32
		want time.Duration
	}{
		{"steady", func(int) time.Duration { return 0 }, 1000, 0},
		{"steady across the timestamp wrap", func(int) time.Duration { return 0 }, 1<<32 - 480, 0},
		{"constant delay", func(int) time.Duration { return 7 * time.Millisecond }, 0, 0},
		// Every other packet 10 ms late: |D| is 10 ms for every pair, so J tends to 10 ms.
		{"alternating 10 ms", func(i int) time.Duration { return time.Duration(i%2) * 10 * time.Millisecond }, 5, 10 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var j jitter
			ts := c.ts0
			for i := 0; i < 500; i++ {
				j.observe(time.Duration(i)*frame+c.late(i), ts)
				ts += FrameSamples
			}
			require.InDelta(t, float64(c.want), float64(j.duration()), float64(200*time.Microsecond))
		})
	}
}
