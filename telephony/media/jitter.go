package media

import "time"

// jitter estimates the interarrival jitter of an RTP stream as RFC 3550 section 6.4.1
// defines it: the mean deviation of the difference in transit time of successive
// packets, smoothed with a gain of 1/16, in timestamp units (1/SampleRate seconds).
type jitter struct {
	have    bool
	transit uint32
	j       float64
}

// observe adds a packet that arrived at arrival (since any fixed origin) with RTP
// timestamp ts. Timestamps wrap; differences are taken modulo 2^32.
func (j *jitter) observe(arrival time.Duration, ts uint32) {
	a := uint32(int64(arrival) * SampleRate / int64(time.Second))
	transit := a - ts
	if j.have {
		d := float64(int32(transit - j.transit))
		if d < 0 {
			d = -d
		}
		j.j += (d - j.j) / 16
	}
	j.transit, j.have = transit, true
}

// duration returns the estimate as a time.
func (j *jitter) duration() time.Duration {
	return time.Duration(j.j * float64(time.Second) / SampleRate)
}
