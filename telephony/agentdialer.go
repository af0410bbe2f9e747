package telephony

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// States of a call placed by an AgentDialer, in the order they come.
const (
	// CallDialing means the call has been sent to the carrier.
	CallDialing = "dialing"
	// CallRinging means the customer's phone rings.
	CallRinging = "ringing"
	// CallAnswered means the customer answered and is bridged to the agent.
	CallAnswered = "answered"
	// CallEnded means the call is over; the update's Result says how.
	CallEnded = "ended"
)

// CallUpdate is one step of a call placed by an AgentDialer.
type CallUpdate struct {
	// ID is the AgentDialer's id of the call (give it to Hangup).
	ID string
	// State is CallDialing, CallRinging, CallAnswered or CallEnded.
	State string
	// At is when the call reached the state.
	At time.Time
	// Result is the call's record, with CallEnded only; nil when no call could be placed.
	Result *CallResult
}

// ErrNoSuchCall means Hangup was given an id of no call in progress.
var ErrNoSuchCall = errors.New("telephony: no such call")

// AgentDialerConfig configures an AgentDialer.
type AgentDialerConfig struct {
	// Gateway places the real calls; nil places simulated ones only.
	Gateway *Gateway
	// Simulate lets an agent whose phone is not connected work simulated calls: no SIP,
	// no audio, a call that rings after a second, is answered two seconds later and
	// lasts until the agent hangs up (or two minutes). Only for a gateway without a real
	// trunk (the demo, whose customers are the simulated carrier anyway).
	Simulate bool
	// CallLog stores the simulated calls' records, as the gateway stores real ones.
	CallLog CallLog
	// Metrics counts the simulated calls as the gateway counts real ones (trunk
	// "simulated"); nil counts nothing.
	Metrics *Metrics
	// Log receives the dialer's log lines (default slog.Default()).
	Log *slog.Logger
}

// AgentDialer places agents' calls to customers and keeps the calls in progress by an
// id of its own, so that one can be hung up whether it rings or talks: through the
// gateway, bridged to the agent's connected phone (DialAgent), or, with Simulate and no
// phone, simulated.
type AgentDialer struct {
	cfg   AgentDialerConfig
	mu    sync.Mutex
	calls map[string]*dialerCall
}

// dialerCall is a call in progress: how to end it.
type dialerCall struct {
	// cancel ends a gateway call before it is answered; hang ends a simulated one.
	cancel context.CancelFunc
	hang   chan struct{}
	// sipID is the answered gateway call's Call-ID.
	sipID string
}

// NewAgentDialer returns a dialer on cfg.
func NewAgentDialer(cfg AgentDialerConfig) *AgentDialer {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Simulate {
		cfg.Log.Warn("agents without a registered phone work simulated calls (no audio)")
	}
	return &AgentDialer{cfg: cfg, calls: map[string]*dialerCall{}}
}

// Dial calls p.To for the agent and returns the call's updates: CallDialing at once, then
// CallRinging and CallAnswered when they happen, then exactly one CallEnded with the
// call's record, after which the channel is closed. It fails with ErrAgentNotConnected
// when the agent's phone is not connected and calls may not be simulated.
func (d *AgentDialer) Dial(ctx context.Context, agentUsername string, p DialParams) (<-chan CallUpdate, error) {
	if d.cfg.Gateway != nil && d.cfg.Gateway.ReachesAgent(agentUsername) {
		return d.dialGateway(ctx, agentUsername, p), nil
	}
	if d.cfg.Simulate {
		return d.dialSimulated(ctx, p), nil
	}
	return nil, fmt.Errorf("dial for %s: %w", agentUsername, ErrAgentNotConnected)
}

// Hangup ends the call with id, from the agent's side.
func (d *AgentDialer) Hangup(id string) error {
	d.mu.Lock()
	c, ok := d.calls[id]
	var sipID string
	if ok {
		sipID = c.sipID
		if c.hang != nil {
			close(c.hang)
			delete(d.calls, id)
		}
	}
	d.mu.Unlock()
	switch {
	case !ok:
		return fmt.Errorf("hang up %s: %w", id, ErrNoSuchCall)
	case c.hang != nil:
		return nil
	case sipID != "" && d.cfg.Gateway.Hangup(sipID, HangupAgent):
		return nil
	}
	c.cancel()
	return nil
}

