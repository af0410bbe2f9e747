package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/huifang/huifang/store"
)

// WorkshopHours are the times a dealer's workshop receives cars (接车时间): an appointment
// must fall on an open day between Open and Close, as a call must fall in the calling
// window (docs/domain.md, "Appointments"). Dealer settings dealers.workshop_open,
// workshop_close and workshop_days (migration 0160); the defaults are 08:30-17:30 every day.
type WorkshopHours struct {
	// Open and Close are times of day, HH:MM.
	Open  string `json:"open"`
	Close string `json:"close"`
	// Days are the open days, ISO weekdays (1 Monday .. 7 Sunday).
	Days []int `json:"days"`
	// Loc is the dealer's time zone.
	Loc *time.Location `json:"-"`
}

// ErrOutsideWorkshopHours marks an appointment time outside the dealer's workshop hours.
var ErrOutsideWorkshopHours = errors.New("appointment outside the workshop hours")

// WorkshopHoursError is an appointment time the workshop hours refuse, naming the field.
type WorkshopHoursError struct {
	// Field is the input field, such as appointment_at or at.
	Field string
	// Hours are the dealer's workshop hours.
	Hours WorkshopHours
	// At is the refused time.
	At time.Time
}

func (e *WorkshopHoursError) Error() string {
	return fmt.Sprintf("%s %s is outside the workshop hours (%s)", e.Field, e.At.In(e.Hours.Loc).Format("2006-01-02 15:04 Mon"), e.Hours)
}

// Is makes errors.Is(err, ErrOutsideWorkshopHours) true.
func (e *WorkshopHoursError) Is(target error) bool { return target == ErrOutsideWorkshopHours }

// Chinese says the same in Chinese for the console and the desk.
func (e *WorkshopHoursError) Chinese() string {
	return fmt.Sprintf("预约到店时间 %s 不在接车时间内（%s）", e.At.In(e.Hours.Loc).Format("2006-01-02 15:04"), e.Hours.Chinese())
}

var weekdayZH = []string{"", "周一", "周二", "周三", "周四", "周五", "周六", "周日"}

// String writes the hours as "08:30-17:30 Mon-Sun" or with the open days listed.
func (h WorkshopHours) String() string {
	if len(h.Days) == 7 {
		return h.Open + "-" + h.Close + " every day"
	}
	names := []string{"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
	var d []string
	for _, x := range h.Days {
		d = append(d, names[x])
	}
	return h.Open + "-" + h.Close + " " + strings.Join(d, ",")
}

// Chinese writes the hours as "每天 08:30-17:30" or with the open days listed.
func (h WorkshopHours) Chinese() string {
	if len(h.Days) == 7 {
		return "每天 " + h.Open + "-" + h.Close
	}
	var d []string
	for _, x := range h.Days {
		d = append(d, weekdayZH[x])
	}
	return strings.Join(d, "、") + " " + h.Open + "-" + h.Close
}

// Check returns a *WorkshopHoursError naming field when at is not inside the hours.
func (h WorkshopHours) Check(field string, at time.Time) error {
	l := at.In(h.Loc)
	wd := int(l.Weekday())
	if wd == 0 {
		wd = 7
	}
	hm := l.Format("15:04")
	if !slices.Contains(h.Days, wd) || hm < h.Open || hm > h.Close {
		return &WorkshopHoursError{Field: field, Hours: h, At: at}
	}
	return nil
}

func clockOf(t pgtype.Time) string {
	m := t.Microseconds / 60e6
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// LoadWorkshopHours reads a dealer's workshop hours and time zone.
func LoadWorkshopHours(ctx context.Context, q *store.Queries, dealerID int64) (WorkshopHours, error) {
	d, err := q.GetDealer(ctx, dealerID)
	if errors.Is(err, pgx.ErrNoRows) {
		return WorkshopHours{}, fmt.Errorf("workshop hours: no dealer %d", dealerID)
	}
	if err != nil {
		return WorkshopHours{}, fmt.Errorf("workshop hours: dealer %d: %w", dealerID, err)
	}
	loc, err := time.LoadLocation(d.TimeZone)
	if err != nil {
		return WorkshopHours{}, fmt.Errorf("workshop hours: dealer %d zone %q: %w", dealerID, d.TimeZone, err)
	}
	h := WorkshopHours{Open: clockOf(d.WorkshopOpen), Close: clockOf(d.WorkshopClose), Loc: loc}
	for _, x := range d.WorkshopDays {
		h.Days = append(h.Days, int(x))
	}
	slices.Sort(h.Days)
	return h, nil
}

// CheckAppointmentTime checks a booked time against the dealer's workshop hours; the
// error is a *WorkshopHoursError naming field when it is outside them.
func CheckAppointmentTime(ctx context.Context, q *store.Queries, dealerID int64, field string, at time.Time) error {
	h, err := LoadWorkshopHours(ctx, q, dealerID)
	if err != nil {
		return err
	}
	return h.Check(field, at)
}

// SaveWorkshopHours checks and stores dealerID's workshop hours, audited
// (workshop_hours.save) by userID (zero: none): open before close (HH:MM), days 1..7, at
// least one. Bad input stores nothing (ErrRuleInput, with RuleInputChinese).
func SaveWorkshopHours(ctx context.Context, db store.TxBeginner, dealerID int64, h WorkshopHours, userID int64) error {
	o, err1 := time.Parse("15:04", h.Open)
	c, err2 := time.Parse("15:04", h.Close)
	if err1 != nil || err2 != nil {
		return badInput("接车时间须为 时:分（如 08:30）", "workshop hours %q-%q: use HH:MM", h.Open, h.Close)
	}
	if !o.Before(c) {
		return badInput("接车开始时间须早于结束时间", "workshop hours: open %s is not before close %s", h.Open, h.Close)
	}
	if len(h.Days) == 0 {
		return badInput("至少选择一个接车日", "workshop hours: no open day")
	}
	days := make([]int16, 0, len(h.Days))
	for _, d := range h.Days {
		if d < 1 || d > 7 {
			return badInput("接车日须为周一到周日", "workshop hours: day %d is not 1 (Monday) .. 7 (Sunday)", d)
		}
		if !slices.Contains(days, int16(d)) {
			days = append(days, int16(d))
		}
	}
	slices.Sort(days)
	return store.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := store.New(tx)
		from, err := LoadWorkshopHours(ctx, q, dealerID)
		if err != nil {
			return err
		}
		if _, err := q.SetWorkshopHours(ctx, store.SetWorkshopHoursParams{ID: dealerID,
			Open: pgClock(o.Format("15:04")), Close: pgClock(c.Format("15:04")), Days: days}); err != nil {
			return fmt.Errorf("workshop hours dealer %d: %w", dealerID, err)
		}
		to := WorkshopHours{Open: o.Format("15:04"), Close: c.Format("15:04")}
		for _, d := range days {
			to.Days = append(to.Days, int(d))
		}
		return ruleChanged(ctx, tx, dealerID, userID, "workshop_hours.save", map[string]any{"from": from, "to": to}, false)
	})
}

// ParseWorkshopDays reads open days as "1-7", "1-5,7" or "1,2,3" (ISO weekdays).
func ParseWorkshopDays(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, badInput("接车日须为 1-7 的数字（1 为周一）", "workshop days %q: use 1 (Monday) .. 7 (Sunday), such as 1-5,7", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return nil, badInput("接车日须为 1-7 的数字（1 为周一）", "workshop days %q: use 1 (Monday) .. 7 (Sunday), such as 1-5,7", s)
			}
		}
		for d := a; d <= b; d++ {
			out = append(out, d)
		}
	}
	return out, nil
}
