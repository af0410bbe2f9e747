// Package telephony is Huifang's SIP gateway, built on github.com/emiago/sipgo.
//
// It places outbound calls through a trunk (UDP or TCP, outbound proxy, digest
// authentication answering 401 and 407, caller ID, national or E.164 number rewriting,
// limits on concurrent calls and calls per second), follows each call's life cycle per
// RFC 3261 (provisional responses, early media, ring timeout then CANCEL including the race
// where a 200 arrives after the CANCEL, BYE from either side, re-INVITE refreshes) and
// reports each attempt as a CallResult whose Outcome the queue's retry rules use. An
// attempt before its answer is a small state machine (invite.go: calling, proceeding,
// cancel wanted, cancelling, ended), moved by each response class and timer.
//
// The Gateway keeps its own dialog registry: sipgo's transactions carry the messages, and
// this package owns call state. Every call's goroutines end with the call.
//
// It also holds the registrar for agents' phones (digest authentication through the
// Credentials interface); the agent's leg for the shift, made once at login either by the
// phone calling in or by CallAgent calling the registered phone, or by the agent's
// browser over WebRTC (WebPhoneOffer, pion/webrtc: one G.711 codec over DTLS-SRTP, the
// connection replaceable under the same leg); the B2BUA (DialAgent)
// that bridges that leg to a customer's leg, relays RTP through the gateway and records
// both sides through the media package; message calls (MessageCall: prompt, one DTMF
// digit); and the CallLog that writes call records to Postgres (StoreCallLog).
//
// The registrar keeps bindings in memory and writes each one through to a BindingStore
// (Config.Bindings; cmd wires it to Postgres). Start loads the unexpired bindings back,
// checking each agent again through the Credentials, so agents' phones stay reachable
// across a restart of the gateway. A phone registered over TCP from behind NAT is the
// exception: its connection closed with the old process and only it can open a new one,
// so it is unreachable until it registers again.
//
// With Config.AgentProxy, agents' phones register to a SIP proxy instead (Kamailio with
// deploy/kamailio/kamailio.cfg, in front of several gateways): DialAgent then calls the
// agent's phone through the proxy for each customer call (the leg ends with the call), so
// any gateway reaches any agent and a call with its agent leg belongs to one gateway.
// Config.ID names the gateway in each call's record, written before the INVITE leaves;
// Drain stops new calls and waits for those in progress (SIGTERM), drain.go.
//
// Sub-packages: media (RTP, G.711, SDP, DTMF, WAV, message-call prompts rendered with
// espeak-ng), simcarrier (the simulated carrier, the default peer when no trunk is
// configured), sipptest (sipp as a test peer) and kamailiotest (Kamailio as a test proxy).
// Benchmark figures are in BENCH.md.
//
// Nothing here is an open relay: only the dialer (this process) and registered,
// authenticated agents originate calls; any other INVITE or REGISTER is challenged or
// refused. The defences against a network attacker (SECURITY.md, "SIP and RTP"): agents'
// secrets known only as digest HA1 (auth.go); one-use nonces and the digest-uri checked
// against the Request-URI; wrong answers throttled per source, user and pair, with the
// Credentials' answers cached (throttle.go, credcache.go); in-dialog requests only from
// the dialog's peer (leg.go); RTP heard only from the latched or signalled source, and a
// call without RTP ended (media, call.go); every handler recovering from a panic and junk
// traffic logged at most once per interval (handlers.go, junklog.go).
package telephony
