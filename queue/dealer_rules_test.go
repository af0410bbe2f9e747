package queue

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// count counts the rows of a query with one dealer argument.
func (f *ruleFixture) count(sql string) int {
	f.t.Helper()
	var n int
	require.NoError(f.t, f.db.QueryRow(f.ctx, sql, f.dealer).Scan(&n))
	return n
}

func TestSaveSettingsAllOrNothing(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	other := newRuleDealer(t, db, &seq)
	ctx := context.Background()

	require.NoError(t, SaveSettings(ctx, db, f.dealer, map[string]int{"care_15day_due": 10, "care_15day_expires": 18, "lapsed_3m_enabled": 0}, 0))
	r, err := LoadRules(ctx, db, f.dealer)
	require.NoError(t, err)
	require.Equal(t, 10, r.Get("care_15day_due"))
	require.Equal(t, 18, r.Get("care_15day_expires"))
	require.False(t, r.Enabled(CampaignLapsed3m))
	require.Equal(t, 1, f.count(`SELECT count(*) FROM audit_log WHERE dealer_id = $1 AND action = 'campaign_settings.save' AND user_id IS NULL`))
	var detail []byte
	require.NoError(t, db.QueryRow(ctx, `SELECT detail FROM audit_log WHERE dealer_id = $1 AND action = 'campaign_settings.save'`, f.dealer).Scan(&detail))
	var d struct {
		Settings map[string]struct{ From, To int }
	}
	require.NoError(t, json.Unmarshal(detail, &d))
	require.Equal(t, 15, d.Settings["care_15day_due"].From)
	require.Equal(t, 10, d.Settings["care_15day_due"].To)
	// The rebuild of the dealer's today is asked for in the same transaction.
	var payload []byte
	require.NoError(t, db.QueryRow(ctx, `SELECT payload FROM outbox WHERE dealer_id = $1 AND task_type = $2`, f.dealer, TypeBuild).Scan(&payload))
	var p BuildPayload
	require.NoError(t, json.Unmarshal(payload, &p))
	require.Equal(t, f.dealer, p.DealerID)
	today, err := store.New(db).LocalDay(ctx, store.LocalDayParams{At: time.Now(), DealerID: f.dealer})
	require.NoError(t, err)
	require.Equal(t, today.Format("2006-01-02"), p.Day)

	// One bad value refuses the whole change: nothing saved, nothing audited, no rebuild.
	for _, tc := range []struct {
		name   string
		values map[string]int
		err    string
	}{
		{"negative", map[string]int{"care_15day_due": 12, "delivery_3day_due": -1}, "delivery_3day_due must not be negative"},
		{"enabled not 0/1", map[string]int{"care_15day_due": 12, "recall_enabled": 2}, "recall_enabled must be 0 or 1"},
		{"months zero", map[string]int{"care_15day_due": 12, "maintenance_months": 0}, "maintenance_months must be at least 1"},
		{"unknown key", map[string]int{"care_15day_due": 12, "care_15_day_due": 3}, `unknown campaign setting "care_15_day_due"; the settings are: complaint_priority,`},
		{"nothing", map[string]int{}, "no setting to save"},
		{"too big", map[string]int{"care_15day_due": 12, "maintenance_km": 2_000_000}, "maintenance_km must be at most 1000000"},
		{"expires before due", map[string]int{"care_15day_due": 19}, "care_15day_due 19 is after care_15day_expires 18: the call would expire before it is due"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := SaveSettings(ctx, db, f.dealer, tc.values, 0)
			require.ErrorIs(t, err, ErrRuleInput)
			require.ErrorContains(t, err, tc.err)
		})
	}
	r, err = LoadRules(ctx, db, f.dealer)
	require.NoError(t, err)
	require.Equal(t, 10, r.Get("care_15day_due"), "the good value of a refused change is not saved")
	require.Equal(t, 1, f.count(`SELECT count(*) FROM audit_log WHERE dealer_id = $1`))
	require.Equal(t, 1, f.count(`SELECT count(*) FROM outbox WHERE dealer_id = $1`))

	// Reset: back to the default, the override gone, audited, rebuilt.
	require.NoError(t, ResetSettings(ctx, db, f.dealer, []string{"care_15day_due", "lapsed_3m_enabled"}, 0))
	rules, err := LoadDealerRules(ctx, db, f.dealer)
	require.NoError(t, err)
	for _, s := range rules.Settings {
		switch s.Key {
		case "care_15day_due":
			require.Equal(t, 15, s.Value)
			require.False(t, s.Overridden)
		case "care_15day_expires":
			require.Equal(t, 18, s.Value)
			require.True(t, s.Overridden)
		case "lapsed_3m_enabled":
			require.Equal(t, 1, s.Value)
			require.False(t, s.Overridden)
		}
	}
	require.Len(t, rules.Settings, len(defaultSettings()))
	require.ErrorIs(t, ResetSettings(ctx, db, f.dealer, []string{"nope"}, 0), ErrUnknownSetting)
	require.Equal(t, 1, f.count(`SELECT count(*) FROM audit_log WHERE dealer_id = $1 AND action = 'campaign_settings.reset'`))
	require.Equal(t, 2, f.count(`SELECT count(*) FROM outbox WHERE dealer_id = $1 AND task_type = 'queue:build'`))

	// The other dealer is untouched.
	or, err := LoadRules(ctx, db, other.dealer)
	require.NoError(t, err)
	require.Equal(t, 18, r.Get("care_15day_expires"))
	require.Equal(t, 20, or.Get("care_15day_expires"))
	require.Zero(t, other.count(`SELECT count(*) FROM campaign_settings WHERE dealer_id = $1`))
}

