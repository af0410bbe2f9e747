package agentui

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/scripts"
)

// Agent statuses and phases. Status is what the agent chose (ready or paused); phase is
// where the agent is in the work of one task.
const (
	statusOffline = "offline"
	statusReady   = "ready"
	statusPaused  = "paused"

	phaseIdle      = "idle"
	phasePreview   = "preview"
	phaseCountdown = "countdown"
	phaseCall      = "call"
	phaseWrapup    = "wrapup"

	modePreview     = "preview"
	modeProgressive = "progressive"

	actionTimeout = 15 * time.Second
	savedMemory   = 64
)

// agents holds every agent's working state, by user id. The state outlives connections,
// so a browser that reconnects finds its call and wrap-up again.
type agents struct {
	h  *handler
	mu sync.Mutex
	m  map[int64]*agent
}

func newAgents(h *handler) *agents {
	return &agents{h: h, m: map[int64]*agent{}}
}

// get returns the user's agent state, creating it on first use.
// With a cluster, an agent new to this process resumes from the state its last owner
// saved.
func (as *agents) get(u user) *agent {
	as.mu.Lock()
	a := as.m[u.ID]
	if a != nil {
		as.mu.Unlock()
		return a
	}
	a = &agent{h: as.h, u: u, status: statusOffline, phase: phaseIdle, mode: modePreview, since: as.h.deps.Now()}
	as.m[u.ID] = a
	if as.h.cluster == nil {
		as.mu.Unlock()
		return a
	}
	a.mu.Lock() // nobody uses the agent before it is restored
	as.mu.Unlock()
	defer a.mu.Unlock()
	ctx, cancel := actionCtx()
	defer cancel()
	if s, ok := as.h.cluster.load(ctx, u.ID); ok {
		a.restoreLocked(ctx, s)
		as.h.log.Info("console cluster: agent taken over", "user", u.Username, "phase", a.phase)
	}
	return a
}

// drop forgets an agent this process no longer owns, stopping its timers.
func (as *agents) drop(a *agent) {
	a.mu.Lock()
	a.stopTimersLocked()
	a.stopped = true
	a.mu.Unlock()
	as.mu.Lock()
	if as.m[a.u.ID] == a {
		delete(as.m, a.u.ID)
	}
	as.mu.Unlock()
}

// forDealer returns the agents of one dealer.
func (as *agents) forDealer(dealerID int64) []*agent {
	as.mu.Lock()
	defer as.mu.Unlock()
	var out []*agent
	for _, a := range as.m {
		if a.u.DealerID == dealerID {
			out = append(out, a)
		}
	}
	return out
}

// list returns every agent; lock an agent's own mu to read it.
func (as *agents) list() []*agent {
	as.mu.Lock()
	defer as.mu.Unlock()
	list := make([]*agent, 0, len(as.m))
	for _, a := range as.m {
		list = append(list, a)
	}
	return list
}

// waitCalls waits until no agent of this process is on a call, or until half of ctx's
// time is left (all of it when ctx has no deadline is not waited: a minute at most).
func (as *agents) waitCalls(ctx context.Context) {
	limit := time.Now().Add(time.Minute)
	if d, ok := ctx.Deadline(); ok {
		limit = time.Now().Add(time.Until(d) / 2)
	}
	for time.Now().Before(limit) && ctx.Err() == nil {
		busy := false
		for _, a := range as.list() {
			a.mu.Lock()
			busy = busy || a.phase == phaseCall
			a.mu.Unlock()
		}
		if !busy {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopAll stops every agent's timers.
func (as *agents) stopAll() {
	for _, a := range as.list() {
		a.mu.Lock()
		a.stopTimersLocked()
		a.stopped = true
		a.mu.Unlock()
	}
}

// agent is one user's working state. mu serialises the agent's actions, so the agent
// never takes two tasks or saves an outcome twice at once.
type agent struct {
	h  *handler
	mu sync.Mutex
	u  user

	conns int
	// remote counts the connections served through other console processes (cluster):
	// only while there is one are the agent's messages published for them.
	remote      int
	status      string
	pauseReason string
	mode        string
	phase       string
	since       time.Time
	notice      string
	noticeUntil time.Time

	// offlineSince is when the agent's last connection closed (zero while connected);
	// awayStatus is the status they had then, given back if they return within the grace.
	offlineSince time.Time
	awayStatus   string

	task     *liveTask
	call     *liveCall
	deadline time.Time // progressive countdown end
	saved    []string  // recent outcome client ids
	// lastSaved is the last outcome saved, while it may be undone.
	lastSaved *savedOutcome

	gen       int // bumps on every timer change; stale timers do nothing
	retry     *time.Timer
	ticker    *time.Timer
	stopped   bool
	callsDone int
}

// liveTask is the task on the agent's screen.
type liveTask struct {
	Task
	card    *card
	script  *scripts.Rendered
	takenAt time.Time
}

// liveCall is the call in progress or just ended.
type liveCall struct {
	id        string
	attemptID int64
	state     string
	started   time.Time
	answered  time.Time
	ended     time.Time
	result    string
	hangupBy  string
}

func (a *agent) now() time.Time { return a.h.deps.Now() }

func actionCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), actionTimeout)
}

