package telephony

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/huifang/huifang/telephony/media"
)

// agentLeg is an agent's phone connected to the gateway for the shift: it called in once
// at login and stays up; customer calls are bridged onto it.
type agentLeg struct {
	agent Agent
	// leg is a SIP phone's dialog; web is a browser phone. One of them is set.
	leg *leg
	web *webPhone

	// toCustomer gets the agent's audio and events while bridged.
	toCustomer bridgeSink
}

// relay sends the bridged customer's audio to the agent's phone.
func (al *agentLeg) relay(pkt *rtp.Packet, codec media.Codec, samples []int16) (uint32, error) {
	if al.web != nil {
		return al.web.relay(pkt, codec, samples)
	}
	return al.leg.media.Relay(pkt, codec, samples)
}

// relayEvent sends the customer's telephone events to a SIP phone; a browser phone
// gets none (the console shows no keypad for them).
func (al *agentLeg) relayEvent(pkt *rtp.Packet) {
	if al.web == nil {
		_ = al.leg.media.RelayEvent(pkt)
	}
}

// stats returns what the gateway received from the agent's phone.
func (al *agentLeg) stats() media.Stats {
	if al.web != nil {
		s := al.web.recv.Stats()
		s.RTT = al.web.rtt()
		return s
	}
	return al.leg.media.Stats()
}

// ended is closed when the agent's leg ends (a browser phone's survives its
// connection being replaced).
func (al *agentLeg) ended() <-chan struct{} {
	if al.web != nil {
		return al.web.ended
	}
	return al.leg.ended
}

// agents holds the connected agents' legs by user name.
type agents struct {
	mu sync.Mutex
	m  map[string]*agentLeg
}

func (a *agents) get(user string) *agentLeg {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.m[user]
}

func (a *agents) put(al *agentLeg) (old *agentLeg) {
	a.mu.Lock()
	defer a.mu.Unlock()
	old = a.m[al.agent.Username]
	a.m[al.agent.Username] = al
	return old
}

func (a *agents) drop(al *agentLeg) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m[al.agent.Username] == al {
		delete(a.m, al.agent.Username)
	}
}

// AgentConnected reports whether the agent's phone leg is up.
func (g *Gateway) AgentConnected(username string) bool {
	al := g.agents.get(username)
	return al != nil && (al.web == nil || al.web.connected())
}

// onInvite handles re-INVITEs within our dialogs and new INVITEs from agents' phones;
// anyone else is challenged, and refused without valid credentials (no open relay).
func (g *Gateway) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if !wellFormed(req) || req.Contact() == nil {
		g.respond(tx, req, 400, "Bad Request", nil)
		return
	}
	if tag, _ := req.To().Params.Get("tag"); tag != "" {
		g.reinvite(req, tx)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	agent, ok := g.authenticate(ctx, req, tx, true)
	cancel()
	if !ok {
		return
	}
	if req.From().Address.User != agent.Username {
		g.respond(tx, req, 403, "Forbidden", nil)
		return
	}
	g.agentCallIn(agent, req, tx)
}

// reinvite answers a re-INVITE (session refresh or new media address) in a dialog of ours.
func (g *Gateway) reinvite(req *sip.Request, tx sip.ServerTransaction) {
	l := g.peerDialog(req, tx)
	if l == nil {
		return
	}
	body := l.localSDP
	if len(req.Body()) > 0 {
		// A new offer: answered anew, keeping the codec, with the reply to its
		// direction (a hold, sendonly, is answered recvonly and nothing is sent to the
		// phone until it resumes).
		answer, err := l.media.AnswerOffer(req.Body(), 0, l.media.Codec())
		if err != nil {
			g.respond(tx, req, 488, "Not Acceptable Here", nil)
			return
		}
		body = answer
	}
	ct := sip.ContentTypeHeader("application/sdp")
	hdrs := append([]sip.Header{&sip.ContactHeader{Address: g.contact("huifang", l.transport)}, &ct}, sessionExpires(req)...)
	g.respond(tx, req, 200, "OK", body, hdrs...)
}

