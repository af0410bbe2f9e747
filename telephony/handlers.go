package telephony

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// routes installs the gateway's request handlers.
func (g *Gateway) routes() {
	for _, m := range []sip.RequestMethod{sip.INVITE, sip.ACK, sip.BYE, sip.CANCEL, sip.INFO, sip.UPDATE, sip.OPTIONS, sip.REGISTER} {
		g.srv.OnRequest(m, g.handlerFor(m))
	}
	g.srv.OnNoRoute(g.recovering(g.onNoRoute))
}

// handlerFor returns the handler of a request method, wrapped so that a panic in it
// (a message no one foresaw) is logged and answered 500 instead of ending the process and
// every call of every dealer with it.
func (g *Gateway) handlerFor(m sip.RequestMethod) func(*sip.Request, sip.ServerTransaction) {
	return g.recovering(g.handler(m))
}

// recovering wraps a request handler with panic recovery.
func (g *Gateway) recovering(h func(*sip.Request, sip.ServerTransaction)) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			g.malformed.Add(1)
			g.junk.warn("sip handler panic recovered", "method", req.Method.String(), "source", req.Source(),
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if req.IsAck() {
				return
			}
			// Answering may panic too on such a message; the panic is over either way.
			defer func() { _ = recover() }()
			g.respond(tx, req, 500, "Server Internal Error", nil)
		}()
		h(req, tx)
	}
}

// handler returns the handler of a request method.
func (g *Gateway) handler(m sip.RequestMethod) func(*sip.Request, sip.ServerTransaction) {
	switch m {
	case sip.INVITE:
		return g.onInvite
	case sip.ACK:
		return g.onAck
	case sip.BYE:
		return g.onBye
	case sip.CANCEL:
		return g.onCancel
	case sip.INFO:
		return g.onInfo
	case sip.UPDATE:
		return g.onUpdate
	case sip.OPTIONS:
		return g.onOptions
	case sip.REGISTER:
		return g.onRegister
	default:
		return g.onNoRoute
	}
}

// respond answers req, logging a failure to send.
func (g *Gateway) respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, body []byte, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, body)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		g.log.Debug("respond", "method", req.Method, "code", code, "err", err)
	}
}

// dialogOf finds the dialog an in-dialog request belongs to: our tag is the To tag.
func (g *Gateway) dialogOf(req *sip.Request) *leg {
	cid, to := req.CallID(), req.To()
	if cid == nil || to == nil {
		return nil
	}
	tag, ok := to.Params.Get("tag")
	if !ok || tag == "" {
		return nil
	}
	return g.dialogs.get(cid.Value(), tag)
}

// peerDialog finds the dialog of an in-dialog request and checks it comes from the
// dialog's peer. It answers 481 for no dialog and 403 for a request from anyone else
// (issue 12: a sniffed BYE, INFO or re-INVITE sent from another address), and returns
// nil then.
func (g *Gateway) peerDialog(req *sip.Request, tx sip.ServerTransaction) *leg {
	l := g.dialogOf(req)
	if l == nil {
		g.respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
		return nil
	}
	if !l.fromPeer(req.Source()) {
		g.junk.warn("sip in-dialog request from a stranger refused", "method", req.Method.String(), "source", req.Source(), "call_id", l.callID)
		g.respond(tx, req, 403, "Forbidden", nil)
		return nil
	}
	return l
}

// wellFormed reports whether req has the headers every handler relies on.
func wellFormed(req *sip.Request) bool {
	return req.CallID() != nil && req.From() != nil && req.To() != nil && req.CSeq() != nil && req.Via() != nil
}

func (g *Gateway) onBye(req *sip.Request, tx sip.ServerTransaction) {
	if !wellFormed(req) {
		g.respond(tx, req, 400, "Bad Request", nil)
		return
	}
	l := g.peerDialog(req, tx)
	if l == nil {
		return
	}
	g.respond(tx, req, 200, "OK", nil)
	l.peerEnded()
}

func (g *Gateway) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if !wellFormed(req) {
		return
	}
	if l := g.dialogOf(req); l != nil && l.fromPeer(req.Source()) {
		l.gotAck()
	}
}

func (g *Gateway) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	// A CANCEL matching a pending INVITE is handled by the transaction layer; any other
	// matches nothing.
	g.respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
}

func (g *Gateway) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	g.respond(tx, req, 200, "OK", nil, sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REGISTER"))
}

func (g *Gateway) onNoRoute(req *sip.Request, tx sip.ServerTransaction) {
	if req.IsAck() {
		return
	}
	g.respond(tx, req, 405, "Method Not Allowed", nil, sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REGISTER"))
}

// onUpdate answers session refreshes (RFC 3311, RFC 4028) within a dialog.
func (g *Gateway) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	if !wellFormed(req) {
		g.respond(tx, req, 400, "Bad Request", nil)
		return
	}
	if g.peerDialog(req, tx) == nil {
		return
	}
	g.respond(tx, req, 200, "OK", nil, sessionExpires(req)...)
}

// sessionExpires answers a session timer request (RFC 4028) in our 2xx with the same
// interval and the requester as the refresher (refresher=uac): we never send refreshes
// ourselves, so a request asking us to refresh (refresher=uas) is answered that the peer
// refreshes. A request without Session-Expires gets none.
func sessionExpires(req *sip.Request) []sip.Header {
	h := req.GetHeader("Session-Expires")
	if h == nil {
		return nil
	}
	interval, _, _ := strings.Cut(h.Value(), ";")
	interval = strings.TrimSpace(interval)
	if interval == "" {
		return nil
	}
	return []sip.Header{sip.NewHeader("Session-Expires", interval+";refresher=uac"), sip.NewHeader("Require", "timer")}
}

// onInfo takes DTMF sent as SIP INFO (application/dtmf-relay or application/dtmf).
func (g *Gateway) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	if !wellFormed(req) {
		g.respond(tx, req, 400, "Bad Request", nil)
		return
	}
	l := g.peerDialog(req, tx)
	if l == nil {
		return
	}
	// Answer before handing the digit on: a message call hangs up on the digit, and its
	// BYE must not overtake the INFO's 200 (the peer would see an unexpected BYE).
	d, ok := parseInfoDTMF(req)
	g.respond(tx, req, 200, "OK", nil)
	if ok {
		l.pushDTMF(d)
	}
}
