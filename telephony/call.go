package telephony

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
	"github.com/icholy/digest"
	"github.com/pion/rtp"

	"github.com/huifang/huifang/telephony/media"
)

// DialParams describes one outbound call.
type DialParams struct {
	// To is the customer's number as stored; it is rewritten for the trunk.
	To string
	// CallerID overrides the trunk's caller ID (per dealer).
	CallerID string
	// Kind is recorded with the call: "agent", "message" or "test" (default "test").
	Kind string
	// Meta links the call record to the queue.
	Meta CallMeta
	// RingTimeout overrides the gateway's ring timeout.
	RingTimeout time.Duration
	// Record writes a stereo WAV of the call under the gateway's recordings directory (or
	// RecordDir when set): the customer left, our side right.
	Record    bool
	RecordDir string
	// OnRing is called at the first 180 or 183.
	OnRing func()
	// OnAnswer runs while the call is up. Its ctx ends when the customer hangs up; when it
	// returns we hang up (unless the customer did). With no OnAnswer the call stays up
	// until the customer hangs up, ctx ends, or the maximum call duration.
	OnAnswer func(ctx context.Context, c *Call) error

	// bridge, set by DialAgent, connects the answered call to the agent's leg at once,
	// before any goroutine is started for the call.
	bridge func(c *Call)
	// agentStats, set by DialAgent, measures the agent's side when the call ends (before
	// the record is stored).
	agentStats func() media.Stats
}

// Call is an answered call, handed to DialParams.OnAnswer.
type Call struct {
	g         *Gateway
	leg       *leg
	rec       atomic.Pointer[media.Recorder]
	mu        sync.Mutex
	hangupBy  string
	relay     func(pkt *rtp.Packet, codec media.Codec, samples []int16)
	events    func(pkt *rtp.Packet)
	digits    string
	bridgedAt time.Time
}

// ReadDigit waits for the customer's next key press (RFC 4733 or SIP INFO), stores it in
// the call record and returns it.
func (c *Call) ReadDigit(ctx context.Context) (byte, error) {
	select {
	case d := <-c.leg.dtmf:
		c.mu.Lock()
		c.digits += string(d)
		c.mu.Unlock()
		return d, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// CallID returns the call's SIP Call-ID.
func (c *Call) CallID() string { return c.leg.callID }

// Media returns the RTP session towards the customer.
func (c *Call) Media() *media.Session { return c.leg.media }

// DTMF returns the digits the customer presses (RFC 4733 events and SIP INFO).
func (c *Call) DTMF() <-chan byte { return c.leg.dtmf }

// SetHangupBy names who ends the call when OnAnswer returns (HangupAgent or HangupSystem).
func (c *Call) SetHangupBy(who string) {
	c.mu.Lock()
	c.hangupBy = who
	c.mu.Unlock()
}

// Play sends samples to the customer in real time, recording them on the agent channel.
func (c *Call) Play(ctx context.Context, samples []int16) error {
	return c.leg.media.Play(ctx, samples, c.tapOut)
}

// tapOut records audio we send to the customer.
func (c *Call) tapOut(ts uint32, samples []int16) {
	if rec := c.rec.Load(); rec != nil {
		rec.Write(media.Agent, ts, samples)
	}
}

// startMedia starts reading the customer's RTP (at early media or at the answer): audio
// is recorded and relayed, events relayed, digits queued. It runs once.
func (c *Call) startMedia() {
	l := c.leg
	l.media.Start(media.Handler{
		Audio: func(pkt *rtp.Packet, codec media.Codec, samples []int16) {
			if rec := c.rec.Load(); rec != nil {
				rec.Write(media.Customer, pkt.Timestamp, samples)
			}
			c.mu.Lock()
			relay := c.relay
			c.mu.Unlock()
			if relay != nil {
				relay(pkt, codec, samples)
			}
		},
		Event: func(pkt *rtp.Packet) {
			c.mu.Lock()
			ev := c.events
			c.mu.Unlock()
			if ev != nil {
				ev(pkt)
			}
		},
		DTMF: l.pushDTMF,
	})
}

// setRelay sets where the customer's audio and events go besides the recorder (the B2BUA).
func (c *Call) setRelay(audio func(*rtp.Packet, media.Codec, []int16), events func(*rtp.Packet)) {
	c.mu.Lock()
	c.relay, c.events = audio, events
	c.mu.Unlock()
}

// noBuild is the request option that leaves a request exactly as we built it.
func noBuild(*sipgo.Client, *sip.Request) error { return nil }

func newCallID() string { return uuid.NewString() }

func randomID() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:]) >> 2
}

