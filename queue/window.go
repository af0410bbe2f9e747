package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/huifang/huifang/store"
)

// Clock turns a Postgres time of day into the duration since midnight.
func Clock(t pgtype.Time) time.Duration {
	return time.Duration(t.Microseconds) * time.Microsecond
}

// FormatClock writes a time of day (a duration since midnight) as HH:MM.
func FormatClock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// WindowClosed returns a ClosedError (ErrOutsideWindow or ErrHoliday, with the next
// opening) when the dealer's calling window is shut at now, nil when it is open. The
// take applies the same window in its statement; automated calls (queue/notify's
// message calls) ask here.
func WindowClosed(ctx context.Context, q *store.Queries, dealerID int64, now time.Time) (*ClosedError, error) {
	d, err := q.GetDealerWindow(ctx, dealerID)
	if err != nil {
		return nil, fmt.Errorf("calling window dealer %d: %w", dealerID, err)
	}
	loc, err := time.LoadLocation(d.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("calling window dealer %d: zone %q: %w", dealerID, d.TimeZone, err)
	}
	l := now.In(loc)
	tod := time.Duration(l.Hour())*time.Hour + time.Duration(l.Minute())*time.Minute + time.Duration(l.Second())*time.Second
	hols, err := q.ListHolidays(ctx, dealerID)
	if err != nil {
		return nil, fmt.Errorf("calling window dealer %d: holidays: %w", dealerID, err)
	}
	today := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
	holiday := false
	for _, h := range hols {
		if h.Day.Equal(today) {
			holiday = true
		}
	}
	start, end := Clock(d.CallWindowStart), Clock(d.CallWindowEnd)
	if !holiday && tod >= start && tod < end {
		return nil, nil
	}
	next, err := NextOpening(ctx, q, dealerID, d.TimeZone, start, now)
	if err != nil {
		return nil, err
	}
	why := ErrOutsideWindow
	if holiday {
		why = ErrHoliday
	}
	return &ClosedError{Err: why, NextOpen: next}, nil
}

// RetryWait is how long the policy waits before calling again after a call that ended
// with the gateway result (CallBusy, CallNoAnswer, ...); results without a spacing of
// their own wait RetryNoAnswer.
func (p Policy) RetryWait(result string) time.Duration {
	code, _ := callOutcomeCode(result)
	if wait, ok := p.retryAfter(code); ok {
		return wait
	}
	return p.RetryNoAnswer
}
