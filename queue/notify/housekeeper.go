package notify

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/huifang/huifang/store"
)

// HousekeeperConfig configures a Housekeeper. Zero intervals take the defaults.
type HousekeeperConfig struct {
	// DB holds the messages, broadcasts and targets.
	DB *pgxpool.Pool
	// Log receives a line per round that did something, and the errors; nil means
	// slog.Default().
	Log *slog.Logger
	// Now is the clock of every round; nil means time.Now. It must be the workers' clock
	// (queue.WorkerConfig.Now, HandlerConfig.Now): the sweep compares it with their
	// heartbeats and claims.
	Now func() time.Time
	// Confirmer asks the provider about stranded messages (SMSSweep.Confirmer); nil marks
	// them uncertain.
	Confirmer Confirmer
	// Dialer returns the dialer for one round of message calls (a new one each round,
	// so a prompt file is read again each round); nil places no message calls (no SIP
	// gateway).
	Dialer func() MessageDialer
	// Recovered counts the sweep's recoveries by kind (label "what": sms_uncertain,
	// sms_confirmed, sms_requeued, sms_rereleased); nil counts nothing.
	Recovered *prometheus.CounterVec

	// SweepEvery is how often the SMS sweep runs (default 5 s).
	SweepEvery time.Duration
	// DailyEvery is how often each dealer's daily broadcasts are started, which adds
	// nothing when they already ran that day (default 10 min).
	DailyEvery time.Duration
	// NoticesEvery is how often the service notices due are queued (default 1 min: "at
	// once" is within a minute).
	NoticesEvery time.Duration
	// CallsEvery is how often a round of due message calls is placed (default 15 s).
	CallsEvery time.Duration
}

// Housekeeper runs notify's periodic work in one goroutine, from Start to Shutdown: the
// SMS sweep (SMSSweep: held messages released, stranded claims settled, never sent again
// blindly), each dealer's daily broadcasts (DailySMSBroadcasts) and service notices
// (QueueServiceNotices), both also at Start, and with a Dialer each dealer's due message
// calls (RunMessageCalls, inside the calling window). One round runs at a time.
type Housekeeper struct {
	cfg    HousekeeperConfig
	log    *slog.Logger
	sweep  *SMSSweep
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewHousekeeper returns a Housekeeper for cfg; Start runs it.
func NewHousekeeper(cfg HousekeeperConfig) *Housekeeper {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	for _, d := range []struct {
		every *time.Duration
		def   time.Duration
	}{{&cfg.SweepEvery, 5 * time.Second}, {&cfg.DailyEvery, 10 * time.Minute}, {&cfg.NoticesEvery, time.Minute}, {&cfg.CallsEvery, 15 * time.Second}} {
		if *d.every <= 0 {
			*d.every = d.def
		}
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	return &Housekeeper{cfg: cfg, log: log, sweep: &SMSSweep{DB: cfg.DB, Confirmer: cfg.Confirmer, Log: log}}
}

// Start runs the daily broadcasts and the service notices once, then every round at its
// interval until Shutdown. ctx's values are kept, its end is not: Shutdown stops it.
func (h *Housekeeper) Start(ctx context.Context) {
	ctx, h.cancel = context.WithCancel(context.WithoutCancel(ctx))
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		h.run(ctx)
	}()
}

// Shutdown stops the rounds and waits for the one running, or until ctx ends.
func (h *Housekeeper) Shutdown(ctx context.Context) error {
	if h.cancel == nil {
		return nil
	}
	h.cancel()
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("notify housekeeper: shutdown: %w", ctx.Err())
	}
}

func (h *Housekeeper) run(ctx context.Context) {
	sweep := time.NewTicker(h.cfg.SweepEvery)
	defer sweep.Stop()
	daily := time.NewTicker(h.cfg.DailyEvery)
	defer daily.Stop()
	notices := time.NewTicker(h.cfg.NoticesEvery)
	defer notices.Stop()
	var calls <-chan time.Time
	if h.cfg.Dialer != nil {
		t := time.NewTicker(h.cfg.CallsEvery)
		defer t.Stop()
		calls = t.C
	}
	h.daily(ctx)
	h.notices(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			h.sweepOnce(ctx)
		case <-daily.C:
			h.daily(ctx)
		case <-notices.C:
			h.notices(ctx)
		case <-calls:
			h.messageCalls(ctx)
		}
	}
}

