package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/store"
)

// SMSSweepResult counts what one SMS sweep did.
type SMSSweepResult struct {
	// Released held messages whose time came: their sms:send outbox rows are written.
	Released int
	// Rereleased messages were released more than the claim timeout ago and are still
	// queued (their task waits in a long retry, or was lost with Redis and the outbox
	// check did not run): they get a new sms:send outbox row.
	Rereleased int64
	// Uncertain are the messages found stranded in 'sending' (their worker died, or the
	// claim is older than the claim timeout) that nobody can say reached the provider:
	// now 'uncertain', for a delivery report or a director to settle.
	Uncertain []int64
	// Confirmed stranded messages the provider said it accepted: now 'sent'.
	Confirmed int
	// Requeued stranded messages the provider said it never accepted: queued again.
	Requeued int
	// Later stranded messages the provider could not say anything about yet (its error
	// has a Later method that reports true): left in sending for the next sweep.
	Later int
}

// Recovered reports whether the sweep changed anything worth a log line.
func (r *SMSSweepResult) Recovered() bool {
	return r.Released > 0 || r.Rereleased > 0 || len(r.Uncertain) > 0 || r.Confirmed > 0 || r.Requeued > 0
}

// SMSSweep is the SMS housekeeping; Run does one pass. Several sweeps may run at once.
type SMSSweep struct {
	// DB holds the messages.
	DB *pgxpool.Pool
	// ClaimTimeout strands any claim older than it, whoever holds it (a worker that
	// hangs); zero means 10 minutes.
	ClaimTimeout time.Duration
	// WorkerTimeout strands the claims of a worker whose heartbeat is older than it (a
	// killed worker; a stopped one removes its heartbeat and is stranded at once); zero
	// means 15 seconds, three heartbeats.
	WorkerTimeout time.Duration
	// Batch is how many held messages one transaction releases; zero means 1000.
	Batch int
	// Confirmer asks the provider about stranded messages; nil marks them uncertain.
	Confirmer Confirmer
	// Log receives a line per message the provider settled; nil means slog.Default().
	Log *slog.Logger
}

// SweepSMS runs an SMSSweep with the claim timeout and batch given and no Confirmer.
func SweepSMS(ctx context.Context, db *pgxpool.Pool, now time.Time, claimTimeout time.Duration, batch int) (*SMSSweepResult, error) {
	return (&SMSSweep{DB: db, ClaimTimeout: claimTimeout, Batch: batch}).Run(ctx, now)
}

// Run sweeps once: it settles the stranded messages (claimed by a worker that died, or
// longer ago than the claim timeout, with no provider report): sent or queued again
// where the provider confirms, 'uncertain' everywhere else, never sent again blindly.
// It releases again the messages released before now-ClaimTimeout that no run has
// claimed, and releases the held messages whose not_before has passed (one transaction
// per Batch writes their outbox rows).
func (s *SMSSweep) Run(ctx context.Context, now time.Time) (*SMSSweepResult, error) {
	batch := s.Batch
	if batch <= 0 {
		batch = 1000
	}
	claimTimeout := s.ClaimTimeout
	if claimTimeout <= 0 {
		claimTimeout = 10 * time.Minute
	}
	workerTimeout := s.WorkerTimeout
	if workerTimeout <= 0 {
		workerTimeout = 15 * time.Second
	}
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	q := store.New(s.DB)
	res := &SMSSweepResult{}
	stranded, err := q.StrandedSMS(ctx, store.StrandedSMSParams{
		ClaimedBefore: now.Add(-claimTimeout), DeadBefore: now.Add(-workerTimeout), Max: int32(batch),
	})
	if err != nil {
		return nil, fmt.Errorf("sms sweep: stranded: %w", err)
	}
	var unsure []int64
	for _, m := range stranded {
		settled, err := s.confirm(ctx, q, m, now, res)
		var later interface{ Later() bool }
		if errors.As(err, &later) && later.Later() {
			res.Later++ // the provider cannot say yet: left in sending, asked again next sweep
			continue
		}
		if err != nil {
			log.Warn("sms sweep: the provider could not confirm a stranded message", "id", m.ID, "err", err)
		}
		if !settled {
			unsure = append(unsure, m.ID)
		}
	}
	if len(unsure) > 0 {
		ids, err := q.MarkSMSUncertain(ctx, store.MarkSMSUncertainParams{
			Reason: "状态不明: the sender stopped between the claim and the provider's answer", Ids: unsure,
		})
		if err != nil {
			return res, fmt.Errorf("sms sweep: mark uncertain: %w", err)
		}
		res.Uncertain = ids
	}
	if _, err := q.DeleteDeadQueueWorkers(ctx, now.Add(-time.Hour)); err != nil {
		return res, fmt.Errorf("sms sweep: forget dead workers: %w", err)
	}
	lost, err := q.RereleaseStaleQueued(ctx, now.Add(-claimTimeout))
	if err != nil {
		return res, fmt.Errorf("sms sweep: re-release: %w", err)
	}
	res.Rereleased = lost
	for {
		var ids []int64
		err := store.WithTx(ctx, s.DB, func(tx pgx.Tx) error {
			var err error
			ids, err = store.New(tx).ReleaseDueSMS(ctx, store.ReleaseDueSMSParams{Now: now, Max: int32(batch)})
			return err
		})
		if err != nil {
			return res, fmt.Errorf("sms sweep: release: %w", err)
		}
		res.Released += len(ids)
		if len(ids) < batch {
			return res, nil
		}
	}
}

