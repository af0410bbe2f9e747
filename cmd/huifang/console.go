package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	agentui "github.com/huifang/huifang/agent-ui"
	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/telephony"
	"github.com/huifang/huifang/telephony/sms"
)

// consolePart serves the agent console (agent-ui): its routes go on d.mux when the part
// is made, its WebSocket hub runs between start and shutdown.
type consolePart struct {
	d   *deps
	c   *agentui.Console
	err error
}

// newConsolePart builds the console on the queue engine and the SIP gateway, and
// registers its routes. See consoleDialer for how calls are placed.
func newConsolePart(d *deps, gw *gatewayPart) *consolePart {
	p := &consolePart{d: d}
	log := d.log.With("part", "console")
	dialer := &consoleDialer{simulated: d.cfg.SIPTrunk == ""}
	if gw != nil && gw.gw != nil {
		dialer.gateway = gw.gw
		dialer.real = newGatewayDialer(gw.gw, d.db, log)
	}
	if dialer.simulated {
		dialer.dev = newDevDialer(d.db, log)
	}
	p.c, p.err = agentui.New(agentui.Config{
		PublicURL:      d.cfg.PublicURL,
		SecureCookies:  d.cfg.SecureCookies,
		TrustedProxies: d.cfg.TrustedProxies,
		RecordingsDir:  d.cfg.RecordingsDir,
		PromptsDir:     promptsDir(d.cfg.RecordingsDir),
	}, agentui.Deps{DB: d.db, Queue: queueAdapter{db: d.db}, Dialer: dialer, Log: d.log, RenderPrompt: renderPrompt})
	if p.err == nil {
		p.c.Register(d.mux)
		p.err = registerAPI(d)
	}
	return p
}

