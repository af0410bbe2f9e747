package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/store"
)

// Policy holds the queue-policy numbers of docs/domain.md ("Taking a task and calling") that the take,
// attempts and outcomes apply. The attempt limits and retry spacings are the dealer's
// rules (LoadRules: attempts_per_day, attempts_per_task, retry_*_minutes); the take
// timeout and skip delay are the engine's own.
type Policy struct {
	// MaxAttemptsPerDay is how many customer attempts (calls that did not reach the
	// customer; trunk failures excluded) a task may have on one day.
	MaxAttemptsPerDay int
	// MaxAttempts is how many such attempts a task may have in its life; after the last
	// one, the task closes as unreachable.
	MaxAttempts int
	// RetryBusy, RetryNoAnswer and RetryUnreachable space the retries after a busy
	// (or declined) line, no answer, and a phone switched off or unreachable. Other
	// retry outcome codes a director adds use their outcome_codes.retry_minutes.
	RetryBusy        time.Duration
	RetryNoAnswer    time.Duration
	RetryUnreachable time.Duration
	// TakeTimeout is how long a taken task stays with its agent without an attempt or an
	// outcome; after it, the task returns to the queue and is flagged for the director.
	TakeTimeout time.Duration
	// SkipDelay is how long a task the agent skipped (Release) waits before anyone may
	// take it again, so the same agent is not handed it straight back.
	SkipDelay time.Duration
}

// The engine's own policy numbers (not campaign rules).
const (
	defaultTakeTimeout = 20 * time.Minute
	defaultSkipDelay   = 15 * time.Minute
)

// PolicyFromRules returns the policy a dealer's rules set.
func PolicyFromRules(r Rules) Policy {
	return Policy{
		MaxAttemptsPerDay: r.Get("attempts_per_day"),
		MaxAttempts:       r.Get("attempts_per_task"),
		RetryBusy:         time.Duration(r.Get("retry_busy_minutes")) * time.Minute,
		RetryNoAnswer:     time.Duration(r.Get("retry_no_answer_minutes")) * time.Minute,
		RetryUnreachable:  time.Duration(r.Get("retry_unreachable_minutes")) * time.Minute,
		TakeTimeout:       defaultTakeTimeout,
		SkipDelay:         defaultSkipDelay,
	}
}

// DefaultPolicy returns the policy of the default rules (docs/domain.md): three attempts a day,
// five in a task's life, retries after 30 minutes (busy), 2 hours (no answer) and
// 4 hours (switched off).
func DefaultPolicy() Policy {
	return PolicyFromRules(DefaultRules())
}

// over returns p with every non-zero field of o put over it.
func (p Policy) over(o Policy) Policy {
	if o.MaxAttemptsPerDay > 0 {
		p.MaxAttemptsPerDay = o.MaxAttemptsPerDay
	}
	if o.MaxAttempts > 0 {
		p.MaxAttempts = o.MaxAttempts
	}
	if o.RetryBusy > 0 {
		p.RetryBusy = o.RetryBusy
	}
	if o.RetryNoAnswer > 0 {
		p.RetryNoAnswer = o.RetryNoAnswer
	}
	if o.RetryUnreachable > 0 {
		p.RetryUnreachable = o.RetryUnreachable
	}
	if o.TakeTimeout > 0 {
		p.TakeTimeout = o.TakeTimeout
	}
	if o.SkipDelay > 0 {
		p.SkipDelay = o.SkipDelay
	}
	return p
}

// retryAfter returns the spacing the policy sets for an outcome code, if it sets one.
func (p Policy) retryAfter(code string) (time.Duration, bool) {
	switch code {
	case "busy":
		return p.RetryBusy, true
	case "no_answer":
		return p.RetryNoAnswer, true
	case "switched_off":
		return p.RetryUnreachable, true
	}
	return 0, false
}

// LoadPolicy returns the dealer's policy (its rules) with o's non-zero fields over it.
// (Take reads the attempt limits inside its own statement, from the same settings.)
func LoadPolicy(ctx context.Context, db store.DBTX, dealerID int64, o Policy) (Policy, error) {
	r, err := LoadRules(ctx, db, dealerID)
	if err != nil {
		return Policy{}, fmt.Errorf("dealer %d policy: %w", dealerID, err)
	}
	return PolicyFromRules(r).over(o), nil
}

