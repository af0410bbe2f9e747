package agentui

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
)

// addDeskUser makes a service desk (服务前台) user of the dealer.
func (b *bundle) addDeskUser(t *testing.T, dealer int64, name string) {
	t.Helper()
	hash, err := store.HashPassword(testPassword)
	require.NoError(t, err)
	_, err = store.New(b.db).CreateUser(context.Background(), store.CreateUserParams{DealerID: dealer, Username: name,
		DisplayName: "前台小张", Role: roleServiceDesk, PasswordHash: hash})
	require.NoError(t, err)
}

// addAppointment books an appointment of a customer at a time (status booked unless given).
func (b *bundle) addAppointment(t *testing.T, dealer, customer int64, at time.Time, status string) int64 {
	t.Helper()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	l := at.In(loc)
	var id int64
	require.NoError(t, b.db.QueryRow(context.Background(), `INSERT INTO appointments (dealer_id, customer_id, at, day, kind, advisor, status, source)
		VALUES ($1, $2, $3, $4, 'maintenance', '王工', $5, 'director') RETURNING id`, dealer, customer, at,
		time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC), status).Scan(&id))
	return id
}

// localToday is today at hh:mm in the dealer's zone.
func localToday(hh, mm, days int) time.Time {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	n := time.Now().In(loc)
	return time.Date(n.Year(), n.Month(), n.Day()+days, hh, mm, 0, 0, loc)
}