// ErrNoTrunk means the gateway has no trunk to call through.
var ErrNoTrunk = errors.New("telephony: no trunk configured")

// Dial places one call through the trunk and returns when it has ended. Failures of the
// call itself (busy, no answer, trunk errors) are in the result's Outcome; the error is
// for calls that could not be attempted at all (bad number, no trunk, ctx ended while
// waiting for a free trunk channel). Every attempt made is passed to the CallLog.
func (g *Gateway) Dial(ctx context.Context, p DialParams) (*CallResult, error) {
	if g.trunk.Host == "" {
		return nil, ErrNoTrunk
	}
	number, err := RewriteNumber(p.To, g.cfg.Trunk.Format, g.cfg.Trunk.CountryCode)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	release, err := g.limiter.acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", number, err)
	}
	defer release()
	u := sip.Uri{Scheme: "sip", User: number, Host: g.trunk.Host, Port: g.trunk.Port}
	return g.place(ctx, target{
		ruri: u, to: u, transport: g.transport, destination: g.cfg.Trunk.OutboundProxy,
		trunk: g.cfg.Trunk.URI, number: number, log: true, trunkAuth: true,
	}, p)
}

// target is where a call goes: through the trunk to a number, or to an agent's phone.
type target struct {
	ruri, to    sip.Uri
	transport   string
	destination string
	trunk       string
	number      string
	// log says whether the call is a customer attempt for the CallLog.
	log bool
	// trunkAuth says whether the trunk's credentials may answer a 401 or 407: only for
	// calls through the trunk, never to an agent's phone.
	trunkAuth bool
	// peers are more addresses the callee may send in-dialog requests from (a phone's
	// registration source); the Request-URI's host and the destination always may.
	peers []string
}

// place runs one outgoing call to t.
func (g *Gateway) place(ctx context.Context, t target, p DialParams) (*CallResult, error) {
	sess, err := media.Listen(g.cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", t.number, err)
	}
	defer sess.Close()

	callerID := p.CallerID
	if callerID == "" {
		callerID = g.cfg.Trunk.CallerID
	}
	kind := p.Kind
	if kind == "" {
		kind = "test"
	}
	l := newLeg(newCallID(), sip.GenerateTagN(16))
	l.transport = t.transport
	l.local = sip.Uri{Scheme: "sip", User: callerID, Host: g.cfg.Host}
	l.localName = g.cfg.Trunk.CallerName
	l.remote = t.to
	l.remoteTarget = t.ruri
	l.destination = t.destination
	l.addPeer(t.ruri.Host)
	if t.destination != "" {
		l.addPeer(sourceIP(t.destination))
	}
	for _, p := range t.peers {
		l.addPeer(p)
	}
	l.media = sess
	l.allowMediaFromPeers()
	l.localSDP = sess.Offer(randomID())

	res := &CallResult{
		CallID: l.callID, Trunk: t.trunk, From: l.local.String(), To: t.number,
		Kind: kind, Meta: p.Meta,
	}
	defer g.cfg.Metrics.callStarted(kind)()
	g.dialogs.add(l)
	defer g.dialogs.remove(l)

	c := &Call{g: g, leg: l}
	g.invite(ctx, c, p, res, t.trunkAuth)
	if res.EndAt.IsZero() {
		res.EndAt = time.Now()
	}
	res.CustomerRTP = sess.Stats()
	if res.CustomerRTP.Packets > 0 {
		q := media.QualityOf(res.CustomerRTP)
		res.CustomerQuality = &q
	}
	if p.agentStats != nil {
		res.AgentRTP = p.agentStats()
		if res.AgentRTP.Packets > 0 {
			q := media.QualityOf(res.AgentRTP)
			res.AgentQuality = &q
		}
	}
	if res.Outcome == "" {
		res.Outcome = OutcomeForStatus(res.SIPStatus)
	}
	g.cfg.Metrics.callEnded(res)
	if t.log && g.cfg.CallLog != nil {
		if err := g.cfg.CallLog.SaveCall(context.WithoutCancel(ctx), res); err != nil {
			g.log.Error("save call record", "call_id", res.CallID, "err", err)
		}
	}
	return res, nil
}