// attach is called for each new connection: it sends the state and, for an agent that
// was offline, nothing else; the agent chooses ready.
func (a *agent) attach(ctx context.Context) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.conns++
	if !a.offlineSince.IsZero() {
		if a.awayStatus != "" && a.now().Sub(a.offlineSince) < a.h.cfg.OfflineGrace {
			a.status, a.since = a.awayStatus, a.now()
		}
		a.offlineSince, a.awayStatus = time.Time{}, ""
	}
	a.sendLocked(ctx, a.helloLocked(ctx))
	a.publishLocked(ctx)
	if a.status == statusReady && a.phase == phaseIdle {
		a.takeNextLocked()
	}
}

// detach is called when a connection ends (the tab closed, the network gone, a logout).
// With no connection left the agent shows offline at once and a countdown stops (nobody
// would see the call); a call in progress and a wrap-up wait for the browser to come
// back, and a task not yet called goes back to the queue after the grace (sweepOffline).
func (a *agent) detach(ctx context.Context) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.conns--
	if a.conns > 0 {
		return
	}
	switch a.phase {
	case phaseCountdown:
		a.phase = phasePreview
		a.stopTimersLocked()
	case phaseIdle:
		a.stopTimersLocked()
	}
	if a.status != statusOffline {
		a.awayStatus = a.status
	}
	a.status, a.since, a.offlineSince = statusOffline, a.now(), a.now()
	a.publishLocked(ctx)
}

// sweepOffline gives back to the queue the task not yet called of every agent offline
// for longer than the grace, so no customer stays locked by a closed tab.
func (as *agents) sweepOffline(now time.Time) {
	as.mu.Lock()
	list := make([]*agent, 0, len(as.m))
	for _, a := range as.m {
		list = append(list, a)
	}
	as.mu.Unlock()
	for _, a := range list {
		a.mu.Lock()
		if a.conns == 0 && !a.offlineSince.IsZero() && now.Sub(a.offlineSince) >= as.h.cfg.OfflineGrace &&
			a.task != nil && (a.phase == phasePreview || a.phase == phaseCountdown) {
			a.releaseOfflineLocked()
		}
		if a.conns == 0 && !a.offlineSince.IsZero() && now.Sub(a.offlineSince) >= as.h.cfg.OfflineGrace &&
			a.phase != phaseCall && as.h.deps.WebPhone != nil {
			// The browser phone of an agent gone past the grace ends (never under a
			// live call: a reload within the call reconnects it).
			as.h.deps.WebPhone.End(a.u.Username)
		}
		a.mu.Unlock()
	}
}

func (a *agent) releaseOfflineLocked() {
	ctx, cancel := actionCtx()
	defer cancel()
	a.stopTimersLocked()
	err := a.h.deps.Queue.Release(ctx, a.u.DealerID, a.u.ID, a.task.ID, "agent offline")
	switch {
	case errors.Is(err, queue.ErrNotTaken):
		// The agent no longer holds it (released, expired or closed elsewhere): nothing to
		// give back, and nothing to try again every second.
		a.h.log.Info("task of an offline agent was no longer theirs", "user", a.u.Username, "task", a.task.ID)
	case err != nil:
		a.h.log.Error("release task of an offline agent", "user", a.u.Username, "task", a.task.ID, "err", err)
		return
	default:
		a.h.log.Info("task of an offline agent returned to the queue", "user", a.u.Username, "task", a.task.ID)
	}
	a.task, a.call, a.phase = nil, nil, phaseIdle
	a.publishLocked(ctx)
}