// agentCallIn answers an agent's phone calling in at login and keeps the leg for the
// shift. The handler returns once the 200 is acknowledged; the leg then lives in the
// dialog registry until either side sends BYE.
func (g *Gateway) agentCallIn(agent Agent, req *sip.Request, tx sip.ServerTransaction) {
	sess, err := media.Listen(g.cfg.Host)
	if err != nil {
		g.respond(tx, req, 503, "Service Unavailable", nil)
		return
	}
	answer, err := sess.AnswerOffer(req.Body(), randomID())
	if err != nil {
		sess.Close()
		g.respond(tx, req, 488, "Not Acceptable Here", nil)
		return
	}
	l := newLeg(req.CallID().Value(), sip.GenerateTagN(16))
	l.remoteTag, _ = req.From().Params.Get("tag")
	l.transport = req.Transport()
	l.local, l.remote = req.To().Address, req.From().Address
	l.remoteName = req.From().DisplayName
	l.remoteTarget = *req.Contact().Address.Clone()
	for _, h := range req.GetHeaders("Record-Route") {
		var u sip.Uri
		if _, err := sip.ParseAddressValue(h.Value(), &u, nil); err == nil {
			l.routes = append(l.routes, u)
		}
	}
	l.destination = req.Source()
	l.addPeer(sourceIP(req.Source()))
	l.cseq.Store(0)
	l.media = sess
	l.allowMediaFromPeers()
	l.localSDP = answer
	al := &agentLeg{agent: agent, leg: l}
	sess.Start(media.Handler{Audio: al.toCustomer.audio, Event: al.toCustomer.event, DTMF: l.pushDTMF})
	g.dialogs.add(l)

	res := sip.NewResponseFromRequest(req, 200, "OK", answer)
	res.To().Params.Add("tag", l.localTag)
	res.AppendHeader(&sip.ContactHeader{Address: g.contact("huifang", l.transport)})
	ct := sip.ContentTypeHeader("application/sdp")
	res.AppendHeader(&ct)
	if err := tx.Respond(res); err != nil {
		g.endAgentLeg(al)
		return
	}
	// RFC 3261 section 13.3.1.4: the UAS core retransmits the 2xx until the ACK.
	wait := sip.T1
	deadline := time.NewTimer(64 * sip.T1)
	defer deadline.Stop()
	for acked := false; !acked; {
		t := time.NewTimer(wait)
		select {
		case <-l.acked:
			acked = true
		case <-l.ended:
			t.Stop()
			g.endAgentLeg(al)
			return
		case <-deadline.C:
			t.Stop()
			g.log.Warn("agent leg: no ACK", "user", agent.Username)
			g.bye(context.Background(), l)
			g.endAgentLeg(al)
			return
		case <-t.C:
			_ = tx.Respond(res)
			wait = min(2*wait, sip.T2)
		}
		t.Stop()
	}
	if old := g.agents.put(al); old != nil {
		// The agent called in again: the new leg replaces the old one (a browser
		// phone's too: the SIP phone wins).
		g.replaceAgentLeg(old)
	}
	g.log.Info("agent leg up", "user", agent.Username, "call_id", l.callID)
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		select {
		case <-l.ended:
		case <-g.done:
			g.bye(context.Background(), l)
		}
		g.endAgentLeg(al)
		g.log.Info("agent leg down", "user", agent.Username, "call_id", l.callID)
	}()
}

// endAgentLeg ends an agent's leg; the caller sends a SIP phone its BYE (replaceAgentLeg).
func (g *Gateway) endAgentLeg(al *agentLeg) {
	if al.web != nil {
		g.agents.drop(al)
		al.web.end()
		return
	}
	al.leg.peerEnded()
	g.agents.drop(al)
	g.dialogs.remove(al.leg)
	al.leg.media.Close()
}

