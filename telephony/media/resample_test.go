package media

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func sine(freq float64, rate, n int, amp float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return out
}

// TestResampleLowPass: resampling 22050 Hz speech to 8000 Hz keeps the voice band and
// stops what lies above the new Nyquist frequency; a box filter (the mean of the input
// samples each output covers) let a 6 kHz sibilant through as a 2 kHz alias at about
// 30% of its level.
func TestResampleLowPass(t *testing.T) {
	const from, amp = 22050, 10000.0
	for _, tc := range []struct {
		name     string
		in, at   float64
		min, max float64 // output amplitude at `at` Hz, as a fraction of amp
	}{
		{"1 kHz passes", 1000, 1000, 0.97, 1.03},
		{"3.4 kHz passes", 3400, 3400, 0.9, 1.05},
		{"6 kHz does not alias to 2 kHz", 6000, 2000, 0, 0.003},
		{"5 kHz does not alias to 3 kHz", 5000, 3000, 0, 0.003},
		{"9 kHz does not alias to 1 kHz", 9000, 1000, 0, 0.003},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := Resample(sine(tc.in, from, from, amp), from, 8000)
			require.Len(t, out, 8000)
			mid := out[1000:7000] // away from the edges
			got := Goertzel(mid, tc.at, 8000) / amp
			require.GreaterOrEqual(t, got, tc.min)
			require.LessOrEqual(t, got, tc.max)
		})
	}
	dc := make([]int16, from)
	for i := range dc {
		dc[i] = 100
	}
	out := Resample(dc, from, 8000)
	require.Equal(t, int16(100), out[4000], "unit gain at 0 Hz")
	require.Len(t, Resample(dc[:8000], 8000, 16000), 16000)
	up := Resample(sine(1000, 8000, 8000, amp), 8000, 16000)
	require.InDelta(t, 1.0, Goertzel(up[2000:14000], 1000, 16000)/amp, 0.03, "upsampling keeps the tone")
}

func TestGoertzel(t *testing.T) {
	x := sine(440, 8000, 8000, 5000)
	require.InDelta(t, 5000, Goertzel(x, 440, 8000), 50)
	require.Less(t, Goertzel(x, 1000, 8000), 50.0)
	require.Zero(t, Goertzel(nil, 440, 8000))
}
