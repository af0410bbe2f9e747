package media

import (
	"sync"
	"time"

	"github.com/pion/rtp"
)

// StreamStats counts one received RTP stream that does not arrive through a Session (a
// browser phone's, over WebRTC): packets, loss as RFC 3550 appendix A.3 counts it and
// interarrival jitter. It is safe for concurrent use.
type StreamStats struct {
	mu      sync.Mutex
	packets uint64
	seqs    seqStats
	ssrc    uint32
	jit     jitter
	epoch   time.Time
}

// Observe counts pkt, which arrived at at.
func (s *StreamStats) Observe(pkt *rtp.Packet, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.packets++
	if s.seqs.have && pkt.SSRC != s.ssrc {
		s.seqs.restart()
		s.jit = jitter{}
	}
	s.ssrc = pkt.SSRC
	s.seqs.observe(pkt.SequenceNumber)
	if s.epoch.IsZero() {
		s.epoch = at
	}
	s.jit.observe(at.Sub(s.epoch), pkt.Timestamp)
}

// Stats returns the counts so far (Dropped is always zero).
func (s *StreamStats) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Packets: s.packets, Lost: s.seqs.lost(), Jitter: s.jit.duration()}
}
