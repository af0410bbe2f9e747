package telephony

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Gateway is the SIP gateway: one user agent listening on UDP and TCP, placing calls
// through the trunk and serving agents' phones.
type Gateway struct {
	cfg   Config
	log   *slog.Logger
	ua    *sipgo.UserAgent
	srv   *sipgo.Server
	cli   *sipgo.Client
	trunk sip.Uri
	// transport is the trunk's transport, upper case as sipgo writes it.
	transport string

	udp      *net.UDPConn
	tcp      *net.TCPListener
	port     int
	tls      net.Listener
	tlsPort  int
	udpLaddr sip.Addr

	dialogs   *registry
	registrar *registrar
	limiter   *limiter
	nonces    *nonces
	throttle  *throttle
	creds     *credCache
	// junk logs floods (malformed packets, refused digests) at most once per interval.
	junk      *rateLog
	malformed atomic.Uint64
	agents    *agents
	inflight  inflight
	wg        sync.WaitGroup
	// done is closed by Close; agent legs end with it.
	done chan struct{}

	closeOnce sync.Once
}

// New builds a gateway; Start makes it listen.
func New(cfg Config) (*Gateway, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("telephony config: %w", err)
	}
	g := &Gateway{cfg: cfg, log: cfg.Logger, dialogs: newRegistry(), nonces: newNonces(),
		agents: &agents{m: map[string]*agentLeg{}}, done: make(chan struct{})}
	g.registrar = newRegistrar()
	g.throttle = newThrottle(cfg.AuthFailures, cfg.AuthWindow, cfg.AuthLockout)
	g.creds = newCredCache(cfg.Credentials, cfg.CredentialsTTL, 4)
	g.junk = newRateLog(cfg.Logger, 10*time.Second, cfg.Now)
	g.limiter = newLimiter(cfg.Trunk.MaxConcurrent, cfg.Trunk.MaxCPS)
	if cfg.Trunk.URI != "" {
		g.trunk, _ = parseTrunkURI(cfg.Trunk.URI)
	}
	g.transport = "UDP"
	if tp, ok := g.trunk.UriParams.Get("transport"); ok && strings.EqualFold(tp, "tcp") {
		g.transport = "TCP"
	}
	if cfg.Trunk.Transport != "" {
		g.transport = strings.ToUpper(cfg.Trunk.Transport)
	}
	return g, nil
}

// Start restores the stored registrations of agents' phones (Config.Bindings), then
// listens on the configured address (UDP and TCP, same port) and serves requests until
// Close.
func (g *Gateway) Start() error {
	// Stored registrations are back before any new REGISTER can arrive and replace them.
	g.loadBindings()
	// sipgo's lines about malformed traffic are counted and rate-limited.
	sipLog := slog.New(&junkHandler{next: g.log.Handler(), rl: g.junk, n: &g.malformed})
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("huifang"),
		sipgo.WithUserAgentHostname(g.cfg.Host),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(sipLog),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {}),
		),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(sipLog)),
	)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	g.ua = ua
	if g.srv, err = sipgo.NewServer(ua, sipgo.WithServerLogger(sipLog)); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	if g.cli, err = sipgo.NewClient(ua, sipgo.WithClientLogger(g.log), sipgo.WithClientHostname(g.cfg.Host)); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	g.routes()
	if err := g.listen(); err != nil {
		_ = ua.Close()
		return err
	}
	if g.cfg.TLSListenAddr != "" {
		ln, err := net.Listen("tcp", g.cfg.TLSListenAddr)
		if err != nil {
			g.udp.Close()
			g.tcp.Close()
			_ = ua.Close()
			return fmt.Errorf("gateway: listen tls %s: %w", g.cfg.TLSListenAddr, err)
		}
		g.tls = tls.NewListener(ln, g.cfg.TLS)
		g.tlsPort = ln.Addr().(*net.TCPAddr).Port
		g.wg.Add(1)
		go func() { defer g.wg.Done(); _ = g.srv.ServeTLS(g.tls) }()
	}
	g.wg.Add(2)
	go func() { defer g.wg.Done(); _ = g.srv.ServeUDP(g.udp) }()
	go func() { defer g.wg.Done(); _ = g.srv.ServeTCP(g.tcp) }()
	// Requests leave from the UDP listener, which the transport knows once ServeUDP has
	// registered it; wait for that so the first call cannot race it.
	for i := 0; i < 1000; i++ {
		if c, _ := ua.TransportLayer().GetConnection("udp", g.udpLaddr.String()); c != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	g.log.Info("sip gateway listening", "addr", g.Addr(), "trunk", g.cfg.Trunk.URI, "transport", g.transport, "tls", g.TLSAddr())
	return nil
}