// inviteRequest builds the initial INVITE of l.
func (g *Gateway) inviteRequest(l *leg) *sip.Request {
	req := l.request(sip.INVITE, l.nextCSeq())
	req.AppendHeader(&sip.ContactHeader{Address: g.contact(l.local.User, l.transport)})
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"))
	if g.cfg.Trunk.AssertIdentity {
		req.AppendHeader(sip.NewHeader("P-Asserted-Identity", "<"+l.local.String()+">"))
	}
	ct := sip.ContentTypeHeader("application/sdp")
	req.AppendHeader(&ct)
	req.SetBody(l.localSDP)
	return req
}

// invite runs the INVITE transaction of l and, when answered, the call; it fills res.
func (g *Gateway) invite(ctx context.Context, c *Call, p DialParams, res *CallResult, trunkAuth bool) {
	l := c.leg
	ringTimeout := p.RingTimeout
	if ringTimeout <= 0 {
		ringTimeout = g.cfg.RingTimeout
	}
	req := g.inviteRequest(l)
	res.InviteAt = time.Now()
	tx, err := g.cli.TransactionRequest(ctx, req, g.addVia)
	if err != nil {
		res.SIPReason = "transport: " + err.Error()
		res.Outcome = OutcomeTrunkFailure
		return
	}
	// The INVITE transaction stays alive after a 2xx (RFC 6026 Accepted state) to absorb
	// retransmissions; end it with the call so no timer or goroutine outlives it.
	defer func() { tx.Terminate() }()

	ring := time.NewTimer(ringTimeout)
	defer ring.Stop()
	noResponse := time.NewTimer(g.cfg.ResponseTimeout)
	defer noResponse.Stop()
	var (
		gotResponse, cancelled bool
		authTries              int
		cancelDeadline         <-chan time.Time
		cancelReason, abandon  string
		done                   = ctx.Done()
	)
	var cancelTimer *time.Timer
	defer func() {
		if cancelTimer != nil {
			cancelTimer.Stop()
		}
	}()
	sendCancel := func(reason string) {
		cancelled, cancelReason = true, reason
		g.cancel(ctx, req)
		cancelTimer = time.NewTimer(g.cfg.ResponseTimeout)
		cancelDeadline = cancelTimer.C
	}
	for {
		var r *sip.Response
		select {
		case r = <-tx.Responses():
		case <-tx.Done():
			res.SIPReason = "transaction ended: " + errString(tx.Err())
			res.Outcome = OutcomeTrunkFailure
			if cancelled {
				res.Outcome, res.SIPReason = OutcomeNoAnswer, cancelReason
			}
			return
		case <-noResponse.C:
			if !gotResponse {
				res.SIPReason = "no response"
				if abandon != "" {
					res.SIPReason = abandon + " before any response"
				}
				res.Outcome = OutcomeTrunkFailure
				return
			}
			continue
		case <-ring.C:
			if !gotResponse {
				res.SIPReason = "no response"
				res.Outcome = OutcomeTrunkFailure
				return
			}
			if !cancelled {
				sendCancel("ring timeout")
			}
			continue
		case <-done:
			// Stop selecting on a closed channel.
			done = nil
			if cancelled {
				continue
			}
			if !gotResponse {
				// RFC 3261 section 9.1: a CANCEL waits for a provisional response.
				abandon = "cancelled"
				continue
			}
			sendCancel("cancelled")
			continue
		case <-cancelDeadline:
			res.Outcome, res.SIPReason = OutcomeNoAnswer, cancelReason+" (no final response to CANCEL)"
			return
		}
		if r == nil {
			continue
		}
		gotResponse = true
		g.log.Debug("INVITE response", "call_id", l.callID, "status", r.StatusCode)
		switch {
		case r.IsProvisional():
			if abandon != "" && !cancelled {
				sendCancel(abandon)
			}
			if r.StatusCode == 100 {
				continue
			}
			if res.RingAt.IsZero() {
				res.RingAt = time.Now()
				if p.OnRing != nil {
					p.OnRing()
				}
			}
			if r.StatusCode == 183 && len(r.Body()) > 0 {
				// Early media (an announcement, a ring-back tone): take it already.
				if err := l.media.AcceptAnswer(r.Body()); err == nil {
					c.startMedia()
				}
			}
		case r.IsSuccess():
			res.SIPStatus, res.SIPReason = r.StatusCode, r.Reason
			if cancelled || abandon != "" {
				// The 200 crossed our CANCEL (or came before we could send one):
				// confirm the dialog, then end it at once.
				g.confirm(l, r, tx)
				g.bye(ctx, l)
				if !cancelled {
					cancelReason = abandon
				}
				res.Outcome = OutcomeNoAnswer
				res.SIPReason = cancelReason + " (answered after CANCEL, hung up)"
				res.HangupBy = HangupSystem
				return
			}
			g.answered(ctx, c, r, tx, p, res)
			return
		case (r.StatusCode == 401 || r.StatusCode == 407) && trunkAuth && g.cfg.Trunk.Username != "" && authTries < 2 && !cancelled:
			authTries++
			tx.Terminate()
			if err := g.authorize(req, r); err != nil {
				res.SIPStatus, res.SIPReason = r.StatusCode, "digest: "+err.Error()
				res.Outcome = OutcomeTrunkFailure
				return
			}
			tx, err = g.cli.TransactionRequest(ctx, req, g.addVia)
			if err != nil {
				res.SIPReason = "transport: " + err.Error()
				res.Outcome = OutcomeTrunkFailure
				return
			}
		default:
			res.SIPStatus, res.SIPReason = r.StatusCode, r.Reason
			if cancelled && r.StatusCode == 487 {
				res.Outcome = OutcomeNoAnswer
				res.SIPReason = cancelReason
			}
			return
		}
	}
}

