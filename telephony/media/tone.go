package media

import "math"

func sqrt(x float64) float64 { return math.Sqrt(x) }

// Tone returns d milliseconds of a sine wave at freq Hz and the given amplitude
// (0..32767), at 8000 Hz.
func Tone(freq float64, ms int, amplitude float64) []int16 {
	n := SampleRate * ms / 1000
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amplitude * math.Sin(2*math.Pi*freq*float64(i)/SampleRate))
	}
	return out
}
