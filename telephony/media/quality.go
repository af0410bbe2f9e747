package media

import "time"

// Quality is a leg's audio quality as received by the gateway, with the E-model's
// estimate of how a listener would rate it.
type Quality struct {
	// Packets and Lost are the leg's packets received and lost (RFC 3550 A.3).
	Packets, Lost uint64
	// Jitter is the interarrival jitter at the end of the call.
	Jitter time.Duration
	// RTT is the round-trip time from RTCP, zero when unknown.
	RTT time.Duration
	// MOS is the estimated mean opinion score (1 to 4.5), from EstimateMOS.
	MOS float64
}

// LossPercent returns the packets lost as a percentage of those expected.
func (q Quality) LossPercent() float64 {
	if q.Packets+q.Lost == 0 {
		return 0
	}
	return 100 * float64(q.Lost) / float64(q.Packets+q.Lost)
}

// QualityOf rates s (NewQuality's estimate over the counts).
func QualityOf(s Stats) Quality {
	q := Quality{Packets: s.Packets, Lost: s.Lost, Jitter: s.Jitter, RTT: s.RTT}
	q.MOS = EstimateMOS(q.LossPercent(), s.RTT, s.Jitter)
	return q
}

// The E-model's constants for G.711 (ITU-T G.107 and G.113 Appendix I): no equipment
// impairment (Ie 0), packet-loss robustness 25.1 (with packet loss concealment, as the
// browsers and phones have), and the default basic signal-to-noise ratio less the
// simultaneous impairment (93.2).
const (
	eModelR0  = 93.2
	g711Bpl   = 25.1
	packetize = 20 * time.Millisecond
)

// PoorMOS is the estimate below which a call counts as a poor-quality call (R below
// about 70: "some users dissatisfied" in G.107's table B.1).
const PoorMOS = 3.6

// EstimateMOS is the E-model (ITU-T G.107) for a G.711 call: the mouth-to-ear delay is
// taken as half the round trip, one packet time, and a jitter buffer of twice the jitter;
// the delay impairment Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3), the loss impairment
// Ie-eff = 95 Ppl / (Ppl + Bpl), R = 93.2 - Id - Ie-eff, and MOS = 1 + 0.035 R +
// R (R - 60)(100 - R) 7e-6 (1 for R < 0, 4.5 for R > 100). An unknown round trip (no
// RTCP) counts as none.
func EstimateMOS(lossPercent float64, rtt, jitter time.Duration) float64 {
	d := float64(rtt/2+packetize+2*jitter) / float64(time.Millisecond)
	id := 0.024 * d
	if d > 177.3 {
		id += 0.11 * (d - 177.3)
	}
	ie := 95 * lossPercent / (lossPercent + g711Bpl)
	r := eModelR0 - id - ie
	switch {
	case r < 0:
		return 1
	case r > 100:
		return 4.5
	}
	return 1 + 0.035*r + r*(r-60)*(100-r)*7e-6
}