func errString(err error) string {
	if err == nil {
		return "terminated"
	}
	return err.Error()
}

// authorize adds digest credentials answering the 401 or 407 challenge res to req, with a
// new CSeq and without the old Via (RFC 3261 section 22.2).
func (g *Gateway) authorize(req *sip.Request, res *sip.Response) error {
	chName, credName := "WWW-Authenticate", "Authorization"
	if res.StatusCode == 407 {
		chName, credName = "Proxy-Authenticate", "Proxy-Authorization"
	}
	h := res.GetHeader(chName)
	if h == nil {
		return fmt.Errorf("%d without %s", res.StatusCode, chName)
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		return fmt.Errorf("parse challenge: %w", err)
	}
	chal.Algorithm = sip.ASCIIToUpper(chal.Algorithm)
	cred, err := digest.Digest(chal, digest.Options{
		Method: req.Method.String(), URI: req.Recipient.Addr(),
		Username: g.cfg.Trunk.Username, Password: g.cfg.Trunk.Password,
	})
	if err != nil {
		return fmt.Errorf("compute digest: %w", err)
	}
	req.RemoveHeader(credName)
	req.AppendHeader(sip.NewHeader(credName, cred.String()))
	req.CSeq().SeqNo++
	req.RemoveHeader("Via")
	return nil
}

// cancel sends CANCEL for the pending INVITE req (RFC 3261 section 9.1) and waits for its
// answer in the background of the INVITE loop, which then sees the 487 (or a 200).
func (g *Gateway) cancel(ctx context.Context, invite *sip.Request) {
	c := sip.NewRequest(sip.CANCEL, invite.Recipient)
	c.AppendHeader(sip.HeaderClone(invite.Via()))
	for _, h := range invite.GetHeaders("Route") {
		c.AppendHeader(sip.HeaderClone(h))
	}
	mf := sip.MaxForwardsHeader(70)
	c.AppendHeader(&mf)
	c.AppendHeader(sip.HeaderClone(invite.From()))
	c.AppendHeader(sip.HeaderClone(invite.To()))
	c.AppendHeader(sip.HeaderClone(invite.CallID()))
	c.AppendHeader(&sip.CSeqHeader{SeqNo: invite.CSeq().SeqNo, MethodName: sip.CANCEL})
	c.SetTransport(invite.Transport())
	c.SetDestination(invite.Destination())
	c.Laddr = invite.Laddr
	c.SetBody(nil)
	tx, err := g.cli.TransactionRequest(context.WithoutCancel(ctx), c, noBuild)
	if err != nil {
		g.log.Warn("send CANCEL", "call_id", invite.CallID().Value(), "err", err)
		return
	}
	go func() {
		if _, err := g.waitFinal(context.Background(), tx); err != nil {
			g.log.Debug("CANCEL", "call_id", invite.CallID().Value(), "err", err)
		}
	}()
}

