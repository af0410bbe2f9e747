package telephony

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/huifang/huifang/telephony/media"
)

// WebRTCConfig configures the browser phone: agents who talk from the console over
// WebRTC (DTLS-SRTP, G.711) instead of a SIP phone.
type WebRTCConfig struct {
	// Disabled turns the browser phone off: offers are refused.
	Disabled bool
	// Codec is the G.711 variant the browser leg uses (PCMU by default); the trunk's
	// audio is relayed as it is when the trunk answers the same one.
	Codec media.Codec
	// PublicIPs are the addresses written in the gateway's ICE candidates instead of its
	// own (a gateway behind a 1:1 NAT); empty uses the host's.
	PublicIPs []string
	// PortMin and PortMax bound the UDP ports of the gateway's ICE candidates (both 0:
	// any free port).
	PortMin, PortMax uint16
	// ICEServers are the STUN and TURN servers the browsers (and the gateway) use to
	// find a path through NAT.
	ICEServers []ICEServer
}

// ICEServer is a STUN or TURN server (the browser's RTCIceServer).
type ICEServer struct {
	// URLs are stun:, turn: or turns: URLs of the server.
	URLs []string `json:"urls"`
	// Username and Credential are the TURN server's (empty for STUN).
	Username   string `json:"username,omitempty"`
	Credential string `json:"credential,omitempty"`
}

// ErrWebPhoneDisabled means the browser phone is turned off in the gateway's config.
var ErrWebPhoneDisabled = errors.New("telephony: the browser phone is turned off")

// ErrSIPPhoneConnected means the agent's SIP phone is connected: the agent keeps using it.
var ErrSIPPhoneConnected = errors.New("telephony: the agent's SIP phone is connected")

// webPhone is an agent's browser phone: one agent leg for the shift whose
// RTCPeerConnection may be replaced (a page reload, a network change) without ending the
// leg or the call bridged onto it.
type webPhone struct {
	g     *Gateway
	codec media.Codec

	mu    sync.Mutex
	pc    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticRTP
	up    bool // the current connection's ICE and DTLS are connected
	seq   uint16
	ts    uint32
	wbuf  []byte

	recv media.StreamStats
	// ended is closed when the leg ends for good (WebPhoneEnd, a SIP phone taking over,
	// the gateway closing).
	ended   chan struct{}
	endOnce sync.Once
}

