package agentui

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/store"
)

// addSMS inserts an SMS of a dealer's campaign (created now unless at is set).
func (b *bundle) addSMS(t *testing.T, dealerID, campaignID int64, template, status string, at time.Time) {
	t.Helper()
	var camp *int64
	if campaignID > 0 {
		camp = &campaignID
	}
	_, err := b.db.Exec(context.Background(), `INSERT INTO sms_messages (dealer_id, broadcast_id, phone, kind, template, body, status, idempotency_key, created_at)
		VALUES ($1, $2, '13900000001', 'marketing', $3, '【店】你好', $4, $5, $6)`, dealerID, camp, template, status, "k-"+randomToken()[:16], at)
	require.NoError(t, err)
}

func TestDirectorSMSAccess(t *testing.T) {
	b := setup(t, nil)
	a := b.login(t, "agent1")
	for _, p := range []string{"/director/sms", "/director/sms/templates", "/director/sms?format=xlsx", "/director/sms/consent"} {
		resp, _ := b.do(t, a, http.MethodGet, p, nil, nil)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, p)
	}
	tok := b.csrfOf(t, a, "/console")
	resp, _ := b.do(t, a, http.MethodPost, "/director/sms/templates", url.Values{"csrf": {tok}, "code": {"x"}, "kind": {"service"}, "body": {"你好"}}, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	d := b.login(t, "director1")
	_, body := b.do(t, d, http.MethodGet, "/director/daily", nil, nil)
	require.Contains(t, body, `href="/director/sms"`, "the director navigation links the page")
	u, _ := url.Parse(b.srv.URL)
	for _, lang := range []string{langZH, langEN} {
		d.Jar.SetCookies(u, []*http.Cookie{{Name: langCookie, Value: lang, Path: "/"}})
		for _, p := range []string{"/director/sms", "/director/sms/templates", "/director/sms/consent?phone=13900000002"} {
			resp, body := b.do(t, d, http.MethodGet, p, nil, nil)
			require.Equal(t, http.StatusOK, resp.StatusCode, p)
			require.Contains(t, body, "</html>", "%s (%s) rendered to the end", p, lang)
			require.Contains(t, body, dword(lang, "nav_sms"), p)
		}
	}
}