// confirm asks the Confirmer about a stranded message and applies a sure answer; it
// reports whether the message is settled.
func (s *SMSSweep) confirm(ctx context.Context, q *store.Queries, m store.StrandedSMSRow, now time.Time, res *SMSSweepResult) (bool, error) {
	if s.Confirmer == nil {
		return false, nil
	}
	var at time.Time
	if m.ClaimedAt != nil {
		at = *m.ClaimedAt
	}
	accepted, known, pid, err := s.Confirmer.Confirm(ctx, OutgoingSMS{ID: m.ID, Phone: m.Phone, Body: m.Body, Template: m.Template}, at)
	if err != nil || !known {
		return false, err
	}
	if accepted {
		provider := m.Provider
		if p, ok := s.Confirmer.(Provider); ok {
			provider = p.Name()
		}
		n, err := q.ConfirmSMSAccepted(ctx, store.ConfirmSMSAcceptedParams{At: now, Provider: provider, ProviderID: pid, ID: m.ID})
		if err != nil {
			return false, err
		}
		res.Confirmed += int(n)
		return true, nil
	}
	n, err := q.RequeueUnacceptedSMS(ctx, m.ID)
	if err != nil {
		return false, err
	}
	res.Requeued += int(n)
	return true, nil
}

// BroadcastStats is the director's view of a dealer's broadcasts since a time:
// per SMS broadcast and template, and per message-call broadcast.
type BroadcastStats struct {
	// SMS has one row per broadcast and template ("" broadcast: messages outside broadcasts,
	// such as the leave-store SMS).
	SMS []store.BroadcastSMSStatsRow `json:"sms"`
	// Calls has one row per message-call broadcast, with the keys pressed.
	Calls []store.BroadcastCallStatsRow `json:"calls"`
}

// LoadBroadcastStats returns the broadcast figures of a dealer since since.
func LoadBroadcastStats(ctx context.Context, db store.DBTX, dealerID int64, since time.Time) (*BroadcastStats, error) {
	q := store.New(db)
	s, err := q.BroadcastSMSStats(ctx, store.BroadcastSMSStatsParams{DealerID: dealerID, Since: since})
	if err != nil {
		return nil, fmt.Errorf("broadcast stats: %w", err)
	}
	c, err := q.BroadcastCallStats(ctx, store.BroadcastCallStatsParams{DealerID: dealerID, Since: since})
	if err != nil {
		return nil, fmt.Errorf("broadcast stats: %w", err)
	}
	return &BroadcastStats{SMS: s, Calls: c}, nil
}
