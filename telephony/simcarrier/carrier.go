package simcarrier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/huifang/huifang/telephony/media"
)

// Scenario is what the carrier does with one call.
type Scenario string

// The scenarios the carrier picks from.
const (
	Answer      Scenario = "answer"
	Busy        Scenario = "busy"
	Unreachable Scenario = "unreachable"
	Invalid     Scenario = "invalid"
	NoAnswer    Scenario = "no_answer"
)

// Odds are the relative weights of the scenarios; they need not sum to one.
type Odds struct {
	Answer, Busy, Unreachable, Invalid, NoAnswer float64
}

// DefaultOdds returns odds that look like a day of follow-up calls.
func DefaultOdds() Odds {
	return Odds{Answer: 0.6, Busy: 0.1, Unreachable: 0.1, Invalid: 0.05, NoAnswer: 0.15}
}

// Config is the carrier's configuration.
type Config struct {
	// ListenAddr is HOST:PORT for UDP and TCP (default 127.0.0.1:5070; port 0 picks one).
	ListenAddr string
	// Odds weigh the scenarios (default DefaultOdds()).
	Odds Odds
	// RingMin and RingMax bound the random ring time (default 1s and 5s).
	RingMin, RingMax time.Duration
	// TalkMin and TalkMax bound the random talk time of answered calls (default 5s, 30s).
	TalkMin, TalkMax time.Duration
	// NoAnswerAfter is how long an unanswered call rings before 408 (default 60s).
	NoAnswerAfter time.Duration
	// Audio is what answered calls hear, 8000 Hz (default a 440 Hz tone).
	Audio []int16
	// Keys, when set, are the DTMF keys a customer who answers may press, one chosen at
	// random per call (repeat a key to weigh it, such as "1129"); the key is sent as an
	// RFC 4733 event KeyAfter after the answer, when the caller offered telephone events.
	// This is how message-call campaigns are tried without a phone.
	Keys string
	// KeyAfter is how long after the answer the key is pressed (default 2s).
	KeyAfter time.Duration
	// Seed makes the choices repeatable; zero seeds from the clock.
	Seed uint64
	// Logger receives the carrier's logs (default slog.Default()).
	Logger *slog.Logger
}

