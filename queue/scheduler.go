package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/robfig/cron/v3"

	"github.com/huifang/huifang/store"
)

// SchedulerConfig configures a Scheduler.
type SchedulerConfig struct {
	// DB lists the dealers and their time zones.
	DB *pgxpool.Pool
	// Redis is the Asynq broker; the scheduler does not close it.
	Redis redis.UniversalClient
	// Log receives the scheduler's log lines.
	Log *slog.Logger
	// BuildAt is the local time of day ("HH:MM") of each dealer's daily build; empty
	// means "00:05", shortly after midnight.
	BuildAt string
	// SampleAt is the local time of day ("HH:MM") of each dealer's spot-check sample of
	// the day before (SampleSpotChecks); empty means "07:00".
	SampleAt string
	// SyncInterval is how often the dealer list is read again, to schedule dealers
	// created later and follow time zone changes; zero means one minute.
	SyncInterval time.Duration
	// Now is the clock that names the day of a build; nil means time.Now.
	Now func() time.Time
}

// Scheduler enqueues each dealer's daily queue build shortly after midnight in the
// dealer's own time zone, and on every sync enqueues today's build again if Redis lost it. Every build it enqueues carries the task id
// "build:<dealer>:<day>" and is retained in Redis for a day and a half, so any number of
// scheduler processes (and restarts) make one build per dealer per day; a conflict on
// that id means another scheduler was first. When it starts, and when it sees a new
// dealer, it also enqueues today's build, which is a no-op if it ran already.
//
// It runs on robfig/cron, the cron Asynq's own Scheduler uses, with one entry per dealer
// (CRON_TZ=<zone>). It does not use asynq.Scheduler because that fixes a task's options
// when the entry is registered, and the task id must name the day the build fires on.
// Its life cycle is NewScheduler, Start, Shutdown.
type Scheduler struct {
	cfg    SchedulerConfig
	hour   int
	minute int
	sample int // minutes after midnight of the spot-check sample
	client *asynq.Client
	cron   *cron.Cron
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	entries map[int64]scheduled // guarded by mu
}

// scheduled is one dealer's cron entry.
type scheduled struct {
	zone string
	id   cron.EntryID
}

// buildRetention keeps a daily build's task id taken in Redis for the rest of its day.
const buildRetention = 36 * time.Hour

// NewScheduler checks cfg and returns a scheduler that is not running yet.
func NewScheduler(cfg SchedulerConfig) (*Scheduler, error) {
	if cfg.DB == nil || cfg.Redis == nil {
		return nil, errors.New("queue scheduler: DB and Redis are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.BuildAt == "" {
		cfg.BuildAt = "00:05"
	}
	at, err := time.Parse("15:04", cfg.BuildAt)
	if err != nil {
		return nil, fmt.Errorf("queue scheduler: build time %q is not HH:MM", cfg.BuildAt)
	}
	if cfg.SampleAt == "" {
		cfg.SampleAt = "07:00"
	}
	sampleAt, err := time.Parse("15:04", cfg.SampleAt)
	if err != nil {
		return nil, fmt.Errorf("queue scheduler: sample time %q is not HH:MM", cfg.SampleAt)
	}
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Scheduler{
		cfg:     cfg,
		hour:    at.Hour(),
		minute:  at.Minute(),
		sample:  sampleAt.Hour()*60 + sampleAt.Minute(),
		client:  asynq.NewClientFromRedisClient(cfg.Redis),
		cron:    cron.New(),
		entries: map[int64]scheduled{},
	}, nil
}

// Start schedules every dealer, enqueues today's builds, and until Shutdown keeps the
// dealer list in sync and returns abandoned taken tasks to the queue (ReturnStale).
func (s *Scheduler) Start(ctx context.Context) error {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	if err := s.sync(ctx); err != nil {
		cancel()
		return err
	}
	s.cron.Start()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(s.cfg.SyncInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.sync(ctx); err != nil && ctx.Err() == nil {
					s.cfg.Log.Error("queue scheduler: sync dealers", "err", err)
				}
				if n, err := ReturnStale(ctx, s.cfg.DB, s.cfg.Now(), 0); err != nil && ctx.Err() == nil {
					s.cfg.Log.Error("queue scheduler", "err", err)
				} else if n > 0 {
					s.cfg.Log.Warn("queue scheduler: abandoned tasks returned to the queue and flagged", "tasks", n)
				}
			}
		}
	}()
	return nil
}

// Shutdown stops scheduling and waits for an enqueue in flight.
func (s *Scheduler) Shutdown() {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	<-s.cron.Stop().Done()
	_ = s.client.Close()
}

// dailySpec is the cron spec of a dealer's daily build.
func (s *Scheduler) dailySpec(zone string) string {
	return fmt.Sprintf("CRON_TZ=%s %d %d * * *", zone, s.minute, s.hour)
}

