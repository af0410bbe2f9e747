package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/huifang/huifang/store"
)

// gatewayLease is a gateway's lease in Postgres (table gateways), renewed every fifth of
// its TTL, and the sweep every serve runs at the same pace: the unfinished call records
// of gateways whose lease ran out (their process died) are closed as trunk failures, so
// they never count as customer attempts (docs/scaling.md, "A call belongs to one
// gateway"). The clocks of the machines must agree (NTP) to well within the TTL.
type gatewayLease struct {
	q       *store.Queries
	id      string
	sipAddr string
	ttl     time.Duration
	now     func() time.Time
	log     *slog.Logger

	mu       sync.Mutex
	draining bool
	cancel   context.CancelFunc
	done     chan struct{}
}

// newGatewayID names this process's gateway: host, pid and a random part.
func newGatewayID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// heartbeat takes or renews the lease.
func (l *gatewayLease) heartbeat(ctx context.Context) error {
	l.mu.Lock()
	draining := l.draining
	l.mu.Unlock()
	if err := l.q.HeartbeatGateway(ctx, store.HeartbeatGatewayParams{ID: l.id, SipAddr: l.sipAddr, Now: l.now(), Draining: draining}); err != nil {
		return fmt.Errorf("gateway lease %s: %w", l.id, err)
	}
	return nil
}

// sweep closes the unfinished call records of gateways without a live lease and forgets
// their leases; it returns how many records it closed.
func (l *gatewayLease) sweep(ctx context.Context) (int, error) {
	now := l.now()
	liveAfter := now.Add(-l.ttl)
	rows, err := l.q.CloseDeadGatewayAttempts(ctx, store.CloseDeadGatewayAttemptsParams{Now: now, LiveAfter: liveAfter})
	if err != nil {
		return 0, fmt.Errorf("close lost gateways' calls: %w", err)
	}
	for _, r := range rows {
		l.log.Warn("call of a lost gateway closed as a trunk failure", "gateway", r.GatewayID, "call_id", r.CallID,
			"task", deref(r.TaskID), "agent", deref(r.AgentUserID))
	}
	if _, err := l.q.DeleteDeadGateways(ctx, liveAfter); err != nil {
		return len(rows), fmt.Errorf("forget lost gateways: %w", err)
	}
	return len(rows), nil
}

// start takes the lease (before the gateway places any call) and keeps it, sweeping,
// until stop.
func (l *gatewayLease) start(ctx context.Context) error {
	if err := l.heartbeat(ctx); err != nil {
		return err
	}
	if _, err := l.sweep(ctx); err != nil {
		l.log.Error("gateway sweep", "err", err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l.cancel, l.done = cancel, make(chan struct{})
	go func() {
		defer close(l.done)
		t := time.NewTicker(max(l.ttl/5, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := l.heartbeat(ctx); err != nil {
				// Without a fresh lease of our own, sweeping could close our own calls.
				l.log.Error("gateway heartbeat", "err", err)
				continue
			}
			if _, err := l.sweep(ctx); err != nil {
				l.log.Error("gateway sweep", "err", err)
			}
		}
	}()
	return nil
}

// setDraining marks the lease as draining (SIGTERM), at once.
func (l *gatewayLease) setDraining(ctx context.Context) {
	l.mu.Lock()
	l.draining = true
	l.mu.Unlock()
	if err := l.heartbeat(ctx); err != nil {
		l.log.Error("gateway heartbeat", "err", err)
	}
}

// stop ends the renewals and gives the lease up: the gateway's calls are over.
func (l *gatewayLease) stop(ctx context.Context) error {
	if l.cancel != nil {
		l.cancel()
		<-l.done
	}
	if err := l.q.DeleteGateway(ctx, l.id); err != nil {
		return fmt.Errorf("give up gateway lease %s: %w", l.id, err)
	}
	return nil
}

// deref is *p, or zero for nil (for logs).
func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