// WithDefaults returns a copy of c with defaults applied.
func (c Config) WithDefaults() Config {
	if c.ListenAddr == "" {
		c.ListenAddr = "127.0.0.1:5070"
	}
	if c.Odds == (Odds{}) {
		c.Odds = DefaultOdds()
	}
	if c.RingMax == 0 && c.RingMin == 0 {
		c.RingMin, c.RingMax = time.Second, 5*time.Second
	}
	if c.TalkMax == 0 && c.TalkMin == 0 {
		c.TalkMin, c.TalkMax = 5*time.Second, 30*time.Second
	}
	c.RingMax = max(c.RingMax, c.RingMin)
	c.TalkMax = max(c.TalkMax, c.TalkMin)
	if c.NoAnswerAfter <= 0 {
		c.NoAnswerAfter = 60 * time.Second
	}
	if c.Audio == nil {
		c.Audio = media.Tone(440, 1000, 8000)
	}
	if c.KeyAfter <= 0 {
		c.KeyAfter = 2 * time.Second
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

func (c Config) validate() error {
	for i := 0; i < len(c.Keys); i++ {
		if !media.IsDTMFDigit(c.Keys[i]) {
			return fmt.Errorf("simcarrier: key %q is not a DTMF key (0-9, *, #, A-D)", c.Keys[i])
		}
	}
	o := c.Odds
	for _, w := range []float64{o.Answer, o.Busy, o.Unreachable, o.Invalid, o.NoAnswer} {
		if w < 0 {
			return errors.New("simcarrier: odds must not be negative")
		}
	}
	if c.RingMin < 0 || c.TalkMin < 0 {
		return errors.New("simcarrier: ring and talk times must not be negative")
	}
	if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		return fmt.Errorf("simcarrier: listen address %q: %w", c.ListenAddr, err)
	}
	return nil
}

// Stats counts the calls the carrier handled, by scenario.
type Stats map[Scenario]int64

// Carrier is the simulated carrier.
type Carrier struct {
	cfg   Config
	log   *slog.Logger
	ua    *sipgo.UserAgent
	srv   *sipgo.Server
	cli   *sipgo.Client
	udp   *net.UDPConn
	tcp   *net.TCPListener
	host  string
	port  int
	laddr sip.Addr

	mu    sync.Mutex
	rng   *rand.Rand
	calls map[string]*call
	stats map[Scenario]*atomic.Int64
	wg    sync.WaitGroup
	done  chan struct{}
}

// call is one call in the carrier's dialog table (keyed by Call-ID).
type call struct {
	acked   chan struct{}
	ackOnce sync.Once
	bye     chan struct{}
	byeOnce sync.Once
}

// New builds a carrier; Start makes it listen.
func New(cfg Config) (*Carrier, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Carrier{
		cfg: cfg, log: cfg.Logger, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		calls: map[string]*call{}, stats: map[Scenario]*atomic.Int64{}, done: make(chan struct{}),
	}
	for _, s := range []Scenario{Answer, Busy, Unreachable, Invalid, NoAnswer} {
		c.stats[s] = &atomic.Int64{}
	}
	return c, nil
}

// Start listens on UDP and TCP (same port) and serves until Close.
func (c *Carrier) Start() error {
	host, portStr, _ := net.SplitHostPort(c.cfg.ListenAddr)
	ip := net.ParseIP(host)
	if ip == nil {
		return fmt.Errorf("simcarrier: listen host %q must be an IP address", host)
	}
	want, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("simcarrier: listen port %q: %w", portStr, err)
	}
	for try := 0; try < 20 && c.udp == nil; try++ {
		udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: want})
		if err != nil {
			return fmt.Errorf("simcarrier: listen udp: %w", err)
		}
		port := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := net.ListenTCP("tcp", &net.TCPAddr{IP: ip, Port: port})
		if err != nil {
			udp.Close()
			if want == 0 {
				continue
			}
			return fmt.Errorf("simcarrier: listen tcp: %w", err)
		}
		c.udp, c.tcp, c.port = udp, tcp, port
		c.laddr = sip.Addr{IP: udp.LocalAddr().(*net.UDPAddr).IP, Port: port}
	}
	if c.udp == nil {
		return errors.New("simcarrier: no port free for both UDP and TCP")
	}
	c.host = ip.String()
	if ip.IsUnspecified() {
		c.host = "127.0.0.1"
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("huifang-sim-carrier"),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(c.log)),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(c.log)))
	if err != nil {
		return fmt.Errorf("simcarrier: %w", err)
	}
	c.ua = ua
	c.srv, _ = sipgo.NewServer(ua, sipgo.WithServerLogger(c.log))
	c.cli, _ = sipgo.NewClient(ua, sipgo.WithClientLogger(c.log), sipgo.WithClientHostname(c.host))
	c.srv.OnInvite(c.onInvite)
	c.srv.OnAck(c.onAck)
	c.srv.OnBye(c.onBye)
	c.srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	udp, tcp := c.udp, c.tcp
	c.wg.Add(2)
	go func() { defer c.wg.Done(); _ = c.srv.ServeUDP(udp) }()
	go func() { defer c.wg.Done(); _ = c.srv.ServeTCP(tcp) }()
	for i := 0; i < 1000; i++ {
		if conn, _ := ua.TransportLayer().GetConnection("udp", c.laddr.String()); conn != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	c.log.Info("simulated carrier listening", "addr", c.Addr())
	return nil
}

// Addr returns HOST:PORT the carrier listens on.
func (c *Carrier) Addr() string { return net.JoinHostPort(c.host, strconv.Itoa(c.port)) }

// URI returns the carrier as a trunk URI, sip:HOST:PORT.
func (c *Carrier) URI() string { return "sip:" + c.Addr() }

// Stats returns the calls handled so far by scenario.
func (c *Carrier) Stats() Stats {
	out := Stats{}
	for s, n := range c.stats {
		out[s] = n.Load()
	}
	return out
}

