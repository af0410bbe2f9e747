package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// The keys of a message call and what they mean.
const (
	// KeyCallback (1): the owner wants an appointment; an agent calls back.
	KeyCallback = "1"
	// KeyNotInterested (2): the owner is not interested.
	KeyNotInterested = "2"
	// KeyDoNotCall (9): the owner asks never to be called again.
	KeyDoNotCall = "9"
)

// callbackPriority is the priority of the call task a key 1 creates: the owner is waiting
// for us, so it comes before every maintenance and care call (below complaints and the
// same-day visit).
const callbackPriority = 85

// MessageCallRequest is one recorded-message call to place.
type MessageCallRequest struct {
	// DealerID, BroadcastID, TargetID and CustomerID identify the call for the call record.
	DealerID, BroadcastID, TargetID, CustomerID int64
	// Phone is the number to call.
	Phone string
	// PromptPath is the broadcast's prompt (8000 Hz 16-bit WAV).
	PromptPath string
}

// MessageCallResult is what the gateway reports for one message call.
type MessageCallResult struct {
	// CallID is the call's SIP Call-ID.
	CallID string
	// Outcome is one of queue.CallAnswered, CallBusy, ... queue.CallTrunkFailure.
	Outcome string
	// Digit is the key pressed, "" for none.
	Digit string
}

// MessageDialer places message calls: the telephony gateway's message-call path (prompt,
// one DTMF key), wired by cmd.
type MessageDialer interface {
	// MessageCall calls, plays the prompt, reads one key and hangs up.
	MessageCall(ctx context.Context, r MessageCallRequest) (MessageCallResult, error)
}

// MessageCallBroadcastParams starts a message-call broadcast.
type MessageCallBroadcastParams struct {
	// DealerID is the calling dealer.
	DealerID int64
	// Code identifies the run; starting it twice adds nobody twice.
	Code string
	// PromptPath is the WAV played to each owner.
	PromptPath string
	// CustomerIDs are the owners to call.
	CustomerIDs []int64
	// CreatedBy is the user who started it, recorded in the audit
	// (message_call_broadcast.start) in the same transaction; zero for none (the CLI).
	CreatedBy int64
	// PromptText is the prompt's text, for the audit; Audience is the audience as given
	// (ResolveAudience), for the audit; both may be empty.
	PromptText string
	Audience   *Audience
}

// MessageCallBroadcastResult counts the targets StartMessageCallBroadcast added.
type MessageCallBroadcastResult struct {
	// BroadcastID is the broadcasts row (channel message_call).
	BroadcastID int64
	// Added targets will be called; Suppressed are do-not-call or invalid numbers.
	Added, Suppressed int
}