// sync makes the cron entries match the dealers: new dealers are scheduled (and their
// today's build enqueued), changed zones rescheduled, deleted dealers dropped.
func (s *Scheduler) sync(ctx context.Context) error {
	dealers, err := store.New(s.cfg.DB).ListDealers(ctx)
	if err != nil {
		return fmt.Errorf("queue scheduler: list dealers: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[int64]bool{}
	for _, d := range dealers {
		seen[d.ID] = true
		if err := s.enqueueSample(ctx, d.ID, d.TimeZone); err != nil {
			s.cfg.Log.Error("queue scheduler: enqueue the spot-check sample", "dealer", d.Code, "err", err)
		}
		old, ok := s.entries[d.ID]
		if ok && old.zone == d.TimeZone {
			// Redis may have lost today's build (a flush, a restart without persistence):
			// once its time has passed, enqueue it again; the task id collapses it when
			// Redis still holds it.
			if s.pastBuildTime(d.TimeZone) {
				if err := s.enqueueDaily(ctx, d.ID, d.TimeZone); err != nil {
					s.cfg.Log.Error("queue scheduler: enqueue today's build", "dealer", d.Code, "err", err)
				}
			}
			continue
		}
		if _, err := time.LoadLocation(d.TimeZone); err != nil {
			s.cfg.Log.Error("queue scheduler: dealer has a bad time zone; not scheduled", "dealer", d.Code, "zone", d.TimeZone, "err", err)
			continue
		}
		if ok {
			s.cron.Remove(old.id)
		}
		dealerID, zone := d.ID, d.TimeZone
		id, err := s.cron.AddFunc(s.dailySpec(zone), func() {
			if err := s.enqueueDaily(ctx, dealerID, zone); err != nil {
				s.cfg.Log.Error("queue scheduler: enqueue daily build", "dealer", dealerID, "err", err)
			}
		})
		if err != nil {
			return fmt.Errorf("queue scheduler: dealer %s: %w", d.Code, err)
		}
		s.entries[d.ID] = scheduled{zone: zone, id: id}
		if !ok {
			// Catch up: today's build, unless a scheduler already enqueued it.
			if err := s.enqueueDaily(ctx, dealerID, zone); err != nil {
				s.cfg.Log.Error("queue scheduler: enqueue today's build", "dealer", d.Code, "err", err)
			}
		}
	}
	for id, e := range s.entries {
		if !seen[id] {
			s.cron.Remove(e.id)
			delete(s.entries, id)
		}
	}
	return nil
}

// pastBuildTime reports whether the daily build time has passed today in zone.
func (s *Scheduler) pastBuildTime(zone string) bool {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return false
	}
	l := s.cfg.Now().In(loc)
	return l.Hour()*60+l.Minute() >= s.hour*60+s.minute
}

// dailyBuildID is the deterministic task id of a dealer's build for a day.
func dailyBuildID(dealerID int64, day time.Time) string {
	return fmt.Sprintf("build:%d:%s", dealerID, day.Format(time.DateOnly))
}

// enqueueDaily enqueues the dealer's build for its current local day; a task id conflict
// means another scheduler (or an earlier start) enqueued it, which is fine.
func (s *Scheduler) enqueueDaily(ctx context.Context, dealerID int64, zone string) error {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return fmt.Errorf("dealer %d time zone %q: %w", dealerID, zone, err)
	}
	l := s.cfg.Now().In(loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
	task, err := NewBuildTask(dealerID, day)
	if err != nil {
		return err
	}
	_, err = s.client.EnqueueContext(ctx, task, asynq.TaskID(dailyBuildID(dealerID, day)), asynq.Retention(buildRetention))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("enqueue build dealer %d day %s: %w", dealerID, day.Format(time.DateOnly), err)
	}
	s.cfg.Log.Info("queue scheduler: build enqueued", "dealer", dealerID, "day", day.Format(time.DateOnly))
	return nil
}

// enqueueSample enqueues the dealer's spot-check sample of yesterday once the sample time
// (SampleAt, local) has passed today; its task id (SpotCheckSampleID) collapses every
// later try, from this scheduler's next sync or from any other scheduler, into one.
func (s *Scheduler) enqueueSample(ctx context.Context, dealerID int64, zone string) error {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return fmt.Errorf("dealer %d time zone %q: %w", dealerID, zone, err)
	}
	l := s.cfg.Now().In(loc)
	if l.Hour()*60+l.Minute() < s.sample {
		return nil
	}
	day := time.Date(l.Year(), l.Month(), l.Day()-1, 0, 0, 0, 0, time.UTC)
	task, err := NewSpotCheckSampleTask(dealerID, day)
	if err != nil {
		return err
	}
	_, err = s.client.EnqueueContext(ctx, task, asynq.TaskID(SpotCheckSampleID(dealerID, day)), asynq.Retention(buildRetention))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("enqueue spot-check sample dealer %d day %s: %w", dealerID, day.Format(time.DateOnly), err)
	}
	s.cfg.Log.Info("queue scheduler: spot-check sample enqueued", "dealer", dealerID, "day", day.Format(time.DateOnly))
	return nil
}
