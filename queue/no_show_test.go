package queue

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
)

// appt inserts an appointment at a local time "2026-03-05 10:30" (Asia/Shanghai) with a
// status and, when not "", the local time it was booked (created) and its status set.
func (f *ruleFixture) appt(customer int64, at, status, created, statusAt string) int64 {
	f.t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(f.t, err)
	ts := func(s string) any {
		if s == "" {
			return nil
		}
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		require.NoError(f.t, err)
		return v
	}
	when := ts(at).(time.Time)
	var id int64
	require.NoError(f.t, f.db.QueryRow(f.ctx, `INSERT INTO appointments (dealer_id, customer_id, at, day, kind, status, status_at, source, created_at)
		VALUES ($1, $2, $3, $4, 'maintenance', $5, $6, 'api', COALESCE($7::timestamptz, now())) RETURNING id`,
		f.dealer, customer, when, mustDay(at[:10]), status, ts(statusAt), ts(created)).Scan(&id))
	return id
}

func noShowCases() []ruleCase {
	owner := func(f *ruleFixture) (int64, int64) {
		c := f.customer(cust{})
		return c, f.vehicle(c, veh{Delivery: "2025-01-01"})
	}
	return []ruleCase{
		{name: "no show A+1 to A+3", campaign: CampaignNoShow,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f)
				f.appt(c, "2026-03-10 09:30", "booked", "", "")
				return c
			},
			held: []string{"2026-03-11", "2026-03-13"}, notHeld: []string{"2026-03-09", "2026-03-10", "2026-03-14"}},
		{name: "no show loaded long after (history counts)", campaign: CampaignNoShow,
			setup: func(f *ruleFixture) int64 {
				c := f.customer(cust{Prospect: "open"})
				f.appt(c, "2025-07-01 16:00", "booked", "2026-03-01 08:00", "")
				return c
			},
			held: []string{"2025-07-02", "2025-07-04"}, notHeld: []string{"2025-07-01", "2025-07-05"}},
		{name: "workshop visit on the day is an arrival", campaign: CampaignNoShow,
			setup: func(f *ruleFixture) int64 {
				c, v := owner(f)
				f.appt(c, "2026-03-10 09:30", "booked", "", "")
				f.visit(v, "2026-03-10", "maintenance", -1)
				return c
			},
			notHeld: []string{"2026-03-11", "2026-03-12", "2026-03-13"}},
		{name: "a visit the day before is no arrival", campaign: CampaignNoShow,
			setup: func(f *ruleFixture) int64 {
				c, v := owner(f)
				f.appt(c, "2026-03-10 09:30", "booked", "", "")
				f.visit(v, "2026-03-09", "repair", -1)
				return c
			},
			held: []string{"2026-03-11", "2026-03-13"}},
		{name: "marked arrived at the desk", campaign: CampaignNoShow,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f)
				f.appt(c, "2026-03-10 09:30", "arrived", "", "2026-03-10 09:20")
				return c
			},
			notHeld: []string{"2026-03-11", "2026-03-13"}},
		{name: "cancelled before the day", campaign: CampaignNoShow,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f)
				f.appt(c, "2026-03-10 09:30", "cancelled", "2026-03-01 10:00", "2026-03-09 15:00")
				return c
			},
			notHeld: []string{"2026-03-11", "2026-03-13"}},
		{name: "cancelled after the day ends it that day", campaign: CampaignNoShow,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f)
				f.appt(c, "2026-03-10 09:30", "cancelled", "2026-03-01 10:00", "2026-03-12 11:00")
				return c
			},
			held: []string{"2026-03-11"}, notHeld: []string{"2026-03-12", "2026-03-13"}},
		{name: "a new booking ends it", campaign: CampaignNoShow,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f)
				f.appt(c, "2026-03-10 09:30", "booked", "2026-03-01 10:00", "")
				f.appt(c, "2026-03-20 14:00", "booked", "2026-03-12 16:00", "")
				return c
			},
			held: []string{"2026-03-11"}, notHeld: []string{"2026-03-12", "2026-03-13"}},
		{name: "a workshop visit after the day ends it", campaign: CampaignNoShow,
			setup: func(f *ruleFixture) int64 {
				c, v := owner(f)
				f.appt(c, "2026-03-10 09:30", "booked", "", "")
				f.visit(v, "2026-03-12", "repair", -1)
				return c
			},
			held: []string{"2026-03-11"}, notHeld: []string{"2026-03-12", "2026-03-13"}},
		{name: "an open complaint hides it", campaign: CampaignNoShow,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f)
				f.appt(c, "2026-03-10 09:30", "booked", "", "")
				f.complaint(c, "2026-03-09", "")
				return c
			},
			notHeld: []string{"2026-03-11", "2026-03-13"}},
	}
}

// TestNoShowRule checks the no_show rule on a fixed calendar, fresh and in both orders.
func TestNoShowRule(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	for _, tc := range noShowCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runRuleCase(t, db, &seq, tc)
		})
	}
}

// Building a day twice adds nothing; the no_show reason carries priority 55 and says why.
func TestNoShowBuildTwiceAndReason(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	c := f.customer(cust{})
	f.appt(c, "2026-03-10 09:30", "booked", "", "")
	first := f.build("2026-03-11")
	require.EqualValues(t, 1, first.ReasonsAdded)
	second := f.build("2026-03-11")
	require.Zero(t, second.ReasonsAdded)
	task := f.task("2026-03-11", c)
	require.NotNil(t, task)
	require.Equal(t, 55, task.Priority)
	require.Equal(t, []string{CampaignNoShow}, task.Campaigns)
	var text string
	require.NoError(t, db.QueryRow(context.Background(), `SELECT text FROM call_task_reasons WHERE customer_id = $1`, c).Scan(&text))
	require.Equal(t, "预约 2026-03-10 09:30 保养 未到店, 请约新的时间", text)
}