// StartMessageCallBroadcast records the broadcast and one target per owner: pending, or
// suppressed for do-not-call and invalid numbers.
func StartMessageCallBroadcast(ctx context.Context, db *pgxpool.Pool, p MessageCallBroadcastParams) (*MessageCallBroadcastResult, error) {
	if err := ValidateBroadcastCode(p.Code); err != nil {
		return nil, err
	}
	if p.PromptPath == "" {
		return nil, fieldErr("prompt", "message-call broadcast %s: the prompt is required", p.Code)
	}
	res := &MessageCallBroadcastResult{}
	err := store.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := store.New(tx)
		existing, err := CheckBroadcastCode(ctx, tx, p.DealerID, p.Code, ChannelMessageCall)
		if err != nil {
			return err
		}
		var by *int64
		if p.CreatedBy > 0 {
			by = &p.CreatedBy
		}
		bc, err := q.EnsureBroadcast(ctx, store.EnsureBroadcastParams{
			DealerID: p.DealerID, Code: p.Code, Channel: "message_call", PromptPath: p.PromptPath, CreatedBy: by,
		})
		if err != nil {
			return fmt.Errorf("message-call broadcast %s: %w", p.Code, err)
		}
		res.BroadcastID = bc.ID
		rows, err := q.AudienceCustomers(ctx, store.AudienceCustomersParams{DealerID: p.DealerID, Ids: p.CustomerIDs})
		if err != nil {
			return fmt.Errorf("message-call broadcast %s: %w", p.Code, err)
		}
		for _, r := range rows {
			status, result := "pending", ""
			dnc, err := q.PhoneOnDoNotCall(ctx, store.PhoneOnDoNotCallParams{DealerID: p.DealerID, Phone: r.Phone})
			if err != nil {
				return err
			}
			if dnc || !r.PhoneValid {
				status, result = "suppressed", "do_not_call"
				if !r.PhoneValid {
					result = "invalid_number"
				}
			}
			id := r.ID
			n, err := q.InsertMessageCallTarget(ctx, store.InsertMessageCallTargetParams{
				BroadcastID: bc.ID, DealerID: p.DealerID, CustomerID: &id, Phone: r.Phone, Status: status, Result: result,
			})
			if err != nil {
				return fmt.Errorf("message-call broadcast %s: %w", p.Code, err)
			}
			if n == 0 {
				continue
			}
			if status == "pending" {
				res.Added++
			} else {
				res.Suppressed++
			}
		}
		if p.CreatedBy == 0 {
			return nil
		}
		d := map[string]any{"code": p.Code, "prompt": p.PromptText, "prompt_path": bc.PromptPath, "prompt_kept": existing != nil,
			"customers": len(p.CustomerIDs), "added": res.Added, "suppressed": res.Suppressed}
		if p.Audience != nil {
			d["audience"], d["reasons"], d["unknown"] = p.Audience.SMS.kind(), p.Audience.SMS.Reasons, p.Audience.Unknown
		}
		detail, _ := json.Marshal(d)
		return audit(ctx, q, p.DealerID, p.CreatedBy, "message_call_broadcast.start", "broadcast", &bc.ID, detail)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// MessageCallRunParams runs a round of message calls for a dealer.
type MessageCallRunParams struct {
	// DealerID is the dealer.
	DealerID int64
	// Max is how many calls this round places; zero means 10.
	Max int
	// Parallel is how many calls are up at once; zero means 4.
	Parallel int
	// Now is the clock; zero means time.Now().
	Now time.Time
	// Policy overrides the dealer's attempt rules (zero fields keep them).
	Policy queue.Policy
}

// MessageCallRunResult counts one round.
type MessageCallRunResult struct {
	// Closed says the calling window is shut (outside the hours or a holiday) and when it opens.
	Closed *queue.ClosedError
	// Called is how many calls were placed; Keys counts the keys pressed.
	Called int
	Keys   map[string]int
}

// RunMessageCalls places up to Max due message calls of the dealer, within the calling
// window (none outside it or on a holiday), and applies each result: key 1 creates (or
// joins) a call task for an agent with a message_callback reason; key 2 records not
// interested; key 9 puts the number on the do-not-call list and opts it out of marketing
// SMS; an answer without a key is done. Busy, no answer and unreachable are retried after
// the dealer's spacings, at most the dealer's attempts per day and per task, then the
// target closes as unreachable; an invalid number closes it; a trunk failure is not an
// attempt and the target is tried again a minute later.
func RunMessageCalls(ctx context.Context, db *pgxpool.Pool, dialer MessageDialer, p MessageCallRunParams) (*MessageCallRunResult, error) {
	if p.Max <= 0 {
		p.Max = 10
	}
	if p.Parallel <= 0 {
		p.Parallel = 4
	}
	if p.Now.IsZero() {
		p.Now = time.Now()
	}
	q := store.New(db)
	res := &MessageCallRunResult{Keys: map[string]int{}}
	closed, err := queue.WindowClosed(ctx, q, p.DealerID, p.Now)
	if err != nil {
		return nil, err
	}
	if closed != nil {
		res.Closed = closed
		return res, nil
	}
	pol, err := queue.LoadPolicy(ctx, db, p.DealerID, p.Policy)
	if err != nil {
		return nil, err
	}
	targets, err := q.ClaimMessageCallTargets(ctx, store.ClaimMessageCallTargetsParams{Now: p.Now, DealerID: p.DealerID, Max: int32(p.Max)})
	if err != nil {
		return nil, fmt.Errorf("message calls dealer %d: claim: %w", p.DealerID, err)
	}
	prompts := map[int64]string{}
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, p.Parallel)
	var wg sync.WaitGroup
	for _, t := range targets {
		prompt, ok := prompts[t.BroadcastID]
		if !ok {
			var c store.Broadcast
			c, err = broadcastByID(ctx, db, t.BroadcastID)
			if err != nil {
				return nil, err
			}
			prompt = c.PromptPath
			prompts[t.BroadcastID] = prompt
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(t store.MessageCallTarget, prompt string) {
			defer wg.Done()
			defer func() { <-sem }()
			var cust int64
			if t.CustomerID != nil {
				cust = *t.CustomerID
			}
			r, err := dialer.MessageCall(ctx, MessageCallRequest{DealerID: t.DealerID, BroadcastID: t.BroadcastID,
				TargetID: t.ID, CustomerID: cust, Phone: t.Phone, PromptPath: prompt})
			if err != nil {
				r = MessageCallResult{Outcome: queue.CallTrunkFailure}
			}
			aerr := applyMessageCall(ctx, db, t, r, pol, p.Now)
			mu.Lock()
			defer mu.Unlock()
			res.Called++
			if r.Outcome == queue.CallAnswered {
				res.Keys[r.Digit]++
			}
			if aerr != nil && firstErr == nil {
				firstErr = aerr
			}
		}(t, prompt)
	}
	wg.Wait()
	return res, firstErr
}

// broadcastByID reads a broadcast's row (broadcasts).
func broadcastByID(ctx context.Context, db *pgxpool.Pool, id int64) (store.Broadcast, error) {
	var c store.Broadcast
	err := db.QueryRow(ctx, `SELECT id, code, prompt_path FROM broadcasts WHERE id = $1`, id).Scan(&c.ID, &c.Code, &c.PromptPath)
	if err != nil {
		return c, fmt.Errorf("message-call broadcast %d: %w", id, err)
	}
	return c, nil
}

// applyMessageCall records one call's result on its target (locked, so a result is
// applied once: a target no longer 'calling' is left alone).
func applyMessageCall(ctx context.Context, db *pgxpool.Pool, t store.MessageCallTarget, r MessageCallResult, pol queue.Policy, now time.Time) error {
	return store.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := store.New(tx)
		cur, err := q.LockMessageCallTarget(ctx, t.ID)
		if err != nil {
			return fmt.Errorf("message call target %d: %w", t.ID, err)
		}
		if cur.Status != "calling" {
			return nil
		}
		d, err := q.GetDealerWindow(ctx, cur.DealerID)
		if err != nil {
			return err
		}
		loc, err := time.LoadLocation(d.TimeZone)
		if err != nil {
			return err
		}
		l := now.In(loc)
		today := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
		u := store.UpdateMessageCallTargetParams{
			ID: cur.ID, Now: now, Status: "pending", Attempts: cur.Attempts, AttemptsToday: cur.AttemptsToday,
			LastAttemptDay: cur.LastAttemptDay, LastCallID: r.CallID, LastOutcome: r.Outcome, Key: r.Digit,
			CallbackTaskID: cur.CallbackTaskID,
		}
		if r.Outcome != queue.CallTrunkFailure {
			if cur.LastAttemptDay == nil || !cur.LastAttemptDay.Equal(today) {
				u.AttemptsToday = 0
			}
			u.Attempts++
			u.AttemptsToday++
			u.LastAttemptDay = &today
		}
		switch r.Outcome {
		case queue.CallAnswered:
			u.Status = "done"
			switch r.Digit {
			case KeyCallback:
				u.Result = "callback"
				id, err := callbackTask(ctx, q, cur, today, now)
				if err != nil {
					return err
				}
				u.CallbackTaskID = &id
			case KeyNotInterested:
				u.Result = "not_interested"
			case KeyDoNotCall:
				u.Result = "do_not_call"
				if err := q.InsertDoNotCallNumber(ctx, store.InsertDoNotCallNumberParams{
					DealerID: cur.DealerID, Phone: cur.Phone, Reason: "按9: 不希望再接到来电", Source: "message_call",
				}); err != nil {
					return err
				}
				if err := q.SetSMSConsent(ctx, store.SetSMSConsentParams{DealerID: cur.DealerID, Phone: cur.Phone,
					State: "opted_out", Source: "message_call", Detail: "key 9", At: now}); err != nil {
					return err
				}
				if _, err := q.SuppressQueuedSMS(ctx, store.SuppressQueuedSMSParams{Reason: "do not call", DealerID: cur.DealerID, Phone: cur.Phone}); err != nil {
					return err
				}
			case "":
				u.Result = "no_key"
			default:
				u.Result = "other_key"
			}
		case queue.CallInvalidNumber:
			u.Status, u.Result = "invalid", "invalid_number"
		case queue.CallTrunkFailure:
			nb := now.Add(time.Minute)
			u.NotBefore = &nb
		default:
			wait := pol.RetryWait(r.Outcome)
			switch {
			case int(u.Attempts) >= pol.MaxAttempts:
				u.Status, u.Result = "unreachable", "unreachable"
			case int(u.AttemptsToday) >= pol.MaxAttemptsPerDay:
				next, err := queue.NextOpening(ctx, q, cur.DealerID, d.TimeZone, queue.Clock(d.CallWindowStart), now)
				if err != nil {
					return err
				}
				u.NotBefore = &next
			default:
				nb := now.Add(wait)
				u.NotBefore = &nb
			}
		}
		return q.UpdateMessageCallTarget(ctx, u)
	})
}

