package media

import (
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// RTCPInterval is how often a Session sends its RTCP report (RFC 3550 section 6.2: 5 s
// is the minimum interval it recommends).
const RTCPInterval = 5 * time.Second

// ntpEpochOffset is the seconds from 1900 (NTP's epoch) to 1970 (Unix's).
const ntpEpochOffset = 2208988800

// ntpTime returns t as a 64-bit NTP timestamp.
func ntpTime(t time.Time) uint64 {
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}

// ntpMiddle returns the middle 32 bits of an NTP timestamp (the LSR and DLSR unit:
// 1/65536 s).
func ntpMiddle(ntp uint64) uint32 { return uint32(ntp >> 16) }

// rtcpState is what a Session knows from and for RTCP; guarded by Session.mu.
type rtcpState struct {
	// sentPackets and sentOctets count our RTP for the sender report.
	sentPackets, sentOctets uint32
	// lastSR is the middle of the NTP time of the peer's last sender report, and
	// lastSRAt when it arrived (for LSR and DLSR in our reception report).
	lastSR   uint32
	lastSRAt time.Time
	// rtt is the round trip computed from the peer's last reception report about us
	// (RFC 3550 section 6.4.1: arrival - LSR - DLSR); zero until one came.
	rtt time.Duration
	// remote is where the peer's RTCP goes: its RTP port + 1 until RTCP came from
	// elsewhere (symmetric RTCP).
	remote  netip.AddrPort
	latched bool
	// reports counts the RTCP packets received from the peer.
	reports uint64
}

// rtcpRemoteLocked returns where our RTCP goes; s.mu is held.
func (s *Session) rtcpRemoteLocked() netip.AddrPort {
	if s.rtcpSt.latched {
		return s.rtcpSt.remote
	}
	if !s.remoteAP.IsValid() {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(s.remoteAP.Addr(), s.remoteAP.Port()+1)
}

// readRTCP reads the peer's RTCP until the socket closes: the RTT from its reception
// reports about our stream, and its sender reports for ours.
func (s *Session) readRTCP() {
	defer close(s.rtcpDone)
	buf := make([]byte, 1500)
	for {
		n, from, err := s.rtcpConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		now := s.now()
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		s.mu.Lock()
		// Only the peer's address (the RTP peer's host) is heard, as for RTP.
		if !s.remoteAP.IsValid() || from.Addr() != s.remoteAP.Addr() {
			s.mu.Unlock()
			continue
		}
		s.rtcpSt.remote, s.rtcpSt.latched = from, true
		s.rtcpSt.reports++
		for _, p := range pkts {
			var reports []rtcp.ReceptionReport
			switch p := p.(type) {
			case *rtcp.SenderReport:
				s.rtcpSt.lastSR, s.rtcpSt.lastSRAt = ntpMiddle(p.NTPTime), now
				reports = p.Reports
			case *rtcp.ReceiverReport:
				reports = p.Reports
			}
			for _, r := range reports {
				if r.SSRC != s.ssrc || r.LastSenderReport == 0 {
					continue
				}
				// RFC 3550 section 6.4.1: A - LSR - DLSR, in 1/65536 s.
				d := ntpMiddle(ntpTime(now)) - r.LastSenderReport - r.Delay
				if int32(d) >= 0 {
					s.rtcpSt.rtt = time.Duration(uint64(d) * uint64(time.Second) >> 16)
					s.rttN.Store(int64(s.rtcpSt.rtt))
				}
			}
		}
		s.mu.Unlock()
	}
}

// sendRTCPLoop sends a report half an interval after the start (RFC 3550 section 6.2's
// initial delay) and then every RTCPInterval until the session closes.
func (s *Session) sendRTCPLoop() {
	first := time.NewTimer(RTCPInterval / 2)
	select {
	case <-s.rtcpStop:
		first.Stop()
		return
	case <-first.C:
		s.SendRTCP()
	}
	tick, stop := s.ticker(RTCPInterval)
	defer stop()
	for {
		select {
		case <-s.rtcpStop:
			return
		case <-tick:
			s.SendRTCP()
		}
	}
}

// SendRTCP sends one compound RTCP report to the peer: a sender report when we have sent
// RTP (else a receiver report) with a reception report about the peer's stream once it
// has sent any (fraction and cumulative lost, extended highest sequence number, jitter,
// LSR and DLSR), and an SDES with our CNAME (RFC 3550 section 6.1).
func (s *Session) SendRTCP() {
	now := s.now()
	s.mu.Lock()
	to := s.rtcpRemoteLocked()
	if !to.IsValid() || s.peerDir == Inactive {
		s.mu.Unlock()
		return
	}
	var blocks []rtcp.ReceptionReport
	if s.seqs.have {
		rr := rtcp.ReceptionReport{
			SSRC:               s.srcSSRC,
			FractionLost:       s.seqs.fractionLost(),
			TotalLost:          uint32(min(s.seqs.lost(), 1<<23-1)),
			LastSequenceNumber: s.seqs.extendedMax(),
			Jitter:             uint32(s.jit.j),
		}
		if !s.rtcpSt.lastSRAt.IsZero() {
			rr.LastSenderReport = s.rtcpSt.lastSR
			rr.Delay = uint32(now.Sub(s.rtcpSt.lastSRAt) * (1 << 16) / time.Second)
		}
		blocks = append(blocks, rr)
	}
	var first rtcp.Packet
	if s.rtcpSt.sentPackets > 0 {
		first = &rtcp.SenderReport{SSRC: s.ssrc, NTPTime: ntpTime(now), RTPTime: s.ts,
			PacketCount: s.rtcpSt.sentPackets, OctetCount: s.rtcpSt.sentOctets, Reports: blocks}
	} else {
		first = &rtcp.ReceiverReport{SSRC: s.ssrc, Reports: blocks}
	}
	ssrc := s.ssrc
	s.mu.Unlock()
	b, err := rtcp.Marshal([]rtcp.Packet{first, &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{
		Source: ssrc, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: "huifang"}},
	}}}})
	if err != nil {
		return
	}
	_, _ = s.rtcpConn.WriteToUDPAddrPort(b, to)
}

// listenPair opens an even RTP port on ip and the RTCP port above it (RFC 3550 section
// 11), trying fresh ports while the one above is taken.
func listenPair(ip net.IP) (rtpConn, rtcpConn *net.UDPConn, err error) {
	for range 64 {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
		if err != nil {
			return nil, nil, err
		}
		p := c.LocalAddr().(*net.UDPAddr).Port
		if p%2 == 1 || p == 65534 {
			c.Close()
			continue
		}
		rc, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: p + 1})
		if err != nil {
			c.Close()
			continue
		}
		return c, rc, nil
	}
	// No pair found: RTP alone on any port, RTCP on any other.
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
	if err != nil {
		return nil, nil, err
	}
	rc, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, rc, nil
}
