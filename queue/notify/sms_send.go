package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// Provider is an SMS gateway (Kannel, a cloud provider). Submit hands one message over
// and returns the provider's id for it. An error may say more through the methods
// Permanent() bool (retrying cannot help) and InDoubt() bool (the gateway may have
// accepted the message).
type Provider interface {
	// Name is stored on each message the provider sent.
	Name() string
	// Submit sends m (Kannel its Body; a cloud provider its template, parameters and
	// signature); m.ID is our message id, for delivery reports.
	Submit(ctx context.Context, m OutgoingSMS) (providerID string, err error)
}

// OutgoingSMS is a claimed message as a Provider gets it.
type OutgoingSMS = store.OutgoingSMS

// ProviderSender is the Sender of real SMS. Each message goes to the customer at most
// once, and every message is accounted for. The sender first takes a slot of the
// provider's rate limit, then claims the message in Postgres (status queued → sending,
// with the claiming worker's id), so that it holds claimed only what goes out at once;
// only the run that made the claim submits it, and a second run of the same task, a
// duplicate task, or a worker restarted after a crash finds the message no longer
// queued and sends nothing. The claim applies the rules that can change between
// queueing and sending: do-not-call numbers and (for marketing) opted-out numbers are
// suppressed, and marketing messages inside the dealer's quiet hours (21:00-08:00, or
// the wider QuietHours the dealer set) are held until they end (not_before; the SMS
// sweep releases them then).
//
// A message is recorded as sent the moment the provider accepts it. A refused
// submission (Permanent) fails the message; an ordinary error gives the claim back and
// returns the error, so Asynq retries the task with its backoff, until MaxAttempts; an
// InDoubt error keeps the claim. A message left in 'sending' (an InDoubt answer, or a
// worker killed between the claim and the record) may have reached the customer: the
// SMS sweep never sends it again blindly. It asks the provider (Confirmer) when it can,
// and otherwise marks it 'uncertain' (状态不明) for a director to decide.
type ProviderSender struct {
	// DB holds sms_messages.
	DB *pgxpool.Pool
	// Provider submits the messages.
	Provider Provider
	// Limiter caps the provider's rate; nil means no cap.
	Limiter *RateLimiter
	// MaxAttempts is how many submissions a message gets before it fails; zero means 5.
	MaxAttempts int
	// Parallel is how many submissions of one batch are in flight at once; zero means 16.
	Parallel int
	// RecordFor is how long the sender keeps trying to record a message the provider
	// accepted when Postgres does not answer; zero means 2 minutes.
	RecordFor time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives a line for each message that failed for good or was left in doubt;
	// nil means slog.Default().
	Log *slog.Logger
}

// Confirmer is a Provider that can say, for a message left in 'sending', whether it
// accepted it. The SMS sweep asks it before marking a message uncertain.
type Confirmer interface {
	// Confirm looks m up at the provider: accepted with the provider's id, not accepted
	// (known and !accepted: the message may be sent again), or unknown (known false).
	// An error with a method Later() bool that reports true means the provider cannot
	// say yet: the message stays in 'sending' and is asked about at the next sweep.
	Confirm(ctx context.Context, m OutgoingSMS, claimedAt time.Time) (accepted, known bool, providerID string, err error)
}