func TestParseSettingValue(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		want       int
		err        string
	}{
		{"care_15day_due", " 10 ", 10, ""},
		{"care_15day_due", "ten", 0, `care_15day_due: "ten" is not a whole number`},
		{"care_15day_due", "1.5", 0, "not a whole number"},
		{"care_15day_due", "-3", 0, "must not be negative"},
		{"no_key", "3", 0, `unknown campaign setting "no_key"`},
	} {
		v, err := ParseSettingValue(tc.key, tc.value)
		if tc.err != "" {
			require.ErrorIs(t, err, ErrRuleInput, tc.value)
			require.ErrorContains(t, err, tc.err)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.want, v)
	}
}

func TestCallWindowValidation(t *testing.T) {
	for _, tc := range []struct {
		start, end, sameDay string
		want                CallWindow
		err                 string
	}{
		{"09:00", "20:30", "21:00", CallWindow{"09:00", "20:30", "21:00"}, ""},
		{"8:30", "20:00", "", CallWindow{"08:30", "20:00", "20:30"}, ""},
		{"09:00", "23:45", "", CallWindow{"09:00", "23:45", "23:59"}, ""},
		{"09:00", "20:30", "20:30", CallWindow{"09:00", "20:30", "20:30"}, ""},
		{"25:00", "20:30", "", CallWindow{}, `calling window start "25:00"`},
		{"09:00", "20:60", "", CallWindow{}, `calling window end "20:60"`},
		{"nine", "20:30", "", CallWindow{}, "give a time of day as HH:MM"},
		{"20:30", "09:00", "", CallWindow{}, "ends before it starts"},
		{"09:00", "09:00", "", CallWindow{}, "ends before it starts"},
		{"09:00", "20:30", "20:00", CallWindow{}, "same-day visit window end 20:00 is before the calling window end 20:30"},
	} {
		w, err := ParseCallWindow(tc.start, tc.end, tc.sameDay)
		if tc.err != "" {
			require.ErrorIs(t, err, ErrRuleInput)
			require.ErrorContains(t, err, tc.err)
			continue
		}
		require.NoError(t, err, tc.start)
		require.Equal(t, tc.want, w)
	}
	_, err := ParseWindowRange("09:00 to 20:30", "")
	require.ErrorContains(t, err, "HH:MM-HH:MM")
}