// confirm takes the dialog state from the 2xx r and ACKs it (RFC 3261 section 13.2.2.4),
// and ACKs again whenever the 2xx is retransmitted.
func (g *Gateway) confirm(l *leg, r *sip.Response, tx sip.ClientTransaction) {
	if to := r.To(); to != nil {
		l.remoteTag, _ = to.Params.Get("tag")
	}
	// The host that answered may send the BYE (and its media).
	l.addPeer(sourceIP(r.Source()))
	l.allowMediaFromPeers()
	if c := r.Contact(); c != nil {
		l.remoteTarget = *c.Address.Clone()
		if net.ParseIP(c.Address.Host) != nil {
			l.addPeer(c.Address.Host)
		}
	}
	rr := r.GetHeaders("Record-Route")
	l.routes = l.routes[:0]
	for i := len(rr) - 1; i >= 0; i-- {
		var u sip.Uri
		if _, err := sip.ParseAddressValue(rr[i].Value(), &u, nil); err == nil {
			l.routes = append(l.routes, u)
		}
	}
	if len(r.Body()) > 0 {
		if err := l.media.AcceptAnswer(r.Body()); err != nil {
			g.log.Warn("answer SDP", "call_id", l.callID, "err", err)
		}
	}
	ack := l.request(sip.ACK, 1)
	ack.CSeq().SeqNo = r.CSeq().SeqNo
	ack.SetBody(nil)
	if err := g.addVia(nil, ack); err != nil {
		return
	}
	if err := g.cli.WriteRequest(ack, noBuild); err != nil {
		g.log.Warn("send ACK", "call_id", l.callID, "err", err)
	}
	tx.OnRetransmission(func(r *sip.Response) {
		if r.IsSuccess() {
			_ = g.cli.WriteRequest(ack.Clone(), noBuild)
		}
	})
}

// bye ends the dialog from our side and waits (bounded) for the answer.
func (g *Gateway) bye(ctx context.Context, l *leg) {
	req := l.request(sip.BYE, l.nextCSeq())
	tx, err := g.cli.TransactionRequest(context.WithoutCancel(ctx), req, g.addVia)
	if err != nil {
		g.log.Warn("send BYE", "call_id", l.callID, "err", err)
		return
	}
	if _, err := g.waitFinal(context.WithoutCancel(ctx), tx); err != nil {
		g.log.Debug("BYE", "call_id", l.callID, "err", err)
	}
}