// handle runs one message from the agent's browser.
func (a *agent) handle(ctx context.Context, m inMsg) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped {
		return
	}
	switch m.Type {
	case "hello":
		a.sendLocked(ctx, a.helloLocked(ctx))
		a.publishLocked(ctx)
	case "ready":
		if m.Mode == modeProgressive || m.Mode == modePreview {
			a.mode = m.Mode
		}
		if a.status != statusReady {
			a.status, a.pauseReason, a.since = statusReady, "", a.now()
		}
		a.publishLocked(ctx)
		switch {
		case a.phase == phaseIdle:
			a.takeNextLocked()
		case a.phase == phasePreview && a.mode == modeProgressive && a.task != nil:
			a.startCountdownLocked()
			a.publishLocked(ctx)
		}
	case "pause":
		if !slices.Contains(pauseReasons, m.Reason) {
			// Only the listed reasons (the wallboard and the figures count them).
			a.errorLocked("pause_reason")
			return
		}
		a.status, a.pauseReason, a.since = statusPaused, m.Reason, a.now()
		switch a.phase {
		case phaseIdle:
			a.stopTimersLocked()
		case phaseCountdown:
			// A paused agent is never dialled for: the countdown stops and the task
			// stays on screen in preview until the agent is ready again.
			a.stopTimersLocked()
			a.phase = phasePreview
		}
		a.publishLocked(ctx)
	case "call":
		a.dialLocked()
	case "skip":
		a.skipLocked(strings.TrimSpace(m.Reason))
	case "hangup":
		a.hangupLocked()
	case "outcome":
		a.outcomeLocked(m.outcomeMsg)
	case "undo":
		a.undoLocked(strings.TrimSpace(m.ClientID))
	default:
		a.errorLocked("unknown_message")
	}
}

// takeNextLocked asks the queue for the next task when the agent is ready and idle.
func (a *agent) takeNextLocked() {
	if a.stopped || a.h.draining.Load() || a.status != statusReady || a.phase != phaseIdle || a.conns == 0 {
		return
	}
	a.stopTimersLocked()
	ctx, cancel := actionCtx()
	defer cancel()
	t, err := a.h.deps.Queue.Take(ctx, a.u.DealerID, a.u.ID)
	var closed *ClosedError
	switch {
	case errors.Is(err, ErrNoTask):
		a.notice, a.noticeUntil = "no_task", time.Time{}
		a.scheduleRetryLocked(a.h.cfg.TakeRetry)
	case errors.As(err, &closed):
		a.notice, a.noticeUntil = "closed", closed.NextOpen
		if closed.Holiday {
			a.notice = "holiday"
		}
		wait := closed.NextOpen.Sub(a.now())
		if wait > 10*a.h.cfg.TakeRetry || wait <= 0 {
			wait = 10 * a.h.cfg.TakeRetry
		}
		a.scheduleRetryLocked(wait)
	case err != nil:
		a.h.log.Error("take next task", "user", a.u.Username, "err", err)
		a.notice = "take_failed"
		a.scheduleRetryLocked(a.h.cfg.TakeRetry)
	default:
		a.notice = ""
		lt, err := a.h.prepareTask(ctx, &a.u, t)
		if err != nil {
			a.h.log.Error("prepare task", "user", a.u.Username, "task", t.ID, "err", err)
			if rerr := a.h.deps.Queue.Release(ctx, a.u.DealerID, a.u.ID, t.ID, "console could not show the task"); rerr != nil {
				a.h.log.Error("release task", "task", t.ID, "err", rerr)
			}
			a.notice = "take_failed"
			a.scheduleRetryLocked(a.h.cfg.TakeRetry)
			break
		}
		a.task, a.call = lt, nil
		a.phase = phasePreview
		if a.mode == modeProgressive {
			a.startCountdownLocked()
		}
	}
	a.publishLocked(ctx)
}

