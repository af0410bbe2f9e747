package media

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	psdp "github.com/pion/sdp/v3"
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
	offer := BuildSDP(addr, Origin{ID: 1, Version: 1}, []Codec{PCMU, PCMA}, DTMFPayloadType, SendRecv)
	sdp, err := ParseSDP(offer)
	require.NoError(t, err)
	require.Equal(t, addr.String(), sdp.Addr.String())
	require.Equal(t, []Codec{PCMU, PCMA}, sdp.Codecs)
	require.EqualValues(t, DTMFPayloadType, sdp.DTMF)
	require.Equal(t, SendRecv, sdp.Direction)

	_, err = ParseSDP([]byte("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5000 RTP/AVP 18\r\n"))
	require.ErrorIs(t, err, ErrNoAudio)
	_, err = ParseSDP([]byte("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 nowhere\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"))
	require.ErrorContains(t, err, "connection address")
	_, err = ParseSDP([]byte("garbage"))
	require.Error(t, err)
}

// sdpHead is the session part of the offers below.
const sdpHead = "v=0\r\no=phone 7 7 IN IP4 192.0.2.1\r\ns=call\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"

// TestParseSDPStreams: the audio stream's own address wins over a later video stream's;
// a rejected (port 0) or encrypted audio stream is skipped for the next usable one; the
// direction is the stream's, else the session's; c=0.0.0.0 is the old hold.
func TestParseSDPStreams(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		addr string
		dir  Direction
		err  error
	}{
		{
			name: "video after audio keeps audio's c=",
			body: sdpHead + "m=audio 4000 RTP/AVP 8 0 101\r\nc=IN IP4 192.0.2.10\r\na=rtpmap:101 telephone-event/8000\r\n" +
				"m=video 5000 RTP/AVP 96\r\nc=IN IP4 192.0.2.99\r\na=rtpmap:96 H264/90000\r\n",
			addr: "192.0.2.10:4000", dir: SendRecv,
		},
		{
			name: "video before audio, session c=",
			body: sdpHead + "m=video 5000 RTP/AVP 96\r\nc=IN IP4 192.0.2.99\r\nm=audio 4000 RTP/AVP 0\r\n",
			addr: "192.0.2.1:4000", dir: SendRecv,
		},
		{
			name: "port 0 is a rejected stream",
			body: sdpHead + "m=audio 0 RTP/AVP 0\r\n",
			err:  ErrNoAudio,
		},
		{
			name: "rejected audio, then a usable one",
			body: sdpHead + "m=audio 0 RTP/AVP 0\r\nm=audio 4002 RTP/AVP 0\r\n",
			addr: "192.0.2.1:4002", dir: SendRecv,
		},
		{
			name: "SRTP audio is not ours",
			body: sdpHead + "m=audio 4000 RTP/SAVP 0\r\n",
			err:  ErrNoAudio,
		},
		{
			name: "hold: sendonly",
			body: sdpHead + "m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n",
			addr: "192.0.2.1:4000", dir: SendOnly,
		},
		{
			name: "session-level inactive",
			body: "v=0\r\no=p 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\na=inactive\r\nm=audio 4000 RTP/AVP 0\r\n",
			addr: "192.0.2.1:4000", dir: Inactive,
		},
		{
			name: "media-level wins over session-level",
			body: "v=0\r\no=p 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\na=inactive\r\nm=audio 4000 RTP/AVP 0\r\na=recvonly\r\n",
			addr: "192.0.2.1:4000", dir: RecvOnly,
		},
		{
			name: "old hold: c=0.0.0.0",
			body: "v=0\r\no=p 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
			addr: "0.0.0.0:4000", dir: SendOnly,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSDP([]byte(tc.body))
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.addr, s.Addr.String())
			require.Equal(t, tc.dir, s.Direction)
		})
	}
}