// The service desk role sees the desk and nothing else: every other route of the console,
// page or action, answers 403, whatever routes are added later; home sends it to the desk.
func TestDeskRoleSeesOnlyTheDesk(t *testing.T) {
	b := setup(t, nil)
	b.addDeskUser(t, b.dealer.ID, "desk1")
	c := b.login(t, "desk1")
	resp, err := c.Get(b.srv.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, "/desk", resp.Header.Get("Location"), "home is the desk")
	tok := b.csrfOf(t, c, "/desk")
	re := regexp.MustCompile(`mux\.Handle(?:Func)?\("([A-Z]+) ([^"]*)"`)
	allowed := map[string]bool{"GET /desk": true, "POST /desk/appointments/{id}/arrive": true, "POST /desk/appointments/{id}/cancel": true, "POST /desk/visits": true,
		"GET /login": true, "POST /login": true, "POST /lang": true, "GET /static/{sum}/{file}": true, "GET /{$}": true, "POST /logout": true}
	files := []string{"routes.go"}
	tried := 0
	for _, file := range files {
		src, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			if allowed[m[1]+" "+m[2]] {
				continue
			}
			path := strings.NewReplacer("{id}", "1", "{campaign}", "recall", "{$}", "").Replace(m[2])
			path = regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(path, "x")
			var form url.Values
			if m[1] == http.MethodPost {
				form = url.Values{"csrf": {tok}}
			}
			resp, body := b.do(t, c, m[1], path, form, nil)
			require.Equal(t, http.StatusForbidden, resp.StatusCode, "%s %s as the service desk: %s", m[1], path, body)
			tried++
		}
	}
	require.Greater(t, tried, 30)
	// The WebSocket of the agents' console too.
	resp, _ = b.do(t, c, http.MethodGet, "/ws", nil, map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	// And agents do not see the desk.
	resp, _ = b.do(t, b.login(t, "agent1"), http.MethodGet, "/desk", nil, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

// The desk lists today's and tomorrow's appointments (masked phones, not the rescheduled
// ones nor other days), marks an arrival, cancels, and exports a day with full phones.
func TestDeskPage(t *testing.T) {
	b := setup(t, nil)
	b.addDeskUser(t, b.dealer.ID, "desk1")
	wang, li := b.customers["王建国"], b.customers["李娜"]
	today := b.addAppointment(t, b.dealer.ID, wang, localToday(9, 30, 0), "booked")
	tomorrow := b.addAppointment(t, b.dealer.ID, li, localToday(14, 0, 1), "booked")
	b.addAppointment(t, b.dealer.ID, li, localToday(10, 0, 1), "rescheduled")
	later := b.addAppointment(t, b.dealer.ID, li, localToday(10, 0, 2), "booked")
	other := b.addAppointment(t, b.other.ID, b.customers["外店客户"], localToday(11, 0, 0), "booked")
	c := b.login(t, "desk1")
	resp, body := b.do(t, c, http.MethodGet, "/desk", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, want := range []string{"今天的预约", "明天的预约", "王建国先生", "139****0001", "09:30", "14:00", "保养", "王工", "已预约", "导出 Excel", "打印"} {
		require.Contains(t, body, want)
	}
	require.NotContains(t, body, "13900000001")
	require.NotContains(t, body, "外店")
	require.Equal(t, 2, strings.Count(body, `class="appt`), "today's and tomorrow's, not the rescheduled one nor the day after")
	require.NotContains(t, body, "appt-"+strconv.FormatInt(later, 10))

	tok := b.csrfOf(t, c, "/desk")
	post := func(path string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, b.srv.URL+path, strings.NewReader(url.Values{"csrf": {tok}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw := make([]byte, 1<<16)
		n, _ := resp.Body.Read(raw)
		return resp.StatusCode, string(raw[:n])
	}
	code, _ := post("/desk/appointments/" + strconv.FormatInt(today, 10) + "/arrive")
	require.Equal(t, http.StatusSeeOther, code)
	_, page := b.do(t, c, http.MethodGet, "/desk?done=arrived", nil, nil)
	require.Contains(t, page, "已标记到店")
	code, _ = post("/desk/appointments/" + strconv.FormatInt(tomorrow, 10) + "/cancel")
	require.Equal(t, http.StatusSeeOther, code)
	var st1, st2 string
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT (SELECT status FROM appointments WHERE id = $1), (SELECT status FROM appointments WHERE id = $2)`, today, tomorrow).Scan(&st1, &st2))
	require.Equal(t, []string{"arrived", "cancelled"}, []string{st1, st2})
	var audits int
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action IN ('appointment.arrived', 'appointment.cancelled') AND user_id IS NOT NULL`).Scan(&audits))
	require.Equal(t, 2, audits)
	// Once arrived it cannot be cancelled; the day after tomorrow is not the desk's; another
	// dealer's appointment does not exist here.
	r1, _ := b.do(t, c, http.MethodPost, "/desk/appointments/"+strconv.FormatInt(today, 10)+"/cancel", url.Values{"csrf": {tok}}, nil)
	require.Equal(t, http.StatusConflict, r1.StatusCode)
	r2, _ := b.do(t, c, http.MethodPost, "/desk/appointments/"+strconv.FormatInt(later, 10)+"/arrive", url.Values{"csrf": {tok}}, nil)
	require.Equal(t, http.StatusConflict, r2.StatusCode)
	r3, _ := b.do(t, c, http.MethodPost, "/desk/appointments/"+strconv.FormatInt(other, 10)+"/arrive", url.Values{"csrf": {tok}}, nil)
	require.Equal(t, http.StatusNotFound, r3.StatusCode)

	day := localToday(0, 0, 0).Format(dayLayout)
	resp, x := b.do(t, c, http.MethodGet, "/desk?format=xlsx&day="+day, nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "spreadsheet")
	require.NotEmpty(t, x)
	resp, _ = b.do(t, c, http.MethodGet, "/desk?format=xlsx&day=2020-01-01", nil, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, body = b.do(t, c, http.MethodGet, "/desk?print=1", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "desk.js")
	require.NotContains(t, body, `action="/desk/appointments`)
	// Directors see the desk too.
	resp, _ = b.do(t, b.login(t, "director1"), http.MethodGet, "/desk", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// The director's daily check shows thank-you SMS sent against the day's workshop-visit
// customers, and the figure opens the list.
func TestDailyCheckThankYouLine(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	day := localToday(0, 0, 0).Format(dayLayout)
	for _, name := range []string{"王建国", "李娜"} {
		_, err := b.db.Exec(ctx, `INSERT INTO workshop_visits (dealer_id, vehicle_id, customer_id, day, kind, type_label)
			SELECT dealer_id, id, customer_id, $2::date, 'repair', '钣喷' FROM vehicles WHERE customer_id = $1`, b.customers[name], day)
		require.NoError(t, err)
	}
	_, err := b.db.Exec(ctx, `INSERT INTO sms_messages (dealer_id, customer_id, phone, kind, template, body, status, idempotency_key, sent_at)
		VALUES ($1, $2, '13900000001', 'service', 'thank_you', '感谢', 'sent', $3, now())`, b.dealer.ID, b.customers["王建国"],
		"thank_you:"+strconv.FormatInt(b.customers["王建国"], 10)+":"+day)
	require.NoError(t, err)
	d := b.login(t, "director1")
	resp, body := b.do(t, d, http.MethodGet, "/director/daily?day="+day, nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "感谢短信已发 / 进厂客户")
	require.Regexp(t, `id="thanks-vs-visits"><a href="/director/daily/thanks\?day=`+day+`">1 / 2</a>`, body)
	resp, body = b.do(t, d, http.MethodGet, "/director/daily/thanks?day="+day, nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "王建国先生")
	require.Contains(t, body, "李娜女士")
	require.Contains(t, body, "钣喷")
}

// Front desk registration (前台登记): the desk records a showroom visitor through
// queue.RecordShowroomVisit, so the prospect, the visit, the leave-store SMS and the
// same-day rebuild follow; a bad phone or times name the field and store nothing.
func TestDeskRegistersShowroomVisitor(t *testing.T) {
	b := setup(t, nil)
	b.addDeskUser(t, b.dealer.ID, "desk1")
	ctx := context.Background()
	c := b.login(t, "desk1")
	tok := b.csrfOf(t, c, "/desk")
	count := func(sql string) int {
		var n int
		require.NoError(t, b.db.QueryRow(ctx, sql, b.dealer.ID).Scan(&n))
		return n
	}
	visit := func(phone, arrived, left string) url.Values {
		return url.Values{"csrf": {tok}, "phone": {phone}, "name": {"钱多多"}, "title": {"女士"}, "consultant": {"张伟"},
			"arrived_at": {arrived}, "left_at": {left}, "intent_level": {"A"}}
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"bad phone", visit("123", "2026-12-02T10:00", "2026-12-02T11:00"), "电话号码不对"},
		{"left before arriving", visit("13812345678", "2026-12-02T10:00", "2026-12-02T09:00"), "离店时间不对"},
		{"no arrival", visit("13812345678", "", ""), "到店时间不对"},
		{"bad intent", func() url.Values {
			v := visit("13812345678", "2026-12-02T10:00", "")
			v.Set("intent_level", "Z")
			return v
		}(), "意向级别"},
	} {
		resp, body := b.do(t, c, http.MethodPost, "/desk/visits", tc.form, nil)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, tc.name)
		require.Contains(t, body, tc.want, tc.name)
		require.Contains(t, body, `id="visit-form"`, "the form stays, in the page layout")
	}
	require.Zero(t, count(`SELECT count(*) FROM showroom_visits WHERE dealer_id = $1`))
	require.Zero(t, count(`SELECT count(*) FROM customers WHERE dealer_id = $1 AND phone = '13812345678'`))

	resp, _ := b.do(t, c, http.MethodPost, "/desk/visits", visit("138 1234 5678", "2026-12-02T10:00", "2026-12-02T11:30"), nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, count(`SELECT count(*) FROM showroom_visits v JOIN customers c ON c.id = v.customer_id
		WHERE v.dealer_id = $1 AND c.phone = '13812345678' AND c.name = '钱多多' AND v.consultant = '张伟' AND v.intent_level = 'A' AND v.left_at IS NOT NULL`))
	require.Equal(t, 1, count(`SELECT count(*) FROM sms_messages WHERE dealer_id = $1 AND template = 'leave_store_care' AND status = 'queued'`))
	require.Equal(t, 1, count(`SELECT count(*) FROM outbox WHERE dealer_id = $1 AND task_type = 'queue:build' AND payload->>'day' = '2026-12-02'`))
	// Directors register too; agents do not.
	d := b.login(t, "director1")
	resp, _ = b.do(t, d, http.MethodPost, "/desk/visits", url.Values{"csrf": {b.csrfOf(t, d, "/desk")}, "phone": {"13812345679"}, "arrived_at": {"2026-12-02T12:00"}}, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	a := b.login(t, "agent1")
	resp, _ = b.do(t, a, http.MethodPost, "/desk/visits", url.Values{"csrf": {b.csrfOf(t, a, "/console")}, "phone": {"13812345670"}, "arrived_at": {"2026-12-02T12:00"}}, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

// The arrival and no-show rates: appointments that fell due (a past day of the range, not
// cancelled nor rescheduled), arrived at the desk or by a workshop visit that day; each
// figure opens its list.
func TestArrivalAndNoShowRates(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	wang, li, zhao := b.customers["王建国"], b.customers["李娜"], b.customers["赵回电"]
	b.addAppointment(t, b.dealer.ID, wang, localToday(9, 0, -1), "booked")
	b.addAppointment(t, b.dealer.ID, li, localToday(10, 0, -1), "booked")
	b.addAppointment(t, b.dealer.ID, zhao, localToday(11, 0, -1), "cancelled")
	b.addAppointment(t, b.dealer.ID, zhao, localToday(11, 0, 0), "booked") // today: not fallen due yet
	yesterday := localToday(0, 0, -1).Format(dayLayout)
	_, err := b.db.Exec(ctx, `INSERT INTO workshop_visits (dealer_id, vehicle_id, customer_id, day, kind, type_label)
		SELECT dealer_id, id, customer_id, $2::date, 'maintenance', '保养' FROM vehicles WHERE customer_id = $1`, wang, yesterday)
	require.NoError(t, err)
	d := b.login(t, "director1")
	rq := "from=" + localToday(0, 0, -7).Format(dayLayout) + "&to=" + localToday(0, 0, 0).Format(dayLayout)
	resp, body := b.do(t, d, http.MethodGet, "/director/kpi?"+rq, nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "到店率")
	require.Contains(t, body, "爽约率")
	require.Equal(t, 2, strings.Count(body, "1 / 2"), "arrival 1 of 2, no-show 1 of 2")
	_, body = b.do(t, d, http.MethodGet, "/director/kpi/list?kpi=arrival&only=no&"+rq, nil, nil)
	require.Contains(t, body, "李娜")
	require.NotContains(t, body, "王建国")
	require.NotContains(t, body, "赵回电")
	_, body = b.do(t, d, http.MethodGet, "/director/kpi/list?kpi=arrival&only=yes&"+rq, nil, nil)
	require.Contains(t, body, "王建国")
	require.NotContains(t, body, "李娜")
}