// answered runs an answered call until either side ends it.
func (g *Gateway) answered(ctx context.Context, c *Call, r *sip.Response, tx sip.ClientTransaction, p DialParams, res *CallResult) {
	l := c.leg
	res.AnswerAt = time.Now()
	res.Outcome = OutcomeAnswered
	if p.bridge != nil {
		// Connect the agent first: the customer must hear the agent at once.
		if len(r.Body()) > 0 {
			_ = l.media.AcceptAnswer(r.Body())
		}
		p.bridge(c)
	}
	g.confirm(l, r, tx)
	if p.Record {
		dir := p.RecordDir
		if dir == "" {
			dir = g.cfg.RecordingsDir
		}
		if dir == "" {
			dir = "."
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			g.log.Error("recordings dir", "dir", dir, "err", err)
		} else if rec, err := media.NewRecorder(filepath.Join(dir, sanitizeFile(l.callID)+".wav")); err != nil {
			g.log.Error("start recording", "call_id", l.callID, "err", err)
		} else {
			c.rec.Store(rec)
			res.Recording = rec.Path()
			defer func() {
				if err := rec.Close(); err != nil {
					g.log.Error("finish recording", "call_id", l.callID, "err", err)
				}
			}()
		}
	}
	c.startMedia()

	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if every := refreshEvery(r); every > 0 {
		go g.refreshSession(callCtx, l, every)
	}
	onAnswerDone := make(chan struct{})
	go func() {
		defer close(onAnswerDone)
		if p.OnAnswer != nil {
			if err := p.OnAnswer(callCtx, c); err != nil && callCtx.Err() == nil {
				g.log.Warn("call handler", "call_id", l.callID, "err", err)
			}
			return
		}
		<-callCtx.Done()
	}()
	go func() {
		// The customer's BYE ends the handler's context.
		select {
		case <-l.ended:
			cancel()
		case <-callCtx.Done():
		}
	}()
	maxDur := time.NewTimer(g.cfg.MaxCallDuration)
	defer maxDur.Stop()
	// A call whose peer sends no RTP at all for RTPTimeout is dead (or never was a
	// phone): end it. The agent's own leg for the shift is not watched.
	var idleCheck <-chan time.Time
	if g.cfg.RTPTimeout > 0 && p.Kind != "agent_leg" {
		t := time.NewTicker(min(g.cfg.RTPTimeout/4, time.Second))
		defer t.Stop()
		idleCheck = t.C
	}

wait:
	for {
		select {
		case <-l.ended:
			res.HangupBy = HangupCustomer
		case <-onAnswerDone:
			c.mu.Lock()
			res.HangupBy = c.hangupBy
			c.mu.Unlock()
			if res.HangupBy == "" {
				res.HangupBy = HangupSystem
			}
		case by := <-l.hangup:
			res.HangupBy = by
		case <-ctx.Done():
			res.HangupBy = HangupSystem
		case <-maxDur.C:
			res.HangupBy = HangupSystem
		case <-idleCheck:
			last := l.media.LastPacket()
			if last.IsZero() {
				last = res.AnswerAt
			}
			if time.Since(last) < g.cfg.RTPTimeout {
				continue
			}
			g.log.Warn("no RTP from the peer: ending the call", "call_id", l.callID, "silent_for", time.Since(last).Round(time.Second))
			res.HangupBy = HangupSystem
		}
		break wait
	}
	select {
	case <-l.ended:
		// The customer hung up (maybe while we decided to); nothing to send.
		if res.HangupBy != HangupCustomer {
			res.HangupBy = HangupCustomer
		}
	default:
		g.bye(ctx, l)
	}
	res.EndAt = time.Now()
	cancel()
	<-onAnswerDone
	c.mu.Lock()
	res.DTMF = c.digits
	res.BridgedAt = c.bridgedAt
	c.mu.Unlock()
}

// refreshEvery returns how often we must refresh the session (RFC 4028) after the
// answer r: half its Session-Expires interval when it makes us the refresher
// (refresher=uac), zero when the peer refreshes or there is no session timer.
func refreshEvery(r *sip.Response) time.Duration {
	h := r.GetHeader("Session-Expires")
	if h == nil {
		return 0
	}
	v, params, _ := strings.Cut(h.Value(), ";")
	secs, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || secs <= 0 {
		return 0
	}
	if !strings.Contains(strings.ReplaceAll(strings.ToLower(params), " ", ""), "refresher=uac") {
		return 0
	}
	return time.Duration(secs) * time.Second / 2
}

// refreshSession keeps a session alive that the peer wants us to refresh: an UPDATE
// every interval until ctx ends. A peer that answers 481 or 408, or not at all, has lost
// the call: we hang up. A peer that refuses UPDATE (405, 501) is not refreshed again.
func (g *Gateway) refreshSession(ctx context.Context, l *leg, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	interval := strconv.Itoa(int((2 * every).Seconds()))
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		req := l.request(sip.UPDATE, l.nextCSeq())
		req.AppendHeader(sip.NewHeader("Session-Expires", interval+";refresher=uac"))
		req.AppendHeader(sip.NewHeader("Supported", "timer"))
		tx, err := g.cli.TransactionRequest(ctx, req, g.addVia)
		if err != nil {
			g.log.Warn("session refresh", "call_id", l.callID, "err", err)
			continue
		}
		res, err := g.waitFinal(ctx, tx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil || res.StatusCode == 481 || res.StatusCode == 408:
			g.log.Warn("session refresh failed: ending the call", "call_id", l.callID, "err", err)
			select {
			case l.hangup <- HangupSystem:
			default:
			}
			return
		case res.StatusCode == 405 || res.StatusCode == 501:
			g.log.Warn("session refresh: the peer refuses UPDATE", "call_id", l.callID, "status", res.StatusCode)
			return
		}
	}
}

// sanitizeFile keeps a Call-ID usable as a file name.
func sanitizeFile(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c == '-' || c == '_' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}