// Close ends calls in progress (without BYE) and stops listening.
func (c *Carrier) Close() error {
	select {
	case <-c.done:
		return nil
	default:
	}
	close(c.done)
	if c.udp != nil {
		c.udp.Close()
		c.tcp.Close()
	}
	var err error
	if c.ua != nil {
		err = c.ua.Close()
	}
	c.wg.Wait()
	return err
}

// pick draws a scenario and the ring and talk times of one call.
func (c *Carrier) pick() (Scenario, time.Duration, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.cfg.Odds
	total := o.Answer + o.Busy + o.Unreachable + o.Invalid + o.NoAnswer
	x := c.rng.Float64() * total
	s := NoAnswer
	for _, e := range []struct {
		s Scenario
		w float64
	}{{Answer, o.Answer}, {Busy, o.Busy}, {Unreachable, o.Unreachable}, {Invalid, o.Invalid}} {
		if x < e.w {
			s = e.s
			break
		}
		x -= e.w
	}
	ring := c.cfg.RingMin + time.Duration(c.rng.Int64N(int64(c.cfg.RingMax-c.cfg.RingMin)+1))
	talk := c.cfg.TalkMin + time.Duration(c.rng.Int64N(int64(c.cfg.TalkMax-c.cfg.TalkMin)+1))
	return s, ring, talk
}

func (c *Carrier) onAck(req *sip.Request, _ sip.ServerTransaction) {
	if cid := req.CallID(); cid != nil {
		c.mu.Lock()
		k := c.calls[cid.Value()]
		c.mu.Unlock()
		if k != nil {
			k.ackOnce.Do(func() { close(k.acked) })
		}
	}
}

func (c *Carrier) onBye(req *sip.Request, tx sip.ServerTransaction) {
	var k *call
	if cid := req.CallID(); cid != nil {
		c.mu.Lock()
		k = c.calls[cid.Value()]
		c.mu.Unlock()
	}
	if k == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	k.byeOnce.Do(func() { close(k.bye) })
}

// onInvite plays one call; the handler returns when the call is over.
func (c *Carrier) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if req.CallID() == nil || req.From() == nil || req.To() == nil || req.CSeq() == nil || req.Contact() == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return
	}
	if tag, _ := req.To().Params.Get("tag"); tag != "" {
		// A re-INVITE (session refresh): accept it as is.
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		return
	}
	callID := req.CallID().Value()
	k := &call{acked: make(chan struct{}), bye: make(chan struct{})}
	c.mu.Lock()
	if _, dup := c.calls[callID]; dup {
		c.mu.Unlock()
		return
	}
	c.calls[callID] = k
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.calls, callID)
		c.mu.Unlock()
	}()

	scenario, ring, talk := c.pick()
	c.stats[scenario].Add(1)
	toTag := sip.GenerateTagN(12)
	reply := func(code int, reason string, body []byte, hdrs ...sip.Header) *sip.Response {
		res := sip.NewResponseFromRequest(req, code, reason, body)
		if code > 100 {
			res.To().Params.Add("tag", toTag)
		}
		for _, h := range hdrs {
			res.AppendHeader(h)
		}
		if err := tx.Respond(res); err != nil {
			c.log.Debug("respond", "code", code, "err", err)
		}
		return res
	}
	cancelled := make(chan struct{})
	var cancelOnce sync.Once
	tx.OnCancel(func(*sip.Request) { cancelOnce.Do(func() { close(cancelled) }) })

	reply(100, "Trying", nil)
	reply(180, "Ringing", nil)
	wait := ring
	if scenario == NoAnswer {
		wait = c.cfg.NoAnswerAfter
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-cancelled:
		return
	case <-tx.Done():
		return
	case <-c.done:
		return
	}
	switch scenario {
	case Busy:
		reply(486, "Busy Here", nil)
		return
	case Unreachable:
		reply(480, "Temporarily Unavailable", nil)
		return
	case Invalid:
		reply(404, "Not Found", nil)
		return
	case NoAnswer:
		reply(408, "Request Timeout", nil)
		return
	}
	c.answer(req, tx, k, reply, talk)
}

