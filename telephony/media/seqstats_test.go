package media

import (
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"
)

// TestSeqStatsLoss: packets out of order are late, not lost; only those that never came
// are; duplicates do not hide a loss from the count of expected packets, and the
// sequence wraps.
func TestSeqStatsLoss(t *testing.T) {
	for _, tc := range []struct {
		name string
		seqs []uint16
		lost uint64
	}{
		{"in order", []uint16{1, 2, 3, 4}, 0},
		{"one lost", []uint16{1, 2, 4, 5}, 1},
		{"reordered", []uint16{1, 3, 2, 4, 6, 5, 7}, 0},
		{"reordered far", []uint16{10, 14, 11, 12, 13, 15}, 0},
		{"reordered and lost", []uint16{1, 3, 5, 2, 6}, 1},
		{"duplicate", []uint16{1, 2, 2, 3}, 0},
		{"wraps", []uint16{65534, 65535, 1, 0, 2}, 0},
		{"wraps with loss", []uint16{65534, 1, 2}, 2},
		{"late from before the wrap", []uint16{65533, 0, 65535, 65534, 1}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s seqStats
			for _, q := range tc.seqs {
				s.observe(q)
			}
			require.Equal(t, tc.lost, s.lost())
		})
	}
}

// TestSeqStatsRestart: a jump past the dropout limit is a new run once the next packet
// confirms it; the lost packets of the old run stay counted.
func TestSeqStatsRestart(t *testing.T) {
	var s seqStats
	for _, q := range []uint16{100, 101, 103} {
		s.observe(q)
	}
	require.EqualValues(t, 1, s.lost())
	s.observe(40000) // not yet believed
	require.EqualValues(t, 1, s.lost())
	s.observe(40001)
	s.observe(40002)
	require.EqualValues(t, 1, s.lost())
	s.restart()
	s.observe(7)
	s.observe(9)
	require.EqualValues(t, 2, s.lost())
}

func TestSeqStatsFractionLost(t *testing.T) {
	var s seqStats
	for q := uint16(0); q < 100; q++ {
		if q%4 != 3 {
			s.observe(q)
		}
	}
	// Expected 99 (0..98 seen highest), received 75: 24 lost.
	require.EqualValues(t, 24*256/99, s.fractionLost())
	for q := uint16(100); q < 200; q++ {
		s.observe(q)
	}
	// Packet 99 (lost) is counted in the second interval: 1 of 101.
	require.EqualValues(t, 256/101, s.fractionLost())
	for q := uint16(200); q < 300; q++ {
		s.observe(q)
	}
	require.Zero(t, s.fractionLost(), "nothing lost in the third interval")
}

// TestSessionLossWithReordering: a session that receives packets out of order counts none
// lost; one packet that never came is one lost.
func TestSessionLossWithReordering(t *testing.T) {
	s := loopbackSession(t)
	peer := loopbackPeer(t)
	_, err := s.AnswerOffer(BuildSDP(peer.LocalAddr().(*net.UDPAddr), Origin{ID: 1, Version: 1}, []Codec{PCMU}, DTMFPayloadType, SendRecv), 2)
	require.NoError(t, err)
	s.Start(Handler{})
	send := func(seqs ...uint16) {
		for _, q := range seqs {
			pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: uint8(PCMU), SequenceNumber: q, Timestamp: uint32(q) * FrameSamples, SSRC: 9}, Payload: make([]byte, 160)}
			b, err := pkt.Marshal()
			require.NoError(t, err)
			_, err = peer.WriteToUDP(b, s.LocalAddr())
			require.NoError(t, err)
		}
	}
	send(1, 3, 2, 5, 4, 6)
	require.Eventually(t, func() bool { return s.Stats().Packets == 6 }, 2*time.Second, 5*time.Millisecond)
	require.Zero(t, s.Stats().Lost)
	send(8, 9)
	require.Eventually(t, func() bool { return s.Stats().Packets == 8 }, 2*time.Second, 5*time.Millisecond)
	require.EqualValues(t, 1, s.Stats().Lost)
}
