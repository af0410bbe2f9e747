package queue

import (
	"sort"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
)

// prospect inserts a prospect with status, status day (also the day it was created) and intent level.
func (f *ruleFixture) prospect(status, day, intent, consultant string) int64 {
	f.t.Helper()
	c := f.customer(cust{Prospect: status, StatusDay: day, Created: day, Consultant: consultant})
	if intent != "" {
		f.prospectChange(c, day, "", intent, "")
	}
	return c
}

// prospectChange changes a prospect's status (when not empty) and intent level (when not
// empty) as of day, the way the API and a call's answers do (prospect_history dated day).
func (f *ruleFixture) prospectChange(customer int64, day, status, intent, source string) {
	f.t.Helper()
	tx, err := f.db.Begin(f.ctx)
	require.NoError(f.t, err)
	defer func() { _ = tx.Rollback(f.ctx) }()
	_, err = tx.Exec(f.ctx, `SELECT set_config('huifang.fact_day', $1, true), set_config('huifang.fact_source', $2, true)`, day, source)
	require.NoError(f.t, err)
	_, err = tx.Exec(f.ctx, `UPDATE customers SET
		prospect_status = coalesce(nullif($2, ''), prospect_status),
		status_day = CASE WHEN $2 <> '' AND $2 <> prospect_status THEN $3::date ELSE status_day END,
		intent_level = coalesce(nullif($4, ''), intent_level) WHERE id = $1`, customer, status, mustDay(day), intent)
	require.NoError(f.t, err)
	require.NoError(f.t, tx.Commit(f.ctx))
}

func prospectFollowupCases() []ruleCase {
	return []ruleCase{
		{name: "intent A every 3 days from the showroom visit",
			setup: func(f *ruleFixture) int64 {
				c := f.prospect("open", "2026-03-05", "A", "张伟")
				f.showroom(c, "2026-03-05 14:10")
				return c
			},
			held: []string{"2026-03-08", "2026-03-10", "2026-03-11", "2026-03-14"}, notHeld: []string{"2026-03-05", "2026-03-07"}},
		{name: "intent B every 7 days",
			setup: func(f *ruleFixture) int64 {
				c := f.prospect("open", "2026-03-05", "B", "张伟")
				f.showroom(c, "2026-03-05 14:10")
				return c
			},
			held: []string{"2026-03-12", "2026-03-18", "2026-03-19"}, notHeld: []string{"2026-03-11"}},
		{name: "intent C every 14 days, lower case level",
			setup: func(f *ruleFixture) int64 {
				return f.prospect("open", "2026-03-05", "c", "")
			},
			held: []string{"2026-03-19", "2026-04-02"}, notHeld: []string{"2026-03-18"}},
		{name: "no intent level every 14 days",
			setup: func(f *ruleFixture) int64 {
				return f.prospect("open", "2026-03-05", "", "")
			},
			held: []string{"2026-03-19"}, notHeld: []string{"2026-03-18", "2026-03-05"}},
		{name: "pre-lost is followed up",
			setup: func(f *ruleFixture) int64 {
				return f.prospect("pre_lost", "2026-03-05", "B", "")
			},
			held: []string{"2026-03-12"}, notHeld: []string{"2026-03-11"}},
		{name: "key, won and lost prospects are not",
			setup: func(f *ruleFixture) int64 {
				f.prospect("won", "2026-03-05", "A", "")
				f.prospect("lost", "2026-03-05", "A", "")
				return f.prospect("key", "2026-03-05", "H", "")
			},
			notHeld: []string{"2026-03-08", "2026-03-19"}},
		{name: "a reached call restarts the rhythm and ends the open call",
			setup: func(f *ruleFixture) int64 {
				c := f.prospect("open", "2026-03-05", "A", "")
				f.outcome(c, "2026-03-09", "reached")
				return c
			},
			held: []string{"2026-03-08", "2026-03-12"}, notHeld: []string{"2026-03-09", "2026-03-11"}},
		{name: "an unanswered call does not",
			setup: func(f *ruleFixture) int64 {
				c := f.prospect("open", "2026-03-05", "A", "")
				f.outcome(c, "2026-03-09", "no_answer")
				return c
			},
			held: []string{"2026-03-08", "2026-03-09", "2026-03-11"}},
		{name: "intent level loaded for a past day counts from that day",
			setup: func(f *ruleFixture) int64 {
				c := f.prospect("open", "2026-03-01", "C", "")
				f.prospectChange(c, "2026-03-10", "", "A", "api")
				return c
			},
			// C until 03-09 (due 03-15 at C); A from 03-10: due 03-01 + 3k.
			held: []string{"2026-03-10", "2026-03-13"}, notHeld: []string{"2026-03-04", "2026-03-07", "2026-03-09"}},
		{name: "becoming key on a later day ends the follow-up that day",
			setup: func(f *ruleFixture) int64 {
				c := f.prospect("open", "2026-03-05", "A", "")
				f.prospectChange(c, "2026-03-09", "key", "H", "api")
				return c
			},
			held: []string{"2026-03-08"}, notHeld: []string{"2026-03-09", "2026-03-11"}},
		{name: "a lost prospect reopened by the lost-prospect check is due the next day",
			setup: func(f *ruleFixture) int64 {
				c := f.prospect("lost", "2026-03-01", "B", "")
				f.outcome(c, "2026-03-10", "reached")
				f.prospectChange(c, "2026-03-10", "open", "B", "reopen")
				return c
			},
			held: []string{"2026-03-11", "2026-03-17", "2026-03-18"}, notHeld: []string{"2026-03-09", "2026-03-10"}},
		{name: "moved away: no more follow-up",
			setup: func(f *ruleFixture) int64 {
				c := f.prospect("open", "2026-03-05", "A", "")
				_, err := f.db.Exec(f.ctx, `UPDATE customers SET moved_away_on = '2026-03-09' WHERE id = $1`, c)
				require.NoError(f.t, err)
				return c
			},
			held: []string{"2026-03-08"}, notHeld: []string{"2026-03-09", "2026-03-11"}},
	}
}

