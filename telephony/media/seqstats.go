package media

// seqStats counts received and lost packets of one RTP source the way RFC 3550
// appendix A.1 and A.3 do: the extended highest sequence number seen (with the count of
// wraps) against the number of packets received. A packet that arrives out of order
// counts as received and lost nothing; only what never came is lost. A jump of more than
// maxDropout (or a step back of more than maxMisorder) is a restart of the source: the
// count goes on from the new sequence once two packets in a row confirm it.
type seqStats struct {
	have     bool
	baseSeq  uint32 // first sequence number (extended) of the counting
	maxSeq   uint16 // highest sequence number seen
	cycles   uint32 // wraps of the sequence number, times 2^16
	badSeq   uint32 // the sequence that would confirm a restart (maxSeq+1 of the new run)
	received uint64
	// priorExpected and priorReceived are the counts at the last report (for the
	// fraction lost of RTCP receiver reports).
	priorExpected uint64
	priorReceived uint64
	// carried is what earlier runs of the source (before a restart) lost.
	carried uint64
}

const (
	maxDropout  = 3000
	maxMisorder = 100
	seqMod      = 1 << 16
)

// observe counts a packet with sequence number seq.
func (s *seqStats) observe(seq uint16) {
	if !s.have {
		s.init(seq)
		s.received = 1
		return
	}

	udelta := seq - s.maxSeq
	switch {
	case udelta < maxDropout:
		// In order, with a permissible gap.
		if seq < s.maxSeq {
			s.cycles += seqMod
		}
		s.maxSeq = seq
	case uint32(udelta) <= seqMod-maxMisorder:
		// A very large jump: a restarted source, once confirmed by the next packet.
		if uint32(seq) == s.badSeq {
			s.init(seq)
		} else {
			s.badSeq = (uint32(seq) + 1) & (seqMod - 1)
			return
		}
	default:
		// A duplicate or a packet out of order: received, the highest stays.
	}
	s.received++
}

func (s *seqStats) init(seq uint16) {
	*s = seqStats{have: true, baseSeq: uint32(seq), maxSeq: seq, badSeq: seqMod + 1, carried: s.lost()}
}

// restart starts counting a new source (another SSRC) from its next packet; what the
// old one lost stays counted.
func (s *seqStats) restart() {
	*s = seqStats{carried: s.lost()}
}

// extendedMax returns the extended highest sequence number received.
func (s *seqStats) extendedMax() uint32 { return s.cycles + uint32(s.maxSeq) }

// expected returns how many packets the source sent from the first to the highest seen.
func (s *seqStats) expected() uint64 {
	if !s.have {
		return 0
	}
	return uint64(s.extendedMax()-s.baseSeq) + 1
}

// lost returns the cumulative number of packets lost: expected less received, never
// below zero (duplicates can make received exceed expected).
func (s *seqStats) lost() uint64 {
	e := s.expected()
	if s.received >= e {
		return s.carried
	}
	return s.carried + e - s.received
}

// fractionLost returns the fraction of packets lost since the previous call, in 1/256
// (RFC 3550 appendix A.3), and starts the next interval.
func (s *seqStats) fractionLost() uint8 {
	e, r := s.expected(), s.received
	de, dr := e-s.priorExpected, int64(r)-int64(s.priorReceived)
	s.priorExpected, s.priorReceived = e, r
	lost := int64(de) - dr
	if de == 0 || lost <= 0 {
		return 0
	}
	return uint8(min(255, (lost<<8)/int64(de)))
}
