package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

func TestDealerRulesCommands(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	env, out, errb := testEnvFor(t, db.URL)
	q := store.New(db.Pool)
	d, err := q.CreateDealer(ctx, store.CreateDealerParams{Code: "R1", Name: "一店", TimeZone: "Asia/Shanghai"})
	require.NoError(t, err)
	other, err := q.CreateDealer(ctx, store.CreateDealerParams{Code: "R2", Name: "二店", TimeZone: "Asia/Shanghai"})
	require.NoError(t, err)
	count := func(sql string) int {
		var n int
		require.NoError(t, db.Pool.QueryRow(ctx, sql, d.ID).Scan(&n))
		return n
	}

	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout or stderr
	}{
		{"set two", []string{"set", "--dealer", "R1", "care_15day_due=10", "lapsed_3m_enabled=0"}, 0, "care_15day_due=10 lapsed_3m_enabled=0 saved"},
		{"unknown key", []string{"set", "--dealer", "R1", "care_15day_due=12", "care15=3"}, 2, `unknown campaign setting "care15"; the settings are: complaint_priority`},
		{"bad value", []string{"set", "--dealer", "R1", "care_15day_due=12", "delivery_3day_due=-1"}, 2, "delivery_3day_due must not be negative"},
		{"not a number", []string{"set", "--dealer", "R1", "care_15day_due=ten"}, 2, `"ten" is not a whole number`},
		{"not a pair", []string{"set", "--dealer", "R1", "care_15day_due"}, 2, "is not KEY=VALUE"},
		{"twice", []string{"set", "--dealer", "R1", "care_15day_due=1", "care_15day_due=2"}, 2, "given twice"},
		{"flag late", []string{"set", "care_15day_due=1", "--dealer", "R1"}, 2, "put flags first"},
		{"nothing", []string{"set", "--dealer", "R1"}, 2, "give KEY=VALUE pairs"},
		{"both", []string{"set", "--dealer", "R1", "--reset", "care_15day_due", "x=1"}, 2, "not both"},
		{"no dealer", []string{"set", "care_15day_due=1"}, 2, "--dealer is required"},
		{"unknown dealer", []string{"set", "--dealer", "NOPE", "care_15day_due=1"}, 1, `no dealer "NOPE"`},
		{"reset", []string{"set", "--dealer", "R1", "--reset", "lapsed_3m_enabled"}, 0, "lapsed_3m_enabled back to the default"},
		{"reset unknown", []string{"set", "--dealer", "R1", "--reset", "lapsed_3m_enabled,nope"}, 2, `unknown campaign setting "nope"`},
		{"window", []string{"window", "--dealer", "R1", "--hours", "08:30-20:00", "--same-day-end", "20:45"}, 0, "calling window 08:30-20:00, same-day return visits until 20:45"},
		{"window 25:00", []string{"window", "--dealer", "R1", "--hours", "09:00-25:00"}, 2, `calling window end "25:00"`},
		{"window backwards", []string{"window", "--dealer", "R1", "--hours", "20:30-09:00"}, 2, "ends before it starts"},
		{"window same-day early", []string{"window", "--dealer", "R1", "--hours", "09:00-20:30", "--same-day-end", "20:00"}, 2, "same-day visit window end 20:00 is before"},
		{"workshop", []string{"workshop", "--dealer", "R1", "--hours", "08:00-18:00", "--days", "1-6"}, 0, "workshop hours 08:00-18:00 Mon,Tue,Wed,Thu,Fri,Sat"},
		{"workshop backwards", []string{"workshop", "--dealer", "R1", "--hours", "18:00-08:00"}, 2, "is not before close"},
		{"workshop day 8", []string{"workshop", "--dealer", "R1", "--hours", "08:00-18:00", "--days", "1-8"}, 2, "day 8"},
		{"window no hours", []string{"window", "--dealer", "R1"}, 2, "--hours is required"},
		{"holiday add", []string{"holiday", "add", "--dealer", "R1", "--day", "2026-10-01", "--name", "国庆"}, 0, "2026-10-01 国庆 is a holiday"},
		{"holiday again", []string{"holiday", "add", "--dealer", "R1", "--day", "2026-10-01", "--name", "国庆节"}, 0, "was already a holiday"},
		{"holiday add 2", []string{"holiday", "add", "--dealer", "R1", "--day", "2026-10-02"}, 0, "is a holiday"},
		{"holiday bad day", []string{"holiday", "add", "--dealer", "R1", "--day", "2026-02-30"}, 2, `holiday day "2026-02-30"`},
		{"holiday no day", []string{"holiday", "add", "--dealer", "R1"}, 2, "--day is required"},
		{"holiday remove", []string{"holiday", "remove", "--dealer", "R1", "--day", "2026-10-02"}, 0, "no longer a holiday"},
		{"holiday remove again", []string{"holiday", "remove", "--dealer", "R1", "--day", "2026-10-02"}, 2, "is not one of the dealer's holidays"},
		{"holiday list", []string{"holiday", "list", "--dealer", "R1"}, 0, "2026-10-01  国庆节"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out.Reset()
			errb.Reset()
			code := runWith(ctx, env, append([]string{"dealer"}, tc.args...))
			require.Equal(t, tc.code, code, out.String()+errb.String())
			require.Contains(t, out.String()+errb.String(), tc.want)
		})
	}

	// What was refused was not stored: only the first set and the reset changed anything.
	r, err := queue.LoadRules(ctx, db.Pool, d.ID)
	require.NoError(t, err)
	require.Equal(t, 10, r.Get("care_15day_due"))
	require.Equal(t, 3, r.Get("delivery_3day_due"))
	require.True(t, r.Enabled(queue.CampaignLapsed3m))
	require.Equal(t, 1, count(`SELECT count(*) FROM campaign_settings WHERE dealer_id = $1`))
	require.Equal(t, 2, count(`SELECT count(*) FROM outbox WHERE dealer_id = $1 AND task_type = 'queue:build'`), "a set and a reset each ask for a rebuild")
	require.Equal(t, 1, count(`SELECT count(*) FROM audit_log WHERE dealer_id = $1 AND action = 'call_window.save'`))
	require.Equal(t, 1, count(`SELECT count(*) FROM audit_log WHERE dealer_id = $1 AND action = 'workshop_hours.save'`))
	require.Equal(t, 1, count(`SELECT count(*) FROM dealers WHERE id = $1 AND workshop_open = '08:00' AND workshop_close = '18:00' AND workshop_days = '{1,2,3,4,5,6}'`))
	require.Equal(t, 8, count(`SELECT count(*) FROM audit_log WHERE dealer_id = $1 AND user_id IS NULL AND detail->>'source' = 'cli'`))
	var n int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM campaign_settings WHERE dealer_id = $1`, other.ID).Scan(&n))
	require.Zero(t, n, "another dealer is untouched")

	// rules: every setting, the dealer's own marked, the window and holidays; --json parses.
	out.Reset()
	require.Equal(t, 0, runWith(ctx, env, []string{"dealer", "rules", "--dealer", "R1"}), errb.String())
	text := out.String()
	require.Contains(t, text, "calling window 08:30-20:00, same-day return visits until 20:45")
	require.Contains(t, text, "holidays: 2026-10-01 国庆节")
	require.Regexp(t, `care_15day_due\s+10\s+15\s+\*\s+delivery on D: due D\+N`, text)
	require.Regexp(t, `care_15day_expires\s+20\s+20\s+delivery on D`, text)
	require.Contains(t, text, "* 1 of ")
	require.Equal(t, len(queue.SettingKeys()), strings.Count(text, "\n")-7, "one line a setting")
	out.Reset()
	require.Equal(t, 0, runWith(ctx, env, []string{"dealer", "rules", "--dealer", "R1", "--json"}))
	var got queue.DealerRules
	require.NoError(t, json.Unmarshal(out.Bytes(), &got))
	require.Len(t, got.Settings, len(queue.SettingKeys()))
	require.Equal(t, queue.CallWindow{Start: "08:30", End: "20:00", SameDayEnd: "20:45"}, got.Window)
	require.Equal(t, []queue.Holiday{{Day: "2026-10-01", Name: "国庆节"}}, got.Holidays)
	for _, s := range got.Settings {
		require.Equal(t, s.Key == "care_15day_due", s.Overridden, s.Key)
	}
	out.Reset()
	require.Equal(t, 0, runWith(ctx, env, []string{"dealer", "rules", "--dealer", "R2"}))
	require.Contains(t, out.String(), "calling window 09:00-20:30, same-day return visits until 21:00")
	require.Contains(t, out.String(), "holidays: none")
}