// answer answers the call, plays audio for the talk time and hangs up (unless the caller
// does first).
func (c *Carrier) answer(req *sip.Request, tx sip.ServerTransaction, k *call,
	reply func(int, string, []byte, ...sip.Header) *sip.Response, talk time.Duration) {
	host, _, _ := net.SplitHostPort(c.Addr())
	sess, err := media.Listen(host)
	if err != nil {
		reply(503, "Service Unavailable", nil)
		return
	}
	defer sess.Close()
	sdp, err := sess.AnswerOffer(req.Body(), uint64(time.Now().UnixNano()))
	if err != nil {
		reply(488, "Not Acceptable Here", nil)
		return
	}
	contact := sip.Uri{Scheme: "sip", User: "carrier", Host: c.host, Port: c.port}
	if req.Transport() == "TCP" {
		contact.UriParams = sip.NewParams()
		contact.UriParams.Add("transport", "tcp")
	}
	ct := sip.ContentTypeHeader("application/sdp")
	res := reply(200, "OK", sdp, &sip.ContactHeader{Address: contact}, &ct)
	// Retransmit the 2xx until the ACK (RFC 3261 section 13.3.1.4).
	wait := sip.T1
	deadline := time.NewTimer(64 * sip.T1)
	defer deadline.Stop()
	for acked := false; !acked; {
		rt := time.NewTimer(wait)
		select {
		case <-k.acked:
			acked = true
		case <-k.bye:
			rt.Stop()
			return
		case <-deadline.C:
			rt.Stop()
			return
		case <-c.done:
			rt.Stop()
			return
		case <-rt.C:
			_ = tx.Respond(res)
			wait = min(2*wait, sip.T2)
		}
		rt.Stop()
	}
	sess.Start(media.Handler{})
	ctx, cancel := context.WithTimeout(context.Background(), talk)
	defer cancel()
	go func() {
		select {
		case <-k.bye:
		case <-c.done:
		case <-ctx.Done():
		}
		cancel()
	}()
	if key := c.key(); key != 0 && sess.CanSendDTMF() {
		go func() {
			t := time.NewTimer(c.cfg.KeyAfter)
			defer t.Stop()
			select {
			case <-t.C:
				_ = sess.SendDTMF(key)
			case <-ctx.Done():
			}
		}()
	}
	for ctx.Err() == nil {
		_ = sess.Play(ctx, c.cfg.Audio, nil)
	}
	select {
	case <-k.bye:
		return
	case <-c.done:
		return
	default:
	}
	c.bye(req, res)
}

// key picks the key this call's customer presses, or 0 for none.
func (c *Carrier) key() byte {
	if c.cfg.Keys == "" {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg.Keys[c.rng.IntN(len(c.cfg.Keys))]
}

// bye hangs up an answered call (RFC 3261 section 15.1.1, from the callee's side).
func (c *Carrier) bye(invite *sip.Request, ok *sip.Response) {
	bye := sip.NewRequest(sip.BYE, *invite.Contact().Address.Clone())
	mf := sip.MaxForwardsHeader(70)
	bye.AppendHeader(&mf)
	from := ok.To().AsFrom()
	bye.AppendHeader(&from)
	to := sip.ToHeader{DisplayName: invite.From().DisplayName, Address: invite.From().Address, Params: invite.From().Params.Clone()}
	bye.AppendHeader(&to)
	bye.AppendHeader(sip.HeaderClone(invite.CallID()))
	bye.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.BYE})
	bye.SetTransport(invite.Transport())
	// Send back where the INVITE came from (the caller may be behind NAT).
	bye.SetDestination(invite.Source())
	bye.SetBody(nil)
	tx, err := c.cli.TransactionRequest(context.Background(), bye, func(_ *sipgo.Client, r *sip.Request) error {
		via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: r.Transport(),
			Host: c.host, Port: c.port, Params: sip.NewParams()}
		via.Params.Add("branch", sip.GenerateBranchN(16))
		r.PrependHeader(via)
		if r.Transport() == "UDP" {
			r.Laddr = c.laddr
		}
		return nil
	})
	if err != nil {
		c.log.Debug("send BYE", "err", err)
		return
	}
	defer tx.Terminate()
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case r := <-tx.Responses():
			if r != nil && r.IsProvisional() {
				continue
			}
			return
		case <-tx.Done():
			return
		case <-t.C:
			return
		case <-c.done:
			return
		}
	}
}