// replaceAgentLeg ends an agent's leg that a new one replaced: a SIP phone's gets a BYE.
func (g *Gateway) replaceAgentLeg(old *agentLeg) {
	if old.leg != nil {
		g.bye(context.Background(), old.leg)
	}
	g.endAgentLeg(old)
}

// ErrAgentNotConnected means the agent's phone leg is not up.
var ErrAgentNotConnected = errors.New("telephony: agent phone not connected")

// DialAgent calls the customer and bridges the answered call to the agent's phone leg,
// relaying RTP both ways through the gateway and recording it (customer left, agent
// right). It returns when the call ends: the customer or the agent hangs up, Hangup is
// called, or ctx ends.
func (g *Gateway) DialAgent(ctx context.Context, username string, p DialParams) (*CallResult, error) {
	if g.Draining() {
		return nil, fmt.Errorf("dial for %s: %w", username, ErrDraining)
	}
	al := g.agents.get(username)
	if al == nil && g.cfg.AgentProxy != "" {
		// The agent's phone registered to the proxy: call it for this customer call.
		end, err := g.legForCall(ctx, username)
		if err != nil {
			return nil, fmt.Errorf("dial for %s: %w", username, err)
		}
		defer end()
		al = g.agents.get(username)
	}
	if al == nil {
		return nil, fmt.Errorf("dial for %s: %w", username, ErrAgentNotConnected)
	}
	p.Kind = "agent"
	p.Record = true
	if p.Meta.AgentUserID == 0 {
		p.Meta.AgentUserID = al.agent.UserID
	}
	if p.Meta.DealerID == 0 {
		p.Meta.DealerID = al.agent.DealerID
	}
	p.bridge = func(c *Call) {
		custSess := c.leg.media
		c.relay.set(func(pkt *rtp.Packet, codec media.Codec, samples []int16) {
			_, _ = al.relay(pkt, codec, samples)
		}, al.relayEvent)
		al.toCustomer.set(func(pkt *rtp.Packet, codec media.Codec, samples []int16) {
			ts, _ := custSess.Relay(pkt, codec, samples)
			if rec := c.rec.Load(); rec != nil {
				rec.Write(media.Agent, ts, samples)
			}
		}, func(pkt *rtp.Packet) { _ = custSess.RelayEvent(pkt) })
		c.mu.Lock()
		c.bridgedAt = time.Now()
		c.mu.Unlock()
	}
	onAnswer := p.OnAnswer
	p.OnAnswer = func(ctx context.Context, c *Call) error {
		defer func() {
			al.toCustomer.set(nil, nil)
			c.relay.set(nil, nil)
		}()
		if onAnswer != nil {
			go func() { _ = onAnswer(ctx, c) }()
		}
		select {
		case <-ctx.Done():
		case <-al.ended():
			c.SetHangupBy(HangupAgent)
		}
		return nil
	}
	before := al.stats()
	p.agentStats = func() media.Stats {
		after := al.stats()
		return media.Stats{Packets: after.Packets - before.Packets, Lost: after.Lost - before.Lost, Jitter: after.Jitter, RTT: after.RTT}
	}
	return g.Dial(ctx, p)
}

// ErrAgentNotRegistered means the agent's phone has no live registration.
var ErrAgentNotRegistered = errors.New("telephony: agent phone not registered")

// CallAgent calls the agent's registered phone at login; once answered, that call is the
// agent's leg for the shift, onto which DialAgent bridges customers. It returns when the
// leg ends: the agent hangs up, ctx ends (we hang up), or the gateway closes. The result
// is not a customer attempt and is not stored. A phone not registered here is called
// through the AgentProxy when one is configured (Config.AgentProxy).
func (g *Gateway) CallAgent(ctx context.Context, username string) (*CallResult, error) {
	return g.callAgent(ctx, username, nil)
}