func (s *ProviderSender) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// Send claims msg, checks it may go out now, submits it and records the result.
func (s *ProviderSender) Send(ctx context.Context, msg SMS) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	maxAttempts := s.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 5
	}
	q := store.New(s.DB)
	name := s.Provider.Name()
	// The rate-limit slot first, so that the claim is submitted at once.
	if s.Limiter != nil {
		if err := s.Limiter.Wait(ctx, name); err != nil {
			return fmt.Errorf("sms %d: %w", msg.ID, err)
		}
	}
	// The common case in one statement; when it claims nothing, the transaction below
	// finds out why (sent already, do-not-call, opted out, quiet hours).
	var claimed *sendClaim
	by := queue.WorkerID(ctx)
	fast, err := q.ClaimSMSFast(ctx, store.ClaimSMSFastParams{Now: now(), ClaimedBy: by, ID: msg.ID})
	switch {
	case err == nil:
		claimed = newSendClaim(fast.ID, fast.Phone, fast.Body, int(fast.Attempts), fast.Template, fast.Vars, fast.Signature, fast.ProviderTemplate, fast.TemplateBody)
	case !errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("sms %d: claim: %w", msg.ID, err)
	default:
		claimed, err = s.claimSlow(ctx, msg.ID, now(), by)
		if err != nil || claimed == nil {
			return err
		}
	}
	return s.submit(ctx, q, claimed, maxAttempts, now)
}

// submit hands a claimed message to the provider and records the answer at once.
func (s *ProviderSender) submit(ctx context.Context, q *store.Queries, c *sendClaim, maxAttempts int, now func() time.Time) error {
	name := s.Provider.Name()
	pid, err := s.Provider.Submit(ctx, c.msg)
	if err != nil {
		err = s.submitFailed(ctx, q, c, err, maxAttempts)
		if errors.Is(err, asynq.SkipRetry) {
			s.log().Warn("sms not sent, not retried", "id", c.id, "attempts", c.attempts, "err", err)
		}
		return err
	}
	if err := s.recordSubmitted(ctx, q, store.MarkSMSSubmittedParams{Now: now(), Provider: name, ProviderID: pid, ID: c.id}); err != nil {
		// The provider has it: the message stays claimed, and the sweep marks it
		// uncertain unless a delivery report moves it first. It is never sent again.
		s.log().Error("sms accepted by the provider but not recorded; left for the sweep", "id", c.id, "err", err)
		return fmt.Errorf("sms %d: submitted but not recorded: %w: %w", c.id, err, asynq.SkipRetry)
	}
	return nil
}

