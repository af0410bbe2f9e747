package telephony

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrDraining means the gateway is stopping (Drain) and places no new call.
var ErrDraining = errors.New("telephony: gateway draining, no new calls")

// inflight counts the customer calls in progress, so that Drain can wait for them.
type inflight struct {
	mu       sync.Mutex
	n        int
	draining bool
	idle     chan struct{} // closed when draining and no call is left
}

// enter counts a new call in; false when draining.
func (f *inflight) enter() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.draining {
		return false
	}
	f.n++
	return true
}

// leave counts a call out.
func (f *inflight) leave() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.draining && f.n == 0 && f.idle != nil {
		close(f.idle)
		f.idle = nil
	}
}

// drain stops new calls and returns a channel closed once none is in progress.
func (f *inflight) drain() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.draining = true
	if f.n == 0 {
		c := make(chan struct{})
		close(c)
		return c
	}
	if f.idle == nil {
		f.idle = make(chan struct{})
	}
	return f.idle
}

func (f *inflight) state() (n int, draining bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n, f.draining
}

// Drain stops the gateway placing new calls (Dial, DialAgent and MessageCall fail with
// ErrDraining) and waits until the calls in progress have ended, or ctx ends: then it
// returns an error naming how many are left (Close hangs them up). Agents' legs and
// registrations are untouched. It is SIGTERM's first step: no new calls, the calls in
// progress finish within a bounded wait, then the process exits.
func (g *Gateway) Drain(ctx context.Context) error {
	idle := g.inflight.drain()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		n, _ := g.inflight.state()
		return fmt.Errorf("gateway drain: %d calls still in progress: %w", n, ctx.Err())
	}
}

// Draining reports whether Drain was called.
func (g *Gateway) Draining() bool {
	_, d := g.inflight.state()
	return d
}

// CallsInProgress returns the number of customer calls in progress.
func (g *Gateway) CallsInProgress() int {
	n, _ := g.inflight.state()
	return n
}
