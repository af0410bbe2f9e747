package media

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// FrameSamples is the number of samples in one 20 ms packet.
const FrameSamples = SampleRate / 50

// Handler receives what a Session reads. Its functions run on the Session's reader
// goroutine; they must not block, and must not keep the packet or the samples after
// they return (both are reused for the next packet).
type Handler struct {
	// Audio gets each G.711 packet, decoded.
	Audio func(pkt *rtp.Packet, codec Codec, samples []int16)
	// DTMF gets each telephone event once, when it ends.
	DTMF func(digit byte)
	// Event gets every telephone-event packet as it came (for passthrough).
	Event func(pkt *rtp.Packet)
}

// Stats counts what a Session received.
type Stats struct {
	// Packets is the number of RTP packets received.
	Packets uint64
	// Lost is the number of packets that never arrived: those expected up to the
	// highest sequence number seen, less those received (RFC 3550 appendix A.3). A packet
	// out of order is late, not lost.
	Lost uint64
	// Jitter is the interarrival jitter of the audio packets (RFC 3550 section 6.4.1)
	// when the stats were read.
	Jitter time.Duration
	// Dropped is the number of packets refused because they came from neither the
	// latched source nor the address the SDP signalled (injection attempts).
	Dropped uint64
	// RTT is the round-trip time from the peer's last RTCP reception report about our
	// stream (RFC 3550 section 6.4.1); zero when the peer sent none.
	RTT time.Duration
}

// Session is one RTP endpoint of a call leg: a UDP socket, the peer's address and codec,
// and our own sequence number, timestamp and SSRC.
type Session struct {
	conn *net.UDPConn
	// rtcpConn is the RTCP socket, on the RTP port + 1.
	rtcpConn *net.UDPConn
	rtcpSt   rtcpState
	rttN     atomic.Int64 // Stats.RTT in nanoseconds
	rtcpDone chan struct{}
	rtcpStop chan struct{}
	// now is the clock of RTCP's timestamps (time.Now unless a test injects one).
	now func() time.Time

	// wmu serialises sending and guards the scratch buffers, so a packet costs no
	// allocation.
	wmu  sync.Mutex
	pbuf []byte // payload scratch
	wbuf []byte // packet scratch

	mu       sync.Mutex
	remote   *net.UDPAddr
	remoteAP netip.AddrPort
	latched  bool
	// sdpAP is the address the peer's SDP signalled; allowIPs are the addresses the
	// first packet may come from (the SDP's and the signalling peer's). Once latched,
	// only the latched source and sdpAP are heard.
	sdpAP    netip.AddrPort
	allowIPs []netip.Addr
	codec    Codec
	dtmfPT   uint8
	seq      uint16
	ts       uint32
	ssrc     uint32
	started  bool
	// peerDir is the direction the peer's SDP gave the audio: nothing is sent to a
	// peer that does not receive (sendonly or inactive, a hold).
	peerDir  Direction
	origin   Origin
	seqs     seqStats
	srcSSRC  uint32
	lastDTMF uint32
	haveDTMF bool
	jit      jitter
	// epoch is the origin of arrival times for the jitter estimate.
	epoch time.Time

	packets atomic.Uint64
	lost    atomic.Uint64 // Stats.Lost, from seqs
	jitterN atomic.Int64  // Stats.Jitter in nanoseconds
	dropped atomic.Uint64
	// lastRecv is when the last accepted packet arrived (Unix nanoseconds; 0: none yet).
	lastRecv atomic.Int64
	done     chan struct{}
	closed   atomic.Bool

	// ticker makes the pacing ticker of telephone events (time.NewTicker unless a test
	// injects its own).
	ticker func(d time.Duration) (<-chan time.Time, func())
}

func realTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// Listen opens an RTP session on a free UDP port of host (an IP address).
func Listen(host string) (*Session, error) {
	ip := net.ParseIP(host)
	if ip == nil {
		return nil, fmt.Errorf("rtp: bad host %q", host)
	}
	conn, rtcpConn, err := listenPair(ip)
	if err != nil {
		return nil, fmt.Errorf("rtp listen: %w", err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &Session{
		conn:     conn,
		rtcpConn: rtcpConn,
		rtcpDone: make(chan struct{}),
		rtcpStop: make(chan struct{}),
		now:      time.Now,
		codec:    PCMU,
		ssrc:     binary.BigEndian.Uint32(b[0:]),
		seq:      binary.BigEndian.Uint16(b[4:]),
		ts:       uint32(binary.BigEndian.Uint16(b[6:])) << 8,
		dtmfPT:   DTMFPayloadType,
		peerDir:  SendRecv,
		done:     make(chan struct{}),
		ticker:   realTicker,
	}, nil
}

// LocalAddr returns the session's UDP address.
func (s *Session) LocalAddr() *net.UDPAddr { return s.conn.LocalAddr().(*net.UDPAddr) }

// Codec returns the negotiated codec.
func (s *Session) Codec() Codec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.codec
}

// Remote returns where the session sends, or nil before negotiation.
func (s *Session) Remote() *net.UDPAddr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote
}

// nextOriginLocked returns the o= line of our next description: the session id is
// chosen once (id, the first time), the version grows with each description; s.mu is
// held.
func (s *Session) nextOriginLocked(id uint64) Origin {
	if s.origin.ID == 0 {
		s.origin.ID = id
		if s.origin.ID == 0 {
			s.origin.ID = 1
		}
	}
	s.origin.Version++
	return s.origin
}

// Offer returns an SDP offer of PCMU, PCMA and telephone events on this session. id is
// the session id of the o= line the first time; later descriptions keep it and raise the
// version.
func (s *Session) Offer(id uint64) []byte {
	s.mu.Lock()
	o := s.nextOriginLocked(id)
	s.mu.Unlock()
	return BuildSDP(s.LocalAddr(), o, []Codec{PCMU, PCMA}, DTMFPayloadType, SendRecv)
}

// AcceptAnswer applies the peer's SDP answer to our offer.
func (s *Session) AcceptAnswer(body []byte) error {
	sdp, err := ParseSDP(body)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applyLocked(sdp, sdp.Codecs[0])
	return nil
}

// AnswerOffer applies the peer's SDP offer (a first INVITE or a re-INVITE) and returns
// our answer: the peer's first G.711 codec, telephone events when offered, the reply to
// the offer's direction (a hold, sendonly, is answered recvonly), and every other stream
// of the offer rejected. prefer, when the peer offers it, wins. id is the o= session id
// the first time (see Offer).
func (s *Session) AnswerOffer(body []byte, id uint64, prefer ...Codec) ([]byte, error) {
	sdp, err := ParseSDP(body)
	if err != nil {
		return nil, err
	}
	codec := sdp.Codecs[0]
	for _, p := range prefer {
		for _, c := range sdp.Codecs {
			if c == p {
				codec = p
			}
		}
	}
	s.mu.Lock()
	s.applyLocked(sdp, codec)
	o := s.nextOriginLocked(id)
	s.mu.Unlock()
	return BuildAnswer(sdp, s.LocalAddr(), o, codec), nil
}

// applyLocked takes the peer's description; s.mu is held.
func (s *Session) applyLocked(sdp *SDP, codec Codec) {
	if !sdp.Addr.IP.IsUnspecified() {
		s.setSDPRemoteLocked(sdp.Addr)
	}
	s.codec = codec
	if sdp.DTMF != 0 {
		s.dtmfPT = sdp.DTMF
	}
	s.peerDir = sdp.Direction
}

// Direction returns the direction the peer's last description gave the audio.
func (s *Session) Direction() Direction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peerDir
}

