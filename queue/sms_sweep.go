package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/store"
)

// SMSSweepResult counts what one SMS sweep did.
type SMSSweepResult struct {
	// Released held messages whose time came: their sms:send outbox rows are written.
	Released int
	// Requeued messages had been claimed by a sender that never finished and the
	// provider never reported them: they go back to the queue.
	Requeued int64
	// Rereleased messages were released more than the claim timeout ago and are still
	// queued (their task was lost with Redis, or waits in a long retry): they get a new
	// sms:send outbox row.
	Rereleased int64
}

// SweepSMS runs the SMS housekeeping once: it releases up to batch held messages whose
// not_before has passed (one transaction writes their outbox rows), and requeues the
// messages claimed before now-claimTimeout that have no provider report (their sender
// died before submitting: a gateway that accepted a message reports it, Kannel with its
// "submitted" DLR), and releases again the messages released before now-claimTimeout that
// no run has claimed (a Redis that restarted without its data lost their tasks; nothing
// acknowledged in Postgres is lost). Run it every few seconds; several sweeps may run at once.
func SweepSMS(ctx context.Context, db *pgxpool.Pool, now time.Time, claimTimeout time.Duration, batch int) (*SMSSweepResult, error) {
	if batch <= 0 {
		batch = 1000
	}
	if claimTimeout <= 0 {
		claimTimeout = 10 * time.Minute
	}
	res := &SMSSweepResult{}
	n, err := store.New(db).RequeueStaleSending(ctx, now.Add(-claimTimeout))
	if err != nil {
		return nil, fmt.Errorf("sms sweep: requeue: %w", err)
	}
	res.Requeued = n
	lost, err := store.New(db).RereleaseStaleQueued(ctx, now.Add(-claimTimeout))
	if err != nil {
		return nil, fmt.Errorf("sms sweep: re-release: %w", err)
	}
	res.Rereleased = lost
	for {
		var ids []int64
		err := store.WithTx(ctx, db, func(tx pgx.Tx) error {
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

// CampaignStats is the director's view of a dealer's automated campaigns since a time:
// per SMS campaign and template, and per message-call campaign.
type CampaignStats struct {
	// SMS has one row per campaign and template ("" campaign: messages outside campaigns,
	// such as the leave-store SMS).
	SMS []store.CampaignSMSStatsRow `json:"sms"`
	// Calls has one row per message-call campaign, with the keys pressed.
	Calls []store.CampaignCallStatsRow `json:"calls"`
}

// LoadCampaignStats returns the campaign figures of a dealer since since.
func LoadCampaignStats(ctx context.Context, db store.DBTX, dealerID int64, since time.Time) (*CampaignStats, error) {
	q := store.New(db)
	s, err := q.CampaignSMSStats(ctx, store.CampaignSMSStatsParams{DealerID: dealerID, Since: since})
	if err != nil {
		return nil, fmt.Errorf("campaign stats: %w", err)
	}
	c, err := q.CampaignCallStats(ctx, store.CampaignCallStatsParams{DealerID: dealerID, Since: since})
	if err != nil {
		return nil, fmt.Errorf("campaign stats: %w", err)
	}
	return &CampaignStats{SMS: s, Calls: c}, nil
}
