package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/store"
)

// The call results the gateway reports for one attempt (call_attempts.outcome).
const (
	// CallAnswered: the customer picked up.
	CallAnswered = "answered"
	// CallBusy: the line was busy.
	CallBusy = "busy"
	// CallDeclined: the customer rejected the call; retried like busy.
	CallDeclined = "declined"
	// CallNoAnswer: it rang out.
	CallNoAnswer = "no_answer"
	// CallUnreachable: switched off or out of coverage.
	CallUnreachable = "unreachable"
	// CallInvalidNumber: the number does not exist.
	CallInvalidNumber = "invalid_number"
	// CallTrunkFailure: the carrier or our network failed; not a customer attempt.
	CallTrunkFailure = "trunk_failure"
)

// callOutcomeCode maps a gateway call result to the outcome code whose effect and
// retry_minutes apply to the task; ok is false for results that have no such code.
func callOutcomeCode(result string) (code string, ok bool) {
	switch result {
	case CallBusy, CallDeclined:
		return "busy", true
	case CallNoAnswer:
		return "no_answer", true
	case CallUnreachable:
		return "switched_off", true
	case CallInvalidNumber:
		return "no_such_number", true
	}
	return "", false
}

// The task statuses of call_tasks.status.
const (
	// StatusOpen: in the queue.
	StatusOpen = "open"
	// StatusDone: handled (reached, booked, complaint opened).
	StatusDone = "done"
	// StatusUnreachable: closed after the last allowed attempt failed.
	StatusUnreachable = "unreachable"
	// StatusInvalid: closed because the number is wrong or does not exist.
	StatusInvalid = "invalid"
	// StatusCancelled: closed unhandled: the customer refused, or asked never to be called.
	StatusCancelled = "cancelled"
)

// ErrTaskNotFound is returned when the task is not one of the dealer's.
var ErrTaskNotFound = errors.New("queue: no such task for this dealer")

// ErrUnknownOutcome is returned for an outcome code the dealer does not have.
var ErrUnknownOutcome = errors.New("queue: unknown outcome code")

// ErrNoCall is returned by RecordOutcome when the task has no call the outcome could be
// about: every outcome is the result of a call of its task (a task not called is given
// back with a reason instead, see Release).
var ErrNoCall = errors.New("queue: an outcome needs a call of the task")

// ErrNotAnswered is returned by RecordOutcome for an outcome that says the customer was
// reached (reached, booked, callback, complaint, refused...) when the call was not answered.
var ErrNotAnswered = errors.New("queue: this outcome needs an answered call of the task")

// AttemptParams is one call result reported by the gateway.
type AttemptParams struct {
	// DealerID and TaskID name the task the call was placed for.
	DealerID int64
	TaskID   int64
	// CallID is the gateway's call id (call_attempts.call_id); a result reported twice
	// for the same call changes the task once.
	CallID string
	// AttemptID is the call_attempts row, when the gateway has written it; zero if not.
	AttemptID int64
	// AgentUserID is the agent bridged to the call, zero for none.
	AgentUserID int64
	// Outcome is one of CallAnswered, CallBusy, ... CallTrunkFailure.
	Outcome string
	// At is when the call ended; zero means time.Now().
	At time.Time
	// Policy overrides the dealer's policy; zero fields keep the dealer's rules.
	Policy Policy
}

// AttemptResult says what a call result did to its task.
type AttemptResult struct {
	// TaskStatus is the task's status afterwards.
	TaskStatus string
	// Counted is true when the call counted against the attempt limits (a failed call).
	Counted bool
	// NotBefore is when the task may be called again, for a retried task.
	NotBefore *time.Time
	// Duplicate is true when this call's result had been applied before; nothing changed.
	Duplicate bool
}