// ErrNoTask is returned by Take when no task is ready for the agent now.
var ErrNoTask = errors.New("queue: no task is ready for this agent")

// ErrOutsideWindow is returned by Take, inside a *ClosedError, outside the dealer's
// calling window.
var ErrOutsideWindow = errors.New("queue: outside the calling window")

// ErrHoliday is returned by Take, inside a *ClosedError, on one of the dealer's holidays.
var ErrHoliday = errors.New("queue: the dealer is closed for a holiday")

// ErrUnknownAgent is returned when the agent is not an active user of the dealer.
var ErrUnknownAgent = errors.New("queue: the agent is not an active user of this dealer")

// ClosedError says that no call may be placed now and when the window opens next. It
// wraps ErrOutsideWindow or ErrHoliday, so callers test it with errors.Is.
type ClosedError struct {
	// Err is ErrOutsideWindow or ErrHoliday.
	Err error
	// NextOpen is the next instant calls may be placed (window start on the next
	// working day), in the dealer's zone.
	NextOpen time.Time
}

// Error says why and until when the queue is closed.
func (e *ClosedError) Error() string {
	return fmt.Sprintf("%v; next opening %s", e.Err, e.NextOpen.Format("2006-01-02 15:04 MST"))
}

// Unwrap returns ErrOutsideWindow or ErrHoliday.
func (e *ClosedError) Unwrap() error { return e.Err }

// TakeParams says who takes a task and when.
type TakeParams struct {
	// DealerID is the dealer whose queue is worked.
	DealerID int64
	// AgentUserID is the agent (users.id) taking the task.
	AgentUserID int64
	// Now is the current instant; zero means time.Now(). Tests inject a clock here.
	Now time.Time
	// Policy overrides the dealer's policy; zero fields keep the dealer's rules.
	Policy Policy
}

// TakenTask is a task handed to one agent: the task, the customer to call and why.
type TakenTask struct {
	// ID is call_tasks.id.
	ID int64
	// CustomerID is the customer to call.
	CustomerID int64
	// CustomerName and CustomerTitle address the customer (张三 先生).
	CustomerName  string
	CustomerTitle string
	// Phone is the number to dial.
	Phone string
	// Priority, DueDay and ExpiresDay are the merged values of the task's reasons.
	Priority   int
	DueDay     time.Time
	ExpiresDay time.Time
	// Campaigns are the campaign codes the task carries.
	Campaigns []string
	// Reasons are the open reasons in words, highest priority first.
	Reasons []string
	// Attempts and AttemptsToday count the customer attempts made so far.
	Attempts      int
	AttemptsToday int
	// Flagged is true when the task was once abandoned by an agent (taken and left).
	Flagged bool
	// WasStale is true when this take reclaimed a task another take had abandoned.
	WasStale bool
	// TakenAt is when the task was taken.
	TakenAt time.Time
}

