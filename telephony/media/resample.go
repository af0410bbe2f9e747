package media

import "math"

// resampleZeros is the half-width of the resampling kernel in zero crossings of its
// sinc: 48 on each side (282 taps from 22050 Hz to 8000 Hz) gives a transition band of
// about 430 Hz with the Blackman window, whose stopband is below -70 dB.
const resampleZeros = 48

// resampleCutoff is the cut-off (the middle of the transition band) as a fraction of
// the lower rate.
const resampleCutoff = 0.47

// Resample converts samples at from Hz to to Hz with a windowed-sinc low-pass filter (a
// Blackman-windowed sinc, polyphase: any ratio of whole rates works). The
// cut-off is 0.47 of the lower rate: converting speech to 8000 Hz keeps the telephone
// band (to 3400 Hz) and stops what lies above 4000 Hz (sibilants would otherwise alias
// into the voice band). The gain at 0 Hz is exactly one.
func Resample(in []int16, from, to int) []int16 {
	if from == to || len(in) == 0 || from <= 0 || to <= 0 {
		return in
	}
	g := gcd(from, to)
	up, down := to/g, from/g // output i sits at input (i*down)/up
	n := int(int64(len(in)) * int64(up) / int64(down))
	out := make([]int16, n)
	// fc is the cut-off in cycles per input sample; half is half the kernel's width in
	// input samples, from the number of zero crossings kept.
	fc := resampleCutoff * float64(min(from, to)) / float64(from)
	half := float64(resampleZeros) / (2 * fc)
	w := int(math.Ceil(half))
	// The output instants fall on `up` phases between input samples: one normalised
	// kernel per phase, taps at input offsets -w+1 .. w from the sample before.
	kernels := make([][]float64, up)
	for p := range kernels {
		frac := float64(p) / float64(up)
		k := make([]float64, 2*w)
		for m := range k {
			d := float64(m-w+1) - frac
			k[m] = sinc(2*fc*d) * blackman(d/half)
		}
		kernels[p] = k
	}
	for i := range out {
		pos := int64(i) * int64(down)
		j0, p := int(pos/int64(up)), int(pos%int64(up))
		k := kernels[p]
		var sum, norm float64
		for m, h := range k {
			j := j0 - w + 1 + m
			if j < 0 || j >= len(in) {
				continue
			}
			sum += h * float64(in[j])
			norm += h
		}
		if norm != 0 {
			sum /= norm
		}
		out[i] = int16(max(-32768, min(32767, math.Round(sum))))
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// blackman is the Blackman window on [-1, 1] (zero outside).
func blackman(x float64) float64 {
	if x <= -1 || x >= 1 {
		return 0
	}
	p := math.Pi * (x + 1) // 0 .. 2π across the window
	return 0.42 - 0.5*math.Cos(p) + 0.08*math.Cos(2*p)
}

// Goertzel returns the amplitude of the frequency freq Hz in samples taken at rate Hz
// (the Goertzel algorithm: one bin of a DFT): for a sine of amplitude A at freq it is
// about A, for other frequencies far less. Tests use it to tell which tone a recording
// channel carries.
func Goertzel(samples []int16, freq float64, rate int) float64 {
	if len(samples) == 0 {
		return 0
	}
	w := 2 * math.Pi * freq / float64(rate)
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range samples {
		s0 := float64(x) + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	return 2 * math.Sqrt(max(0, power)) / float64(len(samples))
}
