package telephony

import (
	"context"
	"fmt"

	"golang.org/x/time/rate"
)

// limiter enforces a trunk's caps on concurrent calls and on new calls per second. The
// rate is golang.org/x/time/rate's token bucket with a burst of one, so calls leave
// evenly spaced; a call whose context ends while it waits for its turn gives the turn
// back (rate.Limiter.Wait cancels its reservation), so cancelled calls never slow the
// ones after them.
type limiter struct {
	sem  chan struct{}
	rate *rate.Limiter
}

func newLimiter(maxConcurrent int, maxCPS float64) *limiter {
	l := &limiter{}
	if maxConcurrent > 0 {
		l.sem = make(chan struct{}, maxConcurrent)
	}
	if maxCPS > 0 {
		l.rate = rate.NewLimiter(rate.Limit(maxCPS), 1)
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
	if l.rate != nil {
		if err := l.rate.Wait(ctx); err != nil {
			release()
			return nil, fmt.Errorf("waiting for the trunk's call rate: %w", err)
		}
	}
	return release, nil
}
