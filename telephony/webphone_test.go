package telephony

import (
	"context"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony/media"
)

// webClient is a browser phone made with pion: it sends a tone over WebRTC (PCMU) and
// counts what it hears. The tests and the load benchmark use it in place of Chromium.
type webClient struct {
	pc     *webrtc.PeerConnection
	track  *webrtc.TrackLocalStaticRTP
	heard  atomic.Int64 // audio packets received
	mu     sync.Mutex
	pcm    []int16 // what it heard, decoded (the last few seconds)
	cancel context.CancelFunc
	done   sync.WaitGroup
	// onRTP, when set before connect, gets each packet the client receives.
	onRTP func(*rtp.Packet)
}

// dialWeb connects a pion browser phone for user to g and starts sending freq Hz.
func dialWeb(t testing.TB, g *Gateway, user string, userID int64, freq float64) *webClient {
	t.Helper()
	w := &webClient{}
	w.connect(t, g, user, userID)
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	tone := media.Tone(freq, 1000, 8000)
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var seq uint16
		var ts uint32
		for off := 0; ; off = (off + media.FrameSamples) % len(tone) {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			w.mu.Lock()
			tr := w.track
			w.mu.Unlock()
			p := rtpPacket(seq, ts, media.PCMU.Encode(nil, tone[off:off+media.FrameSamples]))
			_ = tr.WriteRTP(p)
			seq++
			ts += media.FrameSamples
		}
	}()
	t.Cleanup(w.close)
	return w
}

// connect makes a new peer connection (the first, or a reload's) and signals it.
func (w *webClient) connect(t testing.TB, g *Gateway, user string, userID int64) {
	t.Helper()
	m := &webrtc.MediaEngine{}
	require.NoError(t, m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: 0,
	}, webrtc.RTPCodecTypeAudio))
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, "mic", "agent")
	require.NoError(t, err)
	_, err = pc.AddTrack(track)
	require.NoError(t, err)
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			w.heard.Add(1)
			if w.onRTP != nil {
				w.onRTP(pkt)
			}
			w.mu.Lock()
			w.pcm = media.PCMU.Decode(w.pcm, pkt.Payload)
			if len(w.pcm) > 5*8000 {
				w.pcm = append(w.pcm[:0], w.pcm[len(w.pcm)-3*8000:]...)
			}
			w.mu.Unlock()
		}
	})
	offer, err := pc.CreateOffer(nil)
	require.NoError(t, err)
	gathered := webrtc.GatheringCompletePromise(pc)
	require.NoError(t, pc.SetLocalDescription(offer))
	<-gathered
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The gateway's side runs under the gateway's pprof label (benchBridged tells the
	// gateway's CPU from its peers' by it): its goroutines start here.
	var answer string
	pprof.Do(ctx, pprof.Labels("side", "gateway"), func(ctx context.Context) {
		answer, err = g.WebPhoneOffer(ctx, Agent{Username: user, UserID: userID}, pc.LocalDescription().SDP)
	})
	require.NoError(t, err)
	require.NoError(t, pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}))
	w.mu.Lock()
	old := w.pc
	w.pc, w.track = pc, track
	w.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
}

func (w *webClient) close() {
	if w.cancel != nil {
		w.cancel()
	}
	w.done.Wait()
	w.mu.Lock()
	pc := w.pc
	w.mu.Unlock()
	_ = pc.Close()
}

