package media

import (
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"
)

// TestSendDTMFPacing: an RFC 4733 event is one packet per packet interval with a growing
// duration and the start's timestamp, then the end packet three times, again one per
// interval (section 2.5.1.4), not all at once. The ticker is injected: each packet waits
// for its tick, so the test counts the packets sent before each tick.
func TestSendDTMFPacing(t *testing.T) {
	s := loopbackSession(t)
	peer := loopbackPeer(t)
	_, err := s.AnswerOffer(BuildSDP(peer.LocalAddr().(*net.UDPAddr), Origin{ID: 1, Version: 1}, []Codec{PCMU}, DTMFPayloadType, SendRecv), 2)
	require.NoError(t, err)

	tick := make(chan time.Time) // unbuffered: a send returns once SendDTMF waits for it
	var interval time.Duration
	s.ticker = func(d time.Duration) (<-chan time.Time, func()) {
		interval = d
		return tick, func() {}
	}
	sent := func() uint16 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.seq
	}
	seq0 := sent()
	tsBefore := s.ts
	done := make(chan error, 1)
	go func() { done <- s.SendDTMF('5') }()
	for k := 1; k <= 6; k++ {
		// Packet k is sent, and no more until tick k: a sender that sends ahead of its
		// ticks never shows exactly k.
		require.Eventually(t, func() bool { return sent()-seq0 == uint16(k) }, 2*time.Second, time.Millisecond, "packets sent before tick %d", k)
		tick <- time.Time{}
	}
	require.NoError(t, <-done)
	require.Equal(t, uint16(7), sent()-seq0)
	require.Equal(t, 20*time.Millisecond, interval)

	type got struct {
		end    bool
		dur    uint16
		marker bool
	}
	var pkts []got
	buf := make([]byte, 1500)
	for range 7 {
		require.NoError(t, peer.SetReadDeadline(time.Now().Add(2*time.Second)))
		n, _, err := peer.ReadFromUDP(buf)
		require.NoError(t, err)
		var p rtp.Packet
		require.NoError(t, p.Unmarshal(buf[:n]))
		require.EqualValues(t, DTMFPayloadType, p.PayloadType)
		require.Equal(t, tsBefore, p.Timestamp, "every packet of an event has its start timestamp")
		ev, err := ParseDTMF(p.Payload)
		require.NoError(t, err)
		require.Equal(t, byte('5'), ev.Digit)
		pkts = append(pkts, got{ev.End, ev.Duration, p.Marker})
	}
	require.Equal(t, []got{
		{false, 160, true}, {false, 320, false}, {false, 480, false}, {false, 640, false},
		{true, 800, false}, {true, 800, false}, {true, 800, false},
	}, pkts)
	require.Equal(t, tsBefore+800, s.ts, "audio goes on after the event")
	require.Error(t, s.SendDTMF('x'))
}
