package telephony

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// inviteState is where our outgoing INVITE stands before the call is answered or has
// failed (RFC 3261 section 17.1.1 seen from the caller, with our CANCEL).
type inviteState int

const (
	// inviteCalling: the INVITE is sent and nothing has come back yet.
	inviteCalling inviteState = iota
	// inviteProceeding: the callee has sent a response (provisional, or a challenge we
	// answered with a new INVITE); the ring timeout may cancel the call.
	inviteProceeding
	// inviteCancelWanted: the caller gave up before any response. A CANCEL may only
	// follow a provisional response (RFC 3261 section 9.1): it waits for one.
	inviteCancelWanted
	// inviteCancelling: our CANCEL is sent; the 487 (or a 200 that crossed it) ends the
	// attempt, or no final answer within the response timeout.
	inviteCancelling
	// inviteEnded: the attempt has its result (or was answered and the call has run).
	inviteEnded
)

// String names the state for logs.
func (s inviteState) String() string {
	switch s {
	case inviteCalling:
		return "calling"
	case inviteProceeding:
		return "proceeding"
	case inviteCancelWanted:
		return "cancel-wanted"
	case inviteCancelling:
		return "cancelling"
	case inviteEnded:
		return "ended"
	}
	return fmt.Sprintf("inviteState(%d)", int(s))
}

// maxAuthTries is how many challenges (401, 407) of the trunk one call answers.
const maxAuthTries = 2

// inviteClient runs the INVITE transaction of one call: each event (a response by its
// class, a timer, the caller giving up) moves it from one inviteState to the next; an
// answered call is run by Gateway.answered. It fills res.
type inviteClient struct {
	g         *Gateway
	ctx       context.Context
	c         *Call
	p         DialParams
	res       *CallResult
	trunkAuth bool

	req         *sip.Request
	tx          sip.ClientTransaction
	state       inviteState
	cancelWhy   string // why the call is cancelled (inviteCancelWanted, inviteCancelling)
	authTries   int
	cancelTimer *time.Timer // the CANCEL's wait for a final response (inviteCancelling)
}

// invite runs the INVITE transaction of c's leg and, when answered, the call; it fills res.
func (g *Gateway) invite(ctx context.Context, c *Call, p DialParams, res *CallResult, trunkAuth bool) {
	ic := &inviteClient{g: g, ctx: ctx, c: c, p: p, res: res, trunkAuth: trunkAuth, req: g.inviteRequest(c.leg)}
	ic.run()
}

// run sends the INVITE and handles events until the attempt has ended.
func (ic *inviteClient) run() {
	g := ic.g
	ringTimeout := ic.p.RingTimeout
	if ringTimeout <= 0 {
		ringTimeout = g.cfg.RingTimeout
	}
	ic.res.InviteAt = time.Now()
	if !ic.send() {
		return
	}
	// The INVITE transaction stays alive after a 2xx (RFC 6026 Accepted state) to absorb
	// retransmissions; end it with the call so no timer or goroutine outlives it.
	defer func() { ic.tx.Terminate() }()
	defer func() {
		if ic.cancelTimer != nil {
			ic.cancelTimer.Stop()
		}
	}()
	ring := time.NewTimer(ringTimeout)
	defer ring.Stop()
	noResponse := time.NewTimer(g.cfg.ResponseTimeout)
	defer noResponse.Stop()
	done := ic.ctx.Done()
	for ic.state != inviteEnded {
		select {
		case r := <-ic.tx.Responses():
			if r != nil {
				ic.onResponse(r)
			}
		case <-ic.tx.Done():
			ic.onTransactionEnded()
		case <-noResponse.C:
			ic.onNoResponse()
		case <-ring.C:
			ic.onRingTimeout()
		case <-done:
			done = nil // stop selecting on a closed channel
			ic.onCallerGone()
		case <-ic.cancelDeadline():
			ic.end(OutcomeNoAnswer, ic.cancelWhy+" (no final response to CANCEL)")
		}
	}
}

// send starts a transaction for the INVITE as it stands; on failure the attempt ends as
// a trunk failure.
func (ic *inviteClient) send() bool {
	tx, err := ic.g.cli.TransactionRequest(ic.ctx, ic.req, ic.g.addVia)
	if err != nil {
		ic.end(OutcomeTrunkFailure, "transport: "+err.Error())
		return false
	}
	ic.tx = tx
	return true
}

// end gives the attempt its outcome and reason.
func (ic *inviteClient) end(o Outcome, reason string) {
	ic.res.Outcome, ic.res.SIPReason = o, reason
	ic.state = inviteEnded
}

// cancel sends CANCEL for the INVITE and waits at most the response timeout for the
// INVITE's final answer.
func (ic *inviteClient) cancel(why string) {
	ic.state, ic.cancelWhy = inviteCancelling, why
	ic.g.cancel(ic.ctx, ic.req)
	ic.cancelTimer = time.NewTimer(ic.g.cfg.ResponseTimeout)
}

// cancelDeadline fires when our CANCEL has had no final answer in time (nil before).
func (ic *inviteClient) cancelDeadline() <-chan time.Time {
	if ic.cancelTimer == nil {
		return nil
	}
	return ic.cancelTimer.C
}

