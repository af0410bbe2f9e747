package agentui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// count returns one number a query gives.
func (b *bundle) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// fakeRenderer records the prompts it was asked for and writes a file for each, or fails.
type fakeRenderer struct {
	mu    sync.Mutex
	texts []string
	fail  error
}

func (f *fakeRenderer) render(ctx context.Context, text, path string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.texts = append(f.texts, text)
	return os.WriteFile(path, []byte("RIFF fake "+text), 0o600)
}

// setupCampaigns is setup with a prompts directory and a fake prompt renderer.
func setupCampaigns(t *testing.T) (*bundle, *fakeRenderer, string) {
	t.Helper()
	dir := t.TempDir()
	b := setup(t, func(c *Config) { c.PromptsDir = dir })
	fr := &fakeRenderer{}
	b.console.h.deps.RenderPrompt = fr.render
	return b, fr, dir
}

func TestDirectorSMSNewAccess(t *testing.T) {
	b, _, _ := setupCampaigns(t)
	a := b.login(t, "agent1")
	resp, _ := b.do(t, a, http.MethodGet, "/director/sms/new", nil, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	tok := b.csrfOf(t, a, "/console")
	resp, _ = b.do(t, a, http.MethodPost, "/director/sms/new", url.Values{"csrf": {tok}, "what": {"sms"}, "code": {"x1"},
		"template": {"holiday"}, "audience": {"customers"}, "customers": {"13900000001"}}, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	d := b.login(t, "director1")
	_, body := b.do(t, d, http.MethodGet, "/director/sms", nil, nil)
	require.Contains(t, body, `href="/director/sms/new"`, "the campaign page links the start page")
	resp, _ = b.do(t, d, http.MethodPost, "/director/sms/new", url.Values{"what": {"sms"}, "code": {"x1"},
		"template": {"holiday"}, "audience": {"customers"}, "customers": {"13900000001"}}, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "no CSRF token")
	u, _ := url.Parse(b.srv.URL)
	for _, lang := range []string{langZH, langEN} {
		d.Jar.SetCookies(u, []*http.Cookie{{Name: langCookie, Value: lang, Path: "/"}})
		resp, body := b.do(t, d, http.MethodGet, "/director/sms/new", nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, body, "</html>", lang)
		require.Contains(t, body, dword(lang, "sms_new"))
		require.Contains(t, body, `id="call-campaign-form"`)
		require.Contains(t, body, "广州测试4S店祝您节日快乐", "the templates' samples are shown")
	}
	require.Zero(t, b.count(t, `SELECT count(*) FROM broadcasts`))
}

func TestDirectorStartsSMSBroadcast(t *testing.T) {
	b, _, _ := setupCampaigns(t)
	d := b.login(t, "director1")
	tok := b.csrfOf(t, d, "/director/sms/new")
	post := func(v url.Values) (*http.Response, string) {
		v.Set("csrf", tok)
		v.Set("what", "sms")
		return b.do(t, d, http.MethodPost, "/director/sms/new", v, nil)
	}

	// Bad input: 400 with the problem named, nothing stored.
	other := strconv.FormatInt(b.customers["外店客户"], 10)
	for _, bad := range []struct {
		form url.Values
		err  string
	}{
		{url.Values{"code": {"bad code!"}, "template": {"leave_store_care"}, "audience": {"customers"}, "customers": {"13900000001"}}, "broadcast code"},
		{url.Values{"code": {"offer-1"}, "template": {"nosuch"}, "audience": {"customers"}, "customers": {"13900000001"}}, "template"},
		{url.Values{"code": {"offer-1"}, "template": {"leave_store_care"}, "audience": {"customers"}, "customers": {"  "}}, "paste at least one"},
		{url.Values{"code": {"offer-1"}, "template": {"leave_store_care"}, "audience": {"customers"}, "customers": {"13900000001, 电话"}}, "not a customer id or a phone"},
		{url.Values{"code": {"offer-1"}, "template": {"leave_store_care"}, "audience": {"customers"}, "customers": {"13900000009\n" + other}}, "none of the pasted"},
		{url.Values{"code": {"offer-1"}, "template": {"leave_store_care"}, "audience": {"reasons"}}, "at least one campaign"},
		{url.Values{"code": {"offer-1"}, "template": {"leave_store_care"}, "audience": {"reasons"}, "reason": {"insurance"}}, "no customer has a reason"},
		{url.Values{"code": {"offer-1"}, "template": {"leave_store_care"}, "audience": {"birthdays"}}, "no customer has a birthday"},
		{url.Values{"code": {"offer-1"}, "template": {"leave_store_care"}}, "choose an audience"},
		{url.Values{"code": {"offer-1"}, "template": {"leave_store_care"}, "audience": {"customers"}, "customers": {"13900000001"}, "send_at": {"2020-01-01T10:00"}}, "is past"},
		{url.Values{"code": {"offer-1"}, "template": {"leave_store_care"}, "audience": {"customers"}, "customers": {"13900000001"}, "send_at": {"tomorrow"}}, "send time"},
	} {
		resp, body := post(bad.form)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, bad.err)
		require.Contains(t, body, `id="campaign-error"`, bad.err)
		require.Contains(t, body, bad.err)
	}
	require.Zero(t, b.count(t, `SELECT count(*) FROM broadcasts`))
	require.Zero(t, b.count(t, `SELECT count(*) FROM sms_messages`))
	require.Zero(t, b.count(t, `SELECT count(*) FROM audit_log WHERE action = 'sms_broadcast.start'`))

	// A refused start shows the typed form again in the SMS form only.
	_, body := post(url.Values{"code": {"offer-x"}, "template": {"nosuch"}, "audience": {"customers"}, "customers": {"13900000001"}})
	require.Contains(t, body, `<input name="code" value="offer-x"`)
	require.Contains(t, body, `<input name="code" value="call-`, "the message-call form keeps its default code")

	// A preview counts the audience and shows a sample without storing anything.
	resp, body := post(url.Values{"code": {"care-1"}, "template": {"leave_store_care"}, "audience": {"customers"},
		"customers": {"13900000001\n13900000002\n13800000000"}, "preview": {"1"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, `<strong id="preview-count">2</strong>`)
	require.Contains(t, body, "感谢您今天光临广州测试4S店")
	require.Contains(t, body, "13800000000")
	require.Zero(t, b.count(t, `SELECT count(*) FROM broadcasts`))
	require.Zero(t, b.count(t, `SELECT count(*) FROM sms_messages`))

	// Pasted phones and ids: 王建国 by phone (written with spaces), 李娜 by id, an unknown
	// phone and the other dealer's customer reported, never included.
	form := url.Values{"code": {"care-1"}, "template": {"leave_store_care"}, "audience": {"customers"},
		"customers": {"139 0000 0001\n" + strconv.FormatInt(b.customers["李娜"], 10) + ", 13800000000, 13900000009"}}
	resp, body = post(form)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, `<td class="n" id="res-queued">2</td>`, "a service SMS goes now")
	require.Contains(t, body, `id="campaign-unknown"`)
	require.Contains(t, body, "13800000000")
	require.Contains(t, body, "13900000009")
	var campID, createdBy int64
	var tmpl, channel string
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT id, template, channel, created_by FROM broadcasts WHERE dealer_id = $1 AND code = 'care-1'`,
		b.dealer.ID).Scan(&campID, &tmpl, &channel, &createdBy))
	require.Equal(t, "leave_store_care", tmpl)
	require.Equal(t, "sms", channel)
	require.Equal(t, b.users["director1"].ID, createdBy)
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM sms_messages WHERE broadcast_id = $1 AND status = 'queued' AND customer_id = ANY($2)`,
		campID, []int64{b.customers["王建国"], b.customers["李娜"]}))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM sms_messages WHERE broadcast_id = $1 AND body LIKE '%王建国先生您好%'`, campID))
	require.Zero(t, b.count(t, `SELECT count(*) FROM sms_messages WHERE dealer_id = $1 OR phone = '13900000009'`, b.other.ID), "the other dealer's customer")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit_log WHERE action = 'sms_broadcast.start' AND user_id = $1 AND dealer_id = $2 AND subject_id = $3`,
		b.users["director1"].ID, b.dealer.ID, campID))

	// Starting it again adds nobody twice; another template under that code is refused.
	resp, body = post(form)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `<td class="n" id="res-existing">2</td>`)
	require.Contains(t, body, `<td class="n" id="res-queued">0</td>`)
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM sms_messages`))
	form.Set("template", "holiday")
	resp, body = post(form)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "was started with template leave_store_care")
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM sms_messages`))

	// A reason due today and a send time: held until then.
	_, err := b.db.Exec(context.Background(), `UPDATE call_task_reasons SET due_day = (now() AT TIME ZONE 'Asia/Shanghai')::date WHERE customer_id = $1`, b.customers["李娜"])
	require.NoError(t, err)
	d2 := b.login(t, "director1")
	_, page := b.do(t, d2, http.MethodGet, "/director/sms/new", nil, nil)
	require.Contains(t, page, `value="insurance"> `+campaignName(&http.Request{}, "insurance")+` (1)</label>`, "the customers due today are counted")
	require.Contains(t, page, `<input name="code" value="offer-`+time.Now().In(time.FixedZone("CST", 8*3600)).Format("20060102")+`"`, "the default code")
	at := time.Now().In(time.FixedZone("CST", 8*3600)).Add(48*time.Hour).Format("2006-01-02") + "T10:00"
	resp, body = post(url.Values{"code": {"ins-1"}, "template": {"insurance"}, "audience": {"reasons"}, "reason": {"insurance", "recall"}, "send_at": {at}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, `<td class="n" id="res-held">1</td>`)
	var notBefore time.Time
	var msg string
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT m.not_before, m.body FROM sms_messages m JOIN broadcasts c ON c.id = m.broadcast_id
		WHERE c.code = 'ins-1' AND m.customer_id = $1`, b.customers["李娜"]).Scan(&notBefore, &msg))
	require.Equal(t, at, notBefore.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04"))
	require.Contains(t, msg, "12月1日", "the reason's due day fills the template")

	// A code of a message-call campaign is refused for SMS.
	_, err = b.db.Exec(context.Background(), `INSERT INTO broadcasts (dealer_id, code, channel, prompt_path) VALUES ($1, 'recall-1', 'message_call', '/tmp/p.wav')`, b.dealer.ID)
	require.NoError(t, err)
	resp, body = post(url.Values{"code": {"recall-1"}, "template": {"holiday"}, "audience": {"customers"}, "customers": {"13900000001"}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "already used by a message-call broadcast")
}

func TestDirectorStartsMessageCallBroadcast(t *testing.T) {
	b, fr, dir := setupCampaigns(t)
	d := b.login(t, "director1")
	tok := b.csrfOf(t, d, "/director/sms/new")
	post := func(v url.Values) (*http.Response, string) {
		v.Set("csrf", tok)
		v.Set("what", "calls")
		return b.do(t, d, http.MethodPost, "/director/sms/new", v, nil)
	}
	const prompt = "您好，这里是广州测试4S店，本周保养八折，需要预约请按1，不感兴趣请按2，不再来电请按9。"

	// Bad input and a failing renderer: refused with the problem, nothing stored.
	for _, bad := range []struct {
		form url.Values
		err  string
	}{
		{url.Values{"code": {"call 1"}, "prompt": {prompt}, "audience": {"customers"}, "customers": {"13900000001"}}, "broadcast code"},
		{url.Values{"code": {"call-1"}, "prompt": {" "}, "audience": {"customers"}, "customers": {"13900000001"}}, "write the prompt"},
		{url.Values{"code": {"call-1"}, "prompt": {strings.Repeat("好", 501)}, "audience": {"customers"}, "customers": {"13900000001"}}, "at most 500"},
		{url.Values{"code": {"call-1"}, "prompt": {prompt}, "audience": {"customers"}, "customers": {"13900000009"}}, "none of the pasted"},
	} {
		resp, body := post(bad.form)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, bad.err)
		require.Contains(t, body, bad.err)
	}
	fr.fail = errors.New("prompt: espeak-ng is not installed")
	resp, body := post(url.Values{"code": {"call-1"}, "prompt": {prompt}, "audience": {"customers"}, "customers": {"13900000001"}})
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	require.Contains(t, body, `id="campaign-error"`)
	require.Contains(t, body, "espeak-ng is not installed")
	fr.fail = nil
	require.Zero(t, b.count(t, `SELECT count(*) FROM broadcasts`))
	require.Zero(t, b.count(t, `SELECT count(*) FROM message_call_targets`))
	require.Zero(t, b.count(t, `SELECT count(*) FROM audit_log WHERE action = 'message_call_broadcast.start'`))
	require.Empty(t, fr.texts)

	// A preview renders nothing and stores nothing.
	resp, body = post(url.Values{"code": {"call-1"}, "prompt": {prompt}, "audience": {"customers"}, "customers": {"13900000001"}, "preview": {"1"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, `<strong id="preview-count">1</strong>`)
	require.Empty(t, fr.texts)
	require.Zero(t, b.count(t, `SELECT count(*) FROM broadcasts`))

	// 王建国 by phone and 李娜 by id; 李娜's number is on do-not-call; the other dealer's customer is not called.
	_, err := b.db.Exec(context.Background(), `INSERT INTO do_not_call (dealer_id, phone, reason) VALUES ($1, '13900000002', 'test')`, b.dealer.ID)
	require.NoError(t, err)
	form := url.Values{"code": {"call-1"}, "prompt": {prompt}, "audience": {"customers"},
		"customers": {"13900000001, " + strconv.FormatInt(b.customers["李娜"], 10) + ", " + strconv.FormatInt(b.customers["外店客户"], 10)}}
	resp, body = post(form)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, `<td class="n" id="res-added">1</td>`)
	require.Contains(t, body, `<td class="n" id="res-suppressed">1</td>`)
	require.Contains(t, body, `id="campaign-unknown"`)
	require.Equal(t, []string{prompt}, fr.texts)
	want := filepath.Join(dir, strconv.FormatInt(b.dealer.ID, 10), "call-1.wav")
	require.FileExists(t, want)
	var campID int64
	var path string
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT id, prompt_path FROM broadcasts WHERE dealer_id = $1 AND code = 'call-1' AND channel = 'message_call'`,
		b.dealer.ID).Scan(&campID, &path))
	require.Equal(t, want, path)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM message_call_targets WHERE broadcast_id = $1 AND customer_id = $2 AND status = 'pending'`, campID, b.customers["王建国"]))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM message_call_targets WHERE broadcast_id = $1 AND customer_id = $2 AND status = 'suppressed'`, campID, b.customers["李娜"]))
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM message_call_targets`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit_log WHERE action = 'message_call_broadcast.start' AND user_id = $1 AND subject_id = $2`,
		b.users["director1"].ID, campID))

	// Again with 赵回电 added: only 赵回电 is new, and the prompt is kept (not rendered again).
	form.Set("customers", form.Get("customers")+"\n13900000003")
	form.Set("prompt", "另一段语音")
	resp, body = post(form)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, `<td class="n" id="res-added">1</td>`)
	require.Contains(t, body, `<td class="n" id="res-existing">2</td>`)
	require.Contains(t, body, dword(langZH, "prompt_kept"))
	require.Equal(t, []string{prompt}, fr.texts)
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM message_call_targets`))

	// An SMS campaign's code is refused.
	_, err = b.db.Exec(context.Background(), `INSERT INTO broadcasts (dealer_id, code, channel, template) VALUES ($1, 'offer-9', 'sms', 'holiday')`, b.dealer.ID)
	require.NoError(t, err)
	resp, body = post(url.Values{"code": {"offer-9"}, "prompt": {prompt}, "audience": {"customers"}, "customers": {"13900000001"}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "already used by an SMS broadcast")
}

func TestDirectorSMSNewWithoutRenderer(t *testing.T) {
	b := setup(t, nil)
	d := b.login(t, "director1")
	_, body := b.do(t, d, http.MethodGet, "/director/sms/new", nil, nil)
	require.Contains(t, body, `id="no-renderer"`)
	tok := b.csrfOf(t, d, "/director/sms/new")
	resp, body := b.do(t, d, http.MethodPost, "/director/sms/new", url.Values{"csrf": {tok}, "what": {"calls"}, "code": {"call-1"},
		"prompt": {"您好"}, "audience": {"customers"}, "customers": {"13900000001"}}, nil)
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	require.Contains(t, body, "huifang broadcast calls")
	require.Zero(t, b.count(t, `SELECT count(*) FROM broadcasts`))
}
