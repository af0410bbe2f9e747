package telephony

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/emiago/sipgo/siptest"
	"github.com/icholy/digest"
	"github.com/pion/rtp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/telephony/media"
)

// The attacks of issue 12 (items 3, 4 and the low ones) against a real gateway: each test
// performs the attack and fails on the code before the fix. SECURITY.md ("SIP and RTP")
// lists them with their results.

// udpPeer is a raw SIP endpoint on a loopback address of its own (127.0.0.2 plays the
// attacker: on Linux the whole of 127.0.0.0/8 is loopback).
type udpPeer struct {
	t    *testing.T
	conn *net.UDPConn
	gw   *net.UDPAddr
}

func newUDPPeer(t *testing.T, ip, gw string) *udpPeer {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	raddr, err := net.ResolveUDPAddr("udp", gw)
	require.NoError(t, err)
	return &udpPeer{t: t, conn: conn, gw: raddr}
}

func (p *udpPeer) addr() string { return p.conn.LocalAddr().String() }

// send sends msg (LOCAL replaced by the peer's address) and returns the responses up to
// the first final one, within a short wait.
func (p *udpPeer) send(msg string) []*sip.Response {
	p.t.Helper()
	msg = strings.ReplaceAll(msg, "LOCAL", p.addr())
	_, err := p.conn.WriteToUDP([]byte(msg), p.gw)
	require.NoError(p.t, err)
	// Responses of earlier requests (retransmissions) are skipped by their CSeq.
	cseq := msg[strings.Index(msg, "CSeq: ")+6:]
	cseq = cseq[:strings.Index(cseq, "\r\n")]
	var out []*sip.Response
	buf := make([]byte, 65535)
	for {
		_ = p.conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, _, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			return out
		}
		m, err := sip.ParseMessage(buf[:n])
		if err != nil {
			continue
		}
		if r, ok := m.(*sip.Response); ok && r.CSeq() != nil && r.CSeq().Value() == cseq {
			out = append(out, r)
			if !r.IsProvisional() {
				return out
			}
		}
	}
}

// final returns the last response, failing when there is none.
func final(t *testing.T, res []*sip.Response) *sip.Response {
	t.Helper()
	require.NotEmpty(t, res, "no response")
	return res[len(res)-1]
}

// answerChallenge computes the digest credentials for the challenge in r.
func answerChallenge(t *testing.T, r *sip.Response, method, uri, user, password string) string {
	t.Helper()
	h := r.GetHeader("WWW-Authenticate")
	if h == nil {
		h = r.GetHeader("Proxy-Authenticate")
	}
	require.NotNil(t, h, "a challenge")
	ch, err := digest.ParseChallenge(h.Value())
	require.NoError(t, err)
	cred, err := digest.Digest(ch, digest.Options{Method: method, URI: uri, Username: user, Password: password, Count: 1})
	require.NoError(t, err)
	return cred.String()
}