// promptsDir is where directors' message-call prompts are written: <recordings>/prompts,
// absolute so the message-call worker finds them whatever its working directory.
func promptsDir(recordings string) string {
	dir := filepath.Join(recordings, "prompts")
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// renderPrompt is the console's prompt renderer: espeak-ng through sms.RenderPrompt.
func renderPrompt(ctx context.Context, text, path string) error {
	_, err := sms.RenderPrompt(ctx, text, path)
	return err
}

func (p *consolePart) name() string { return "console" }

func (p *consolePart) start(ctx context.Context) error {
	if p.err != nil {
		return p.err
	}
	if p.d.metrics != nil {
		p.d.metrics.reg.MustRegister(p.c.Collector())
	}
	p.c.Start(ctx)
	return nil
}

func (p *consolePart) shutdown(ctx context.Context) error {
	if p.c == nil {
		return nil
	}
	return p.c.Shutdown(ctx)
}

// queueAdapter is the console's Queue on the queue engine.
type queueAdapter struct {
	db *pgxpool.Pool
}

func (q queueAdapter) Take(ctx context.Context, dealerID, agentUserID int64) (*agentui.Task, error) {
	t, err := queue.Take(ctx, q.db, queue.TakeParams{DealerID: dealerID, AgentUserID: agentUserID})
	var closed *queue.ClosedError
	switch {
	case errors.Is(err, queue.ErrNoTask):
		return nil, agentui.ErrNoTask
	case errors.As(err, &closed):
		return nil, &agentui.ClosedError{Holiday: errors.Is(err, queue.ErrHoliday), NextOpen: closed.NextOpen}
	case err != nil:
		return nil, err
	}
	return &agentui.Task{ID: t.ID, CustomerID: t.CustomerID, Phone: t.Phone, Campaigns: t.Campaigns,
		Reasons: t.Reasons, Attempts: t.Attempts, Flagged: t.Flagged, Reclaimed: t.WasStale}, nil
}

func (q queueAdapter) Release(ctx context.Context, dealerID, agentUserID, taskID int64, reason string) error {
	return queue.Release(ctx, q.db, queue.ReleaseParams{DealerID: dealerID, TaskID: taskID, AgentUserID: agentUserID, Reason: reason})
}

func (q queueAdapter) RecordOutcome(ctx context.Context, o agentui.Outcome) error {
	_, err := queue.RecordOutcome(ctx, q.db, queue.OutcomeParams{
		DealerID: o.DealerID, ClientID: o.ClientID, TaskID: o.TaskID, AgentUserID: o.AgentUserID, Code: o.Code,
		AppointmentAt: o.AppointmentAt, CallbackAt: o.CallbackAt, CallbackMine: o.CallbackMine, Answers: o.Answers,
		ComplaintCategory: o.ComplaintCategory, Notes: o.Notes, ScriptVersion: o.ScriptVersion, AttemptID: o.AttemptID,
		SMSOptOut: o.SMSOptOut,
	})
	return err
}

// reportAttempt stores a call's record and hands its result to the queue's retry rules;
// it returns the call_attempts id.
func reportAttempt(ctx context.Context, db *pgxpool.Pool, log *slog.Logger, r *telephony.CallResult, save bool) int64 {
	q := store.New(db)
	var id int64
	var err error
	if save {
		id, err = q.SaveCallAttempt(ctx, store.SaveCallAttemptParams{
			DealerID: optID(r.Meta.DealerID), TaskID: optID(r.Meta.TaskID), CustomerID: optID(r.Meta.CustomerID),
			AgentUserID: optID(r.Meta.AgentUserID), Kind: r.Kind, CallID: r.CallID, Trunk: r.Trunk, FromUri: r.From,
			ToNumber: r.To, InviteAt: r.InviteAt, RingAt: optTime(r.RingAt), AnswerAt: optTime(r.AnswerAt),
			EndAt: optTime(r.EndAt), SipStatus: int32(r.SIPStatus), SipReason: r.SIPReason, HangupBy: r.HangupBy,
			Outcome: string(r.Outcome), RecordingPath: r.Recording,
		})
	} else {
		var row store.CallAttempt
		row, err = q.GetCallAttemptByCallID(ctx, r.CallID)
		id = row.ID
	}
	if err != nil {
		log.Error("save call record", "call_id", r.CallID, "err", err)
	}
	if r.Meta.TaskID != 0 && r.Outcome != "" {
		_, err := queue.RecordAttempt(ctx, db, queue.AttemptParams{DealerID: r.Meta.DealerID, TaskID: r.Meta.TaskID,
			CallID: r.CallID, AttemptID: id, AgentUserID: r.Meta.AgentUserID, Outcome: string(r.Outcome), At: r.EndAt})
		if err != nil {
			log.Error("record attempt", "call_id", r.CallID, "err", err)
		}
	}
	return id
}

func optID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func newCallID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// consoleDialer places the console's calls through the SIP gateway, bridged to the
// agent's registered phone. Only when no trunk is configured (the demo, whose customers
// are the simulated carrier anyway) may an agent without a registered phone work calls:
// they are then simulated by devDialer, without audio. With a real trunk, an agent whose
// phone is not connected gets agentui.ErrPhoneNotConnected and no call is placed.
type consoleDialer struct {
	gateway   *telephony.Gateway
	real      *gatewayDialer
	dev       *devDialer
	simulated bool
}

func (c *consoleDialer) Dial(ctx context.Context, req agentui.DialRequest) (<-chan agentui.CallEvent, error) {
	if c.real != nil && c.gateway.AgentConnected(req.AgentUsername) {
		return c.real.Dial(ctx, req)
	}
	if c.dev != nil {
		return c.dev.Dial(ctx, req)
	}
	return nil, fmt.Errorf("dial for %s: %w", req.AgentUsername, agentui.ErrPhoneNotConnected)
}

func (c *consoleDialer) Hangup(ctx context.Context, callID string) error {
	if strings.HasPrefix(callID, devCallPrefix) && c.dev != nil {
		return c.dev.Hangup(ctx, callID)
	}
	if c.real != nil {
		return c.real.Hangup(ctx, callID)
	}
	return errors.New("console dialer: no such call")
}

// devCallPrefix starts the call id of every simulated call.
const devCallPrefix = "dev-"

// devDialer is the development dialer: it SIMULATES calls (no SIP, no audio) so the
// console can be worked end to end without a trunk or a phone. Every call rings after a
// second, is answered two seconds later, and lasts until the agent hangs up (or two
// minutes). It writes a call record like the gateway would. It is not the gateway.
type devDialer struct {
	db    *pgxpool.Pool
	log   *slog.Logger
	mu    sync.Mutex
	calls map[string]chan struct{}
}

func newDevDialer(db *pgxpool.Pool, log *slog.Logger) *devDialer {
	log.Warn("no HUIFANG_SIP_TRUNK: agents without a registered phone work simulated calls (development dialer, no audio)")
	return &devDialer{db: db, log: log, calls: map[string]chan struct{}{}}
}

func (d *devDialer) Dial(ctx context.Context, req agentui.DialRequest) (<-chan agentui.CallEvent, error) {
	id := devCallPrefix + newCallID()
	hang := make(chan struct{})
	d.mu.Lock()
	d.calls[id] = hang
	d.mu.Unlock()
	events := make(chan agentui.CallEvent, 4)
	res := &telephony.CallResult{CallID: id, Trunk: "simulated", To: req.Number, Kind: "agent", InviteAt: time.Now(),
		Meta: telephony.CallMeta{DealerID: req.DealerID, TaskID: req.TaskID, CustomerID: req.CustomerID, AgentUserID: req.AgentUserID}}
	bg := context.WithoutCancel(ctx)
	attemptID := reportAttempt(bg, d.db, d.log, res, true)
	events <- agentui.CallEvent{CallID: id, AttemptID: attemptID, State: agentui.CallDialing, At: res.InviteAt}
	go func() {
		defer close(events)
		defer func() {
			d.mu.Lock()
			delete(d.calls, id)
			d.mu.Unlock()
		}()
		wait := func(dur time.Duration) bool {
			select {
			case <-hang:
				return false
			case <-time.After(dur):
				return true
			}
		}
		end := func(outcome telephony.Outcome, by string) {
			res.EndAt, res.Outcome, res.HangupBy = time.Now(), outcome, by
			reportAttempt(bg, d.db, d.log, res, true)
			events <- agentui.CallEvent{CallID: id, AttemptID: attemptID, State: agentui.CallEnded, At: res.EndAt,
				Result: string(outcome), HangupBy: by}
		}
		if !wait(time.Second) {
			end(telephony.Outcome(queue.CallNoAnswer), telephony.HangupAgent)
			return
		}
		res.RingAt = time.Now()
		reportAttempt(bg, d.db, d.log, res, true)
		events <- agentui.CallEvent{CallID: id, AttemptID: attemptID, State: agentui.CallRinging, At: res.RingAt}
		if !wait(2 * time.Second) {
			end(telephony.Outcome(queue.CallNoAnswer), telephony.HangupAgent)
			return
		}
		res.AnswerAt = time.Now()
		events <- agentui.CallEvent{CallID: id, AttemptID: attemptID, State: agentui.CallAnswered, At: res.AnswerAt}
		if !wait(2 * time.Minute) {
			end(telephony.Outcome(queue.CallAnswered), telephony.HangupAgent)
			return
		}
		end(telephony.Outcome(queue.CallAnswered), telephony.HangupCustomer)
	}()
	return events, nil
}

func (d *devDialer) Hangup(ctx context.Context, callID string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if hang, ok := d.calls[callID]; ok {
		close(hang)
		delete(d.calls, callID)
		return nil
	}
	return errors.New("dev dialer: no such call")
}

// gatewayDialer is the console's Dialer on the SIP gateway: it calls the customer and
// bridges the answered call to the agent's registered phone (telephony.DialAgent). Wire it
// in newConsolePart once the gateway runs inside serve.
type gatewayDialer struct {
	gw    *telephony.Gateway
	db    *pgxpool.Pool
	log   *slog.Logger
	mu    sync.Mutex
	calls map[string]*gatewayCall
}

type gatewayCall struct {
	cancel context.CancelFunc
	sipID  string
}

func newGatewayDialer(gw *telephony.Gateway, db *pgxpool.Pool, log *slog.Logger) *gatewayDialer {
	return &gatewayDialer{gw: gw, db: db, log: log, calls: map[string]*gatewayCall{}}
}

func (g *gatewayDialer) Dial(ctx context.Context, req agentui.DialRequest) (<-chan agentui.CallEvent, error) {
	if !g.gw.AgentConnected(req.AgentUsername) {
		return nil, fmt.Errorf("dial for %s: %w", req.AgentUsername, agentui.ErrPhoneNotConnected)
	}
	id := "console-" + newCallID()
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	gc := &gatewayCall{cancel: cancel}
	g.mu.Lock()
	g.calls[id] = gc
	g.mu.Unlock()
	events := make(chan agentui.CallEvent, 8)
	events <- agentui.CallEvent{CallID: id, State: agentui.CallDialing, At: time.Now()}
	go func() {
		defer close(events)
		defer cancel()
		res, err := g.gw.DialAgent(cctx, req.AgentUsername, telephony.DialParams{
			To:   req.Number,
			Meta: telephony.CallMeta{DealerID: req.DealerID, TaskID: req.TaskID, CustomerID: req.CustomerID, AgentUserID: req.AgentUserID},
			OnRing: func() {
				events <- agentui.CallEvent{CallID: id, State: agentui.CallRinging, At: time.Now()}
			},
			OnAnswer: func(ctx context.Context, c *telephony.Call) error {
				g.mu.Lock()
				gc.sipID = c.CallID()
				g.mu.Unlock()
				events <- agentui.CallEvent{CallID: id, State: agentui.CallAnswered, At: time.Now()}
				return nil
			},
		})
		g.mu.Lock()
		delete(g.calls, id)
		g.mu.Unlock()
		if err != nil || res == nil {
			g.log.Error("gateway dial", "task", req.TaskID, "err", err)
			events <- agentui.CallEvent{CallID: id, State: agentui.CallEnded, At: time.Now(), Result: queue.CallTrunkFailure, HangupBy: telephony.HangupSystem}
			return
		}
		attemptID := reportAttempt(context.Background(), g.db, g.log, res, false)
		events <- agentui.CallEvent{CallID: id, AttemptID: attemptID, State: agentui.CallEnded, At: res.EndAt,
			Result: string(res.Outcome), HangupBy: res.HangupBy}
	}()
	return events, nil
}

func (g *gatewayDialer) Hangup(ctx context.Context, callID string) error {
	g.mu.Lock()
	gc, ok := g.calls[callID]
	var sipID string
	if ok {
		sipID = gc.sipID
	}
	g.mu.Unlock()
	if !ok {
		return errors.New("gateway dialer: no such call")
	}
	if sipID != "" && g.gw.Hangup(sipID, telephony.HangupAgent) {
		return nil
	}
	gc.cancel()
	return nil
}