// onTransactionEnded: the transaction ended without a final response we acted on.
func (ic *inviteClient) onTransactionEnded() {
	if ic.state == inviteCancelling {
		ic.end(OutcomeNoAnswer, ic.cancelWhy)
		return
	}
	ic.end(OutcomeTrunkFailure, "transaction ended: "+errString(ic.tx.Err()))
}

// onNoResponse: the response timeout passed; it matters only when nothing came back.
func (ic *inviteClient) onNoResponse() {
	switch ic.state {
	case inviteCalling:
		ic.end(OutcomeTrunkFailure, "no response")
	case inviteCancelWanted:
		ic.end(OutcomeTrunkFailure, ic.cancelWhy+" before any response")
	}
}

// onRingTimeout: the call rang too long (or nothing came back at all).
func (ic *inviteClient) onRingTimeout() {
	switch ic.state {
	case inviteCalling, inviteCancelWanted:
		ic.end(OutcomeTrunkFailure, "no response")
	case inviteProceeding:
		ic.cancel("ring timeout")
	}
}

// onCallerGone: ctx ended before the answer.
func (ic *inviteClient) onCallerGone() {
	switch ic.state {
	case inviteCalling:
		ic.state, ic.cancelWhy = inviteCancelWanted, "cancelled"
	case inviteProceeding:
		ic.cancel("cancelled")
	}
}

// onResponse passes a response to the handler of its class.
func (ic *inviteClient) onResponse(r *sip.Response) {
	ic.g.log.Debug("INVITE response", "call_id", ic.c.leg.callID, "status", r.StatusCode, "state", ic.state)
	switch {
	case r.IsProvisional():
		ic.onProvisional(r)
	case r.IsSuccess():
		ic.onSuccess(r)
	case ic.mayAuthenticate(r):
		ic.onChallenge(r)
	default:
		ic.onFailure(r)
	}
}

// onProvisional (1xx): a wanted CANCEL may go now; 180 and 183 ring (once), and a 183
// with SDP starts early media.
func (ic *inviteClient) onProvisional(r *sip.Response) {
	switch ic.state {
	case inviteCalling:
		ic.state = inviteProceeding
	case inviteCancelWanted:
		ic.cancel(ic.cancelWhy)
	}
	if r.StatusCode == 100 {
		return
	}
	if ic.res.RingAt.IsZero() {
		ic.res.RingAt = time.Now()
		if ic.p.OnRing != nil {
			ic.p.OnRing()
		}
	}
	if r.StatusCode == 183 && len(r.Body()) > 0 {
		// Early media (an announcement, a ring-back tone): take it already.
		if err := ic.c.leg.media.AcceptAnswer(r.Body()); err == nil {
			ic.c.startMedia()
		}
	}
}

// onSuccess (2xx): the call is answered and runs, unless we cancelled it: a 200 that
// crossed our CANCEL (or came before we could send one) confirms the dialog, which we
// end at once.
func (ic *inviteClient) onSuccess(r *sip.Response) {
	g, res := ic.g, ic.res
	res.SIPStatus, res.SIPReason = r.StatusCode, r.Reason
	if ic.state == inviteCancelWanted || ic.state == inviteCancelling {
		g.confirm(ic.c.leg, r, ic.tx)
		g.bye(ic.ctx, ic.c.leg)
		ic.end(OutcomeNoAnswer, ic.cancelWhy+" (answered after CANCEL, hung up)")
		res.HangupBy = HangupSystem
		return
	}
	ic.state = inviteEnded
	g.answered(ic.ctx, ic.c, r, ic.tx, ic.p, res)
}

// mayAuthenticate says whether the trunk's credentials answer the challenge r: a call
// through the trunk, not yet given up, with tries left.
func (ic *inviteClient) mayAuthenticate(r *sip.Response) bool {
	return (r.StatusCode == 401 || r.StatusCode == 407) && ic.trunkAuth && ic.g.cfg.Trunk.Username != "" &&
		ic.authTries < maxAuthTries && (ic.state == inviteCalling || ic.state == inviteProceeding)
}

// onChallenge (401, 407): the INVITE goes again with digest credentials in a new
// transaction.
func (ic *inviteClient) onChallenge(r *sip.Response) {
	ic.authTries++
	ic.state = inviteProceeding
	ic.tx.Terminate()
	if err := ic.g.authorize(ic.req, r); err != nil {
		ic.res.SIPStatus = r.StatusCode
		ic.end(OutcomeTrunkFailure, "digest: "+err.Error())
		return
	}
	ic.send()
}

// onFailure (3xx to 6xx): the attempt ends with the response's status; the 487 that
// answers our CANCEL is no answer.
func (ic *inviteClient) onFailure(r *sip.Response) {
	ic.res.SIPStatus, ic.res.SIPReason = r.StatusCode, r.Reason
	if ic.state == inviteCancelling && r.StatusCode == 487 {
		ic.res.Outcome, ic.res.SIPReason = OutcomeNoAnswer, ic.cancelWhy
	}
	ic.state = inviteEnded
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

func errString(err error) string {
	if err == nil {
		return "terminated"
	}
	return err.Error()
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