// sipMsg builds a request with the given Call-ID, CSeq, From tag and extra headers.
func sipMsg(method, ruri, user, callID string, cseq int, fromTag, toTag, extra, body string) string {
	to := "<" + ruri + ">"
	if method == "REGISTER" {
		// The address of record is the agent's.
		to = "<sip:" + user + "@example.com>"
	}
	if toTag != "" {
		to += ";tag=" + toTag
	}
	ct := ""
	if body != "" {
		ct = "Content-Type: application/sdp\r\n"
	}
	return method + " " + ruri + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP LOCAL;branch=z9hG4bK" + strconv.FormatUint(rand.Uint64(), 36) + "\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:" + user + "@example.com>;tag=" + fromTag + "\r\n" +
		"To: " + to + "\r\n" +
		"Call-ID: " + callID + "\r\n" +
		"CSeq: " + strconv.Itoa(cseq) + " " + method + "\r\n" +
		"Contact: <sip:" + user + "@LOCAL>\r\n" + extra + ct +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

func sdpFor(p *udpPeer) string {
	host, _, _ := net.SplitHostPort(p.addr())
	return "v=0\r\no=- 1 1 IN IP4 " + host + "\r\ns=-\r\nc=IN IP4 " + host + "\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
}

// TestDigestReplayRefused replays a captured REGISTER and a captured login INVITE from
// another address (the attacker rewrites Contact and Call-ID; the digest covers neither),
// sends a digest whose uri is not the Request-URI, and sends BYE, INFO and re-INVITE into
// the agent's dialog from a stranger: every one is refused and the agent's registration
// and leg are untouched.
func TestDigestReplayRefused(t *testing.T) {
	creds := mapCredentials{"agent1": {Username: "agent1", HA1: HA1("agent1", "huifang", "pw1"), UserID: 1}}
	g := newTestGateway(t, Config{Credentials: creds})
	phone := newUDPPeer(t, "127.0.0.1", g.Addr())
	attacker := newUDPPeer(t, "127.0.0.2", g.Addr())
	ruri := "sip:" + g.Addr()

	// The phone registers; the attacker captures its authenticated REGISTER.
	ch := final(t, phone.send(sipMsg("REGISTER", ruri, "agent1", "reg-1", 1, "p1", "", "Expires: 300\r\n", "")))
	require.Equal(t, 401, ch.StatusCode)
	auth := "Authorization: " + answerChallenge(t, ch, "REGISTER", ruri, "agent1", "pw1") + "\r\n"
	require.Equal(t, 200, final(t, phone.send(sipMsg("REGISTER", ruri, "agent1", "reg-1", 2, "p1", "", auth+"Expires: 300\r\n", ""))).StatusCode)
	b, ok := g.RegisteredBinding("agent1")
	require.True(t, ok)
	require.Contains(t, b.Contact, phone.addr())

	// Replayed with the attacker's Contact: a fresh challenge, the binding stays.
	res := final(t, attacker.send(sipMsg("REGISTER", ruri, "agent1", "reg-evil", 2, "e1", "", auth+"Expires: 300\r\n", "")))
	require.Equal(t, 401, res.StatusCode, "a replayed REGISTER is challenged again")
	b, _ = g.RegisteredBinding("agent1")
	require.Contains(t, b.Contact, phone.addr(), "the attacker's contact did not replace the phone's")

	// A digest computed for another uri than the Request-URI: refused.
	ch = final(t, phone.send(sipMsg("REGISTER", ruri, "agent1", "reg-2", 1, "p2", "", "Expires: 300\r\n", "")))
	other := "Authorization: " + answerChallenge(t, ch, "REGISTER", "sip:elsewhere.example.com", "agent1", "pw1") + "\r\n"
	require.Equal(t, 403, final(t, phone.send(sipMsg("REGISTER", ruri, "agent1", "reg-2", 2, "p2", "", other+"Expires: 300\r\n", ""))).StatusCode)

	// The phone logs in (INVITE answered 407, then with credentials); the attacker
	// captures the INVITE.
	ch = final(t, phone.send(sipMsg("INVITE", ruri, "agent1", "login-1", 1, "pl", "", "", sdpFor(phone))))
	require.Equal(t, 407, ch.StatusCode)
	chTag, _ := ch.To().Params.Get("tag")
	phone.send(sipMsg("ACK", ruri, "agent1", "login-1", 1, "pl", chTag, "", ""))
	pauth := "Proxy-Authorization: " + answerChallenge(t, ch, "INVITE", ruri, "agent1", "pw1") + "\r\n"
	ok200 := final(t, phone.send(sipMsg("INVITE", ruri, "agent1", "login-1", 2, "pl", "", pauth, sdpFor(phone))))
	require.Equal(t, 200, ok200.StatusCode)
	ourTag, _ := ok200.To().Params.Get("tag")
	phone.send(sipMsg("ACK", ruri, "agent1", "login-1", 2, "pl", ourTag, "", ""))
	require.Eventually(t, func() bool { return g.AgentConnected("agent1") }, 5*time.Second, 10*time.Millisecond)

	// Replayed from the attacker (its own Call-ID, Contact and SDP): challenged, and the
	// agent's leg is still the phone's.
	res = final(t, attacker.send(sipMsg("INVITE", ruri, "agent1", "login-evil", 2, "el", "", pauth, sdpFor(attacker))))
	require.Equal(t, 407, res.StatusCode, "a replayed INVITE is challenged again")
	require.Equal(t, "login-1", g.agents.get("agent1").leg.callID, "the agent's leg was not replaced")

	// In-dialog requests from a stranger who sniffed the Call-ID and tags: refused.
	info := "Content-Type: application/dtmf-relay\r\n"
	for _, m := range []string{
		sipMsg("BYE", ruri, "agent1", "login-1", 3, "pl", ourTag, "", ""),
		strings.Replace(sipMsg("INFO", ruri, "agent1", "login-1", 4, "pl", ourTag, info, "Signal=9\r\nDuration=160\r\n"), "Content-Type: application/sdp\r\n", "", 1),
		sipMsg("INVITE", ruri, "agent1", "login-1", 5, "pl", ourTag, "", sdpFor(attacker)),
		sipMsg("UPDATE", ruri, "agent1", "login-1", 6, "pl", ourTag, "", ""),
	} {
		require.Equal(t, 403, final(t, attacker.send(m)).StatusCode, strings.Fields(m)[0])
	}
	require.True(t, g.AgentConnected("agent1"), "the stranger's BYE did not end the leg")
	select {
	case d := <-g.agents.get("agent1").leg.dtmf:
		t.Fatalf("the stranger's INFO was taken as the digit %q", d)
	default:
	}
	// The phone itself still can.
	require.Equal(t, 200, final(t, phone.send(sipMsg("BYE", ruri, "agent1", "login-1", 7, "pl", ourTag, "", ""))).StatusCode)
	require.Eventually(t, func() bool { return !g.AgentConnected("agent1") }, 5*time.Second, 10*time.Millisecond)
}

// TestRTPInjectionRefused answers a call whose customer (sipp) sends no audio, and injects
// RTP audio and an RFC 4733 '9' (do not call) from a third address into the call's RTP
// port: nothing is recorded, no digit is taken, the packets are counted as dropped.
func TestRTPInjectionRefused(t *testing.T) {
	s := startSipp(t, "uas_answer.xml", "udp", "talk", "3000", "codec", "0")
	metrics := NewMetrics(prometheus.NewRegistry())
	g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI()}, RecordingsDir: t.TempDir(), Metrics: metrics})
	var stats media.Stats
	var digit atomic.Int32
	res, err := g.Dial(context.Background(), DialParams{To: "13900000001", Record: true, OnAnswer: func(ctx context.Context, c *Call) error {
		injectRTP(t, "127.0.0.2", c.Media().LocalAddr())
		require.Eventually(t, func() bool { return c.Media().Stats().Dropped >= 60 }, 5*time.Second, 10*time.Millisecond)
		dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if d, err := c.ReadDigit(dctx); err == nil {
			digit.Store(int32(d))
		}
		stats = c.Media().Stats()
		return nil
	}})
	require.NoError(t, err)
	require.Equal(t, OutcomeAnswered, res.Outcome)
	require.Zero(t, digit.Load(), "the injected 9 was taken as the customer's key")
	require.Empty(t, res.DTMF)
	require.Zero(t, stats.Packets, "no injected packet was accepted")
	left, _, err := media.ReadStereoWAV(res.Recording)
	require.NoError(t, err)
	require.Less(t, media.RMS(left), 10.0, "the injected audio is not in the recording")
	require.GreaterOrEqual(t, testutil.ToFloat64(metrics.rtpDropped.WithLabelValues("customer")), 60.0, "counted in huifang_rtp_packets_dropped_total")
}