// setSDPRemoteLocked takes the address the peer's SDP signalled: the session sends there
// and, when it changed (a re-INVITE moving the media), latches again; s.mu is held.
func (s *Session) setSDPRemoteLocked(a *net.UDPAddr) {
	s.setRemoteLocked(a)
	if s.remoteAP != s.sdpAP {
		s.sdpAP = s.remoteAP
		s.latched = false
	}
}

// AllowSource lets the first packet (the one the session latches to) come from ip as
// well as from the address the SDP signalled: the peer's signalling address, for phones
// behind NAT. Without any call, a session latches to whatever sends first.
func (s *Session) AllowSource(ip string) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return
	}
	a = a.Unmap()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.allowIPs {
		if x == a {
			return
		}
	}
	s.allowIPs = append(s.allowIPs, a)
}

// acceptLocked reports whether a packet from ap is the peer's, latching to it when it is
// the first; s.mu is held.
func (s *Session) acceptLocked(ap netip.AddrPort) bool {
	if s.latched {
		return ap == s.remoteAP || ap == s.sdpAP
	}
	ok := ap == s.sdpAP || (s.sdpAP.IsValid() && ap.Addr() == s.sdpAP.Addr()) ||
		(len(s.allowIPs) == 0 && !s.sdpAP.IsValid())
	for _, ip := range s.allowIPs {
		ok = ok || ap.Addr() == ip
	}
	if !ok {
		return false
	}
	// Symmetric RTP: answer to where the peer really sends from.
	s.setRemoteLocked(net.UDPAddrFromAddrPort(ap))
	s.latched = true
	return true
}

