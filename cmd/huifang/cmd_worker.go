package main

import (
	"context"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/queue/notify"
)

// cmdWorker runs the queue's background parts (Asynq worker, daily scheduler, outbox
// relay) without HTTP or SIP, so a dealer group can run more of them.
func cmdWorker(ctx context.Context, env *cliEnv, args []string) error {
	return serveParts(ctx, env, "worker", args, []string{"worker", "scheduler", "relay", "sms"})
}

// stopWithin runs stop and waits for it at most until ctx ends.
func stopWithin(ctx context.Context, what string, stop func()) error {
	done := make(chan struct{})
	go func() {
		stop()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s did not stop in time: %w", what, ctx.Err())
	}
}

// workerPart runs the Asynq worker: the queue's tasks (builds, webhooks) and notify's (SMS).
type workerPart struct {
	d *deps
	w *queue.Worker
}

func newWorkerPart(d *deps) *workerPart { return &workerPart{d: d} }

func (p *workerPart) name() string { return "worker" }

func (p *workerPart) start(ctx context.Context) error {
	// Kannel when HUIFANG_KANNEL_SENDSMS_URL is set, else the development sender (part_sms.go).
	sender, err := smsSender(p.d)
	if err != nil {
		return err
	}
	log := p.d.log.With("part", "worker")
	sms, err := notify.NewHandler(notify.HandlerConfig{DB: p.d.db, Sender: sender, Log: log})
	if err != nil {
		return err
	}
	w, err := queue.NewWorker(queue.WorkerConfig{
		DB: p.d.db, Redis: p.d.rdb, Log: log, Concurrency: p.d.cfg.Workers, Now: p.d.clock(),
		Metrics: p.d.metrics.queue, Handlers: map[string]asynq.Handler{notify.TaskPrefix: sms},
	})
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return err
	}
	p.w = w
	return nil
}

func (p *workerPart) shutdown(ctx context.Context) error {
	if p.w == nil {
		return nil
	}
	return stopWithin(ctx, "worker", p.w.Shutdown)
}

// schedulerPart enqueues each dealer's daily queue build.
type schedulerPart struct {
	d *deps
	s *queue.Scheduler
}

func newSchedulerPart(d *deps) *schedulerPart { return &schedulerPart{d: d} }

func (p *schedulerPart) name() string { return "scheduler" }

func (p *schedulerPart) start(ctx context.Context) error {
	s, err := queue.NewScheduler(queue.SchedulerConfig{DB: p.d.db, Redis: p.d.rdb, Log: p.d.log.With("part", "scheduler"), Now: p.d.clock()})
	if err != nil {
		return err
	}
	if err := s.Start(ctx); err != nil {
		return err
	}
	p.s = s
	return nil
}

func (p *schedulerPart) shutdown(ctx context.Context) error {
	if p.s == nil {
		return nil
	}
	return stopWithin(ctx, "scheduler", p.s.Shutdown)
}

// relayPart moves outbox rows to Asynq.
type relayPart struct {
	d *deps
	r *queue.Relay
}

func newRelayPart(d *deps) *relayPart { return &relayPart{d: d} }

func (p *relayPart) name() string { return "relay" }

func (p *relayPart) start(ctx context.Context) error {
	recovered := recoveredMetric(p.d)
	r, err := queue.NewRelay(queue.RelayConfig{DB: p.d.db, Redis: p.d.rdb, Log: p.d.log.With("part", "relay"),
		// Behind a transaction pooler a LISTEN does not stay on one server connection:
		// the relay polls instead.
		NoListen: p.d.cfg.DBPoolMode == "transaction",
		Recovered: func(res queue.OutboxCheckResult) {
			recovered.WithLabelValues("outbox_redone").Add(float64(len(res.Redone)))
		}})
	if err != nil {
		return err
	}
	if err := r.Start(ctx); err != nil {
		return err
	}
	p.r = r
	return nil
}

func (p *relayPart) shutdown(ctx context.Context) error {
	if p.r == nil {
		return nil
	}
	return stopWithin(ctx, "relay", p.r.Shutdown)
}