// injectRTP sends 50 packets of a loud tone and an RFC 4733 '9' (10 packets) from ip to
// dst.
func injectRTP(t *testing.T, ip string, dst *net.UDPAddr) {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	require.NoError(t, err)
	defer conn.Close()
	tone := media.Tone(1000, 20000, 50*media.FrameSamples)
	seq, ts := uint16(1), uint32(1000)
	send := func(pt uint8, payload []byte, marker bool) {
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: 0xbad, Marker: marker}, Payload: payload}
		b, err := pkt.Marshal()
		require.NoError(t, err)
		_, err = conn.WriteToUDP(b, dst)
		require.NoError(t, err)
		seq++
	}
	for i := 0; i < 50; i++ {
		send(uint8(media.PCMU), media.PCMU.Encode(nil, tone[i*media.FrameSamples:(i+1)*media.FrameSamples]), false)
		ts += media.FrameSamples
	}
	for i := 0; i < 10; i++ {
		ev, err := media.DTMFEvent{Digit: '9', End: i >= 5, Volume: 10, Duration: uint16(160 * (i + 1))}.Marshal()
		require.NoError(t, err)
		send(media.DTMFPayloadType, ev, i == 0)
	}
}

// TestNoRTPEndsCall: an answered call whose customer sends no RTP at all is ended after
// RTPTimeout.
func TestNoRTPEndsCall(t *testing.T) {
	s := startSipp(t, "uas_answer_wait_bye.xml", "udp", "codec", "0")
	g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI()}, RTPTimeout: 500 * time.Millisecond})
	done := make(chan *CallResult, 1)
	go func() {
		res, err := g.Dial(context.Background(), DialParams{To: "13900000001"})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	var res *CallResult
	require.Eventually(t, func() bool {
		select {
		case res = <-done:
			return true
		default:
			return false
		}
	}, 20*time.Second, 20*time.Millisecond, "the silent call was not ended")
	require.Equal(t, OutcomeAnswered, res.Outcome)
	require.Equal(t, HangupSystem, res.HangupBy)
	require.NoError(t, s.Wait(t), "the customer got our BYE")
}