// callbackTask gives the owner a call task with a message_callback reason due today.
func callbackTask(ctx context.Context, q *store.Queries, t store.MessageCallTarget, today, now time.Time) (int64, error) {
	if t.CustomerID == nil {
		return 0, fmt.Errorf("message call target %d: no customer for the callback", t.ID)
	}
	exp := today.AddDate(0, 0, 3)
	id, err := q.UpsertCallbackTask(ctx, store.UpsertCallbackTaskParams{
		DealerID: t.DealerID, CustomerID: *t.CustomerID, Priority: callbackPriority, DueDay: today, ExpiresDay: exp,
	})
	if err != nil {
		return 0, fmt.Errorf("message call target %d: callback task: %w", t.ID, err)
	}
	facts, _ := json.Marshal(map[string]any{"broadcast_id": t.BroadcastID, "target_id": t.ID, "key": KeyCallback, "at": now})
	if err := q.InsertCallbackReason(ctx, store.InsertCallbackReasonParams{
		DealerID: t.DealerID, TaskID: id, CustomerID: *t.CustomerID, Occurrence: fmt.Sprintf("mc:%d", t.ID),
		Priority: callbackPriority, DueDay: today, ExpiresDay: exp,
		Text: fmt.Sprintf("语音通知按1: 希望预约 (%s)", now.Format("2006-01-02 15:04")), Facts: facts,
	}); err != nil {
		return 0, fmt.Errorf("message call target %d: callback reason: %w", t.ID, err)
	}
	return id, nil
}