// recordSubmitted records that the provider accepted a message. That is a fact the
// sender alone knows, so a Postgres that does not answer (a restart, a failover, a
// broken connection) is tried again, 100 ms doubling up to 5 s, for up to RecordFor; a
// message whose record failed would otherwise stay claimed by a live worker until the
// claim timeout (ten minutes), and then be uncertain although it was sent. The retries go
// on when ctx ends (a worker stopping) until one more try after it ended.
func (s *ProviderSender) recordSubmitted(ctx context.Context, q *store.Queries, p store.MarkSMSSubmittedParams) error {
	recordFor := s.RecordFor
	if recordFor <= 0 {
		recordFor = 2 * time.Minute
	}
	deadline := time.Now().Add(recordFor)
	wait := 100 * time.Millisecond
	for {
		err := q.MarkSMSSubmitted(context.WithoutCancel(ctx), p)
		if err == nil || time.Now().Add(wait).After(deadline) || ctx.Err() != nil {
			return err
		}
		s.log().Warn("sms accepted by the provider, record failed; trying again", "id", p.ID, "in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// sendClaim is a message this run claimed; attempts counts this submission.
type sendClaim struct {
	id       int64
	msg      OutgoingSMS
	attempts int
}

// claimSlow locks the message, applies the gates (suppress, defer) and claims it when it
// may go; nil means there is nothing to send.
func (s *ProviderSender) claimSlow(ctx context.Context, id int64, t time.Time, by string) (*sendClaim, error) {
	var claimed *sendClaim
	err := store.WithTx(ctx, s.DB, func(tx pgx.Tx) error {
		q := store.New(tx)
		m, err := q.LockSMSForSend(ctx, store.LockSMSForSendParams{Now: t, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("sms %d: no such message: %w", id, asynq.SkipRetry)
		}
		if err != nil {
			return fmt.Errorf("sms %d: lock: %w", id, err)
		}
		if m.Status != "queued" {
			return nil // claimed, sent or closed by another run
		}
		switch {
		case m.DoNotCall:
			return q.SuppressSMS(ctx, store.SuppressSMSParams{Reason: "do not call", ID: m.ID})
		case m.Kind == "marketing" && m.OptedOut:
			return q.SuppressSMS(ctx, store.SuppressSMSParams{Reason: "opted out", ID: m.ID})
		case m.Kind == "marketing" && StoredQuietHours(m.QuietStart, m.QuietEnd).Contains(queue.Clock(m.LocalTime)):
			loc, err := time.LoadLocation(m.TimeZone)
			if err != nil {
				return fmt.Errorf("sms %d: dealer time zone %q: %w", m.ID, m.TimeZone, err)
			}
			end := StoredQuietHours(m.QuietStart, m.QuietEnd).NextEnd(t, loc)
			return q.DeferSMS(ctx, store.DeferSMSParams{NotBefore: end, ID: m.ID})
		}
		// Every SMS carries the dealer's signature; texts written elsewhere without one
		// get it here.
		if !strings.HasPrefix(m.Body, "【") {
			m.Body = "【" + m.Signature + "】" + m.Body
		}
		if err := q.ClaimSMS(ctx, store.ClaimSMSParams{Now: t, ClaimedBy: by, Body: m.Body, ID: m.ID}); err != nil {
			return fmt.Errorf("sms %d: claim: %w", m.ID, err)
		}
		claimed = newSendClaim(m.ID, m.Phone, m.Body, int(m.Attempts)+1, m.Template, m.Vars, m.Signature, m.ProviderTemplate, m.TemplateBody)
		return nil
	})
	return claimed, err
}

// submitFailed records a failed submission of a claimed message: a refused message
// (Permanent) fails, an InDoubt one stays claimed for the sweep, one that used its last
// attempt fails, and any other gives the claim back and returns the error for a retry.
func (s *ProviderSender) submitFailed(ctx context.Context, q *store.Queries, claimed *sendClaim, err error, maxAttempts int) error {
	var perm interface{ Permanent() bool }
	var doubt interface{ InDoubt() bool }
	switch {
	case errors.As(err, &perm) && perm.Permanent():
		if ferr := q.FailSMS(context.WithoutCancel(ctx), store.FailSMSParams{Error: err.Error(), ID: claimed.id}); ferr != nil {
			return fmt.Errorf("sms %d: %v; mark failed: %w", claimed.id, err, ferr)
		}
		return fmt.Errorf("sms %d: %w: %w", claimed.id, err, asynq.SkipRetry)
	case errors.As(err, &doubt) && doubt.InDoubt():
		return fmt.Errorf("sms %d: outcome unknown, left claimed for the sweep: %w: %w", claimed.id, err, asynq.SkipRetry)
	case claimed.attempts >= maxAttempts:
		if ferr := q.FailSMS(context.WithoutCancel(ctx), store.FailSMSParams{Error: err.Error(), ID: claimed.id}); ferr != nil {
			return fmt.Errorf("sms %d: %v; mark failed: %w", claimed.id, err, ferr)
		}
		return fmt.Errorf("sms %d: failed after %d attempts: %w: %w", claimed.id, maxAttempts, err, asynq.SkipRetry)
	}
	return s.giveBack(ctx, q, claimed.id, err)
}

// giveBack returns a claim after a submission that surely did not happen, and returns
// cause for Asynq to retry.
func (s *ProviderSender) giveBack(ctx context.Context, q *store.Queries, id int64, cause error) error {
	if err := q.ReleaseSMSClaim(context.WithoutCancel(ctx), store.ReleaseSMSClaimParams{Error: cause.Error(), ID: id}); err != nil {
		return fmt.Errorf("sms %d: %v; give back claim: %w", id, cause, err)
	}
	return fmt.Errorf("sms %d: %w", id, cause)
}