// startCountdownLocked starts the progressive countdown of the task on screen.
func (a *agent) startCountdownLocked() {
	a.stopTimersLocked()
	a.phase = phaseCountdown
	a.deadline = a.now().Add(a.h.cfg.ProgressiveDelay)
	a.armTickLocked()
}

func (a *agent) scheduleRetryLocked(d time.Duration) {
	a.gen++
	gen := a.gen
	a.retry = time.AfterFunc(d, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.gen == gen {
			a.takeNextLocked()
		}
	})
}

// armTickLocked sends a tick every second while a countdown or call runs; the browser
// shows the server's numbers, so a throttled background tab stays right.
func (a *agent) armTickLocked() {
	if a.ticker != nil {
		a.ticker.Stop()
	}
	gen := a.gen
	a.ticker = time.AfterFunc(time.Second, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.gen != gen || a.stopped {
			return
		}
		a.onTickLocked()
	})
}

func (a *agent) onTickLocked() {
	ctx, cancel := actionCtx()
	defer cancel()
	switch a.phase {
	case phaseCountdown:
		if !a.now().Before(a.deadline) {
			a.dialLocked()
			return
		}
		a.sendLocked(ctx, a.tickLocked())
		a.armTickLocked()
	case phaseCall:
		a.sendLocked(ctx, a.tickLocked())
		a.armTickLocked()
	}
}

func (a *agent) stopTimersLocked() {
	a.gen++
	if a.retry != nil {
		a.retry.Stop()
		a.retry = nil
	}
	if a.ticker != nil {
		a.ticker.Stop()
		a.ticker = nil
	}
}

// dialLocked places the call of the task on screen. Only a ready agent is dialled for:
// whatever the browser sends or whichever timer fires, a paused, offline or stopped
// agent gets no call (the countdown, if any, stops and the task stays in preview).
func (a *agent) dialLocked() {
	if a.task == nil || (a.phase != phasePreview && a.phase != phaseCountdown) {
		a.errorLocked("no_task_to_call")
		return
	}
	if a.status != statusReady || a.stopped || a.h.draining.Load() || a.conns == 0 {
		if a.phase == phaseCountdown {
			a.stopTimersLocked()
			a.phase = phasePreview
			ctx, cancel := actionCtx()
			a.publishLocked(ctx)
			cancel()
		}
		a.errorLocked("not_ready")
		return
	}
	a.stopTimersLocked()
	ctx, cancel := actionCtx()
	defer cancel()
	t := a.task
	events, err := a.h.deps.Dialer.Dial(context.WithoutCancel(ctx), DialRequest{
		DealerID: a.u.DealerID, TaskID: t.ID, CustomerID: t.CustomerID,
		AgentUserID: a.u.ID, AgentUsername: a.u.Username, Number: t.Phone,
	})
	if err != nil {
		a.h.log.Error("dial", "user", a.u.Username, "task", t.ID, "err", err)
		a.phase = phasePreview
		a.notice = "dial_failed"
		if errors.Is(err, ErrPhoneNotConnected) {
			a.notice = "phone_offline"
		}
		a.publishLocked(ctx)
		return
	}
	a.notice = ""
	a.phase = phaseCall
	a.call = &liveCall{state: CallDialing, started: a.now()}
	go a.follow(t.ID, events)
	a.armTickLocked()
	a.publishLocked(ctx)
}

// follow applies a call's events to the agent's state until the call ends.
func (a *agent) follow(taskID int64, events <-chan CallEvent) {
	ended := false
	for ev := range events {
		a.mu.Lock()
		if a.task != nil && a.task.ID == taskID && a.call != nil {
			ended = a.applyEventLocked(ev) || ended
		}
		a.mu.Unlock()
	}
	if !ended {
		a.mu.Lock()
		if a.task != nil && a.task.ID == taskID && a.call != nil && a.phase == phaseCall {
			a.applyEventLocked(CallEvent{State: CallEnded, At: a.now(), Result: "trunk_failure", HangupBy: "system"})
		}
		a.mu.Unlock()
	}
}

