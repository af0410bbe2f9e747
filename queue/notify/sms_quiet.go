package notify

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// QuietHours is the part of the day, in the dealer's time zone, when no marketing SMS is
// sent: from Start in the evening to End the next morning (both times of day since
// midnight). The business rule is 21:00-08:00 (DefaultQuietHours); a dealer may widen it
// (settings sms_quiet_start and sms_quiet_end, saved with SaveQuietHours), never narrow it:
// Start is 12:00-21:00 and End 08:00-12:00. Service SMS are sent at any hour.
type QuietHours struct {
	// Start is when the quiet hours begin, 12:00 to 21:00.
	Start time.Duration
	// End is when they end the next morning, 08:00 to 12:00.
	End time.Duration
}

// DefaultQuietHours returns the quiet hours of the business rule, 21:00-08:00: what a dealer
// without its own setting gets, and the narrowest a dealer may set.
func DefaultQuietHours() QuietHours { return QuietHours{Start: 21 * time.Hour, End: 8 * time.Hour} }

// The bounds of a dealer's quiet hours: a start in the afternoon or evening no later than
// the rule's, an end in the morning no earlier than the rule's.
const (
	earliestQuietStart = 12 * time.Hour
	latestQuietEnd     = 12 * time.Hour
)

// clockRe is a time of day as HH:MM (H:MM is taken too).
var clockRe = regexp.MustCompile(`^([01]?[0-9]|2[0-3]):([0-5][0-9])$`)

// ParseQuietHours checks a dealer's quiet hours, start and end as HH:MM, and returns them.
// The period must contain 21:00-08:00: start between 12:00 and 21:00, end between 08:00
// and 12:00 (12:00-12:00, which leaves no time to send, is refused). The error names
// the problem.
func ParseQuietHours(start, end string) (QuietHours, error) {
	s, err := parseClock("start", start)
	if err != nil {
		return QuietHours{}, err
	}
	e, err := parseClock("end", end)
	if err != nil {
		return QuietHours{}, err
	}
	def := DefaultQuietHours()
	switch {
	case s > def.Start:
		return QuietHours{}, fmt.Errorf("quiet hours must start at %s or earlier, got %s: marketing SMS are never sent between %s and %s",
			queue.FormatClock(def.Start), queue.FormatClock(s), queue.FormatClock(def.Start), queue.FormatClock(def.End))
	case s < earliestQuietStart:
		return QuietHours{}, fmt.Errorf("quiet hours must start at %s or later, got %s: the start is in the afternoon or evening (%s to %s)",
			queue.FormatClock(earliestQuietStart), queue.FormatClock(s), queue.FormatClock(earliestQuietStart), queue.FormatClock(def.Start))
	case e < def.End:
		return QuietHours{}, fmt.Errorf("quiet hours must end at %s or later, got %s: marketing SMS are never sent between %s and %s",
			queue.FormatClock(def.End), queue.FormatClock(e), queue.FormatClock(def.Start), queue.FormatClock(def.End))
	case e > latestQuietEnd:
		return QuietHours{}, fmt.Errorf("quiet hours must end at %s or earlier, got %s: the end is in the morning (%s to %s)",
			queue.FormatClock(latestQuietEnd), queue.FormatClock(e), queue.FormatClock(def.End), queue.FormatClock(latestQuietEnd))
	case s == e:
		return QuietHours{}, fmt.Errorf("quiet hours %s-%s leave no time to send marketing SMS: end them before %s",
			queue.FormatClock(s), queue.FormatClock(e), queue.FormatClock(s))
	}
	return QuietHours{Start: s, End: e}, nil
}

// ValidateQuietHours reports whether start and end (HH:MM) are quiet hours a dealer may
// set (see ParseQuietHours); the error names the problem.
func ValidateQuietHours(start, end string) error {
	_, err := ParseQuietHours(start, end)
	return err
}

// ParseQuietHoursRange parses quiet hours written "20:00-09:00" and checks them as
// ParseQuietHours does.
func ParseQuietHoursRange(s string) (QuietHours, error) {
	start, end, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return QuietHours{}, fmt.Errorf("quiet hours %q: give start-end as HH:MM-HH:MM, such as 20:00-09:00", s)
	}
	return ParseQuietHours(start, end)
}

// SaveQuietHours checks and stores a dealer's quiet hours of marketing SMS (start and end
// as HH:MM, see ParseQuietHours) in its settings, with an audit_log row
// (sms_quiet_hours.save) by userID, zero for none (the command line). Bad input stores
// nothing.
func SaveQuietHours(ctx context.Context, db store.DBTX, dealerID int64, start, end string, userID int64) error {
	h, err := ParseQuietHours(start, end)
	if err != nil {
		return err
	}
	var by *int64
	if userID > 0 {
		by = &userID
	}
	n, err := store.New(db).SetDealerSMSQuietHours(ctx, store.SetDealerSMSQuietHoursParams{
		UserID: by, QuietStart: queue.FormatClock(h.Start), QuietEnd: queue.FormatClock(h.End), DealerID: dealerID,
	})
	if err != nil {
		return fmt.Errorf("save quiet hours of dealer %d: %w", dealerID, err)
	}
	if n == 0 {
		return fmt.Errorf("save quiet hours: no dealer %d", dealerID)
	}
	return nil
}

// StoredQuietHours returns a dealer's quiet hours from the times the store gives
// (GetDealerSMS's QuietStart and QuietEnd, from sms_quiet_start and sms_quiet_end of
// migration 0062: defaults filled in, never narrower than the rule); a time not given
// is the rule's.
func StoredQuietHours(start, end pgtype.Time) QuietHours {
	h := DefaultQuietHours()
	if start.Valid {
		h.Start = queue.Clock(start)
	}
	if end.Valid {
		h.End = queue.Clock(end)
	}
	return h
}

// Contains reports whether a local time of day (since midnight) is inside the quiet hours.
func (h QuietHours) Contains(c time.Duration) bool {
	return c >= h.Start || c < h.End
}

// ContainsTime reports whether t, in loc, is inside the quiet hours.
func (h QuietHours) ContainsTime(t time.Time, loc *time.Location) bool {
	l := t.In(loc)
	return h.Contains(time.Duration(l.Hour())*time.Hour + time.Duration(l.Minute())*time.Minute + time.Duration(l.Second())*time.Second)
}

// NextEnd returns the first end of the quiet hours in loc after now: the time a
// marketing message held at now may go.
func (h QuietHours) NextEnd(now time.Time, loc *time.Location) time.Time {
	l := now.In(loc)
	end := time.Date(l.Year(), l.Month(), l.Day(), int(h.End/time.Hour), int(h.End%time.Hour/time.Minute), 0, 0, loc)
	if !end.After(now) {
		end = end.AddDate(0, 0, 1)
	}
	return end
}

// StartText is the start as HH:MM.
func (h QuietHours) StartText() string { return queue.FormatClock(h.Start) }

// EndText is the end as HH:MM.
func (h QuietHours) EndText() string { return queue.FormatClock(h.End) }

// String writes the quiet hours as "21:00-08:00".
func (h QuietHours) String() string {
	return queue.FormatClock(h.Start) + "-" + queue.FormatClock(h.End)
}

// parseClock reads a time of day written HH:MM; what names it in the error.
func parseClock(what, s string) (time.Duration, error) {
	m := clockRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("quiet hours %s %q: give a time of day as HH:MM, such as 20:00", what, s)
	}
	hh, _ := strconv.Atoi(m[1])
	mm, _ := strconv.Atoi(m[2])
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}