// TestCallAgentDoesNotAnswerPhoneChallenge: a registered "phone" that challenges the
// gateway's INVITE must not get a digest computed with the trunk's credentials (which it
// could then brute-force offline).
func TestCallAgentDoesNotAnswerPhoneChallenge(t *testing.T) {
	phone := startSipp(t, "uas_auth.xml", "udp", "user", "dealer1", "password", "trunk-secret", "codec", "0")
	creds := mapCredentials{"agent2": {Username: "agent2", HA1: HA1("agent2", "huifang", "pw2"), UserID: 9}}
	g := newTestGateway(t, Config{Trunk: Trunk{URI: "sip:127.0.0.1:9", Username: "dealer1", Password: "trunk-secret"}, Credentials: creds})
	reg := startSippUAC(t, "uac_register.xml", "udp", g.Addr(), "user", "agent2", "password", "pw2", "contact_port", strconv.Itoa(phone.Port))
	require.NoError(t, reg.Wait(t))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := g.CallAgent(ctx, "agent2")
	require.NoError(t, err)
	require.Equal(t, 401, res.SIPStatus, "the phone's challenge is not answered")
	require.NotEqual(t, OutcomeAnswered, res.Outcome)
}

// TestHandlerPanicRecovered: a panic in a request handler is answered 500 and logged
// (rate-limited), and the gateway keeps serving.
func TestHandlerPanicRecovered(t *testing.T) {
	g := newTestGateway(t, Config{})
	m, err := sip.ParseMessage([]byte(request("OPTIONS", "sip:"+g.Addr(), "x", "")))
	require.NoError(t, err)
	req := m.(*sip.Request)
	req.SetSource("127.0.0.1:5999")
	tx := siptest.NewServerTxRecorder(req)
	defer tx.Terminate()
	require.NotPanics(t, func() {
		g.recovering(func(*sip.Request, sip.ServerTransaction) { panic("a message nobody foresaw") })(req, tx)
	})
	res := tx.Result()
	require.NotEmpty(t, res)
	require.Equal(t, 500, res[len(res)-1].StatusCode)
	require.EqualValues(t, 1, g.SecurityStats().Malformed)
}

