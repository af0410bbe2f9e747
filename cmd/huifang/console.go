package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	agentui "github.com/huifang/huifang/agent-ui"
	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/telephony"
	"github.com/huifang/huifang/telephony/media"
)

// consolePart serves the agent console (agent-ui): its routes go on d.mux when the part
// is made, its WebSocket hub runs between start and shutdown.
type consolePart struct {
	d   *deps
	c   *agentui.Console
	err error
}

// newConsolePart builds the console on the queue engine and the SIP gateway, and
// registers its routes. Calls go through telephony's AgentDialer (consoleDialer).
func newConsolePart(d *deps, gw *gatewayPart) *consolePart {
	p := &consolePart{d: d}
	log := d.log.With("part", "console")
	// Without a trunk (the demo) an agent without a registered phone works simulated calls.
	cfg := telephony.AgentDialerConfig{Simulate: d.cfg.SIPTrunk == "", CallLog: telephony.NewStoreCallLog(d.db), Log: log}
	if gw != nil {
		cfg.Gateway = gw.gw
	}
	if d.metrics != nil {
		cfg.Metrics = d.metrics.telephony
	}
	dialer := &consoleDialer{calls: telephony.NewAgentDialer(cfg), db: d.db, log: log}
	var phone agentui.WebPhone
	if gw != nil && gw.gw != nil && gw.gw.WebPhoneEnabled() {
		phone = webPhone{gw: gw.gw}
	}
	p.c, p.err = agentui.New(agentui.Config{
		PublicURL:      d.cfg.PublicURL,
		SecureCookies:  d.cfg.SecureCookies,
		TrustedProxies: d.cfg.TrustedProxies,
		RecordingsDir:  d.cfg.RecordingsDir,
		PromptsDir:     promptsDir(d.cfg.RecordingsDir),
	}, agentui.Deps{DB: d.db, Queue: queueAdapter{db: d.db}, Figures: figuresAdapter{db: d.db}, Dialer: dialer, WebPhone: phone, Log: d.log,
		Now: d.clock(), RenderPrompt: renderPrompt, Cluster: consoleCluster(d)})
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

// renderPrompt is the console's prompt renderer: espeak-ng through media.RenderPrompt.
func renderPrompt(ctx context.Context, text, path string) error {
	_, err := media.RenderPrompt(ctx, text, path)
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

func (q queueAdapter) Skip(ctx context.Context, dealerID, agentUserID, taskID int64, reason string) error {
	return queue.Release(ctx, q.db, queue.ReleaseParams{DealerID: dealerID, TaskID: taskID, AgentUserID: agentUserID, Reason: reason, Skip: true})
}

func (q queueAdapter) RecordOutcome(ctx context.Context, o agentui.Outcome) error {
	_, err := queue.RecordOutcome(ctx, q.db, queue.OutcomeParams{
		DealerID: o.DealerID, ClientID: o.ClientID, TaskID: o.TaskID, AgentUserID: o.AgentUserID, Code: o.Code,
		AppointmentAt: o.AppointmentAt, CallbackAt: o.CallbackAt, CallbackMine: o.CallbackMine, Answers: o.Answers,
		ComplaintCategory: o.ComplaintCategory, Notes: o.Notes, ScriptVersion: o.ScriptVersion, AttemptID: o.AttemptID,
		SMSOptOut: o.SMSOptOut, WriteBack: queue.WriteBack{VehicleID: o.VehicleID, Mileage: o.Mileage,
			IntentLevel: o.IntentLevel, ProspectResult: o.ProspectResult, LostReason: o.LostReason},
	})
	var wbe *queue.WriteBackError
	switch {
	case errors.As(err, &wbe):
		return fmt.Errorf("%w: %w", &agentui.FieldError{Field: wbe.Field, Msg: wbe.Msg}, err)
	case errors.Is(err, queue.ErrNoCall):
		return fmt.Errorf("%w: %w", agentui.ErrNoCall, err)
	case errors.Is(err, queue.ErrNotAnswered):
		return fmt.Errorf("%w: %w", agentui.ErrNotAnswered, err)
	}
	return err
}

func (q queueAdapter) UndoOutcome(ctx context.Context, dealerID, agentUserID int64, clientID string) error {
	_, err := queue.UndoOutcome(ctx, q.db, queue.UndoParams{DealerID: dealerID, AgentUserID: agentUserID, ClientID: clientID})
	switch {
	case errors.Is(err, queue.ErrUndoTooLate):
		return fmt.Errorf("%w: %w", agentui.ErrUndoTooLate, err)
	case errors.Is(err, queue.ErrUndoNotFound):
		return fmt.Errorf("%w: %w", agentui.ErrUndoNotFound, err)
	}
	return err
}

func (q queueAdapter) UndoWindow(ctx context.Context, dealerID int64) (time.Duration, error) {
	r, err := queue.LoadRules(ctx, q.db, dealerID)
	if err != nil {
		return 0, err
	}
	return time.Duration(r.Get("outcome_undo_seconds")) * time.Second, nil
}

// figuresAdapter is the console's Figures on the queue's maintenance schedule.
type figuresAdapter struct {
	db *pgxpool.Pool
}

func (f figuresAdapter) FirstMaintenance(ctx context.Context, dealerID int64, from, to time.Time) ([]agentui.FirstMaintenanceDue, error) {
	rows, err := queue.FirstMaintenanceReturn(ctx, f.db, dealerID, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]agentui.FirstMaintenanceDue, len(rows))
	for i, r := range rows {
		out[i] = agentui.FirstMaintenanceDue{VehicleID: r.VehicleID, CustomerID: r.CustomerID, Delivery: r.Delivery, Due: r.Due, ByMileage: r.ByMileage, Came: r.Came}
	}
	return out, nil
}

func (f figuresAdapter) DueNotCome(ctx context.Context, dealerID int64, month, asOf time.Time) ([]agentui.DueVehicle, error) {
	rows, err := queue.DueNotCome(ctx, f.db, dealerID, month, asOf)
	if err != nil {
		return nil, err
	}
	out := make([]agentui.DueVehicle, len(rows))
	for i, r := range rows {
		out[i] = agentui.DueVehicle{VehicleID: r.VehicleID, CustomerID: r.CustomerID, LastMaintenance: r.LastMaintenance, MaintenanceCount: r.MaintenanceCount}
		if r.Due != nil {
			out[i].Due = *r.Due
		}
	}
	return out, nil
}

// consoleDialer is the console's Dialer on telephony's AgentDialer: it turns the
// dialer's call updates into the console's events and hands each ended call's result to
// the queue's attempt rules (queue.RecordAttempt), linked to its call record.
type consoleDialer struct {
	calls *telephony.AgentDialer
	db    *pgxpool.Pool
	log   *slog.Logger
}

func (c *consoleDialer) Dial(ctx context.Context, req agentui.DialRequest) (<-chan agentui.CallEvent, error) {
	updates, err := c.calls.Dial(ctx, req.AgentUsername, telephony.DialParams{To: req.Number,
		Meta: telephony.CallMeta{DealerID: req.DealerID, TaskID: req.TaskID, CustomerID: req.CustomerID, AgentUserID: req.AgentUserID}})
	if errors.Is(err, telephony.ErrAgentNotConnected) {
		return nil, fmt.Errorf("dial for %s: %w", req.AgentUsername, agentui.ErrPhoneNotConnected)
	}
	if err != nil {
		return nil, err
	}
	events := make(chan agentui.CallEvent, 8)
	go func() {
		defer close(events)
		for u := range updates {
			ev := agentui.CallEvent{CallID: u.ID, State: u.State, At: u.At}
			if u.State == telephony.CallEnded {
				ev.Result, ev.HangupBy = queue.CallTrunkFailure, telephony.HangupSystem
				if r := u.Result; r != nil {
					ev.Result, ev.HangupBy = string(r.Outcome), r.HangupBy
					ev.AttemptID = c.recordAttempt(context.WithoutCancel(ctx), r)
				}
			}
			events <- ev
		}
	}()
	return events, nil
}

func (c *consoleDialer) Hangup(_ context.Context, callID string) error {
	return c.calls.Hangup(callID)
}

// recordAttempt hands an ended call to the queue's attempt rules and returns its
// call_attempts id (the gateway's CallLog stored the record).
func (c *consoleDialer) recordAttempt(ctx context.Context, r *telephony.CallResult) int64 {
	row, err := store.New(c.db).GetCallAttemptByCallID(ctx, r.CallID)
	if err != nil {
		c.log.Error("find call record", "call_id", r.CallID, "err", err)
	}
	if r.Meta.TaskID != 0 && r.Outcome != "" {
		_, err := queue.RecordAttempt(ctx, c.db, queue.AttemptParams{DealerID: r.Meta.DealerID, TaskID: r.Meta.TaskID,
			CallID: r.CallID, AttemptID: row.ID, AgentUserID: r.Meta.AgentUserID, Outcome: string(r.Outcome), At: r.EndAt})
		if err != nil {
			c.log.Error("record attempt", "call_id", r.CallID, "err", err)
		}
	}
	return row.ID
}

// webPhone is the console's browser phone on the gateway (telephony.WebPhoneOffer).
type webPhone struct{ gw *telephony.Gateway }

func (w webPhone) Settings(username string) agentui.WebPhoneSettings {
	s := agentui.WebPhoneSettings{SIPPhone: w.gw.SIPPhoneConnected(username), ICEServers: []agentui.ICEServer{}}
	s.Enabled = !s.SIPPhone
	for _, x := range w.gw.ICEServers() {
		s.ICEServers = append(s.ICEServers, agentui.ICEServer{URLs: x.URLs, Username: x.Username, Credential: x.Credential})
	}
	return s
}

func (w webPhone) Offer(ctx context.Context, a agentui.WebPhoneAgent, sdp string) (string, error) {
	answer, err := w.gw.WebPhoneOffer(ctx, telephony.Agent{UserID: a.UserID, DealerID: a.DealerID, Username: a.Username}, sdp)
	if errors.Is(err, telephony.ErrSIPPhoneConnected) {
		return "", fmt.Errorf("%w: %w", agentui.ErrSIPPhoneConnected, err)
	}
	return answer, err
}

func (w webPhone) End(username string) { w.gw.WebPhoneEnd(username) }

// consoleCluster is the Redis through which console processes share agents and
// wallboards (HUIFANG_CONSOLE_SHARED, on by default), or nil.
func consoleCluster(d *deps) redis.UniversalClient {
	if !d.cfg.ConsoleShared || d.rdb == nil {
		return nil
	}
	return d.rdb
}
