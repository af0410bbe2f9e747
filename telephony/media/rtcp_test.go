package media

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRTCPRoundTrip: each session's RTP port is even and RTCP is on the port above; a
// sender report from a, answered by b's reception report with LSR and DLSR, gives a its
// round-trip time (RFC 3550 section 6.4.1).
func TestRTCPRoundTrip(t *testing.T) {
	a := loopbackSession(t)
	b := loopbackSession(t)
	require.Zero(t, a.LocalAddr().Port%2, "RTP on an even port")
	require.Equal(t, a.LocalAddr().Port+1, a.rtcpConn.LocalAddr().(*net.UDPAddr).Port)
	answer, err := b.AnswerOffer(a.Offer(1), 2)
	require.NoError(t, err)
	require.NoError(t, a.AcceptAnswer(answer))
	a.Start(Handler{})
	b.Start(Handler{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, a.Play(ctx, Tone(440, 100, 8000), nil))
	require.Eventually(t, func() bool { return b.Stats().Packets >= 5 }, 5*time.Second, 5*time.Millisecond)

	reports := func(s *Session) uint64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.rtcpSt.reports
	}
	a.SendRTCP() // a sender report: a has sent RTP
	require.Eventually(t, func() bool { return reports(b) == 1 }, 5*time.Second, 5*time.Millisecond)
	b.mu.Lock()
	require.False(t, b.rtcpSt.lastSRAt.IsZero(), "b took a's sender report")
	b.mu.Unlock()
	b.SendRTCP() // a reception report about a's stream, with LSR and DLSR
	require.Eventually(t, func() bool { return a.Stats().RTT > 0 }, 5*time.Second, 5*time.Millisecond)
	require.Less(t, a.Stats().RTT, time.Second, "loopback")
}

func TestNTPTime(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 500_000_000, time.UTC)
	n := ntpTime(at)
	require.EqualValues(t, at.Unix()+ntpEpochOffset, n>>32)
	require.EqualValues(t, 1<<31, uint32(n), "half a second")
	require.EqualValues(t, uint32((at.Unix()+ntpEpochOffset)<<16|0x8000), ntpMiddle(n))
}