func (a *agent) applyEventLocked(ev CallEvent) bool {
	c := a.call
	if ev.CallID != "" {
		c.id = ev.CallID
	}
	if ev.AttemptID != 0 {
		c.attemptID = ev.AttemptID
	}
	at := ev.At
	if at.IsZero() {
		at = a.now()
	}
	c.state = ev.State
	ctx, cancel := actionCtx()
	defer cancel()
	switch ev.State {
	case CallAnswered:
		c.answered = at
	case CallEnded:
		c.ended, c.result, c.hangupBy = at, ev.Result, ev.HangupBy
		a.phase = phaseWrapup
		a.stopTimersLocked()
		a.publishLocked(ctx)
		return true
	}
	a.publishLocked(ctx)
	return false
}

// hangupLocked ends the live call.
func (a *agent) hangupLocked() {
	if a.phase != phaseCall || a.call == nil || a.call.id == "" {
		a.errorLocked("no_call")
		return
	}
	ctx, cancel := actionCtx()
	defer cancel()
	if err := a.h.deps.Dialer.Hangup(ctx, a.call.id); err != nil {
		a.h.log.Error("hang up", "user", a.u.Username, "call", a.call.id, "err", err)
		a.errorLocked("hangup_failed")
	}
}

// skipLocked gives the task on screen back to the queue without a call, with the agent's
// reason (one of skipReasons): the only way to finish a task that was not called.
func (a *agent) skipLocked(reason string) {
	if a.task == nil || (a.phase != phasePreview && a.phase != phaseCountdown) {
		a.errorLocked("no_task_to_skip")
		return
	}
	if !isSkipReason(reason) {
		a.errorLocked("skip_reason")
		return
	}
	a.stopTimersLocked()
	ctx, cancel := actionCtx()
	defer cancel()
	if err := a.h.deps.Queue.Skip(ctx, a.u.DealerID, a.u.ID, a.task.ID, reason); err != nil {
		a.h.log.Error("skip", "user", a.u.Username, "task", a.task.ID, "err", err)
		a.errorLocked("skip_failed")
		return
	}
	a.task, a.call, a.phase = nil, nil, phaseIdle
	a.publishLocked(ctx)
	a.takeNextLocked()
}

func isSkipReason(r string) bool {
	for _, x := range skipReasons {
		if x == r {
			return true
		}
	}
	return false
}

func (a *agent) rememberSavedLocked(id string) {
	a.saved = append(a.saved, id)
	if len(a.saved) > savedMemory {
		a.saved = a.saved[len(a.saved)-savedMemory:]
	}
}

func (a *agent) wasSavedLocked(id string) bool {
	for _, s := range a.saved {
		if s == id {
			return true
		}
	}
	return false
}

// errorLocked tells the agent's browser that its last message was refused: code names
// the problem (the browser shows its words, err.<code> in i18n.go), message says it in
// Chinese for any other client.
func (a *agent) errorLocked(code string) {
	ctx, cancel := actionCtx()
	defer cancel()
	a.sendLocked(ctx, errorMsg(code))
}

// errorMsg is the error message of a refusal with code.
func errorMsg(code string) map[string]any {
	return map[string]any{"type": "error", "code": code, "message": t(langZH, "err."+code)}
}

// sendLocked sends a message to every connection of the agent.
func (a *agent) sendLocked(ctx context.Context, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.h.log.Error("encode message", "err", err)
		return
	}
	a.h.hub.toUser(ctx, a.u.ID, b)
	if a.h.cluster != nil && a.remote > 0 {
		a.h.cluster.toUser(ctx, a.u.ID, b)
	}
}

// publishLocked sends the agent's state to the agent, and queues its summary for the
// wallboards (sent in batches, see wallboardChanged).
func (a *agent) publishLocked(ctx context.Context) {
	a.sendLocked(ctx, a.stateLocked())
	if a.h.cluster != nil {
		a.h.cluster.save(ctx, a)
	}
	a.h.wallboardChanged(ctx, a.u.DealerID, a.u.ID, a.summaryLocked())
}

func trimTo(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}