// listen binds UDP and TCP on the same port, retrying a few free ports when asked for 0.
func (g *Gateway) listen() error {
	host, portStr, _ := net.SplitHostPort(g.cfg.ListenAddr)
	want, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("gateway: listen port %q: %w", portStr, err)
	}
	ip := net.ParseIP(host)
	for try := 0; try < 20; try++ {
		udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: want})
		if err != nil {
			return fmt.Errorf("gateway: listen udp %s: %w", g.cfg.ListenAddr, err)
		}
		port := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := net.ListenTCP("tcp", &net.TCPAddr{IP: ip, Port: port})
		if err != nil {
			udp.Close()
			if want == 0 {
				continue
			}
			return fmt.Errorf("gateway: listen tcp %s: %w", g.cfg.ListenAddr, err)
		}
		// Bursts of calls must not overflow the socket's receive queue.
		_ = udp.SetReadBuffer(4 << 20)
		_ = udp.SetWriteBuffer(4 << 20)
		g.udp, g.tcp, g.port = udp, tcp, port
		g.udpLaddr = sip.Addr{IP: udp.LocalAddr().(*net.UDPAddr).IP, Port: port}
		return nil
	}
	return errors.New("gateway: no port free for both UDP and TCP")
}

// Addr returns the HOST:PORT the gateway listens on.
func (g *Gateway) Addr() string { return net.JoinHostPort(g.cfg.Host, strconv.Itoa(g.port)) }

// TLSAddr returns the HOST:PORT of the TLS listener, or "" without one.
func (g *Gateway) TLSAddr() string {
	if g.tls == nil {
		return ""
	}
	return net.JoinHostPort(g.cfg.Host, strconv.Itoa(g.tlsPort))
}

// Config returns the gateway's configuration, defaults applied.
func (g *Gateway) Config() Config { return g.cfg }

// ActiveDialogs returns the number of calls in the dialog registry.
func (g *Gateway) ActiveDialogs() int { return g.dialogs.len() }

// Close stops listening and releases the transport; calls in progress see transport
// errors. Call it after live calls have ended (serve stops the dialer first).
func (g *Gateway) Close() error {
	var err error
	g.closeOnce.Do(func() {
		close(g.done)
		// Browser phones end with the gateway.
		g.agents.mu.Lock()
		var web []*agentLeg
		for _, al := range g.agents.m {
			if al.web != nil {
				web = append(web, al)
			}
		}
		g.agents.mu.Unlock()
		for _, al := range web {
			g.endAgentLeg(al)
		}
		// Let agent legs send their BYE while the transport still runs.
		g.agentsWG()
		if g.udp != nil {
			g.udp.Close()
		}
		if g.tcp != nil {
			g.tcp.Close()
		}
		if g.tls != nil {
			g.tls.Close()
		}
		if g.ua != nil {
			err = g.ua.Close()
		}
		g.wg.Wait()
	})
	return err
}

// addVia is the request option for every request we originate: a fresh Via branch, our
// UDP listening socket as source (so answers come back to it), and a Content-Length.
func (g *Gateway) addVia(_ *sipgo.Client, r *sip.Request) error {
	via := &sip.ViaHeader{
		ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: r.Transport(),
		Host: g.cfg.Host, Port: g.port, Params: sip.NewParams(),
	}
	if r.Transport() == "TLS" {
		via.Port = g.tlsPort
	}
	via.Params.Add("branch", sip.GenerateBranchN(16))
	via.Params.Add("rport", "")
	r.PrependHeader(via)
	if r.Transport() == "UDP" {
		r.Laddr = g.udpLaddr
	}
	if r.Body() == nil {
		r.SetBody(nil)
	}
	return nil
}

// contact returns our Contact URI for the transport.
func (g *Gateway) contact(user, transport string) sip.Uri {
	u := sip.Uri{Scheme: "sip", User: user, Host: g.cfg.Host, Port: g.port}
	switch transport {
	case "TCP":
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", "tcp")
	case "TLS":
		u.Port = g.tlsPort
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", "tls")
	}
	return u
}

// waitFinal waits for the final response of a non-INVITE transaction, bounded by the
// bye timeout, and terminates it.
func (g *Gateway) waitFinal(ctx context.Context, tx sip.ClientTransaction) (*sip.Response, error) {
	defer tx.Terminate()
	t := time.NewTimer(g.cfg.ByeTimeout)
	defer t.Stop()
	for {
		select {
		case r := <-tx.Responses():
			if r == nil || r.IsProvisional() {
				continue
			}
			return r, nil
		case <-tx.Done():
			return nil, fmt.Errorf("transaction ended: %w", tx.Err())
		case <-t.C:
			return nil, errors.New("no final response")
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// agentsWG waits (bounded) for the agent legs to end after done is closed.
func (g *Gateway) agentsWG() {
	deadline := time.Now().Add(g.cfg.ByeTimeout)
	for time.Now().Before(deadline) {
		g.agents.mu.Lock()
		n := len(g.agents.m)
		g.agents.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Hangup ends the live call with this Call-ID from our side, recording who hung up
// (HangupAgent or HangupSystem). It reports whether such a call was up.
func (g *Gateway) Hangup(callID, by string) bool {
	g.dialogs.mu.Lock()
	var found *leg
	for _, l := range g.dialogs.legs {
		if l.callID == callID {
			found = l
			break
		}
	}
	g.dialogs.mu.Unlock()
	if found == nil {
		return false
	}
	select {
	case found.hangup <- by:
	default:
	}
	return true
}

// SetTrunkURI points the gateway at another trunk (sip:HOST:PORT) before Start; serve
// uses it to dial the simulated carrier once that listens.
func (g *Gateway) SetTrunkURI(uri string) error {
	u, err := parseTrunkURI(uri)
	if err != nil {
		return err
	}
	g.cfg.Trunk.URI, g.trunk = uri, u
	return nil
}