// LastPacket returns when the last packet of the peer arrived (zero before the first).
func (s *Session) LastPacket() time.Time {
	if n := s.lastRecv.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// setRemoteLocked sets where the session sends; s.mu is held.
func (s *Session) setRemoteLocked(a *net.UDPAddr) {
	s.remote = a
	ap := a.AddrPort()
	s.remoteAP = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// Start launches the reader goroutine; it ends when the session is closed.
func (s *Session) Start(h Handler) {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return
	}
	s.started = true
	s.mu.Unlock()
	go s.read(h)
	go s.readRTCP()
	go s.sendRTCPLoop()
}

func (s *Session) read(h Handler) {
	defer close(s.done)
	buf := make([]byte, 1500)
	var pcm []int16
	// One packet is reused for every read: handlers must not keep it.
	var pkt rtp.Packet
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if err := pkt.Unmarshal(buf[:n]); err != nil || pkt.Version != 2 {
			continue
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		s.mu.Lock()
		if !s.acceptLocked(from) {
			s.mu.Unlock()
			s.dropped.Add(1)
			continue
		}
		s.packets.Add(1)
		s.lastRecv.Store(time.Now().UnixNano())
		if s.seqs.have && pkt.SSRC != s.srcSSRC {
			s.seqs.restart()
		}
		s.srcSSRC = pkt.SSRC
		s.seqs.observe(pkt.SequenceNumber)
		s.lost.Store(s.seqs.lost())
		if pkt.PayloadType == uint8(PCMU) || pkt.PayloadType == uint8(PCMA) {
			if s.epoch.IsZero() {
				s.epoch = time.Now()
			}
			s.jit.observe(time.Since(s.epoch), pkt.Timestamp)
			s.jitterN.Store(int64(s.jit.duration()))
		}
		dtmfPT := s.dtmfPT
		s.mu.Unlock()
		switch {
		case pkt.PayloadType == uint8(PCMU) || pkt.PayloadType == uint8(PCMA):
			if h.Audio != nil {
				pcm = Codec(pkt.PayloadType).Decode(pcm[:0], pkt.Payload)
				h.Audio(&pkt, Codec(pkt.PayloadType), pcm)
			}
		case pkt.PayloadType == dtmfPT || pkt.PayloadType == DTMFPayloadType:
			if h.Event != nil {
				h.Event(&pkt)
			}
			ev, err := ParseDTMF(pkt.Payload)
			if err != nil || !ev.End {
				continue
			}
			s.mu.Lock()
			dup := s.haveDTMF && s.lastDTMF == pkt.Timestamp
			s.lastDTMF, s.haveDTMF = pkt.Timestamp, true
			s.mu.Unlock()
			if !dup && h.DTMF != nil {
				h.DTMF(ev.Digit)
			}
		}
	}
}

// Stats returns what the session received so far.
func (s *Session) Stats() Stats {
	return Stats{Packets: s.packets.Load(), Lost: s.lost.Load(), Jitter: time.Duration(s.jitterN.Load()), Dropped: s.dropped.Load(),
		RTT: time.Duration(s.rttN.Load())}
}

// ErrNoRemote means the session has no peer address yet.
var ErrNoRemote = errors.New("rtp: no remote address")

// WriteSamples sends samples as one audio packet in the negotiated codec and returns the
// packet's timestamp.
func (s *Session) WriteSamples(samples []int16) (uint32, error) {
	s.mu.Lock()
	codec := s.codec
	s.mu.Unlock()
	return s.send(uint8(codec), uint32(len(samples)), false, func(dst []byte) []byte { return codec.Encode(dst, samples) })
}

// send sends one packet of payload type pt whose payload fill appends to its argument,
// advancing the timestamp by samples, and returns the packet's timestamp.
func (s *Session) send(pt uint8, samples uint32, marker bool, fill func(dst []byte) []byte) (uint32, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	if s.peerDir == SendOnly || s.peerDir == Inactive {
		// The peer holds the call: time passes, nothing is sent (RFC 3264 section 5.1).
		ts := s.ts
		s.ts += samples
		s.mu.Unlock()
		return ts, nil
	}
	remote := s.remoteAP
	pkt := rtp.Packet{Header: rtp.Header{
		Version: 2, PayloadType: pt, SequenceNumber: s.seq, Timestamp: s.ts, SSRC: s.ssrc, Marker: marker,
	}}
	s.seq++
	if remote.IsValid() {
		s.rtcpSt.sentPackets++
		s.rtcpSt.sentOctets += samples // one octet a sample in G.711
	}
	ts := s.ts
	s.ts += samples
	s.mu.Unlock()
	if !remote.IsValid() {
		return ts, ErrNoRemote
	}
	s.pbuf = fill(s.pbuf[:0])
	pkt.Payload = s.pbuf
	size := pkt.MarshalSize()
	if cap(s.wbuf) < size {
		s.wbuf = make([]byte, size)
	}
	n, err := pkt.MarshalTo(s.wbuf[:size])
	if err != nil {
		return ts, fmt.Errorf("rtp marshal: %w", err)
	}
	if _, err := s.conn.WriteToUDPAddrPort(s.wbuf[:n], remote); err != nil {
		return ts, fmt.Errorf("rtp write: %w", err)
	}
	return ts, nil
}

// writePayload sends an already coded payload.
func (s *Session) writePayload(pt uint8, payload []byte, samples uint32, marker bool) (uint32, error) {
	return s.send(pt, samples, marker, func(dst []byte) []byte { return append(dst, payload...) })
}

// Relay sends a packet received on another session to this session's peer, keeping its
// timing but with this session's SSRC and sequence; audio is transcoded when the two legs
// negotiated different G.711 variants, and telephone events get the peer's payload type.
func (s *Session) Relay(pkt *rtp.Packet, codec Codec, samples []int16) (uint32, error) {
	s.mu.Lock()
	mine := s.codec
	s.mu.Unlock()
	if codec != mine {
		return s.send(uint8(mine), uint32(len(samples)), pkt.Marker, func(dst []byte) []byte { return mine.Encode(dst, samples) })
	}
	return s.writePayload(uint8(mine), pkt.Payload, uint32(len(samples)), pkt.Marker)
}

// RelayEvent forwards a telephone-event packet with this session's event payload type.
func (s *Session) RelayEvent(pkt *rtp.Packet) error {
	s.mu.Lock()
	pt := s.dtmfPT
	s.mu.Unlock()
	// Events keep the timestamp of their start; do not advance ours for them.
	_, err := s.writePayload(pt, pkt.Payload, 0, pkt.Marker)
	return err
}

// Play sends samples in 20 ms packets paced in real time until done or ctx ends. tap, when
// set, gets each packet's timestamp and samples (for recording what we send).
func (s *Session) Play(ctx context.Context, samples []int16, tap func(ts uint32, samples []int16)) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for off := 0; off < len(samples); off += FrameSamples {
		frame := samples[off:min(off+FrameSamples, len(samples))]
		ts, err := s.WriteSamples(frame)
		if err != nil && !errors.Is(err, ErrNoRemote) {
			return err
		}
		if tap != nil {
			tap(ts, frame)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// CanSendDTMF reports whether the peer's SDP negotiated RFC 4733 telephone events.
func (s *Session) CanSendDTMF() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dtmfPT != 0
}

// DTMF event timing: an event lasts dtmfDuration samples (100 ms), updated every
// dtmfInterval (one packet time, 20 ms).
const (
	dtmfInterval = 20 * time.Millisecond
	dtmfStep     = FrameSamples
	dtmfDuration = 5 * dtmfStep
)

// SendDTMF sends digit as an RFC 4733 event lasting 100 ms: one packet per packet
// interval (20 ms), all with the event's start timestamp and a growing duration, the
// first with the marker bit (section 2.5.1.2); the end packet is sent three times at the
// packet interval, not at once (section 2.5.1.4), so a lost one does not lose the end.
// It returns when the last packet is sent, 120 ms after the first.
func (s *Session) SendDTMF(digit byte) error {
	if _, err := (DTMFEvent{Digit: digit}).Marshal(); err != nil {
		return err
	}
	s.mu.Lock()
	pt := s.dtmfPT
	start := s.ts
	s.mu.Unlock()
	tick, stop := s.ticker(dtmfInterval)
	defer stop()
	const updates, ends = dtmfDuration / dtmfStep, 3
	for i := 0; i < updates+ends-1; i++ {
		if i > 0 {
			<-tick
		}
		dur := min(dtmfDuration, (i+1)*dtmfStep)
		ev := DTMFEvent{Digit: digit, End: i >= updates-1, Volume: 10, Duration: uint16(dur)}
		p, _ := ev.Marshal()
		if err := s.sendEvent(pt, start, p, i == 0); err != nil {
			return err
		}
	}
	// Audio after the event starts where the event ended.
	s.mu.Lock()
	if int32(s.ts-(start+dtmfDuration)) < 0 {
		s.ts = start + dtmfDuration
	}
	s.mu.Unlock()
	return nil
}

// sendEvent sends one telephone-event packet with timestamp ts (the event's start).
func (s *Session) sendEvent(pt uint8, ts uint32, payload []byte, marker bool) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	if s.peerDir == SendOnly || s.peerDir == Inactive {
		s.mu.Unlock()
		return nil
	}
	remote := s.remoteAP
	pkt := rtp.Packet{Header: rtp.Header{
		Version: 2, PayloadType: pt, SequenceNumber: s.seq, Timestamp: ts, SSRC: s.ssrc, Marker: marker,
	}, Payload: payload}
	s.seq++
	s.mu.Unlock()
	if !remote.IsValid() {
		return ErrNoRemote
	}
	b, err := pkt.Marshal()
	if err != nil {
		return fmt.Errorf("rtp marshal: %w", err)
	}
	if _, err := s.conn.WriteToUDPAddrPort(b, remote); err != nil {
		return fmt.Errorf("rtp write: %w", err)
	}
	return nil
}

// Close closes the socket and waits for the reader goroutine, if started.
func (s *Session) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	err := s.conn.Close()
	_ = s.rtcpConn.Close()
	close(s.rtcpStop)
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if started {
		<-s.done
		<-s.rtcpDone
	}
	return err
}