func (d *AgentDialer) add(id string, c *dialerCall) {
	d.mu.Lock()
	d.calls[id] = c
	d.mu.Unlock()
}

func (d *AgentDialer) remove(id string) {
	d.mu.Lock()
	delete(d.calls, id)
	d.mu.Unlock()
}

func newDialerID(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// dialGateway places the call through the gateway, bridged to the agent's phone.
func (d *AgentDialer) dialGateway(ctx context.Context, agentUsername string, p DialParams) <-chan CallUpdate {
	id := newDialerID("console-")
	// The record's Call-ID is the console's id of the call: a process taking the agent
	// over after this one died closes the record by it (agent-ui, CloseLostCallAttempt).
	p.CallID = id
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c := &dialerCall{cancel: cancel}
	d.add(id, c)
	updates := make(chan CallUpdate, 8)
	updates <- CallUpdate{ID: id, State: CallDialing, At: time.Now()}
	onRing, onAnswer := p.OnRing, p.OnAnswer
	p.OnRing = func() {
		updates <- CallUpdate{ID: id, State: CallRinging, At: time.Now()}
		if onRing != nil {
			onRing()
		}
	}
	p.OnAnswer = func(ctx context.Context, call *Call) error {
		d.mu.Lock()
		c.sipID = call.CallID()
		d.mu.Unlock()
		updates <- CallUpdate{ID: id, State: CallAnswered, At: time.Now()}
		if onAnswer != nil {
			return onAnswer(ctx, call)
		}
		return nil
	}
	go func() {
		defer close(updates)
		defer cancel()
		res, err := d.cfg.Gateway.DialAgent(cctx, agentUsername, p)
		d.remove(id)
		if err != nil || res == nil {
			d.cfg.Log.Error("gateway dial", "task", p.Meta.TaskID, "err", err)
			updates <- CallUpdate{ID: id, State: CallEnded, At: time.Now()}
			return
		}
		updates <- CallUpdate{ID: id, State: CallEnded, At: res.EndAt, Result: res}
	}()
	return updates
}

// dialSimulated plays a call without SIP: it rings after a second, is answered two
// seconds later and lasts until the agent hangs up (or two minutes). Its record is
// stored through the CallLog when it starts, rings and ends, like the gateway's (no SIP
// status: none was exchanged).
func (d *AgentDialer) dialSimulated(ctx context.Context, p DialParams) <-chan CallUpdate {
	id := newDialerID("dev-")
	hang := make(chan struct{})
	d.add(id, &dialerCall{hang: hang})
	bg := context.WithoutCancel(ctx)
	res := &CallResult{CallID: id, Trunk: "simulated", To: p.To, Kind: "agent", InviteAt: time.Now(), Meta: p.Meta}
	save := func() {
		if d.cfg.CallLog == nil {
			return
		}
		if err := d.cfg.CallLog.SaveCall(bg, res); err != nil {
			d.cfg.Log.Error("save simulated call", "call_id", id, "err", err)
		}
	}
	save()
	done := d.cfg.Metrics.callStarted(res.Kind)
	updates := make(chan CallUpdate, 4)
	updates <- CallUpdate{ID: id, State: CallDialing, At: res.InviteAt}
	go func() {
		defer close(updates)
		defer d.remove(id)
		defer done()
		wait := func(dur time.Duration) bool {
			t := time.NewTimer(dur)
			defer t.Stop()
			select {
			case <-hang:
				return false
			case <-t.C:
				return true
			}
		}
		end := func(outcome Outcome, by string) {
			res.EndAt, res.Outcome, res.HangupBy = time.Now(), outcome, by
			save()
			d.cfg.Metrics.callEnded(res)
			updates <- CallUpdate{ID: id, State: CallEnded, At: res.EndAt, Result: res}
		}
		if !wait(time.Second) {
			end(OutcomeNoAnswer, HangupAgent)
			return
		}
		res.RingAt = time.Now()
		save()
		updates <- CallUpdate{ID: id, State: CallRinging, At: res.RingAt}
		if !wait(2 * time.Second) {
			end(OutcomeNoAnswer, HangupAgent)
			return
		}
		res.AnswerAt = time.Now()
		updates <- CallUpdate{ID: id, State: CallAnswered, At: res.AnswerAt}
		if !wait(2 * time.Minute) {
			end(OutcomeAnswered, HangupAgent)
			return
		}
		end(OutcomeAnswered, HangupCustomer)
	}()
	return updates
}