// Take atomically hands the agent the next task to call, for the dialer and the console
// alike. It honours the dealer's calling window and holidays, due and expiry days, retry
// spacing and callbacks (not_before), the daily and lifetime attempt limits, pinned
// agents and owning consultants, do-not-call and invalid numbers, and it never hands a
// task another agent holds (SELECT ... FOR UPDATE SKIP LOCKED). A task taken longer ago
// than Policy.TakeTimeout is handed out again and flagged for the director. Tasks are
// taken by priority (highest first), then due day, then id.
//
// It returns ErrNoTask when nothing is ready, and a *ClosedError wrapping
// ErrOutsideWindow or ErrHoliday when no call may be placed now.
func Take(ctx context.Context, db *pgxpool.Pool, p TakeParams) (*TakenTask, error) {
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	def := DefaultPolicy()
	timeout := p.Policy.TakeTimeout
	if timeout <= 0 {
		timeout = def.TakeTimeout
	}
	// The statement checks the window, holidays and the dealer's attempt limits itself;
	// only when it takes nothing do we ask why. Two settings hold for the take only, set
	// LOCAL in its transaction (the BEGIN carries them, so the take costs no extra round
	// trip) and so never left on a connection, even behind a transaction pooler that
	// hands the next transaction to another client:
	//   - plan_cache_mode: its custom plans cost more to make than to run (planning was
	//     most of a take), so it runs with the cached generic plan;
	//   - synchronous_commit off: a take is a soft reservation, so it does not wait for
	//     the WAL flush (the slow tail of a take). A server crash within a fraction of a
	//     second after a take can forget it, and the task is then simply untaken; the
	//     row lock still serialises live takes, and attempts and outcomes stay durable.
	tx, err := db.BeginTx(ctx, pgx.TxOptions{BeginQuery: "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL synchronous_commit = off"})
	if err != nil {
		return nil, fmt.Errorf("take dealer %d: %w", p.DealerID, err)
	}
	// After Commit the rollback does nothing.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	q := store.New(tx) // one connection per take: never wait for a second one
	row, err := q.TakeNextTask(ctx, store.TakeNextTaskParams{
		AgentUserID:            p.AgentUserID,
		Now:                    now,
		StaleBefore:            now.Add(-timeout),
		AttemptsPerDayOverride: int32(p.Policy.MaxAttemptsPerDay),
		DefaultAttemptsPerDay:  int32(def.MaxAttemptsPerDay),
		AttemptsOverride:       int32(p.Policy.MaxAttempts),
		DefaultAttempts:        int32(def.MaxAttempts),
		DealerID:               p.DealerID,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, whyNoTask(ctx, q, p, now)
	}
	if err != nil {
		return nil, fmt.Errorf("take dealer %d agent %d: %w", p.DealerID, p.AgentUserID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("take dealer %d agent %d: commit: %w", p.DealerID, p.AgentUserID, err)
	}
	return &TakenTask{
		ID:            row.ID,
		CustomerID:    row.CustomerID,
		CustomerName:  row.CustomerName,
		CustomerTitle: row.CustomerTitle,
		Phone:         row.Phone,
		Priority:      int(row.Priority),
		DueDay:        row.DueDay,
		ExpiresDay:    row.ExpiresDay,
		Campaigns:     row.Campaigns,
		Reasons:       row.Reasons,
		Attempts:      int(row.Attempts),
		AttemptsToday: int(row.AttemptsToday),
		Flagged:       row.Flagged,
		WasStale:      row.WasStale,
		TakenAt:       now,
	}, nil
}

// whyNoTask explains an empty take: an unknown agent, a holiday, outside the window
// (a *ClosedError with the next opening), or simply no task ready (ErrNoTask).
func whyNoTask(ctx context.Context, q *store.Queries, p TakeParams, now time.Time) error {
	tc, err := q.TakeContext(ctx, store.TakeContextParams{Now: now, AgentUserID: p.AgentUserID, DealerID: p.DealerID})
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !tc.Active) {
		return fmt.Errorf("take dealer %d agent %d: %w", p.DealerID, p.AgentUserID, ErrUnknownAgent)
	}
	if err != nil {
		return fmt.Errorf("take dealer %d: %w", p.DealerID, err)
	}
	start, end := Clock(tc.CallWindowStart), Clock(tc.CallWindowEnd)
	local := Clock(tc.LocalTime)
	// Past the general window only same-day visits may be called; when none is ready,
	// the queue is closed for this agent until the next opening.
	if !tc.Holiday && local >= start && local < end {
		return ErrNoTask
	}
	cause := ErrOutsideWindow
	if tc.Holiday {
		cause = ErrHoliday
	}
	next, err := NextOpening(ctx, q, p.DealerID, tc.TimeZone, start, now)
	if err != nil {
		return err
	}
	return &ClosedError{Err: cause, NextOpen: next}
}

// ReturnStale puts every task taken longer ago than timeout (zero: the default take
// timeout) back in the queue, flagged for the director, and returns how many it returned.
// Take reclaims such tasks by itself; the scheduler also runs this every minute so the
// director sees abandoned tasks even when nobody takes them.
func ReturnStale(ctx context.Context, db store.DBTX, now time.Time, timeout time.Duration) (int64, error) {
	if timeout <= 0 {
		timeout = defaultTakeTimeout
	}
	n, err := store.New(db).ReturnStaleTasks(ctx, store.ReturnStaleTasksParams{Now: now, StaleBefore: now.Add(-timeout)})
	if err != nil {
		return 0, fmt.Errorf("return stale tasks: %w", err)
	}
	return n, nil
}

// ReleaseParams says which taken task an agent gives back, and why.
type ReleaseParams struct {
	// DealerID and TaskID name the task.
	DealerID int64
	TaskID   int64
	// AgentUserID is the agent holding it.
	AgentUserID int64
	// Reason is why the agent skipped the task, kept in the audit log.
	Reason string
	// Delay is how long the task waits before anyone takes it again; zero means
	// Policy.SkipDelay.
	Delay time.Duration
	// Now is the current instant; zero means time.Now().
	Now time.Time
	// Policy overrides the default skip delay; zero fields keep the defaults.
	Policy Policy
	// Skip records the release as the agent's skip (call_skips, listed in the directors'
	// call records with Reason); false is a give-back that is not the agent's choice.
	Skip bool
}

// ErrNotTaken is returned by Release when the agent does not hold the task.
var ErrNotTaken = errors.New("queue: the task is not taken by this agent")

// Release gives a taken task back to the queue without an attempt (the agent skipped
// it), not to be taken again before the delay, and records the skip and its reason in
// the audit log and, for the agent's own skip (Skip), in call_skips.
func Release(ctx context.Context, db *pgxpool.Pool, p ReleaseParams) error {
	if p.Reason == "" {
		return errors.New("release: a reason is required")
	}
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	delay := p.Delay
	if delay <= 0 {
		delay = DefaultPolicy().over(p.Policy).SkipDelay
	}
	return store.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := store.New(tx)
		_, err := q.ReleaseTask(ctx, store.ReleaseTaskParams{
			Now: now, NotBefore: now.Add(delay), ID: p.TaskID, DealerID: p.DealerID, AgentUserID: p.AgentUserID,
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("release task %d: %w", p.TaskID, ErrNotTaken)
		}
		if err != nil {
			return fmt.Errorf("release task %d: %w", p.TaskID, err)
		}
		if p.Skip {
			var agent *int64
			if p.AgentUserID != 0 {
				agent = &p.AgentUserID
			}
			if err := q.InsertCallSkip(ctx, store.InsertCallSkipParams{
				AgentUserID: agent, Reason: p.Reason, Now: now, TaskID: p.TaskID, DealerID: p.DealerID,
			}); err != nil {
				return fmt.Errorf("release task %d: record the skip: %w", p.TaskID, err)
			}
		}
		return audit(ctx, q, p.DealerID, p.AgentUserID, "call.skip", p.TaskID, map[string]any{
			"reason": p.Reason, "not_before": now.Add(delay), "skip": p.Skip,
		})
	})
}

// NextOpening returns the next window start strictly after now (today's start when now
// is before it), skipping the dealer's holidays.
func NextOpening(ctx context.Context, q *store.Queries, dealerID int64, zone string, start time.Duration, now time.Time) (time.Time, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("dealer %d time zone %q: %w", dealerID, zone, err)
	}
	hols, err := q.ListHolidays(ctx, dealerID)
	if err != nil {
		return time.Time{}, fmt.Errorf("dealer %d holidays: %w", dealerID, err)
	}
	closed := make(map[string]bool, len(hols))
	for _, h := range hols {
		closed[h.Day.Format(time.DateOnly)] = true
	}
	l := now.In(loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	for i := 0; i < 400; i++ {
		open := time.Date(day.Year(), day.Month(), day.Day(),
			int(start/time.Hour), int(start%time.Hour/time.Minute), int(start%time.Minute/time.Second), 0, loc)
		if open.After(now) && !closed[day.Format(time.DateOnly)] {
			return open, nil
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}, fmt.Errorf("dealer %d: no working day within 400 days", dealerID)
}