// webAPI builds the pion API the browser legs use: one G.711 codec, RTCP reports and
// the stats interceptor, ICE on the gateway's host address (and loopback when that is
// the host), NAT 1:1 addresses and a port range from the config.
func (g *Gateway) webAPI() (*webrtc.API, error) {
	wc := g.cfg.WebRTC
	m := &webrtc.MediaEngine{}
	mime := webrtc.MimeTypePCMU
	if wc.Codec == media.PCMA {
		mime = webrtc.MimeTypePCMA
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: media.SampleRate, Channels: 1},
		PayloadType:        webrtc.PayloadType(wc.Codec),
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("webrtc codec: %w", err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, fmt.Errorf("webrtc rtcp reports: %w", err)
	}
	if err := webrtc.ConfigureStatsInterceptor(ir); err != nil {
		return nil, fmt.Errorf("webrtc stats: %w", err)
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	if host := net.ParseIP(g.cfg.Host); host != nil && !host.IsUnspecified() {
		se.SetIPFilter(func(ip net.IP) bool { return ip.Equal(host) })
		if host.IsLoopback() {
			se.SetIncludeLoopbackCandidate(true)
		}
	}
	if len(wc.PublicIPs) > 0 {
		se.SetNAT1To1IPs(wc.PublicIPs, webrtc.ICECandidateTypeHost)
	}
	if wc.PortMin != 0 || wc.PortMax != 0 {
		if err := se.SetEphemeralUDPPortRange(wc.PortMin, wc.PortMax); err != nil {
			return nil, fmt.Errorf("webrtc port range: %w", err)
		}
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// ICEServers returns the STUN and TURN servers browsers are to use.
func (g *Gateway) ICEServers() []ICEServer { return g.cfg.WebRTC.ICEServers }

// WebPhoneEnabled reports whether browsers may connect as phones.
func (g *Gateway) WebPhoneEnabled() bool { return !g.cfg.WebRTC.Disabled }

// SIPPhoneConnected reports whether the agent works with a SIP phone: its leg is up, or
// it is registered (the gateway calls it at login).
func (g *Gateway) SIPPhoneConnected(username string) bool {
	if al := g.agents.get(username); al != nil && al.web == nil {
		return true
	}
	_, ok := g.registrar.lookup(username, time.Now())
	return ok
}

// WebPhoneOffer answers the SDP offer of the agent's browser (non-trickle: the offer
// holds its candidates, the answer the gateway's). The first offer of a shift makes the
// agent's leg, onto which calls are bridged as onto a SIP phone's; a later one (a page
// reload, a network change, an ICE restart) replaces the connection under the same leg,
// so a call in progress goes on with the new connection. An agent whose SIP phone is
// connected gets ErrSIPPhoneConnected.
func (g *Gateway) WebPhoneOffer(ctx context.Context, agent Agent, offer string) (string, error) {
	if g.cfg.WebRTC.Disabled {
		return "", ErrWebPhoneDisabled
	}
	al := g.agents.get(agent.Username)
	if al != nil && al.web == nil {
		return "", fmt.Errorf("browser phone of %s: %w", agent.Username, ErrSIPPhoneConnected)
	}
	var wp *webPhone
	if al != nil {
		wp = al.web
	} else {
		wp = &webPhone{g: g, codec: g.cfg.WebRTC.Codec, ended: make(chan struct{})}
	}
	api, err := g.webAPI()
	if err != nil {
		return "", err
	}
	cfg := webrtc.Configuration{}
	for _, s := range g.cfg.WebRTC.ICEServers {
		cfg.ICEServers = append(cfg.ICEServers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	pc, err := api.NewPeerConnection(cfg)
	if err != nil {
		return "", fmt.Errorf("browser phone: %w", err)
	}
	fail := func(err error) (string, error) {
		_ = pc.Close()
		return "", fmt.Errorf("browser phone of %s: %w", agent.Username, err)
	}
	mime := webrtc.MimeTypePCMU
	if wp.codec == media.PCMA {
		mime = webrtc.MimeTypePCMA
	}
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: mime, ClockRate: media.SampleRate, Channels: 1}, "audio", "huifang")
	if err != nil {
		return fail(err)
	}
	sender, err := pc.AddTrack(track)
	if err != nil {
		return fail(err)
	}
	go func() {
		// Read the browser's RTCP for the sender (the interceptors take the reports).
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	if al == nil {
		al = &agentLeg{agent: agent, web: wp}
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { wp.readTrack(pc, tr, al) })
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		wp.mu.Lock()
		current := wp.pc == pc
		if current {
			wp.up = s == webrtc.PeerConnectionStateConnected
		}
		wp.mu.Unlock()
		g.log.Info("browser phone", "user", agent.Username, "state", s.String(), "current", current)
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fail(fmt.Errorf("offer: %w", err))
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(fmt.Errorf("answer: %w", err))
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return fail(fmt.Errorf("answer: %w", err))
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	wp.mu.Lock()
	old := wp.pc
	wp.pc, wp.track, wp.up = pc, track, false
	wp.mu.Unlock()
	if old != nil {
		go func() { _ = old.Close() }()
	}
	if prev := g.agents.put(al); prev != nil && prev != al {
		g.replaceAgentLeg(prev)
	}
	g.log.Info("browser phone offer answered", "user", agent.Username, "reconnect", old != nil)
	return pc.LocalDescription().SDP, nil
}

// WebPhoneEnd ends the agent's browser phone leg (the agent logged out). A call bridged
// onto it ends as hung up by the agent.
func (g *Gateway) WebPhoneEnd(username string) {
	if al := g.agents.get(username); al != nil && al.web != nil {
		g.endAgentLeg(al)
	}
}

// readTrack reads the browser's audio from tr of pc and hands it to the bridged customer.
func (wp *webPhone) readTrack(pc *webrtc.PeerConnection, tr *webrtc.TrackRemote, al *agentLeg) {
	codec := media.Codec(tr.PayloadType())
	var pcm []int16
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		wp.mu.Lock()
		current := wp.pc == pc
		wp.mu.Unlock()
		if !current {
			continue
		}
		wp.recv.Observe(pkt, time.Now())
		if pkt.PayloadType != uint8(media.PCMU) && pkt.PayloadType != uint8(media.PCMA) {
			continue
		}
		codec = media.Codec(pkt.PayloadType)
		pcm = codec.Decode(pcm[:0], pkt.Payload)
		al.toCustomer.audio(pkt, codec, pcm)
	}
}

// relay sends the customer's audio to the browser: as it came when the codecs match,
// else re-encoded from samples. It returns the packet's timestamp.
func (wp *webPhone) relay(pkt *rtp.Packet, codec media.Codec, samples []int16) (uint32, error) {
	wp.mu.Lock()
	defer wp.mu.Unlock()
	ts := wp.ts
	wp.ts += uint32(len(samples))
	if wp.track == nil {
		return ts, media.ErrNoRemote
	}
	payload := pkt.Payload
	if codec != wp.codec {
		wp.wbuf = wp.codec.Encode(wp.wbuf[:0], samples)
		payload = wp.wbuf
	}
	out := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: uint8(wp.codec), SequenceNumber: wp.seq, Timestamp: ts, Marker: pkt.Marker}, Payload: payload}
	wp.seq++
	if err := wp.track.WriteRTP(&out); err != nil {
		return ts, fmt.Errorf("browser phone write: %w", err)
	}
	return ts, nil
}

// connected reports whether the browser's current connection is up.
func (wp *webPhone) connected() bool {
	wp.mu.Lock()
	defer wp.mu.Unlock()
	return wp.up
}

// end closes the connection for good.
func (wp *webPhone) end() {
	wp.endOnce.Do(func() { close(wp.ended) })
	wp.mu.Lock()
	pc := wp.pc
	wp.pc, wp.track, wp.up = nil, nil, false
	wp.mu.Unlock()
	if pc != nil {
		_ = pc.Close()
	}
}

// WebPhoneState names the browser phone's state for logs and the console: "connected",
// "connecting" (an offer answered, ICE and DTLS not yet up, or reconnecting), or "" for
// an agent without one.
func (g *Gateway) WebPhoneState(username string) string {
	al := g.agents.get(username)
	if al == nil || al.web == nil {
		return ""
	}
	if al.web.connected() {
		return "connected"
	}
	return "connecting"
}

// rtt returns the round trip of the browser's current connection: the ICE candidate
// pair's, from its connectivity and consent checks (RFC 7675), which run every few
// seconds on the media's own path; zero when unknown.
func (wp *webPhone) rtt() time.Duration {
	wp.mu.Lock()
	pc := wp.pc
	wp.mu.Unlock()
	if pc == nil {
		return 0
	}
	for _, st := range pc.GetStats() {
		if p, ok := st.(webrtc.ICECandidatePairStats); ok && p.Nominated && p.CurrentRoundTripTime > 0 {
			return time.Duration(p.CurrentRoundTripTime * float64(time.Second))
		}
	}
	return 0
}
