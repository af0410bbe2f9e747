package telephony

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// limiter enforces a trunk's caps on concurrent calls and on new calls per second.
type limiter struct {
	sem      chan struct{}
	interval time.Duration

	mu   sync.Mutex
	next time.Time
}

func newLimiter(maxConcurrent int, maxCPS float64) *limiter {
	l := &limiter{}
	if maxConcurrent > 0 {
		l.sem = make(chan struct{}, maxConcurrent)
	}
	if maxCPS > 0 {
		l.interval = time.Duration(float64(time.Second) / maxCPS)
	}
	return l
}

// acquire waits for a free call slot and for the call's turn under the CPS cap; release
// frees the slot when the call ends.
func (l *limiter) acquire(ctx context.Context) (release func(), err error) {
	release = func() {}
	if l.sem != nil {
		select {
		case l.sem <- struct{}{}:
			release = func() { <-l.sem }
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for a free trunk channel: %w", ctx.Err())
		}
	}
	if l.interval > 0 {
		l.mu.Lock()
		now := time.Now()
		at := l.next
		if at.Before(now) {
			at = now
		}
		l.next = at.Add(l.interval)
		l.mu.Unlock()
		if wait := time.Until(at); wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				release()
				return nil, fmt.Errorf("waiting for the trunk's call rate: %w", ctx.Err())
			}
		}
	}
	return release, nil
}