// RecordAttempt applies a call result from the gateway to its task: busy and declined
// retry after the busy spacing, no answer after the no-answer spacing, unreachable after
// the switched-off spacing (the dealer's rules, see Policy); after the
// lifetime limit of attempts the task closes as unreachable. An invalid number closes the
// task as invalid and marks the customer's phone invalid. A trunk failure is not a
// customer attempt and changes nothing. An answer leaves the task with the agent, who
// records the outcome; it does not use up the attempt limits, which bound calls that
// do not reach the customer.
func RecordAttempt(ctx context.Context, db *pgxpool.Pool, p AttemptParams) (*AttemptResult, error) {
	var res *AttemptResult
	err := store.WithTx(ctx, db, func(tx pgx.Tx) error {
		var err error
		res, err = RecordAttemptTx(ctx, tx, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// RecordAttemptTx is RecordAttempt inside the caller's transaction.
func RecordAttemptTx(ctx context.Context, tx pgx.Tx, p AttemptParams) (*AttemptResult, error) {
	if p.CallID == "" {
		return nil, errors.New("record attempt: call id is empty")
	}
	code, ok := callOutcomeCode(p.Outcome)
	if !ok && p.Outcome != CallAnswered && p.Outcome != CallTrunkFailure {
		return nil, fmt.Errorf("record attempt: unknown call outcome %q", p.Outcome)
	}
	at := p.At
	if at.IsZero() {
		at = time.Now()
	}
	q := store.New(tx)
	pol, err := LoadPolicy(ctx, tx, p.DealerID, p.Policy)
	if err != nil {
		return nil, err
	}
	task, err := q.LockCallTask(ctx, store.LockCallTaskParams{ID: p.TaskID, DealerID: p.DealerID})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("record attempt task %d: %w", p.TaskID, ErrTaskNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("record attempt task %d: %w", p.TaskID, err)
	}
	prev, err := q.GetAttemptEffect(ctx, store.GetAttemptEffectParams{DealerID: p.DealerID, CallID: p.CallID})
	if err == nil {
		return &AttemptResult{TaskStatus: prev.TaskStatus, Counted: prev.Counted, NotBefore: prev.NotBefore, Duplicate: true}, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("record attempt %s: %w", p.CallID, err)
	}
	res := &AttemptResult{TaskStatus: task.Status}
	if task.Status == StatusOpen && p.Outcome != CallTrunkFailure {
		e := effector{q: q, dealerID: p.DealerID, now: at, pol: pol}
		switch p.Outcome {
		case CallAnswered:
			// The customer was reached: the agent records the outcome. Reaching is not
			// a failed attempt, so it does not use up the limits (a callback the
			// customer asks for must stay possible).
		case CallInvalidNumber:
			if _, err := e.count(ctx, task.ID); err != nil {
				return nil, err
			}
			res.Counted = true
			if err := e.invalid(ctx, task, code); err != nil {
				return nil, err
			}
			res.TaskStatus = StatusInvalid
		default:
			status, nb, err := e.retry(ctx, task.ID, code, true)
			if err != nil {
				return nil, err
			}
			res.Counted, res.TaskStatus, res.NotBefore = true, status, nb
		}
	}
	var attemptID *int64
	if p.AttemptID != 0 {
		attemptID = &p.AttemptID
	}
	if _, err := q.InsertAttemptEffect(ctx, store.InsertAttemptEffectParams{
		DealerID: p.DealerID, CallID: p.CallID, AttemptID: attemptID, TaskID: task.ID,
		Outcome: p.Outcome, Counted: res.Counted, TaskStatus: res.TaskStatus, NotBefore: res.NotBefore, AppliedAt: at,
	}); err != nil {
		return nil, fmt.Errorf("record attempt %s: %w", p.CallID, err)
	}
	if err := audit(ctx, q, p.DealerID, p.AgentUserID, "call.attempt", task.ID, map[string]any{
		"call_id": p.CallID, "outcome": p.Outcome, "counted": res.Counted, "task_status": res.TaskStatus,
	}); err != nil {
		return nil, err
	}
	return res, nil
}

// OutcomeParams is what an agent recorded for a task (the disposition form).
type OutcomeParams struct {
	// DealerID is the agent's dealer; the task must be one of its tasks.
	DealerID int64
	// ClientID is generated by the console for this form; a resend with the same id
	// returns the first result and has no second effect.
	ClientID string
	// TaskID is the task the call was made for.
	TaskID int64
	// AgentUserID is the agent recording the outcome.
	AgentUserID int64
	// Code is an outcome code (outcome_codes.code), such as reached or callback.
	Code string
	// AppointmentAt is the booked time, required for the appointment code.
	AppointmentAt *time.Time
	// CallbackAt is when to call back, required for a callback outcome.
	CallbackAt *time.Time
	// CallbackMine pins the callback to this agent; otherwise anyone may take it.
	CallbackMine bool
	// Answers are the script's answers (JSON object); nil stores {}.
	Answers json.RawMessage
	// ComplaintCategory is the complaint's category for a complaint outcome.
	ComplaintCategory string
	// Notes are the agent's free-text notes (also the complaint's description).
	Notes string
	// SMSOptOut records that the customer asked for no more marketing SMS: the number is
	// opted out at the dealer (source agent, with the notes as the reason) and its queued
	// marketing SMS are suppressed, once, with the outcome.
	SMSOptOut bool
	// ScriptVersion is the script version the call was made with.
	ScriptVersion string
	// WriteBack is what the call's answers change besides the task (mileage, vehicle no
	// longer owned, the prospect's status and intent); empty fields are read from Answers
	// (WriteBackFromAnswers).
	WriteBack WriteBack
	// AttemptID is the call_attempts row of the call; zero means the agent's latest call
	// of the task that no outcome used yet.
	AttemptID int64
	// Now is the current instant; zero means time.Now().
	Now time.Time
	// Policy overrides the dealer's policy; zero fields keep the dealer's rules.
	Policy Policy
}

// OutcomeResult says what recording an outcome did.
type OutcomeResult struct {
	// OutcomeID is the call_outcomes row.
	OutcomeID int64
	// Effect is the outcome code's effect (done, retry, callback, close, invalid, dnc, complaint).
	Effect string
	// TaskStatus is the task's status right after the first save.
	TaskStatus string
	// Duplicate is true when the ClientID had been saved before; nothing changed.
	Duplicate bool
}

// RecordOutcome saves an agent's outcome exactly once per (dealer, ClientID) and applies
// the outcome code's effect, all in one transaction with an audit_log row:
//
//   - done: the task is done and its reasons handled.
//   - retry: counted as an attempt (unless the gateway already counted this call) and
//     retried after the code's retry_minutes; the lifetime limit closes it unreachable.
//   - callback: the task stays open, not before CallbackAt, pinned to the agent when
//     CallbackMine, else to anyone; it lives at least until the callback's day.
//   - close (refused): the task is cancelled, its reasons handled, so no rule brings the
//     occurrence back; "done" stays reserved for handled calls in the figures.
//   - invalid: the task is closed invalid and the customer's phone marked invalid.
//   - dnc: the phone goes on the dealer's do-not-call list, every open task of the phone
//     is cancelled (other reasons suppressed) and its queued SMS suppressed.
//   - complaint: an open complaint is recorded and the task is done.
//
// When the task is no longer open, the outcome is still saved and the customer-level
// effects (invalid, dnc, complaint) still apply.
//
// Every outcome is about one call of its task that no other outcome used (AttemptID, or
// the agent's latest such call): without one it is refused with ErrNoCall, and an outcome
// whose code says the customer was reached (outcome_codes.reached) needs that call to have
// been answered, else ErrNotAnswered. Nothing is stored on a refusal.
func RecordOutcome(ctx context.Context, db *pgxpool.Pool, p OutcomeParams) (*OutcomeResult, error) {
	var res *OutcomeResult
	err := store.WithTx(ctx, db, func(tx pgx.Tx) error {
		var err error
		res, err = RecordOutcomeTx(ctx, tx, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// RecordOutcomeTx is RecordOutcome inside the caller's transaction.
func RecordOutcomeTx(ctx context.Context, tx pgx.Tx, p OutcomeParams) (*OutcomeResult, error) {
	if p.ClientID == "" {
		return nil, errors.New("record outcome: client id is empty")
	}
	if p.Code == "" {
		return nil, errors.New("record outcome: outcome code is empty")
	}
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	q := store.New(tx)
	task, err := q.LockCallTask(ctx, store.LockCallTaskParams{ID: p.TaskID, DealerID: p.DealerID})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("record outcome task %d: %w", p.TaskID, ErrTaskNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("record outcome task %d: %w", p.TaskID, err)
	}
	code, err := q.GetOutcomeCode(ctx, store.GetOutcomeCodeParams{Code: p.Code, DealerID: &p.DealerID})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("record outcome %q: %w", p.Code, ErrUnknownOutcome)
	}
	if err != nil {
		return nil, fmt.Errorf("record outcome %q: %w", p.Code, err)
	}
	if first, err := q.GetCallOutcomeByClientID(ctx, store.GetCallOutcomeByClientIDParams{DealerID: p.DealerID, ClientID: p.ClientID}); err == nil {
		return &OutcomeResult{OutcomeID: first.ID, Effect: first.Effect, TaskStatus: first.TaskStatus, Duplicate: true}, nil
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("record outcome %s: %w", p.ClientID, err)
	}
	call, err := q.OutcomeCallOfTask(ctx, store.OutcomeCallOfTaskParams{
		TaskID: task.ID, DealerID: p.DealerID, AttemptID: p.AttemptID, AgentUserID: p.AgentUserID,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("record outcome %q task %d: %w", p.Code, task.ID, ErrNoCall)
	}
	if err != nil {
		return nil, fmt.Errorf("record outcome %q task %d: find the call: %w", p.Code, task.ID, err)
	}
	if code.Reached && !call.Answered {
		return nil, fmt.Errorf("record outcome %q task %d: %w", p.Code, task.ID, ErrNotAnswered)
	}
	p.AttemptID = call.ID
	switch {
	case code.Effect == "callback" && p.CallbackAt == nil:
		return nil, fmt.Errorf("record outcome %q: a callback needs the callback time", p.Code)
	case p.Code == "appointment" && p.AppointmentAt == nil:
		return nil, fmt.Errorf("record outcome %q: an appointment needs its date and time", p.Code)
	}
	answers := p.Answers
	if len(answers) == 0 {
		answers = json.RawMessage(`{}`)
	}
	if !json.Valid(answers) {
		return nil, errors.New("record outcome: answers are not valid JSON")
	}
	var agent, attempt *int64
	if p.AgentUserID != 0 {
		agent = &p.AgentUserID
	}
	if p.AttemptID != 0 {
		attempt = &p.AttemptID
	}
	outcomeID, err := q.InsertCallOutcome(ctx, store.InsertCallOutcomeParams{
		DealerID: p.DealerID, ClientID: p.ClientID, TaskID: task.ID, AttemptID: attempt, AgentUserID: agent,
		Code: p.Code, AppointmentAt: p.AppointmentAt, CallbackAt: p.CallbackAt, CallbackMine: p.CallbackMine,
		Answers: answers, ComplaintCategory: p.ComplaintCategory, Notes: p.Notes, ScriptVersion: p.ScriptVersion,
		CreatedAt: now,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		// Saved before: the unique (dealer_id, client_id) made this insert do nothing.
		first, err := q.GetCallOutcomeByClientID(ctx, store.GetCallOutcomeByClientIDParams{DealerID: p.DealerID, ClientID: p.ClientID})
		if err != nil {
			return nil, fmt.Errorf("record outcome %s: load first save: %w", p.ClientID, err)
		}
		return &OutcomeResult{OutcomeID: first.ID, Effect: first.Effect, TaskStatus: first.TaskStatus, Duplicate: true}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("record outcome %s: %w", p.ClientID, err)
	}

	pol, err := LoadPolicy(ctx, tx, p.DealerID, p.Policy)
	if err != nil {
		return nil, err
	}
	e := effector{q: q, dealerID: p.DealerID, now: now, pol: pol}
	today, err := e.today(ctx)
	if err != nil {
		return nil, err
	}
	before, err := snapshot(ctx, tx, p.DealerID, task, today)
	if err != nil {
		return nil, err
	}
	open := task.Status == StatusOpen
	switch code.Effect {
	case "done":
		if open {
			err = e.close(ctx, task.ID, StatusDone, p.Code)
		}
	case "retry":
		if open {
			counted := false
			if p.AttemptID != 0 {
				if counted, err = q.AttemptAlreadyCounted(ctx, p.AttemptID); err != nil {
					return nil, fmt.Errorf("record outcome: attempt %d: %w", p.AttemptID, err)
				}
			}
			_, _, err = e.retry(ctx, task.ID, p.Code, !counted)
		}
	case "callback":
		if open {
			err = e.callback(ctx, task.ID, p.Code, *p.CallbackAt, p.CallbackMine, agent)
		}
	case "close":
		if open {
			err = e.close(ctx, task.ID, StatusCancelled, p.Code)
		}
	case "invalid":
		err = e.invalid(ctx, task, p.Code)
	case "dnc":
		err = e.doNotCall(ctx, task, p.Code)
	case "complaint":
		err = e.complaint(ctx, tx, task, p, outcomeID)
	default:
		err = fmt.Errorf("outcome code %q has unknown effect %q", p.Code, code.Effect)
	}
	if err != nil {
		return nil, fmt.Errorf("record outcome %s: %w", p.Code, err)
	}
	if err := e.afterOutcome(ctx, tx, task, outcomeID, answers, agent); err != nil {
		return nil, fmt.Errorf("record outcome %s: %w", p.Code, err)
	}
	if p.Code == "appointment" && p.AppointmentAt != nil {
		if err := e.bookFromCall(ctx, task, outcomeID, *p.AppointmentAt, agent); err != nil {
			return nil, fmt.Errorf("record outcome %s: %w", p.Code, err)
		}
	}
	if p.SMSOptOut {
		if err := e.smsOptOut(ctx, task.Phone, p.Notes); err != nil {
			return nil, err
		}
	}
	var agentID int64
	if agent != nil {
		agentID = *agent
	}
	if err := e.writeBack(ctx, tx, task, p.Code, p.WriteBack.merge(WriteBackFromAnswers(answers)), outcomeID, agentID); err != nil {
		return nil, fmt.Errorf("record outcome %s: %w", p.Code, err)
	}
	if err := keepSnapshot(ctx, tx, p.DealerID, outcomeID, task.CustomerID, before); err != nil {
		return nil, err
	}
	status, err := q.GetCallTaskStatus(ctx, task.ID)
	if err != nil {
		return nil, fmt.Errorf("record outcome: task status: %w", err)
	}
	if err := q.SetCallOutcomeResult(ctx, store.SetCallOutcomeResultParams{ID: outcomeID, Effect: code.Effect, TaskStatus: status}); err != nil {
		return nil, fmt.Errorf("record outcome: %w", err)
	}
	if err := audit(ctx, q, p.DealerID, p.AgentUserID, "call.outcome", task.ID, map[string]any{
		"client_id": p.ClientID, "code": p.Code, "effect": code.Effect, "outcome_id": outcomeID,
		"task_status_before": task.Status, "task_status": status,
	}); err != nil {
		return nil, err
	}
	return &OutcomeResult{OutcomeID: outcomeID, Effect: code.Effect, TaskStatus: status}, nil
}

// effector applies outcome effects to tasks inside one transaction.
type effector struct {
	q        *store.Queries
	dealerID int64
	now      time.Time
	pol      Policy
}

// today returns the dealer's calendar day at e.now.
func (e effector) today(ctx context.Context) (time.Time, error) {
	d, err := e.q.LocalDay(ctx, store.LocalDayParams{At: e.now, DealerID: e.dealerID})
	if err != nil {
		return time.Time{}, fmt.Errorf("dealer %d local day: %w", e.dealerID, err)
	}
	return d, nil
}

// count adds one customer attempt to the task and returns the lifetime count.
func (e effector) count(ctx context.Context, taskID int64) (int, error) {
	today, err := e.today(ctx)
	if err != nil {
		return 0, err
	}
	row, err := e.q.CountTaskAttempt(ctx, store.CountTaskAttemptParams{Today: today, Now: e.now, ID: taskID})
	if err != nil {
		return 0, fmt.Errorf("count attempt task %d: %w", taskID, err)
	}
	return int(row.Attempts), nil
}

// retry counts the attempt (when count) and either closes the task as unreachable after
// the lifetime limit or puts it back in the queue after the code's retry spacing.
func (e effector) retry(ctx context.Context, taskID int64, code string, count bool) (string, *time.Time, error) {
	oc, err := e.q.GetOutcomeCode(ctx, store.GetOutcomeCodeParams{Code: code, DealerID: &e.dealerID})
	if err != nil {
		return "", nil, fmt.Errorf("outcome code %q: %w", code, err)
	}
	if count {
		n, err := e.count(ctx, taskID)
		if err != nil {
			return "", nil, err
		}
		if n >= e.pol.MaxAttempts {
			return StatusUnreachable, nil, e.close(ctx, taskID, StatusUnreachable, code)
		}
	}
	wait, ok := e.pol.retryAfter(code)
	if !ok {
		wait = time.Duration(oc.RetryMinutes) * time.Minute
	}
	nb := e.now.Add(wait)
	if err := e.q.RetryTaskLater(ctx, store.RetryTaskLaterParams{NotBefore: nb, Outcome: code, Now: e.now, ID: taskID}); err != nil {
		return "", nil, fmt.Errorf("retry task %d: %w", taskID, err)
	}
	return StatusOpen, &nb, nil
}

// close closes an open task with status and marks its open reasons handled.
func (e effector) close(ctx context.Context, taskID int64, status, code string) error {
	if err := e.q.CloseCallTask(ctx, store.CloseCallTaskParams{Status: status, Outcome: code, Now: e.now, ID: taskID}); err != nil {
		return fmt.Errorf("close task %d: %w", taskID, err)
	}
	if err := e.q.SetOpenReasonsStatus(ctx, store.SetOpenReasonsStatusParams{Status: "handled", TaskIds: []int64{taskID}}); err != nil {
		return fmt.Errorf("close task %d reasons: %w", taskID, err)
	}
	return nil
}

// callback schedules the task for the callback time, for the agent or for anyone.
func (e effector) callback(ctx context.Context, taskID int64, code string, at time.Time, mine bool, agent *int64) error {
	day, err := e.q.LocalDay(ctx, store.LocalDayParams{At: at, DealerID: e.dealerID})
	if err != nil {
		return fmt.Errorf("callback day: %w", err)
	}
	var assigned *int64
	if mine {
		if agent == nil {
			return errors.New("a callback for \"mine\" needs the agent")
		}
		assigned = agent
	}
	if err := e.q.ScheduleCallback(ctx, store.ScheduleCallbackParams{
		CallbackAt: at, AssignedUserID: assigned, CallbackDay: day, Outcome: code, Now: e.now, ID: taskID,
	}); err != nil {
		return fmt.Errorf("callback task %d: %w", taskID, err)
	}
	return nil
}

// invalid marks the customer's phone invalid and closes the task as invalid.
func (e effector) invalid(ctx context.Context, task store.LockCallTaskRow, code string) error {
	if err := e.q.MarkPhoneInvalid(ctx, store.MarkPhoneInvalidParams{Now: e.now, ID: task.CustomerID}); err != nil {
		return fmt.Errorf("mark phone of customer %d invalid: %w", task.CustomerID, err)
	}
	if task.Status != StatusOpen {
		return nil
	}
	return e.close(ctx, task.ID, StatusInvalid, code)
}

// doNotCall puts the phone on the do-not-call list, cancels every open task of the
// phone (this task's reasons handled, the others' suppressed) and suppresses its queued SMS.
// smsOptOut opts the phone out of the dealer's marketing SMS, as the agent heard it.
func (e effector) smsOptOut(ctx context.Context, phone, notes string) error {
	detail := strings.TrimSpace(notes)
	if detail == "" {
		detail = "通话中要求不再接收营销短信"
	}
	detail = string([]rune(detail)[:min(len([]rune(detail)), 200)])
	if err := e.q.SetSMSConsent(ctx, store.SetSMSConsentParams{DealerID: e.dealerID, Phone: phone, State: "opted_out", // queue/notify.ConsentOptedOut

		Source: "agent", Detail: detail, At: e.now}); err != nil {
		return fmt.Errorf("sms opt-out %s: %w", phone, err)
	}
	if _, err := e.q.SuppressQueuedMarketingSMS(ctx, store.SuppressQueuedMarketingSMSParams{Reason: "opted out", DealerID: e.dealerID, Phone: phone}); err != nil {
		return fmt.Errorf("sms opt-out %s: %w", phone, err)
	}
	return nil
}

func (e effector) doNotCall(ctx context.Context, task store.LockCallTaskRow, code string) error {
	if err := e.q.InsertDoNotCall(ctx, store.InsertDoNotCallParams{
		DealerID: e.dealerID, Phone: task.Phone, Reason: code, Source: "call_outcome", Now: e.now,
	}); err != nil {
		return fmt.Errorf("do-not-call %s: %w", task.Phone, err)
	}
	if task.Status == StatusOpen {
		if err := e.q.SetOpenReasonsStatus(ctx, store.SetOpenReasonsStatusParams{Status: "handled", TaskIds: []int64{task.ID}}); err != nil {
			return fmt.Errorf("do-not-call task %d reasons: %w", task.ID, err)
		}
	}
	ids, err := e.q.CancelOpenTasksForPhone(ctx, store.CancelOpenTasksForPhoneParams{
		Outcome: code, Now: e.now, DealerID: e.dealerID, Phone: task.Phone,
	})
	if err != nil {
		return fmt.Errorf("do-not-call %s: cancel tasks: %w", task.Phone, err)
	}
	if err := e.q.SetOpenReasonsStatus(ctx, store.SetOpenReasonsStatusParams{Status: "suppressed", TaskIds: ids}); err != nil {
		return fmt.Errorf("do-not-call %s: suppress reasons: %w", task.Phone, err)
	}
	if _, err := e.q.SuppressQueuedSMS(ctx, store.SuppressQueuedSMSParams{
		Reason: "do not call", DealerID: e.dealerID, Phone: task.Phone,
	}); err != nil {
		return fmt.Errorf("do-not-call %s: suppress SMS: %w", task.Phone, err)
	}
	return nil
}

// complaint opens a complaint for the customer (queue/complaints.go: its owner, severity
// and deadlines, the call and recording it came from) and closes the task as done.
func (e effector) complaint(ctx context.Context, tx pgx.Tx, task store.LockCallTaskRow, p OutcomeParams, outcomeID int64) error {
	if _, err := OpenComplaintTx(ctx, tx, OpenComplaintParams{
		DealerID: e.dealerID, CustomerID: task.CustomerID, Category: p.ComplaintCategory, Description: p.Notes,
		Source: ComplaintFromCall, UserID: p.AgentUserID, OutcomeID: outcomeID, AttemptID: p.AttemptID, Now: e.now,
	}); err != nil {
		return fmt.Errorf("open complaint for customer %d: %w", task.CustomerID, err)
	}
	if task.Status != StatusOpen {
		return nil
	}
	return e.close(ctx, task.ID, StatusDone, p.Code)
}

// audit writes one audit_log row about a call task.
func audit(ctx context.Context, q *store.Queries, dealerID, userID int64, action string, taskID int64, detail map[string]any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	var user *int64
	if userID != 0 {
		user = &userID
	}
	if err := q.InsertAudit(ctx, store.InsertAuditParams{
		DealerID: &dealerID, UserID: user, Action: action, SubjectType: "call_task", SubjectID: &taskID, Detail: b,
	}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