func TestSaveCallWindowAndHolidays(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	other := newRuleDealer(t, db, &seq)
	ctx := context.Background()

	require.ErrorContains(t, SaveCallWindow(ctx, db, f.dealer, "20:00", "10:00", "", 0), "ends before it starts")
	require.NoError(t, SaveCallWindow(ctx, db, f.dealer, "08:30", "20:00", "20:45", 0))
	r, err := LoadDealerRules(ctx, db, f.dealer)
	require.NoError(t, err)
	require.Equal(t, CallWindow{"08:30", "20:00", "20:45"}, r.Window)
	o, err := LoadDealerRules(ctx, db, other.dealer)
	require.NoError(t, err)
	require.Equal(t, CallWindow{"09:00", "20:30", "21:00"}, o.Window, "another dealer keeps the default window")
	require.Equal(t, 1, f.count(`SELECT count(*) FROM audit_log WHERE dealer_id = $1 AND action = 'call_window.save'`))

	added, err := AddHoliday(ctx, db, f.dealer, "2026-10-01", "国庆", 0)
	require.NoError(t, err)
	require.True(t, added)
	added, err = AddHoliday(ctx, db, f.dealer, "2026-10-01", "国庆节", 0)
	require.NoError(t, err, "adding a listed day again is harmless")
	require.False(t, added)
	_, err = AddHoliday(ctx, db, f.dealer, "2026-10-02", "", 0)
	require.NoError(t, err)
	for _, bad := range []string{"2026-13-01", "10/01/2026", "", "1999-10-01"} {
		_, err = AddHoliday(ctx, db, f.dealer, bad, "x", 0)
		require.ErrorIs(t, err, ErrRuleInput, bad)
	}
	r, err = LoadDealerRules(ctx, db, f.dealer)
	require.NoError(t, err)
	require.Equal(t, []Holiday{{"2026-10-01", "国庆节"}, {"2026-10-02", ""}}, r.Holidays)

	require.NoError(t, RemoveHoliday(ctx, db, f.dealer, "2026-10-02", 0))
	err = RemoveHoliday(ctx, db, f.dealer, "2026-10-02", 0)
	require.ErrorIs(t, err, ErrRuleInput)
	require.ErrorContains(t, err, "2026-10-02 is not one of the dealer's holidays")
	r, err = LoadDealerRules(ctx, db, f.dealer)
	require.NoError(t, err)
	require.Equal(t, []Holiday{{"2026-10-01", "国庆节"}}, r.Holidays)
	require.Equal(t, 3, f.count(`SELECT count(*) FROM audit_log WHERE dealer_id = $1 AND action = 'holiday.add'`))
	require.Equal(t, 1, f.count(`SELECT count(*) FROM audit_log WHERE dealer_id = $1 AND action = 'holiday.remove'`))
	require.Zero(t, other.count(`SELECT count(*) FROM dealer_holidays WHERE dealer_id = $1`))
}

// TestChangedSettingChangesTheBuild: care_15day_due=10 puts the 15-day care call in the
// queue ten days after delivery, which the default (15) does not.
func TestChangedSettingChangesTheBuild(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	g := newRuleDealer(t, db, &seq)
	c := f.customer(cust{})
	f.vehicle(c, veh{Delivery: "2026-03-01"})
	gc := g.customer(cust{})
	g.vehicle(gc, veh{Delivery: "2026-03-01"})

	f.build("2026-03-11")
	require.False(t, f.held("2026-03-11", c, CampaignCare15Day), "default: due on D+15")
	require.NoError(t, SaveSettings(f.ctx, db, f.dealer, map[string]int{"care_15day_due": 10}, 0))
	f.build("2026-03-11")
	require.True(t, f.held("2026-03-11", c, CampaignCare15Day), "care_15day_due=10: due on D+10")
	g.build("2026-03-11")
	require.False(t, g.held("2026-03-11", gc, CampaignCare15Day), "another dealer keeps the default")
}

// TestHolidayClosesTake: a holiday added with AddHoliday closes the calling window for
// Take, and removing it opens it again; a changed window moves the opening.
func TestHolidayClosesTake(t *testing.T) {
	b := newWorkBundle(t, 1)
	b.addTask(t, taskOpts{phone: "13900000001"})
	ctx := context.Background()
	_, err := AddHoliday(ctx, b.db, b.dealer, "2026-11-23", "店休", 0)
	require.NoError(t, err)
	_, err = b.take(t, b.agents[0], b.at(t, "2026-11-23 10:00"))
	require.ErrorIs(t, err, ErrHoliday)
	var ce *ClosedError
	require.ErrorAs(t, err, &ce)
	require.True(t, b.at(t, "2026-11-24 09:00").Equal(ce.NextOpen), "next open %v", ce.NextOpen)

	require.NoError(t, RemoveHoliday(ctx, b.db, b.dealer, "2026-11-23", 0))
	require.NoError(t, SaveCallWindow(ctx, b.db, b.dealer, "10:30", "19:00", "", 0))
	_, err = b.take(t, b.agents[0], b.at(t, "2026-11-23 10:00"))
	require.ErrorIs(t, err, ErrOutsideWindow, "the new window opens at 10:30")
	require.ErrorAs(t, err, &ce)
	require.True(t, b.at(t, "2026-11-23 10:30").Equal(ce.NextOpen), "next open %v", ce.NextOpen)
	_, err = b.take(t, b.agents[0], b.at(t, "2026-11-23 10:30"))
	require.NoError(t, err)
}

func TestRuleInputChinese(t *testing.T) {
	_, err := ParseCallWindow("20:30", "09:00", "")
	require.Equal(t, "外呼时段 20:30-09:00 的结束时间早于开始时间：结束时间要晚于开始时间", RuleInputChinese(err))
	_, err = ParseSettingValue("care_15day_due", "十")
	require.Equal(t, `设置 care_15day_due 要填整数，填的是 "十"`, RuleInputChinese(err))
	require.Empty(t, RuleInputChinese(errors.New("other")))
}