// TestAnswerMirrorsOffer: the answer has the offer's m= lines in order (RFC 3264 section
// 6), video rejected with port 0, and the reply to the offer's direction: a hold is not
// answered sendrecv.
func TestAnswerMirrorsOffer(t *testing.T) {
	s := loopbackSession(t)
	offer := sdpHead + "m=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n" +
		"m=video 5000 RTP/AVP 96 97\r\na=rtpmap:96 H264/90000\r\n"
	answer, err := s.AnswerOffer([]byte(offer), 42)
	require.NoError(t, err)
	var desc psdp.SessionDescription
	require.NoError(t, desc.Unmarshal(answer))
	require.Len(t, desc.MediaDescriptions, 2)
	require.Equal(t, "audio", desc.MediaDescriptions[0].MediaName.Media)
	require.Equal(t, s.LocalAddr().Port, desc.MediaDescriptions[0].MediaName.Port.Value)
	require.Equal(t, []string{"8", "101"}, desc.MediaDescriptions[0].MediaName.Formats)
	_, ok := desc.MediaDescriptions[0].Attribute("sendrecv")
	require.True(t, ok)
	require.Equal(t, "video", desc.MediaDescriptions[1].MediaName.Media)
	require.Zero(t, desc.MediaDescriptions[1].MediaName.Port.Value, "video rejected")
	require.EqualValues(t, 42, desc.Origin.SessionID)
	require.EqualValues(t, 1, desc.Origin.SessionVersion)
	require.Equal(t, PCMA, s.Codec())

	for _, tc := range []struct{ offered, answered string }{
		{"sendonly", "recvonly"}, {"inactive", "inactive"}, {"recvonly", "sendonly"}, {"sendrecv", "sendrecv"},
	} {
		hold := sdpHead + "m=audio 4000 RTP/AVP 0 8\r\na=" + tc.offered + "\r\n"
		answer, err := s.AnswerOffer([]byte(hold), 99, s.Codec())
		require.NoError(t, err)
		var d psdp.SessionDescription
		require.NoError(t, d.Unmarshal(answer))
		_, ok := d.MediaDescriptions[0].Attribute(tc.answered)
		require.True(t, ok, "%s answered %s: %s", tc.offered, tc.answered, answer)
		require.EqualValues(t, 42, d.Origin.SessionID, "the re-answer keeps the session id")
		require.Equal(t, []string{"8"}, d.MediaDescriptions[0].MediaName.Formats, "the codec is kept")
	}
}

// TestHoldStopsSending: while the peer holds (sendonly), the session sends nothing; on
// resume it sends again with the next sequence number.
func TestHoldStopsSending(t *testing.T) {
	s := loopbackSession(t)
	peer := loopbackPeer(t)
	pa := peer.LocalAddr().(*net.UDPAddr)
	offer := func(dir string) []byte {
		return []byte(fmt.Sprintf("v=0\r\no=p 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=%s\r\n", pa.Port, dir))
	}
	recv := func() *rtp.Packet {
		buf := make([]byte, 1500)
		require.NoError(t, peer.SetReadDeadline(time.Now().Add(2*time.Second)))
		n, _, err := peer.ReadFromUDP(buf)
		require.NoError(t, err)
		var p rtp.Packet
		require.NoError(t, p.Unmarshal(buf[:n]))
		return &p
	}
	_, err := s.AnswerOffer(offer("sendrecv"), 1)
	require.NoError(t, err)
	frame := make([]int16, FrameSamples)
	_, err = s.WriteSamples(frame)
	require.NoError(t, err)
	first := recv()

	_, err = s.AnswerOffer(offer("sendonly"), 0)
	require.NoError(t, err)
	require.Equal(t, SendOnly, s.Direction())
	for range 3 {
		_, err = s.WriteSamples(frame)
		require.NoError(t, err)
	}
	_, err = s.AnswerOffer(offer("sendrecv"), 0)
	require.NoError(t, err)
	_, err = s.WriteSamples(frame)
	require.NoError(t, err)
	next := recv()
	require.Equal(t, first.SequenceNumber+1, next.SequenceNumber, "nothing was sent on hold")
	require.Equal(t, first.Timestamp+4*FrameSamples, next.Timestamp, "time went on during the hold")
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
	a := loopbackSession(t)
	b := loopbackSession(t)
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
	s := loopbackSession(t)
	peer := loopbackPeer(t)
	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 3)})
	require.NoError(t, err)
	defer stranger.Close()
	sdp := BuildSDP(peer.LocalAddr().(*net.UDPAddr), Origin{ID: 1, Version: 1}, []Codec{PCMU}, DTMFPayloadType, SendRecv)
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

// loopbackSession is a Session on 127.0.0.1, closed with the test.
func loopbackSession(t *testing.T) *Session {
	t.Helper()
	s, err := Listen("127.0.0.1")
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// loopbackPeer is a plain UDP socket on 127.0.0.1 standing for the peer, closed with the test.
func loopbackPeer(t *testing.T) *net.UDPConn {
	t.Helper()
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { peer.Close() })
	return peer
}