// callAgent is CallAgent; up, when set, is called once the leg is up.
func (g *Gateway) callAgent(ctx context.Context, username string, up func()) (*CallResult, error) {
	t, agent, err := g.agentTarget(ctx, username)
	if err != nil {
		return nil, err
	}
	var al *agentLeg
	p := DialParams{Kind: "agent_leg", CallerID: "huifang"}
	p.bridge = func(c *Call) {
		al = &agentLeg{agent: agent, leg: c.leg}
		// The agent's voice goes to whichever customer is bridged at the moment.
		c.relay.set(al.toCustomer.audio, al.toCustomer.event)
	}
	p.OnAnswer = func(ctx context.Context, c *Call) error {
		if old := g.agents.put(al); old != nil && old != al {
			g.replaceAgentLeg(old)
		}
		g.log.Info("agent leg up (called)", "user", username, "call_id", c.CallID(), "via_proxy", t.destination == g.cfg.AgentProxy)
		defer g.agents.drop(al)
		if up != nil {
			up()
		}
		select {
		case <-ctx.Done():
		case <-g.done:
		}
		return nil
	}
	return g.place(ctx, t, p)
}

// agentTarget is where the gateway calls the agent's phone: its binding here, or else the
// AgentProxy, which knows the phone's location.
func (g *Gateway) agentTarget(ctx context.Context, username string) (target, Agent, error) {
	if b, ok := g.registrar.lookup(username, time.Now()); ok {
		to := sip.Uri{Scheme: "sip", User: username, Host: b.contact.Host, Port: b.contact.Port}
		return target{ruri: b.contact, to: to, transport: strings.ToUpper(b.transport), number: username,
			peers: []string{sourceIP(b.source)}}, b.agent, nil
	}
	if g.cfg.AgentProxy == "" {
		return target{}, Agent{}, fmt.Errorf("call %s: %w", username, ErrAgentNotRegistered)
	}
	agent, err := g.creds.lookup(ctx, username, g.cfg.Now())
	if err != nil {
		return target{}, Agent{}, fmt.Errorf("call %s through the agent proxy: %w", username, err)
	}
	host, portStr, _ := net.SplitHostPort(g.cfg.AgentProxy)
	port, _ := strconv.Atoi(portStr)
	uri := sip.Uri{Scheme: "sip", User: username, Host: host, Port: port}
	// The phone answers through the proxy, which stays in the dialog (Record-Route), and
	// sends its media straight to the gateway.
	return target{ruri: uri, to: uri, transport: "UDP", destination: g.cfg.AgentProxy, number: username,
		peers: []string{sourceIP(g.cfg.AgentProxy)}}, agent, nil
}

// ReachesAgent reports whether DialAgent can bridge a customer to the agent now: the
// agent's leg is up here, or the agent's phone can be called through the AgentProxy.
func (g *Gateway) ReachesAgent(username string) bool {
	return g.AgentConnected(username) || g.cfg.AgentProxy != ""
}

// legForCall calls the agent's phone through the AgentProxy for one customer call and
// waits until it answers; end hangs the leg up and waits for it to end.
func (g *Gateway) legForCall(ctx context.Context, username string) (end func(), err error) {
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	upc := make(chan struct{})
	done := make(chan struct{})
	var (
		res     *CallResult
		callErr error
	)
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer close(done)
		res, callErr = g.callAgent(lctx, username, func() { close(upc) })
	}()
	end = func() {
		cancel()
		<-done
	}
	select {
	case <-upc:
		return end, nil
	case <-done:
		cancel()
		if callErr != nil {
			return nil, callErr
		}
		return nil, fmt.Errorf("call %s's phone through the agent proxy: %s %d %s: %w",
			username, res.Outcome, res.SIPStatus, res.SIPReason, ErrAgentNotConnected)
	case <-ctx.Done():
		end()
		return nil, fmt.Errorf("call %s's phone: %w", username, ctx.Err())
	}
}