// TestJunkFloodIsQuietAndHarmless sends 10,000 mutated RFC 4475 torture messages at full
// rate while an agent's leg is up: the leg stays up, the gateway still answers, every
// junk message is counted, and the log gets a handful of lines, not one per packet with
// the packet quoted (issue 18: 1,000 packets made 746 KB of ERROR lines).
func TestJunkFloodIsQuietAndHarmless(t *testing.T) {
	var logBuf bytes.Buffer
	var lines atomic.Int64
	log := slog.New(slog.NewTextHandler(&countingWriter{w: &logBuf, n: &lines}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	creds := mapCredentials{"agent1": {Username: "agent1", HA1: HA1("agent1", "huifang", "pw1"), UserID: 1}}
	g := newTestGateway(t, Config{Credentials: creds, Logger: log})
	ph, err := newPhones(t).login(context.Background(), g.Addr(), "agent1", "pw1")
	require.NoError(t, err)
	defer ph.logout()
	waitAgent(t, g, "agent1")
	before := lines.Load()

	msgs := tortureMessages(t)
	var corpus [][]byte
	for _, m := range msgs {
		if len(m) < 4000 {
			corpus = append(corpus, m)
		}
	}
	c, err := net.Dial("udp", g.Addr())
	require.NoError(t, err)
	defer c.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 10000
	for i := 0; i < n; i++ {
		_, err := c.Write(mutate(rng, corpus[rng.IntN(len(corpus))]))
		require.NoError(t, err)
	}
	// The gateway still answers, and the agent's leg is up.
	require.Eventually(t, func() bool {
		res := sendRaw(t, g.Addr(), request("OPTIONS", "sip:"+g.Addr(), "probe", ""))
		return len(res) > 0 && res[len(res)-1].StatusCode == 200
	}, 10*time.Second, 100*time.Millisecond)
	require.True(t, g.AgentConnected("agent1"), "the agent's leg survived the flood")
	added := lines.Load() - before
	t.Logf("%d junk messages: %d malformed counted, %d log lines, %d bytes of log", n, g.SecurityStats().Malformed, added, logBuf.Len())
	require.Less(t, added, int64(60), "the junk is not logged line by line")
	require.Positive(t, g.SecurityStats().Malformed)
}

// mutate returns a copy of msg with a few random bytes changed, cut or repeated.
func mutate(rng *rand.Rand, msg []byte) []byte {
	out := bytes.Clone(msg)
	for k := rng.IntN(4); k >= 0; k-- {
		switch i := rng.IntN(len(out)); rng.IntN(4) {
		case 0:
			out[i] = byte(rng.IntN(256))
		case 1:
			out = out[:i]
		case 2:
			out = append(out[:i:i], append([]byte("\r\n;:<>@"), out[i:]...)...)
		default:
			out[i] = ' '
		}
		if len(out) == 0 {
			return []byte("x")
		}
	}
	return out
}

// countingWriter counts the lines written through it.
type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n.Add(int64(bytes.Count(p, []byte("\n"))))
	return c.w.Write(p)
}

// TestTollFraudReachesNoTrunk: 200 INVITEs to a customer number from sipp without
// credentials, at 100 per second, are all answered 407 and not one reaches the trunk.
func TestTollFraudReachesNoTrunk(t *testing.T) {
	trunk, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer trunk.Close()
	creds := mapCredentials{"agent1": {Username: "agent1", HA1: HA1("agent1", "huifang", "pw1")}}
	g := newTestGateway(t, Config{Trunk: Trunk{URI: "sip:" + trunk.LocalAddr().String(), Username: "dealer1", Password: "trunk-secret"}, Credentials: creds})
	fraud := runSippN(t, "uac_toll_fraud.xml", "udp", g.Addr(), 200, []string{"-r", "100"}, "number", "13900000001")
	require.NoError(t, fraud.Wait(t), "every INVITE was answered 407")
	_ = trunk.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, _, err = trunk.ReadFrom(make([]byte, 100))
	require.Error(t, err, "nothing reached the trunk")
	require.Zero(t, g.ActiveDialogs())
}
