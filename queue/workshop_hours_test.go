package queue

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWorkshopHoursCheck(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	def := WorkshopHours{Open: "08:30", Close: "17:30", Days: []int{1, 2, 3, 4, 5, 6, 7}, Loc: loc}
	weekdays := WorkshopHours{Open: "09:00", Close: "12:00", Days: []int{1, 2, 3, 4, 5}, Loc: loc}
	for _, tc := range []struct {
		h  WorkshopHours
		at string
		ok bool
	}{
		{def, "2026-12-05 02:30", false}, // a Saturday night
		{def, "2026-12-05 08:29", false},
		{def, "2026-12-05 08:30", true},
		{def, "2026-12-06 17:30", true}, // Sunday, closing time
		{def, "2026-12-06 17:31", false},
		{weekdays, "2026-12-04 11:00", true},  // Friday
		{weekdays, "2026-12-05 11:00", false}, // Saturday
		{weekdays, "2026-12-07 12:01", false},
	} {
		at, err := time.ParseInLocation("2006-01-02 15:04", tc.at, loc)
		require.NoError(t, err)
		err = tc.h.Check("appointment_at", at)
		if tc.ok {
			require.NoError(t, err, tc.at)
			continue
		}
		var he *WorkshopHoursError
		require.ErrorAs(t, err, &he, tc.at)
		require.ErrorIs(t, err, ErrOutsideWorkshopHours)
		require.Equal(t, "appointment_at", he.Field)
		require.Contains(t, he.Chinese(), "不在接车时间内")
	}
	require.Equal(t, "周一、周二、周三、周四、周五 09:00-12:00", weekdays.Chinese())
}

// A call's booking outside the workshop hours is refused and nothing is stored; the hours
// are a dealer setting.
func TestOutcomeAppointmentOutsideWorkshopHours(t *testing.T) {
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	var cust, task int64
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, phone) VALUES ($1, '周', '13800001234') RETURNING id`, b.dealer).Scan(&cust))
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day)
		VALUES ($1, $2, 50, '2026-11-22', '2026-11-30') RETURNING id`, b.dealer, cust).Scan(&task))
	b.call(t, task, true, b.at(t, "2026-11-22 09:55"))
	book := func(client, at string) error {
		a := b.at(t, at)
		_, err := RecordOutcome(ctx, b.db, OutcomeParams{DealerID: b.dealer, ClientID: client, TaskID: task, AgentUserID: b.agents[0],
			Code: "appointment", AppointmentAt: &a, Now: b.at(t, "2026-11-22 10:00")})
		return err
	}
	err := book("o1", "2026-11-28 02:30")
	require.ErrorIs(t, err, ErrOutsideWorkshopHours)
	var n int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT (SELECT count(*) FROM appointments) + (SELECT count(*) FROM call_outcomes)`).Scan(&n))
	require.Zero(t, n, "nothing stored")

	// The dealer opens at 07:00 on weekdays only: 07:30 on Friday passes, Saturday does not.
	days, err := ParseWorkshopDays("5,1-4")
	require.NoError(t, err)
	require.NoError(t, SaveWorkshopHours(ctx, b.db, b.dealer, WorkshopHours{Open: "07:00", Close: "18:00", Days: days}, 0))
	require.ErrorIs(t, book("o2", "2026-11-28 10:00"), ErrOutsideWorkshopHours)
	require.NoError(t, book("o3", "2026-11-27 07:30"))
	for _, bad := range []WorkshopHours{{Open: "18:00", Close: "07:00", Days: []int{1}}, {Open: "7", Close: "18:00", Days: []int{1}},
		{Open: "07:00", Close: "18:00"}, {Open: "07:00", Close: "18:00", Days: []int{8}}} {
		err := SaveWorkshopHours(ctx, b.db, b.dealer, bad, 0)
		require.True(t, errors.Is(err, ErrRuleInput), "%v: %v", bad, err)
		require.NotEmpty(t, RuleInputChinese(err))
	}
}