// TestWebPhoneBridgeAndReconnect: a browser phone (pion) connects, the gateway calls the
// simulated carrier for it and bridges; the recording's agent channel carries the
// browser's 1000 Hz tone and the customer channel the carrier's 440 Hz; the browser
// hears the customer. Mid-call the browser reconnects (a page reload: a new peer
// connection under the same leg) and the call goes on and is recorded to its end.
func TestWebPhoneBridgeAndReconnect(t *testing.T) {
	c := newTestCarrier(t, simCarrierAnswering(5*time.Second))
	db := storetest.New(t)
	g := newTestGateway(t, Config{Trunk: Trunk{URI: c.URI()}, RecordingsDir: t.TempDir(), CallLog: NewStoreCallLog(db)})
	w := dialWeb(t, g, "w1", 0, 1000) // user 0: no users row (agent_user_id is a foreign key)
	require.Eventually(t, func() bool { return g.AgentConnected("w1") }, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, "connected", g.WebPhoneState("w1"))
	require.False(t, g.SIPPhoneConnected("w1"))

	type result struct {
		res *CallResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := g.DialAgent(context.Background(), "w1", DialParams{To: "13900000001"})
		done <- result{res, err}
	}()
	require.Eventually(t, func() bool { return w.heard.Load() > 25 }, 10*time.Second, 10*time.Millisecond, "the browser hears the customer")
	// A reload mid-call: a new peer connection replaces the old one under the same leg.
	heard := w.heard.Load()
	w.connect(t, g, "w1", 0)
	require.Eventually(t, func() bool { return w.heard.Load() > heard+25 }, 10*time.Second, 10*time.Millisecond, "the call goes on after the reconnect")

	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("call did not end")
	}
	require.NoError(t, r.err)
	require.Equal(t, OutcomeAnswered, r.res.Outcome)
	require.Equal(t, HangupCustomer, r.res.HangupBy, "the reload did not end the call")
	require.Positive(t, r.res.AgentRTP.Packets)
	require.NotNil(t, r.res.AgentQuality, "the browser's audio is rated")
	require.NotNil(t, r.res.CustomerQuality)
	require.Greater(t, r.res.AgentQuality.MOS, 4.0, "a clean loopback call")
	require.Greater(t, r.res.CustomerQuality.MOS, 4.0)
	require.Positive(t, r.res.AgentRTP.RTT, "the ICE round trip")
	// The carrier's RTCP round trip needs two report intervals (its sender report, then
	// our reception report's answer): longer than this call; media's TestRTCPRoundTrip.
	left, right, err := media.ReadStereoWAV(r.res.Recording)
	require.NoError(t, err)
	require.Greater(t, len(left), 8000)
	// The channels by frequency: the customer's 440 Hz on the left, the browser's
	// 1000 Hz on the right, each hardly present on the other side.
	require.Greater(t, media.Goertzel(left, 440, 8000), 2000.0)
	require.Less(t, media.Goertzel(left, 1000, 8000), 200.0)
	require.Greater(t, media.Goertzel(right, 1000, 8000), 1000.0)
	require.Less(t, media.Goertzel(right, 440, 8000), 200.0)
	w.mu.Lock()
	heardPCM := append([]int16(nil), w.pcm...)
	w.mu.Unlock()
	require.Greater(t, media.Goertzel(heardPCM, 440, 8000), 1000.0, "the browser heard the carrier's tone")

	// The quality is stored with the call record: each side's, and the worse MOS.
	row, err := store.New(db).GetCallAttemptByCallID(context.Background(), r.res.CallID)
	require.NoError(t, err)
	require.True(t, row.CustomerMos.Valid && row.AgentMos.Valid && row.Mos.Valid)
	require.InDelta(t, r.res.AgentQuality.MOS, row.AgentMos.Float32, 1e-3)
	require.Equal(t, min(row.CustomerMos.Float32, row.AgentMos.Float32), row.Mos.Float32)
	require.EqualValues(t, r.res.AgentRTP.Packets, *row.AgentPackets)
	require.True(t, row.AgentRttMs.Valid, "the browser leg's round trip is stored")

	g.WebPhoneEnd("w1")
	require.False(t, g.AgentConnected("w1"))
}

func rtpPacket(seq uint16, ts uint32, payload []byte) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: uint8(media.PCMU), SequenceNumber: seq, Timestamp: ts}, Payload: payload}
}