func TestDirectorSMSFiguresForOwnDealer(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	var offer, otherCamp, calls int64
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO broadcasts (dealer_id, code, channel, template) VALUES ($1, 'offer:2026-11', 'sms', 'holiday') RETURNING id`, b.dealer.ID).Scan(&offer))
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO broadcasts (dealer_id, code, channel, template) VALUES ($1, 'other:2026-11', 'sms', 'holiday') RETURNING id`, b.other.ID).Scan(&otherCamp))
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO broadcasts (dealer_id, code, channel, prompt_path) VALUES ($1, 'recall:2026-11', 'message_call', '/tmp/p.wav') RETURNING id`, b.dealer.ID).Scan(&calls))
	now := time.Now()
	for _, s := range []string{"delivered", "delivered", "sent", "failed", "suppressed", "queued"} {
		b.addSMS(t, b.dealer.ID, offer, "holiday", s, now.Add(-time.Hour))
	}
	b.addSMS(t, b.dealer.ID, offer, "holiday", "delivered", now.AddDate(0, 0, -40)) // before the default 30 days
	b.addSMS(t, b.dealer.ID, 0, "leave_store_care", "delivered", now.Add(-time.Hour))
	for i := 0; i < 9; i++ {
		b.addSMS(t, b.other.ID, otherCamp, "holiday", "delivered", now.Add(-time.Hour))
	}
	for i, k := range []struct{ status, key string }{{"done", "1"}, {"done", "2"}, {"done", "9"}, {"unreachable", ""}, {"pending", ""}} {
		_, err := b.db.Exec(ctx, `INSERT INTO message_call_targets (broadcast_id, dealer_id, phone, status, key) VALUES ($1, $2, $3, $4, $5)`,
			calls, b.dealer.ID, fmt.Sprintf("1390000010%d", i), k.status, k.key)
		require.NoError(t, err)
	}

	d := b.login(t, "director1")
	resp, body := b.do(t, d, http.MethodGet, "/director/sms", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, "offer:2026-11")
	require.Contains(t, body, "recall:2026-11")
	require.NotContains(t, body, "other:2026-11", "another dealer's campaign")
	// offer: total 6, sent 3, delivered 2, failed 1, suppressed 1, pending 1, replied 0, opted out 0.
	require.Contains(t, body, `<td>offer:2026-11</td><td>holiday</td><td class="n">6</td><td class="n">3</td><td class="n">2</td><td class="n">1</td><td class="n">1</td><td class="n">1</td><td class="n">0</td><td class="n">0</td>`)
	// recall: total 5, answered 3, keys 1/2/9 once each, 1 unreachable, 1 pending.
	require.Contains(t, body, `<td>recall:2026-11</td><td class="n">5</td><td class="n">3</td><td class="n">1</td><td class="n">1</td><td class="n">1</td><td class="n">1</td><td class="n">1</td>`)

	// An earlier day takes in the older message.
	since := now.AddDate(0, 0, -45).Format(dayLayout)
	_, body = b.do(t, d, http.MethodGet, "/director/sms?since="+since, nil, nil)
	require.Contains(t, body, `<td>offer:2026-11</td><td>holiday</td><td class="n">7</td>`)
	resp, _ = b.do(t, d, http.MethodGet, "/director/sms?since=yesterday", nil, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// The exports: SMS (header and 2 lines: offer, automatic) and message calls (header and 1 line).
	for _, c := range []struct {
		path string
		rows int
		cell string
	}{{"/director/sms?format=xlsx", 3, "offer:2026-11"}, {"/director/sms?format=xlsx&part=calls", 2, "recall:2026-11"}} {
		resp, body = b.do(t, d, http.MethodGet, c.path, nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, c.path)
		f, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
		require.NoError(t, err)
		rows, err := f.GetRows("Sheet1")
		require.NoError(t, err)
		require.Len(t, rows, c.rows, c.path)
		var found bool
		for _, r := range rows {
			found = found || r[0] == c.cell
		}
		require.True(t, found, "%s has %s: %v", c.path, c.cell, rows)
		require.NoError(t, f.Close())
	}
}

func TestDirectorSavesSMSTemplates(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	d := b.login(t, "director1")
	resp, body := b.do(t, d, http.MethodGet, "/director/sms/templates", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "leave_store_care", "the defaults are listed")
	require.Contains(t, body, "广州测试4S店", "the signature defaults to the dealer's name")
	tok := b.csrfOf(t, d, "/director/sms/templates")

	// Bad input is refused with the error on the page and nothing saved.
	for _, bad := range []url.Values{
		{"code": {"offer"}, "kind": {"marketing"}, "body": {"{customer}，{unknown}优惠"}},
		{"code": {"offer"}, "kind": {"marketing"}, "body": {"【某店】{customer}，优惠"}},
		{"code": {"offer"}, "kind": {"promo"}, "body": {"{customer}，优惠"}},
		{"code": {"Bad Code"}, "kind": {"marketing"}, "body": {"{customer}，优惠"}},
		{"code": {"offer"}, "kind": {"marketing"}, "body": {"{customer}，优惠"}, "provider_code": {"SMS 1"}},
		{"what": {"signature"}, "signature": {"【】"}},
	} {
		bad.Set("csrf", tok)
		resp, body := b.do(t, d, http.MethodPost, "/director/sms/templates", bad, nil)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, bad.Encode())
		require.Contains(t, body, `id="sms-error"`, bad.Encode())
	}
	resp, _ = b.do(t, d, http.MethodPost, "/director/sms/templates", url.Values{"code": {"offer"}, "kind": {"service"}, "body": {"你好"}}, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "no CSRF token")
	var n int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM sms_templates`).Scan(&n))
	require.Zero(t, n)

	form := url.Values{"csrf": {tok}, "what": {"template"}, "code": {"offer"}, "kind": {"marketing"}, "title": {"双十一优惠"}, "body": {"{customer}，{dealer}双十一保养八折！"},
		"provider_code": {" SMS_123456789 "}}
	resp, _ = b.do(t, d, http.MethodPost, "/director/sms/templates", form, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = b.do(t, d, http.MethodPost, "/director/sms/templates", url.Values{"csrf": {tok}, "what": {"signature"}, "signature": {"【广州本田】"}}, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	tpl, err := store.New(b.db).GetSMSTemplate(ctx, store.GetSMSTemplateParams{DealerID: b.dealer.ID, Code: "offer"})
	require.NoError(t, err)
	require.Equal(t, "{customer}，{dealer}双十一保养八折！", tpl.Body)
	require.Equal(t, "SMS_123456789", tpl.ProviderCode)
	require.Equal(t, b.users["director1"].ID, *tpl.UpdatedBy)
	sig, err := store.New(b.db).GetDealerSMS(ctx, b.dealer.ID)
	require.NoError(t, err)
	require.Equal(t, "广州本田", sig.Signature)
	other, err := store.New(b.db).GetDealerSMS(ctx, b.other.ID)
	require.NoError(t, err)
	require.Equal(t, "深圳测试4S店", other.Signature, "another dealer keeps its signature")
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE user_id = $1 AND action IN ('sms_template.save', 'sms_signature.save')`,
		b.users["director1"].ID).Scan(&n))
	require.Equal(t, 2, n)

	_, body = b.do(t, d, http.MethodGet, "/director/sms/templates", nil, nil)
	require.Contains(t, body, "双十一保养八折")
	require.Contains(t, body, "<td>SMS_123456789</td>", "the provider code is listed")
	require.True(t, strings.Contains(body, "【<input name=\"signature\" value=\"广州本田\""), "the saved signature is shown")
}

func TestDirectorSavesSMSQuietHours(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	d := b.login(t, "director1")
	quietOf := func(dealerID int64) string {
		s, err := store.New(b.db).GetDealerSMS(ctx, dealerID)
		require.NoError(t, err)
		return notify.StoredQuietHours(s.QuietStart, s.QuietEnd).String()
	}
	_, body := b.do(t, d, http.MethodGet, "/director/sms/templates", nil, nil)
	require.Contains(t, body, `name="quiet_start" value="21:00"`, "the rule's hours by default")
	require.Contains(t, body, `name="quiet_end" value="08:00"`)
	tok := b.csrfOf(t, d, "/director/sms/templates")

	// Narrower or malformed hours are refused with the error on the page, the input kept, and nothing saved.
	for _, bad := range []struct{ start, end, err string }{
		{"22:00", "08:00", "quiet hours must start at 21:00 or earlier, got 22:00"},
		{"21:00", "07:30", "quiet hours must end at 08:00 or later, got 07:30"},
		{"晚上", "09:00", "give a time of day as HH:MM"},
		{"20:00", "", "give a time of day as HH:MM"},
	} {
		resp, body := b.do(t, d, http.MethodPost, "/director/sms/templates",
			url.Values{"csrf": {tok}, "what": {"quiet"}, "quiet_start": {bad.start}, "quiet_end": {bad.end}}, nil)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, bad.start+"-"+bad.end)
		require.Contains(t, body, `id="sms-error"`)
		require.Contains(t, body, bad.err)
		require.Contains(t, body, `name="quiet_start" value="`+bad.start+`"`, "the refused input is shown again")
	}
	resp, _ := b.do(t, d, http.MethodPost, "/director/sms/templates", url.Values{"what": {"quiet"}, "quiet_start": {"20:00"}, "quiet_end": {"09:00"}}, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "no CSRF token")
	require.Equal(t, "21:00-08:00", quietOf(b.dealer.ID))
	var n int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'sms_quiet_hours.save'`).Scan(&n))
	require.Zero(t, n)

	resp, _ = b.do(t, d, http.MethodPost, "/director/sms/templates",
		url.Values{"csrf": {tok}, "what": {"quiet"}, "quiet_start": {"20:00"}, "quiet_end": {"09:30"}}, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "20:00-09:30", quietOf(b.dealer.ID))
	require.Equal(t, "21:00-08:00", quietOf(b.other.ID), "another dealer keeps the rule's hours")
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'sms_quiet_hours.save' AND user_id = $1 AND dealer_id = $2`,
		b.users["director1"].ID, b.dealer.ID).Scan(&n))
	require.Equal(t, 1, n)
	_, body = b.do(t, d, http.MethodGet, "/director/sms/templates", nil, nil)
	require.Contains(t, body, `name="quiet_start" value="20:00"`, "the saved hours are shown")
	require.Contains(t, body, `name="quiet_end" value="09:30"`)
}

func TestDirectorRecordsSMSConsent(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	const phone = "13900000002" // 李娜
	a := b.login(t, "agent1")
	resp, _ := b.do(t, a, http.MethodGet, "/director/sms/consent?phone="+phone, nil, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "agents cannot")

	d := b.login(t, "director1")
	_, body := b.do(t, d, http.MethodGet, "/director/sms", nil, nil)
	require.Contains(t, body, `href="/director/sms/consent"`)
	_, body = b.do(t, d, http.MethodGet, "/director/sms/consent?phone="+phone, nil, nil)
	require.Contains(t, body, dword(langZH, "no_consent"))
	tok := b.csrfOf(t, d, "/director/sms/consent?phone="+phone)

	// Bad input: the error on the page, nothing stored.
	for _, bad := range []struct{ phone, state, detail, err string }{
		{phone, "opted_out", "", "say why"},
		{"12345", "opted_out", "要求退订", "a mobile number has 11 digits"},
		{phone, "whatever", "要求退订", "is not opted_in or opted_out"},
	} {
		resp, body := b.do(t, d, http.MethodPost, "/director/sms/consent",
			url.Values{"csrf": {tok}, "phone": {bad.phone}, "state": {bad.state}, "detail": {bad.detail}}, nil)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, bad.err)
		require.Contains(t, body, `id="consent-error"`)
		require.Contains(t, body, bad.err)
	}
	var n int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM sms_consent_log`).Scan(&n))
	require.Zero(t, n)

	resp, _ = b.do(t, d, http.MethodPost, "/director/sms/consent",
		url.Values{"csrf": {tok}, "phone": {phone}, "state": {"opted_out"}, "detail": {"客户来电要求不再发营销短信"}}, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = b.do(t, d, http.MethodGet, "/director/sms/consent?phone="+phone, nil, nil)
	require.Contains(t, body, dword(langZH, "opted_out"))
	require.Contains(t, body, "客户来电要求不再发营销短信")
	var state, source string
	require.NoError(t, b.db.QueryRow(ctx, `SELECT state, source FROM sms_consent WHERE dealer_id = $1 AND phone = $2`, b.dealer.ID, phone).Scan(&state, &source))
	require.Equal(t, "opted_out", state)
	require.Equal(t, "director", source)
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'sms_consent.set' AND user_id = $1`, b.users["director1"].ID).Scan(&n))
	require.Equal(t, 1, n)
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM sms_consent WHERE dealer_id = $1`, b.other.ID).Scan(&n))
	require.Zero(t, n, "another dealer's consent is untouched")
}
