package telephony

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
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
	// CallID is the SIP Call-ID to use, unique per call; empty makes a new one. The
	// AgentDialer passes its own id, so that the console's id of a call is the Call-ID
	// of its record.
	CallID string
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
	relay     bridgeSink // the customer's audio and events, to the agent (B2BUA)
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
			c.relay.audio(pkt, codec, samples)
		},
		Event: c.relay.event,
		DTMF:  l.pushDTMF,
	})
}

// bridgeSink is where one side's audio and telephone events go while it is bridged: the
// other side of the B2BUA, set and cleared while the leg runs (read under its lock).
type bridgeSink struct {
	mu       sync.Mutex
	toAudio  func(pkt *rtp.Packet, codec media.Codec, samples []int16)
	toEvents func(pkt *rtp.Packet)
}

// set sets where audio and events go; nils drop them.
func (s *bridgeSink) set(audio func(*rtp.Packet, media.Codec, []int16), events func(*rtp.Packet)) {
	s.mu.Lock()
	s.toAudio, s.toEvents = audio, events
	s.mu.Unlock()
}

// audio passes a packet of audio on, if anything is set.
func (s *bridgeSink) audio(pkt *rtp.Packet, codec media.Codec, samples []int16) {
	s.mu.Lock()
	f := s.toAudio
	s.mu.Unlock()
	if f != nil {
		f(pkt, codec, samples)
	}
}

// event passes a telephone event on, if anything is set.
func (s *bridgeSink) event(pkt *rtp.Packet) {
	s.mu.Lock()
	f := s.toEvents
	s.mu.Unlock()
	if f != nil {
		f(pkt)
	}
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
	if !g.inflight.enter() {
		return nil, fmt.Errorf("dial: %w", ErrDraining)
	}
	defer g.inflight.leave()
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
	callID := p.CallID
	if callID == "" {
		callID = newCallID()
	}
	l := newLeg(callID, sip.GenerateTagN(16))
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
		Kind: kind, Meta: p.Meta, Gateway: g.cfg.ID,
	}
	if t.log && g.cfg.CallLog != nil && g.cfg.ID != "" {
		// The record exists, unfinished and naming this gateway, before the INVITE
		// leaves: if the process dies mid-call, another closes it as a trunk failure.
		res.InviteAt = time.Now()
		if err := g.cfg.CallLog.SaveCall(context.WithoutCancel(ctx), res); err != nil {
			g.log.Error("save call record", "call_id", res.CallID, "err", err)
		}
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
