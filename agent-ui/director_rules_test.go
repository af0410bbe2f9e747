package agentui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
)

func TestDirectorRulesAccess(t *testing.T) {
	b := setup(t, nil)
	a := b.login(t, "agent1")
	resp, _ := b.do(t, a, http.MethodGet, "/director/rules", nil, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	tok := b.csrfOf(t, a, "/console")
	resp, _ = b.do(t, a, http.MethodPost, "/director/rules", url.Values{"csrf": {tok}, "what": {"settings"}, "s_care_15day_due": {"10"}}, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	r, err := queue.LoadRules(context.Background(), b.db, b.dealer.ID)
	require.NoError(t, err)
	require.Equal(t, 15, r.Get("care_15day_due"), "an agent changes nothing")

	d := b.login(t, "director1")
	_, body := b.do(t, d, http.MethodGet, "/director/daily", nil, nil)
	require.Contains(t, body, `href="/director/rules"`, "the director navigation links the page")
	u, _ := url.Parse(b.srv.URL)
	for _, lang := range []string{langZH, langEN} {
		d.Jar.SetCookies(u, []*http.Cookie{{Name: langCookie, Value: lang, Path: "/"}})
		resp, body := b.do(t, d, http.MethodGet, "/director/rules", nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, body, "</html>", "rendered to the end (%s)", lang)
		require.Contains(t, body, dword(lang, "nav_rules"))
		for _, key := range queue.SettingKeys() {
			require.Contains(t, body, `name="s_`+key+`"`, "every setting has an input")
		}
	}
}

func TestDirectorSavesRules(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	d := b.login(t, "director1")
	dir := b.users["director1"].ID
	_, body := b.do(t, d, http.MethodGet, "/director/rules", nil, nil)
	require.Contains(t, body, `name="s_care_15day_due" value="15"`)
	require.Contains(t, body, `name="start" value="09:00"`)
	tok := b.csrfOf(t, d, "/director/rules")
	count := func(sql string, args ...any) int {
		var n int
		require.NoError(t, b.db.QueryRow(ctx, sql, args...).Scan(&n))
		return n
	}
	// The whole form as the page posts it: every setting at its current value, with changes.
	settings := func(changes map[string]string) url.Values {
		r, err := queue.LoadRules(ctx, b.db, b.dealer.ID)
		require.NoError(t, err)
		f := url.Values{"csrf": {tok}, "what": {"settings"}}
		for _, s := range r.Settings() {
			f.Set("s_"+s.Key, strconv.Itoa(s.Value))
		}
		for k, v := range changes {
			f.Set("s_"+k, v)
		}
		return f
	}

	// Bad input: 400 with the problem named, the input shown again, nothing saved.
	for _, bad := range []struct {
		form url.Values
		err  string
		kept string
	}{
		{settings(map[string]string{"care_15day_due": "10", "delivery_3day_due": "-2"}), "设置 delivery_3day_due 不能是 -2：开关只能填 0 或 1，天数和公里数不能是负数", `name="s_delivery_3day_due" value="-2"`},
		{settings(map[string]string{"care_15day_due": "ten"}), `设置 care_15day_due 要填整数，填的是 &#34;ten&#34;`, `name="s_care_15day_due" value="ten"`},
		{settings(map[string]string{"recall_enabled": "2"}), "设置 recall_enabled 不能是 2", ""},
		{url.Values{"csrf": {tok}, "what": {"window"}, "start": {"25:00"}, "end": {"20:30"}}, `外呼时段的开始时间 &#34;25:00&#34; 格式不对：请写成 09:00 这样`, `name="start" value="25:00"`},
		{url.Values{"csrf": {tok}, "what": {"window"}, "start": {"20:30"}, "end": {"09:00"}}, "外呼时段 20:30-09:00 的结束时间早于开始时间", ""},
		{url.Values{"csrf": {tok}, "what": {"holiday_add"}, "day": {"2026-02-30"}, "name": {"x"}}, "休息日 &#34;2026-02-30&#34; 格式不对：请写成 2026-10-01 这样", `name="day" value="2026-02-30"`},
		{url.Values{"csrf": {tok}, "what": {"holiday_remove"}, "day": {"2026-10-05"}}, "2026-10-05 不是本店的休息日", ""},
		{url.Values{"csrf": {tok}, "what": {"settings"}, "reset": {"nope"}}, `没有 &#34;nope&#34; 这项设置`, ""},
	} {
		resp, body := b.do(t, d, http.MethodPost, "/director/rules", bad.form, nil)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, bad.err)
		require.Contains(t, body, `id="rules-error"`, bad.err)
		require.Contains(t, body, bad.err)
		require.Contains(t, body, bad.kept)
	}
	resp, _ := b.do(t, d, http.MethodPost, "/director/rules", url.Values{"what": {"settings"}, "s_care_15day_due": {"10"}}, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "no CSRF token")
	require.Zero(t, count(`SELECT count(*) FROM campaign_settings`))
	require.Zero(t, count(`SELECT count(*) FROM dealer_holidays`))
	require.Zero(t, count(`SELECT count(*) FROM audit_log WHERE action LIKE 'campaign_settings.%' OR action LIKE 'holiday.%' OR action = 'call_window.save'`))

	// Saves: only the changed settings are stored, as the director, and today's queue is rebuilt.
	resp, _ = b.do(t, d, http.MethodPost, "/director/rules", settings(map[string]string{"care_15day_due": "10", "birthday_enabled": "0"}), nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 2, count(`SELECT count(*) FROM campaign_settings WHERE dealer_id = $1`, b.dealer.ID), "only the changed ones")
	r, err := queue.LoadRules(ctx, b.db, b.dealer.ID)
	require.NoError(t, err)
	require.Equal(t, 10, r.Get("care_15day_due"))
	require.False(t, r.Enabled(queue.CampaignBirthday))
	require.Equal(t, 1, count(`SELECT count(*) FROM audit_log WHERE action = 'campaign_settings.save' AND user_id = $1 AND dealer_id = $2`, dir, b.dealer.ID))
	require.Equal(t, 1, count(`SELECT count(*) FROM outbox WHERE task_type = 'queue:build' AND dealer_id = $1`, b.dealer.ID))
	// Posting the form unchanged saves nothing.
	resp, _ = b.do(t, d, http.MethodPost, "/director/rules", settings(nil), nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, count(`SELECT count(*) FROM audit_log WHERE action = 'campaign_settings.save'`))

	resp, _ = b.do(t, d, http.MethodPost, "/director/rules", url.Values{"csrf": {tok}, "what": {"window"}, "start": {"08:30"}, "end": {"20:00"}, "same_day_end": {"20:45"}}, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	for _, day := range []string{"2026-10-01", "2026-10-02"} {
		resp, _ = b.do(t, d, http.MethodPost, "/director/rules", url.Values{"csrf": {tok}, "what": {"holiday_add"}, "day": {day}, "name": {"国庆"}}, nil)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	}
	resp, _ = b.do(t, d, http.MethodPost, "/director/rules", url.Values{"csrf": {tok}, "what": {"holiday_remove"}, "day": {"2026-10-02"}}, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = b.do(t, d, http.MethodPost, "/director/rules", url.Values{"csrf": {tok}, "what": {"settings"}, "reset": {"birthday_enabled"}}, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	_, body = b.do(t, d, http.MethodGet, "/director/rules", nil, nil)
	require.Contains(t, body, `name="s_care_15day_due" value="10"`)
	require.Contains(t, body, `name="s_birthday_enabled" value="1"`, "reset to the default")
	require.Contains(t, body, `name="reset" value="care_15day_due"`, "an overridden setting can be reset")
	require.NotContains(t, body, `name="reset" value="birthday_enabled"`)
	require.Contains(t, body, `name="start" value="08:30"`)
	require.Contains(t, body, `name="same_day_end" value="20:45"`)
	require.Contains(t, body, "<td>2026-10-01</td><td>国庆</td>")
	require.NotContains(t, body, "2026-10-02")
	require.Equal(t, 6, count(`SELECT count(*) FROM audit_log WHERE user_id = $1 AND (action LIKE 'campaign_settings.%' OR action LIKE 'holiday.%' OR action = 'call_window.save')`, dir))

	// Another dealer is untouched.
	other, err := queue.LoadDealerRules(ctx, b.db, b.other.ID)
	require.NoError(t, err)
	require.Equal(t, queue.CallWindow{Start: "09:00", End: "20:30", SameDayEnd: "21:00"}, other.Window)
	require.Empty(t, other.Holidays)
	for _, s := range other.Settings {
		require.False(t, s.Overridden, s.Key)
	}
}

func TestRuleMeaningsInChinese(t *testing.T) {
	for _, s := range queue.DefaultRules().Settings() {
		zh := ruleMeaning(langZH, s.Key, s.Doc)
		require.NotEqual(t, s.Doc, zh, "%s has no Chinese meaning", s.Key)
		require.Equal(t, s.Doc, ruleMeaning(langEN, s.Key, s.Doc))
	}
	require.Equal(t, "首保 优先级（越大越先拨）", ruleMeaning(langZH, "first_maintenance_priority", ""))
	require.Equal(t, "1 生成召回任务，0 关闭", ruleMeaning(langZH, "recall_enabled", ""))
}
