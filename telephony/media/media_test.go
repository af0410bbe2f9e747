package media

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"
)

func TestWAVRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prompt.wav")
	in := Tone(1000, 100, 10000)
	require.NoError(t, WriteWAV(path, in))
	out, err := ReadWAV(path)
	require.NoError(t, err)
	require.Equal(t, in, out)
}

func TestReadWAVRejects(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.wav")
	require.NoError(t, WriteWAV(path, nil))
	_, err := ReadWAV(filepath.Join(t.TempDir(), "missing.wav"))
	require.Error(t, err)
	_, err = DecodeWAV(bytes.NewReader([]byte("RIFF\x00\x00\x00\x00WAVX")))
	require.ErrorContains(t, err, "not a RIFF/WAVE")
}

func TestRecorderPlacesByTimestamp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "call.wav")
	r, err := NewRecorder(path)
	require.NoError(t, err)
	frame := Tone(440, 20, 8000)
	// Customer: packets 0, 1, (2 lost), 3.
	for _, i := range []uint32{0, 1, 3} {
		r.Write(Customer, 1000+i*FrameSamples, frame)
	}
	r.Write(Agent, 5000, frame)
	require.NoError(t, r.Close())
	left, right, err := ReadStereoWAV(path)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(left), 4*FrameSamples)
	// Find where the customer started, then check the lost packet is silence.
	start := 0
	for start < len(left) && left[start] == 0 && left[start+1] == 0 {
		start++
	}
	require.Equal(t, frame[1:FrameSamples], left[start+1:start+FrameSamples])
	require.Zero(t, RMS(left[start+2*FrameSamples:start+3*FrameSamples]), "lost packet is silence")
	require.Equal(t, frame[1:], left[start+3*FrameSamples+1:start+4*FrameSamples])
	require.Greater(t, RMS(right), 1000.0)
}

func TestSDPOfferAnswer(t *testing.T) {
	addr := &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 4000}
	offer := BuildSDP(addr, 1, []Codec{PCMU, PCMA}, DTMFPayloadType)
	sdp, err := ParseSDP(offer)
	require.NoError(t, err)
	require.Equal(t, addr.String(), sdp.Addr.String())
	require.Equal(t, []Codec{PCMU, PCMA}, sdp.Codecs)
	require.EqualValues(t, DTMFPayloadType, sdp.DTMF)

	_, err = ParseSDP([]byte("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP 18\r\n"))
	require.ErrorIs(t, err, ErrNoAudio)
	_, err = ParseSDP([]byte("v=0\r\nc=IN IP4 nowhere\r\nm=audio 5000 RTP/AVP 0\r\n"))
	require.ErrorContains(t, err, "connection address")
}

func TestDTMFEvent(t *testing.T) {
	for _, d := range []byte("0123456789*#ABCD") {
		b, err := DTMFEvent{Digit: d, End: true, Volume: 10, Duration: 800}.Marshal()
		require.NoError(t, err)
		ev, err := ParseDTMF(b)
		require.NoError(t, err)
		require.Equal(t, DTMFEvent{Digit: d, End: true, Volume: 10, Duration: 800}, ev)
	}
	_, err := DTMFEvent{Digit: 'x'}.Marshal()
	require.Error(t, err)
	_, err = ParseDTMF([]byte{99, 0, 0, 0})
	require.Error(t, err)
	_, err = ParseDTMF([]byte{1})
	require.Error(t, err)
}

// TestSessionsExchangeAudioAndDTMF connects two sessions on loopback.
func TestSessionsExchangeAudioAndDTMF(t *testing.T) {
	a, err := Listen("127.0.0.1")
	require.NoError(t, err)
	defer a.Close()
	b, err := Listen("127.0.0.1")
	require.NoError(t, err)
	defer b.Close()
	answer, err := b.AnswerOffer(a.Offer(1), 2, PCMA)
	require.NoError(t, err)
	require.NoError(t, a.AcceptAnswer(answer))
	require.Equal(t, PCMA, a.Codec())

	got := make(chan []int16, 100)
	digits := make(chan byte, 10)
	b.Start(Handler{
		Audio: func(_ *rtp.Packet, c Codec, s []int16) { got <- append([]int16(nil), s...) },
		DTMF:  func(d byte) { digits <- d },
	})
	tone := Tone(440, 60, 8000)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, a.Play(ctx, tone, nil))
	require.NoError(t, a.SendDTMF('9'))
	var n int
	for n < 3 {
		select {
		case s := <-got:
			require.Len(t, s, FrameSamples)
			n++
		case <-ctx.Done():
			t.Fatal("no audio")
		}
	}
	select {
	case d := <-digits:
		require.Equal(t, byte('9'), d)
	case <-ctx.Done():
		t.Fatal("no digit")
	}
	// Three end packets make one digit.
	select {
	case d := <-digits:
		t.Fatalf("digit %q twice", d)
	case <-time.After(100 * time.Millisecond):
	}
	require.EqualValues(t, 0, b.Stats().Lost)
}

// TestSessionHearsOnlyItsPeer: before latching only the SDP's address (or an allowed
// signalling address) may latch; after it, only the latched source and the SDP's address
// are heard; packets from a third address are dropped (issue 12: RTP injection).
func TestSessionHearsOnlyItsPeer(t *testing.T) {
	s, err := Listen("127.0.0.1")
	require.NoError(t, err)
	defer s.Close()
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer peer.Close()
	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 3)})
	require.NoError(t, err)
	defer stranger.Close()
	sdp := BuildSDP(peer.LocalAddr().(*net.UDPAddr), 1, []Codec{PCMU}, DTMFPayloadType)
	_, err = s.AnswerOffer(sdp, 2)
	require.NoError(t, err)
	var heard atomic.Int64
	s.Start(Handler{Audio: func(*rtp.Packet, Codec, []int16) { heard.Add(1) }})
	send := func(c *net.UDPConn, seq uint16) {
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: uint8(PCMU), SequenceNumber: seq, SSRC: 1}, Payload: make([]byte, 160)}
		b, err := pkt.Marshal()
		require.NoError(t, err)
		_, err = c.WriteToUDP(b, s.LocalAddr())
		require.NoError(t, err)
	}
	send(stranger, 1) // before latching
	require.Eventually(t, func() bool { return s.Stats().Dropped == 1 }, 2*time.Second, 5*time.Millisecond)
	send(peer, 2) // latches
	require.Eventually(t, func() bool { return heard.Load() == 1 }, 2*time.Second, 5*time.Millisecond)
	send(stranger, 3) // after latching
	require.Eventually(t, func() bool { return s.Stats().Dropped == 2 }, 2*time.Second, 5*time.Millisecond)
	send(peer, 4)
	require.Eventually(t, func() bool { return heard.Load() == 2 }, 2*time.Second, 5*time.Millisecond)
	require.EqualValues(t, 2, s.Stats().Packets)
	require.False(t, s.LastPacket().IsZero())
}
