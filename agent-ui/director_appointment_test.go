package agentui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// A director books an appointment for a customer on the customer's booking page through
// queue.BookAppointment: the workshop hours (editable on the rules page) are checked, a
// bad time or kind is named in Chinese with the form kept and nothing stored, and a new
// booking reschedules the customer's earlier one, audited, with a rebuild.
func TestDirectorBooksAppointment(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	d := b.login(t, "director1")
	cust := b.customers["王建国"]
	page := fmt.Sprintf("/director/customers/%d/appointment", cust)
	tok := b.csrfOf(t, d, page)
	count := func(sql string, args ...any) int {
		var n int
		require.NoError(t, b.db.QueryRow(ctx, sql, args...).Scan(&n))
		return n
	}
	at := func(days, hh, mm int) string { return localToday(hh, mm, days).Format("2006-01-02T15:04") }

	// The workshop hours from the rules page: 09:00-17:00 every day; bad hours refused.
	for _, bad := range []struct {
		form url.Values
		err  string
	}{
		{url.Values{"open": {"9点"}, "close": {"17:00"}, "day": {"1", "2"}}, "接车时间须为 时:分（如 08:30）"},
		{url.Values{"open": {"17:00"}, "close": {"09:00"}, "day": {"1"}}, "接车开始时间须早于结束时间"},
		{url.Values{"open": {"09:00"}, "close": {"17:00"}}, "至少选择一个接车日"},
	} {
		bad.form.Set("csrf", tok)
		bad.form.Set("what", "workshop")
		resp, body := b.do(t, d, http.MethodPost, "/director/rules", bad.form, nil)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, bad.err)
		require.Contains(t, body, bad.err)
		require.Contains(t, body, `name="open" value="`+bad.form.Get("open")+`"`, "the input kept")
	}
	hours, err := queue.LoadWorkshopHours(ctx, store.New(b.db), b.dealer.ID)
	require.NoError(t, err)
	require.Equal(t, "08:30", hours.Open, "nothing saved")
	resp, _ := b.do(t, d, http.MethodPost, "/director/rules", url.Values{"csrf": {tok}, "what": {"workshop"}, "open": {"09:00"}, "close": {"17:00"},
		"day": {"1", "2", "3", "4", "5", "6", "7"}}, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body := b.do(t, d, http.MethodGet, "/director/rules", nil, nil)
	require.Contains(t, body, `name="open" value="09:00"`)
	require.Contains(t, body, `name="day" value="7" checked`)
	require.Equal(t, 1, count(`SELECT count(*) FROM audit_log WHERE action = 'workshop_hours.save' AND user_id = $1`, b.users["director1"].ID))

	_, body = b.do(t, d, http.MethodGet, page, nil, nil)
	require.Contains(t, body, "每天 09:00-17:00", "the hours shown")
	require.Contains(t, body, "王", "the customer")

	// Refused, named in Chinese, the form kept, nothing stored.
	for _, bad := range []struct {
		form url.Values
		err  string
	}{
		{url.Values{"at": {"明天上午"}, "kind": {"repair"}}, "预约时间不对：请填日期和时间"},
		{url.Values{"at": {at(2, 8, 30)}, "kind": {"repair"}}, "不在接车时间内（每天 09:00-17:00）"},
		{url.Values{"at": {at(2, 17, 30)}, "kind": {"repair"}}, "不在接车时间内"},
		{url.Values{"at": {at(-1, 10, 0)}, "kind": {"repair"}}, "预约时间已过"},
		{url.Values{"at": {at(2, 10, 0)}, "kind": {"wash"}}, "请选择预约类型"},
	} {
		bad.form.Set("csrf", tok)
		bad.form.Set("advisor", "王工")
		resp, body := b.do(t, d, http.MethodPost, page, bad.form, nil)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, bad.err)
		require.Contains(t, body, bad.err)
		require.Contains(t, body, `class="error field-error"`)
		require.Contains(t, body, `name="advisor" value="王工"`, "the form kept")
	}
	require.Zero(t, count(`SELECT count(*) FROM appointments`))

	// Booked; a second booking reschedules the first.
	for i, when := range []string{at(2, 10, 0), at(3, 16, 30)} {
		resp, _ := b.do(t, d, http.MethodPost, page, url.Values{"csrf": {tok}, "at": {when}, "kind": {"maintenance"}, "advisor": {"王工"}}, nil)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, "booking %d", i)
	}
	require.Equal(t, 1, count(`SELECT count(*) FROM appointments WHERE customer_id = $1 AND status = 'booked' AND source = 'director' AND kind = 'maintenance'
		AND advisor = '王工' AND created_by = $2`, cust, b.users["director1"].ID))
	require.Equal(t, 1, count(`SELECT count(*) FROM appointments WHERE customer_id = $1 AND status = 'rescheduled'`, cust))
	require.Equal(t, 2, count(`SELECT count(*) FROM audit_log WHERE action = 'appointment.book' AND user_id = $1`, b.users["director1"].ID))
	require.Equal(t, 2, count(`SELECT count(*) FROM outbox WHERE task_type = 'queue:build' AND dealer_id = $1`, b.dealer.ID))
	_, body = b.do(t, d, http.MethodGet, page+"?saved=1", nil, nil)
	require.Contains(t, body, `id="appt-saved"`)
	require.Contains(t, body, localToday(16, 30, 3).Format("2006-01-02 15:04"))
	require.Contains(t, body, "保养", "the kind in words")
	require.NotContains(t, body, localToday(10, 0, 2).Format("2006-01-02 15:04"), "the rescheduled one is not listed")
}