// sweepOnce runs the SMS sweep, with one log line for a sweep that changed anything and
// the recoveries counted: stranded messages marked uncertain (with their ids), settled
// by the provider, released again.
func (h *Housekeeper) sweepOnce(ctx context.Context) {
	res, err := h.sweep.Run(ctx, h.cfg.Now())
	if err != nil && ctx.Err() == nil {
		h.log.Error("sms sweep", "err", err)
	}
	if res == nil {
		return
	}
	if c := h.cfg.Recovered; c != nil {
		c.WithLabelValues("sms_uncertain").Add(float64(len(res.Uncertain)))
		c.WithLabelValues("sms_confirmed").Add(float64(res.Confirmed))
		c.WithLabelValues("sms_requeued").Add(float64(res.Requeued))
		c.WithLabelValues("sms_rereleased").Add(float64(res.Rereleased))
	}
	switch {
	case len(res.Uncertain) > 0 || res.Confirmed > 0 || res.Requeued > 0 || res.Rereleased > 0:
		ids := res.Uncertain
		if len(ids) > 20 {
			ids = ids[:20]
		}
		h.log.Warn("sms sweep: recovered after a fault", "uncertain", len(res.Uncertain), "uncertain_ids", ids,
			"confirmed", res.Confirmed, "requeued", res.Requeued, "rereleased", res.Rereleased, "released", res.Released)
	case res.Released > 0:
		h.log.Info("sms sweep", "released", res.Released)
	}
}

// eachDealer runs f for every dealer, logging its errors under what.
func (h *Housekeeper) eachDealer(ctx context.Context, what string, f func(d store.Dealer) error) {
	dealers, err := store.New(h.cfg.DB).ListDealers(ctx)
	if err != nil {
		h.log.Error(what, "err", err)
		return
	}
	for _, d := range dealers {
		if err := f(d); err != nil && ctx.Err() == nil {
			h.log.Error(what, "dealer", d.Code, "err", err)
		}
	}
}

// daily starts today's SMS broadcasts of every dealer.
func (h *Housekeeper) daily(ctx context.Context) {
	now := h.cfg.Now()
	q := store.New(h.cfg.DB)
	h.eachDealer(ctx, "daily sms", func(d store.Dealer) error {
		day, err := q.LocalDay(ctx, store.LocalDayParams{At: now, DealerID: d.ID})
		if err != nil {
			return err
		}
		_, err = DailySMSBroadcasts(ctx, h.cfg.DB, d.ID, day, now)
		return err
	})
}

// notices queues every dealer's appointment reminders and thank-you SMS that are due now.
func (h *Housekeeper) notices(ctx context.Context) {
	now := h.cfg.Now()
	h.eachDealer(ctx, "service notices", func(d store.Dealer) error {
		res, err := QueueServiceNotices(ctx, h.cfg.DB, d.ID, now)
		if err != nil {
			return err
		}
		if res.Reminders+res.ThankYous+res.Suppressed > 0 {
			h.log.Info("service notices queued", "dealer", d.Code, "reminders", res.Reminders, "thank_you", res.ThankYous, "suppressed", res.Suppressed)
		}
		return nil
	})
}

// messageCalls places a round of due message calls for every dealer.
func (h *Housekeeper) messageCalls(ctx context.Context) {
	dialer := h.cfg.Dialer()
	h.eachDealer(ctx, "message calls", func(d store.Dealer) error {
		res, err := RunMessageCalls(ctx, h.cfg.DB, dialer, MessageCallRunParams{DealerID: d.ID, Now: h.cfg.Now()})
		if err == nil && res != nil && res.Called > 0 {
			h.log.Info("message calls", "dealer", d.Code, "called", res.Called, "keys", res.Keys)
		}
		return err
	})
}
