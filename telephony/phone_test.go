package telephony

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/telephony/media"
)

// phones is a bank of test softphones on one sipgo user agent: each logs in to the
// gateway as an agent (INVITE answering the 407) and talks (a tone) until hung up.
type phones struct {
	ua   *sipgo.UserAgent
	cli  *sipgo.Client
	dc   *sipgo.DialogClientCache
	addr *net.UDPAddr
}

func newPhones(t testing.TB) *phones {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(testLogger())),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(testLogger())))
	require.NoError(t, err)
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	_ = conn.SetReadBuffer(4 << 20)
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(testLogger()))
	require.NoError(t, err)
	cli, err := sipgo.NewClient(ua, sipgo.WithClientLogger(testLogger()), sipgo.WithClientConnectionAddr(conn.LocalAddr().String()))
	require.NoError(t, err)
	addr := conn.LocalAddr().(*net.UDPAddr)
	p := &phones{ua: ua, cli: cli, addr: addr,
		dc: sipgo.NewDialogClientCache(cli, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "phone", Host: "127.0.0.1", Port: addr.Port}})}
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := p.dc.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No Dialog", nil))
		}
	})
	go func() { _ = srv.ServeUDP(conn) }()
	for i := 0; i < 1000; i++ {
		if c, _ := ua.TransportLayer().GetConnection("udp", addr.String()); c != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(func() { conn.Close(); _ = ua.Close() })
	return p
}

// phone is one logged-in agent phone.
type phone struct {
	// digits gets the keys the bridged customer presses (RFC 4733 relayed by the gateway).
	digits chan byte
	dlg    *sipgo.DialogClientSession
	sess   *media.Session
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// login calls in to the gateway as user, answers its challenge, and starts talking.
func (p *phones) login(ctx context.Context, gw string, user, password string) (*phone, error) {
	sess, err := media.Listen("127.0.0.1")
	if err != nil {
		return nil, err
	}
	host, port, _ := sip.ParseAddr(gw)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	ct := sip.ContentTypeHeader("application/sdp")
	dlg, err := p.dc.Invite(ctx, sip.Uri{Scheme: "sip", User: "login", Host: host, Port: port}, sess.Offer(1), from, &ct)
	if err != nil {
		sess.Close()
		return nil, fmt.Errorf("invite: %w", err)
	}
	if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{Username: user, Password: password}); err != nil {
		sess.Close()
		return nil, fmt.Errorf("answer: %w", err)
	}
	if err := dlg.Ack(ctx); err != nil {
		sess.Close()
		return nil, fmt.Errorf("ack: %w", err)
	}
	if err := sess.AcceptAnswer(dlg.InviteResponse.Body()); err != nil {
		sess.Close()
		return nil, err
	}
	digits := make(chan byte, 16)
	sess.Start(media.Handler{DTMF: func(d byte) {
		select {
		case digits <- d:
		default:
		}
	}})
	tctx, cancel := context.WithCancel(context.Background())
	ph := &phone{dlg: dlg, sess: sess, cancel: cancel, digits: digits}
	tone := media.Tone(300, 1000, 6000)
	ph.done.Add(1)
	go func() {
		defer ph.done.Done()
		for tctx.Err() == nil {
			_ = sess.Play(tctx, tone, nil)
		}
	}()
	return ph, nil
}

// logout stops talking and hangs up.
func (ph *phone) logout() {
	ph.cancel()
	ph.done.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = ph.dlg.Bye(ctx)
	ph.sess.Close()
}

func TestSoftphoneBridge(t *testing.T) {
	c := newTestCarrier(t, simCarrierAnswering(500*time.Millisecond))
	creds := mapCredentials{"a1": {Username: "a1", HA1: HA1("a1", "huifang", "p1"), UserID: 1}}
	g := newTestGateway(t, Config{Trunk: Trunk{URI: c.URI()}, Credentials: creds, RecordingsDir: t.TempDir()})
	ph, err := newPhones(t).login(context.Background(), g.Addr(), "a1", "p1")
	require.NoError(t, err)
	waitAgent(t, g, "a1")
	res, err := g.DialAgent(context.Background(), "a1", DialParams{To: "13900000001"})
	require.NoError(t, err)
	require.Equal(t, OutcomeAnswered, res.Outcome)
	require.False(t, res.BridgedAt.IsZero())
	require.Positive(t, res.CustomerRTP.Packets)
	require.Positive(t, res.AgentRTP.Packets)
	left, right, err := media.ReadStereoWAV(res.Recording)
	require.NoError(t, err)
	require.Greater(t, media.RMS(left), 1000.0)
	require.Greater(t, media.RMS(right), 1000.0)
	ph.logout()
	for i := 0; i < 100 && g.AgentConnected("a1"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	require.False(t, g.AgentConnected("a1"))
}

// waitAgent waits (bounded) until the agent's leg is up at the gateway.
func waitAgent(t testing.TB, g *Gateway, user string) {
	t.Helper()
	for i := 0; i < 500 && !g.AgentConnected(user); i++ {
		time.Sleep(5 * time.Millisecond)
	}
	require.True(t, g.AgentConnected(user), "agent %s connected", user)
}

func TestBridgeRelaysDTMF(t *testing.T) {
	// The customer answers, presses 5 (RFC 4733 events) and waits for us to hang up.
	s := startSipp(t, "uas_dtmf_rfc4733.xml", "udp", "codec", "0", "wait", "200", "pcap", "/usr/share/sip-tester/dtmf_2833_5.pcap")
	creds := mapCredentials{"a1": {Username: "a1", HA1: HA1("a1", "huifang", "p1")}}
	g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI()}, Credentials: creds, RecordingsDir: t.TempDir()})
	ph, err := newPhones(t).login(context.Background(), g.Addr(), "a1", "p1")
	require.NoError(t, err)
	defer ph.logout()
	waitAgent(t, g, "a1")
	res, err := g.DialAgent(context.Background(), "a1", DialParams{To: "13900000001", OnAnswer: func(ctx context.Context, c *Call) error {
		select {
		case d := <-ph.digits:
			if d != '5' {
				t.Errorf("the agent's phone got %q, want the customer's 5", d)
			}
		case <-time.After(5 * time.Second):
			t.Error("no digit reached the agent")
		}
		// The agent hangs up, as the console's button does.
		g.Hangup(c.CallID(), HangupAgent)
		return nil
	}})
	require.NoError(t, err)
	require.NoError(t, s.Wait(t))
	require.Equal(t, OutcomeAnswered, res.Outcome)
	require.Equal(t, HangupAgent, res.HangupBy)
}