// TestProspectFollowupRule checks prospect_followup on a fixed calendar three ways, like
// TestRules: fresh data per day, calendar order and reverse order on one dealer.
func TestProspectFollowupRule(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	for _, tc := range prospectFollowupCases() {
		tc.campaign = CampaignProspectFollowup
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			days := append(append([]string{}, tc.held...), tc.notHeld...)
			sort.Strings(days)
			want := map[string]bool{}
			for _, d := range tc.held {
				want[d] = true
			}
			for _, day := range days {
				f := newRuleDealer(t, db, &seq)
				c := tc.setup(f)
				f.build(day)
				require.Equal(t, want[day], f.held(day, c, tc.campaign), "fresh build as of %s", day)
			}
			for _, order := range []string{"forward", "reverse"} {
				f := newRuleDealer(t, db, &seq)
				c := tc.setup(f)
				seqDays := append([]string{}, days...)
				if order == "reverse" {
					sort.Sort(sort.Reverse(sort.StringSlice(seqDays)))
				}
				for _, day := range seqDays {
					f.build(day)
					require.Equal(t, want[day], f.held(day, c, tc.campaign), "%s build as of %s", order, day)
				}
				for _, day := range days {
					require.Equal(t, want[day], f.held(day, c, tc.campaign), "%s builds, listed again as of %s", order, day)
				}
			}
		})
	}
}

// TestProspectFollowupTask: the consultant owns the task, the reason says why, priority 65,
// building twice adds nothing.
func TestProspectFollowupTask(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	c := f.prospect("open", "2026-03-05", "B", "王芳")
	f.showroom(c, "2026-03-05 10:00")
	f.build("2026-03-12")
	res := f.build("2026-03-12")
	require.Zero(t, res.ReasonsAdded)
	tk := f.task("2026-03-12", c)
	require.NotNil(t, tk)
	require.Equal(t, "王芳", tk.Consultant)
	require.Equal(t, 65, tk.Priority)
	require.Equal(t, "2026-03-12", tk.Due)
	require.Equal(t, "2026-03-18", *tk.Expires)
	require.Contains(t, tk.Reasons[0], "意向客户跟进: B 级, 每 7 天, 上次到店 2026-03-05, 已 7 天 (顾问 王芳)")
}

// TestNotOwnerAndMovedAwayAsOfDay: a vehicle the customer no longer owns from a day stops
// the owner rules from that day (before it they still hold); a customer who moved away gets
// recall and complaint calls only from that day.
func TestNotOwnerAndMovedAwayAsOfDay(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	c := f.customer(cust{})
	v := f.vehicle(c, veh{Delivery: "2026-03-01", VIN: "LNOTOWNER00000001"})
	_, err := db.Exec(f.ctx, `UPDATE vehicles SET active = false, inactive_on = '2026-03-10' WHERE id = $1`, v)
	require.NoError(t, err)
	f.build("2026-03-04")
	require.True(t, f.held("2026-03-04", c, CampaignDelivery3Day))
	f.build("2026-03-16")
	require.False(t, f.held("2026-03-16", c, CampaignCare15Day))

	m := f.customer(cust{})
	mv := f.vehicle(m, veh{Delivery: "2026-03-01", VIN: "LMOVEDAWAY0000001"})
	_ = mv
	f.recall("R1", "LMOVEDAWAY0000001", "2026-03-02", "")
	_, err = db.Exec(f.ctx, `UPDATE customers SET moved_away_on = '2026-03-03' WHERE id = $1`, m)
	require.NoError(t, err)
	f.build("2026-03-04")
	require.Equal(t, []string{CampaignRecall}, f.task("2026-03-04", m).Campaigns, "recall stays, the delivery call does not")
	f.complaint(m, "2026-03-05", "")
	f.build("2026-03-05")
	require.True(t, f.held("2026-03-05", m, CampaignComplaint))
}
