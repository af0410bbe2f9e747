package sms_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony/sms"
)

// fakeAnswer is what a fake cloud API answers for one phone number.
type fakeAnswer struct {
	status int
	body   string
}

// fakeCloud stands in for a cloud SMS API on loopback: it checks each request's
// signature with the secret, records the request and answers by phone number; a number
// in hang gets no answer until the client gives up.
type fakeCloud struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	answers map[string]fakeAnswer
	got     []map[string]any
	badSig  int
	stop    chan struct{}
}

func (f *fakeCloud) host() string { return strings.TrimPrefix(f.srv.URL, "http://") }

func (f *fakeCloud) last() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(f.t, f.got)
	return f.got[len(f.got)-1]
}

func (f *fakeCloud) answer(w http.ResponseWriter, r *http.Request, phone string, fields map[string]any, sigOK bool) {
	f.mu.Lock()
	f.got = append(f.got, fields)
	if !sigOK {
		f.badSig++
	}
	a, ok := f.answers[phone]
	f.mu.Unlock()
	if phone == "13900000099" { // hang
		select {
		case <-r.Context().Done():
		case <-f.stop:
		}
		return
	}
	require.True(f.t, ok, "no answer for %s", phone)
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

// popEscape is the percent-encoding of Aliyun's RPC signature (RFC 3986).
func popEscape(s string) string {
	s = url.QueryEscape(s)
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(s)
}

// aliyunSignature recomputes an RPC request's Signature as Aliyun documents it.
func aliyunSignature(method string, params url.Values, secret string) string {
	var keys []string
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		pairs = append(pairs, popEscape(k)+"="+popEscape(params.Get(k)))
	}
	toSign := method + "&" + popEscape("/") + "&" + popEscape(strings.Join(pairs, "&"))
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func newFakeAliyun(t *testing.T, keyID, secret string, answers map[string]fakeAnswer) *fakeCloud {
	f := &fakeCloud{t: t, answers: answers, stop: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		fields := map[string]any{}
		for k := range r.Form {
			fields[k] = r.Form.Get(k)
		}
		ok := r.Form.Get("AccessKeyId") == keyID && r.Form.Get("Action") == "SendSms" &&
			r.Form.Get("SignatureMethod") == "HMAC-SHA1" &&
			r.Form.Get("Signature") == aliyunSignature(r.Method, r.Form, secret)
		f.answer(w, r, r.Form.Get("PhoneNumbers"), fields, ok)
	}))
	t.Cleanup(f.srv.Close)
	t.Cleanup(func() { close(f.stop) }) // before Close: a hung request ends
	return f
}

func hmac256(key []byte, s string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(s))
	return mac.Sum(nil)
}

// tencentSignatureOK checks a request's TC3-HMAC-SHA256 Authorization as Tencent documents it.
func tencentSignatureOK(r *http.Request, body []byte, secretID, secretKey string) bool {
	auth := r.Header.Get("Authorization")
	ts := r.Header.Get("X-TC-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	date := time.Unix(sec, 0).UTC().Format(time.DateOnly)
	scope := date + "/sms/tc3_request"
	sum := sha256.Sum256(body)
	canonical := fmt.Sprintf("%s\n/\n\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s",
		r.Method, r.Header.Get("Content-Type"), r.Host, hex.EncodeToString(sum[:]))
	csum := sha256.Sum256([]byte(canonical))
	toSign := "TC3-HMAC-SHA256\n" + ts + "\n" + scope + "\n" + hex.EncodeToString(csum[:])
	key := hmac256(hmac256(hmac256([]byte("TC3"+secretKey), date), "sms"), "tc3_request")
	want := fmt.Sprintf("TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=content-type;host, Signature=%s",
		secretID, scope, hex.EncodeToString(hmac256(key, toSign)))
	return auth == want
}

func newFakeTencent(t *testing.T, secretID, secretKey string, answers map[string]fakeAnswer) *fakeCloud {
	f := &fakeCloud{t: t, answers: answers, stop: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		fields := map[string]any{}
		require.NoError(t, json.Unmarshal(body, &fields))
		ok := r.Header.Get("X-TC-Action") == "SendSms" && tencentSignatureOK(r, body, secretID, secretKey)
		phone := ""
		if set, _ := fields["PhoneNumberSet"].([]any); len(set) == 1 {
			phone, _ = set[0].(string)
		}
		f.answer(w, r, strings.TrimPrefix(phone, "+86"), fields, ok)
	}))
	t.Cleanup(f.srv.Close)
	t.Cleanup(func() { close(f.stop) }) // before Close: a hung request ends
	return f
}

// outgoing is a claimed message of template offer ({customer}，{plate}…).
func outgoing(id int64, phone, code string) store.OutgoingSMS {
	return store.OutgoingSMS{ID: id, Phone: phone, Body: "【测试店】王先生，苏A12345保养到期", Template: "offer", ProviderTemplate: code,
		Vars: map[string]string{"customer": "王先生", "plate": "苏A12345", "model": "轩逸"}, VarNames: []string{"customer", "plate"}, Sign: "测试店"}
}

// submitOutcome says how a submission ended: ok, permanent, retry or doubt.
func submitOutcome(err error) string {
	var perm interface{ Permanent() bool }
	var doubt interface{ InDoubt() bool }
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &perm) && perm.Permanent():
		return "permanent"
	case errors.As(err, &doubt) && doubt.InDoubt():
		return "doubt"
	}
	return "retry"
}

// closedPort is a loopback address nobody listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

type submitCase struct {
	name, phone, code, want string
}

// runSubmitCases submits one message per case through s; a phone 13900000099 hangs and
// the context is cancelled.
func runSubmitCases(t *testing.T, s interface {
	Submit(context.Context, store.OutgoingSMS) (string, error)
}, cases []submitCase) {
	for i, c := range cases {
		ctx, cancel := context.WithCancel(context.Background())
		if c.phone == "13900000099" {
			time.AfterFunc(100*time.Millisecond, cancel)
		}
		pid, err := s.Submit(ctx, outgoing(int64(100+i), c.phone, c.code))
		cancel()
		require.Equal(t, c.want, submitOutcome(err), "%s: %v", c.name, err)
		if c.want == "ok" {
			require.NotEmpty(t, pid, c.name)
		}
		if c.code == "" {
			require.ErrorContains(t, err, `template "offer" has no`, c.name)
		}
	}
}

func TestAliyunSubmit(t *testing.T) {
	f := newFakeAliyun(t, "AKID1", "s3cret", map[string]fakeAnswer{
		"13900000001": {200, `{"Code":"OK","Message":"OK","BizId":"900619746936498440^0","RequestId":"r1"}`},
		"13900000002": {200, `{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"非法手机号","RequestId":"r2"}`},
		"13900000003": {200, `{"Code":"isv.SMS_TEMPLATE_ILLEGAL","Message":"模板不合法","RequestId":"r3"}`},
		"13900000004": {200, `{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发分钟级流控","RequestId":"r4"}`},
		"13900000005": {400, `{"Code":"Throttling.User","Message":"Request was denied due to user flow control.","RequestId":"r5"}`},
		"13900000006": {503, `{"Code":"ServiceUnavailable","Message":"The request has failed due to a temporary failure of the server.","RequestId":"r6"}`},
		"13900000007": {200, `{"Code":"isv.SMS_SIGNATURE_ILLEGAL","Message":"签名不合法","RequestId":"r7"}`},
	})
	a, err := sms.NewAliyun(sms.AliyunConfig{AccessKeyID: "AKID1", AccessKeySecret: "s3cret", Endpoint: f.host(), Scheme: "http"})
	require.NoError(t, err)
	require.Equal(t, "aliyun", a.Name())

	pid, err := a.Submit(context.Background(), outgoing(42, "13900000001", "SMS_123456789"))
	require.NoError(t, err)
	require.Equal(t, "900619746936498440^0", pid)
	got := f.last()
	require.Equal(t, "13900000001", got["PhoneNumbers"])
	require.Equal(t, "测试店", got["SignName"])
	require.Equal(t, "SMS_123456789", got["TemplateCode"])
	require.Equal(t, "42", got["OutId"])
	require.JSONEq(t, `{"customer":"王先生","plate":"苏A12345"}`, got["TemplateParam"].(string))
	require.Zero(t, f.badSig, "the fake recomputed the HMAC-SHA1 signature")

	runSubmitCases(t, a, []submitCase{
		{"bad number", "13900000002", "SMS_1", "permanent"},
		{"bad template", "13900000003", "SMS_1", "permanent"},
		{"bad signature", "13900000007", "SMS_1", "permanent"},
		{"flow control", "13900000004", "SMS_1", "retry"},
		{"throttled", "13900000005", "SMS_1", "retry"},
		{"server error", "13900000006", "SMS_1", "retry"},
		{"no answer", "13900000099", "SMS_1", "doubt"},
		{"no provider template", "13900000001", "", "permanent"},
	})
	require.Zero(t, f.badSig)

	// The check is real: a request signed with another secret fails it.
	wrong, err := sms.NewAliyun(sms.AliyunConfig{AccessKeyID: "AKID1", AccessKeySecret: "other", Endpoint: f.host(), Scheme: "http"})
	require.NoError(t, err)
	_, err = wrong.Submit(context.Background(), outgoing(43, "13900000001", "SMS_1"))
	require.NoError(t, err)
	require.Equal(t, 1, f.badSig)

	down, err := sms.NewAliyun(sms.AliyunConfig{AccessKeyID: "AKID1", AccessKeySecret: "s3cret", Endpoint: closedPort(t), Scheme: "http"})
	require.NoError(t, err)
	runSubmitCases(t, down, []submitCase{{"connection refused", "13900000001", "SMS_1", "retry"}})

	for _, c := range []sms.AliyunConfig{{AccessKeyID: "x"}, {AccessKeyID: "x", AccessKeySecret: "y", Scheme: "ftp"}, {AccessKeyID: "x", AccessKeySecret: "y", Endpoint: "http://h/"}} {
		_, err := sms.NewAliyun(c)
		require.Error(t, err, "%+v", c)
	}
}

func TestTencentSubmit(t *testing.T) {
	status := func(code, msg string) fakeAnswer {
		return fakeAnswer{200, fmt.Sprintf(`{"Response":{"SendStatusSet":[{"SerialNo":"2645:3278","PhoneNumber":"+8613900000001","Fee":1,"SessionContext":"42","Code":%q,"Message":%q,"IsoCode":"CN"}],"RequestId":"r"}}`, code, msg)}
	}
	apiErr := func(code string) fakeAnswer {
		return fakeAnswer{200, fmt.Sprintf(`{"Response":{"Error":{"Code":%q,"Message":"m"},"RequestId":"r"}}`, code)}
	}
	f := newFakeTencent(t, "AKIDt", "tkey", map[string]fakeAnswer{
		"13900000001": status("Ok", "send success"),
		"13900000002": status("InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误"),
		"13900000003": apiErr("FailedOperation.TemplateIncorrectOrUnapproved"),
		"13900000004": status("LimitExceeded.PhoneNumberThirtySecondLimit", "30秒内超限"),
		"13900000005": apiErr("RequestLimitExceeded"),
		"13900000006": {502, `bad gateway`},
		"13900000007": apiErr("FailedOperation.SignatureIncorrectOrUnapproved"),
		"13900000008": apiErr("InternalError.Timeout"),
	})
	tc, err := sms.NewTencent(sms.TencentConfig{SecretID: "AKIDt", SecretKey: "tkey", SDKAppID: "1400006666", Endpoint: f.host(), Scheme: "http"})
	require.NoError(t, err)
	require.Equal(t, "tencent", tc.Name())

	pid, err := tc.Submit(context.Background(), outgoing(42, "13900000001", "1234567"))
	require.NoError(t, err)
	require.Equal(t, "2645:3278", pid)
	got := f.last()
	require.Equal(t, []any{"+8613900000001"}, got["PhoneNumberSet"])
	require.Equal(t, "测试店", got["SignName"])
	require.Equal(t, "1234567", got["TemplateId"])
	require.Equal(t, "1400006666", got["SmsSdkAppId"])
	require.Equal(t, "42", got["SessionContext"])
	require.Equal(t, []any{"王先生", "苏A12345"}, got["TemplateParamSet"], "parameters in the template's order")
	require.Zero(t, f.badSig, "the fake verified the TC3-HMAC-SHA256 signature")

	runSubmitCases(t, tc, []submitCase{
		{"bad number", "13900000002", "1", "permanent"},
		{"template not approved", "13900000003", "1", "permanent"},
		{"signature not approved", "13900000007", "1", "permanent"},
		{"per-number limit", "13900000004", "1", "retry"},
		{"throttled", "13900000005", "1", "retry"},
		{"bad gateway", "13900000006", "1", "retry"},
		{"internal error", "13900000008", "1", "retry"},
		{"no answer", "13900000099", "1", "doubt"},
		{"no provider template", "13900000001", "", "permanent"},
	})
	require.Zero(t, f.badSig)

	// The check is real: a request signed with another key fails it.
	wrong, err := sms.NewTencent(sms.TencentConfig{SecretID: "AKIDt", SecretKey: "other", SDKAppID: "1400006666", Endpoint: f.host(), Scheme: "http"})
	require.NoError(t, err)
	_, err = wrong.Submit(context.Background(), outgoing(43, "13900000001", "1"))
	require.NoError(t, err)
	require.Equal(t, 1, f.badSig)

	down, err := sms.NewTencent(sms.TencentConfig{SecretID: "AKIDt", SecretKey: "tkey", SDKAppID: "1400006666", Endpoint: closedPort(t), Scheme: "http"})
	require.NoError(t, err)
	runSubmitCases(t, down, []submitCase{{"connection refused", "13900000001", "1", "retry"}})

	for _, c := range []sms.TencentConfig{{SecretID: "x", SecretKey: "y"}, {SecretID: "x", SDKAppID: "1"}, {SecretID: "x", SecretKey: "y", SDKAppID: "app"}} {
		_, err := sms.NewTencent(c)
		require.Error(t, err, "%+v", c)
	}
}

// cloudDB is a fresh schema with a dealer.
func cloudDB(t *testing.T) (*pgxpool.Pool, int64) {
	db := storetest.New(t)
	d, err := store.New(db).EnsureDealer(context.Background(), store.EnsureDealerParams{Code: "D1", Name: "测试4S店"})
	require.NoError(t, err)
	return db, d.ID
}

// sentMessage inserts a message as a sender leaves it after submitting to provider.
func sentMessage(t *testing.T, db *pgxpool.Pool, dealer int64, phone, kind, provider, providerID string) int64 {
	var id int64
	require.NoError(t, db.QueryRow(context.Background(), `INSERT INTO sms_messages (dealer_id, phone, kind, body, status, idempotency_key, provider, provider_id, sent_at)
		VALUES ($1, $2, $3, '【测试4S店】您好', 'sent', $4, $5, $6, now()) RETURNING id`,
		dealer, phone, kind, fmt.Sprintf("t:%s:%s", phone, providerID), provider, providerID).Scan(&id))
	return id
}

func TestCloudCallbacks(t *testing.T) {
	db, dealer := cloudDB(t)
	rec := &sms.Recorder{DB: db}
	mux := http.NewServeMux()
	mux.Handle("/sms/aliyun/", &sms.AliyunHandler{Recorder: rec, Token: "tok"})
	mux.Handle("/sms/tencent/", &sms.TencentHandler{Recorder: rec, Token: "tok"})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	a1 := sentMessage(t, db, dealer, "13900000011", "service", "aliyun", "biz-1")
	a2 := sentMessage(t, db, dealer, "13900000012", "service", "", "") // report before the send was recorded: out_id
	a3 := sentMessage(t, db, dealer, "13900000013", "marketing", "aliyun", "biz-3")
	t1 := sentMessage(t, db, dealer, "13900000021", "service", "tencent", "sid-1")
	t2 := sentMessage(t, db, dealer, "13900000022", "service", "tencent", "sid-2")
	t3 := sentMessage(t, db, dealer, "13900000023", "marketing", "tencent", "sid-3")
	aliyunOK := `{"code":0,"msg":"成功"}`
	tencentOK := `{"result":0,"errmsg":"OK"}`

	for _, c := range []struct {
		name, path, body string
		code             int
		ack              string
	}{
		{"aliyun reports", "/sms/aliyun/report?token=tok", fmt.Sprintf(`[
			{"phone_number":"13900000011","send_time":"2026-11-23 10:00:00","report_time":"2026-11-23 10:00:05","success":true,"err_code":"DELIVERED","err_msg":"用户接收成功","sms_size":"1","biz_id":"biz-1","out_id":"%d"},
			{"phone_number":"13900000012","send_time":"2026-11-23 10:00:00","report_time":"2026-11-23 10:00:06","success":false,"err_code":"MK:0001","err_msg":"空号","sms_size":"1","biz_id":"biz-2","out_id":"%d"},
			{"phone_number":"13900000019","success":true,"biz_id":"not-ours","out_id":""}]`, a1, a2), 200, aliyunOK},
		{"aliyun reply TD", "/sms/aliyun/reply?token=tok", `[{"phone_number":"13900000013","send_time":"2026-11-23 10:01:00","content":"TD","sign_name":"测试4S店","dest_code":"1234","sequence_id":1}]`, 200, aliyunOK},
		{"tencent reports", "/sms/tencent/report?token=tok", `[
			{"user_receive_time":"2026-11-23 10:00:05","nationcode":"86","mobile":"13900000021","report_status":"SUCCESS","errmsg":"DELIVRD","description":"用户短信送达成功","sid":"sid-1","ext":""},
			{"user_receive_time":"2026-11-23 10:00:06","nationcode":"86","mobile":"13900000022","report_status":"FAIL","errmsg":"MN:0001","description":"空号","sid":"sid-2","ext":""}]`, 200, tencentOK},
		{"tencent reply 退订", "/sms/tencent/reply?token=tok", `{"extend":"","mobile":"13900000023","nationcode":"86","sign":"测试4S店","text":"退订","time":1795000000}`, 200, tencentOK},
		{"aliyun not JSON", "/sms/aliyun/report?token=tok", `not json`, 400, "bad JSON"},
		{"aliyun empty", "/sms/aliyun/report?token=tok", ``, 400, "empty body"},
		{"aliyun no success", "/sms/aliyun/report?token=tok", `[{"biz_id":"biz-1"}]`, 400, "no success field"},
		{"aliyun reply no phone", "/sms/aliyun/reply?token=tok", `[{"content":"TD"}]`, 400, "no phone_number"},
		{"tencent bad status", "/sms/tencent/report?token=tok", `[{"report_status":"MAYBE","sid":"sid-1"}]`, 400, `"MAYBE" is not SUCCESS or FAIL`},
		{"tencent reply bad number", "/sms/tencent/reply?token=tok", `{"mobile":"abc","text":"TD"}`, 400, "not a phone number"},
		{"bad token", "/sms/tencent/report?token=nope", `[]`, 403, "bad token"},
	} {
		resp, err := http.Post(srv.URL+c.path, "application/json", strings.NewReader(c.body))
		require.NoError(t, err, c.name)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, c.code, resp.StatusCode, "%s: %s", c.name, b)
		if c.code == 200 {
			require.JSONEq(t, c.ack, string(b), c.name)
		} else {
			require.Contains(t, string(b), c.ack, c.name)
		}
	}

	q := store.New(db)
	for id, want := range map[int64]string{a1: "delivered", a2: "failed", t1: "delivered", t2: "failed", a3: "sent", t3: "sent"} {
		var status, errText string
		require.NoError(t, db.QueryRow(context.Background(), `SELECT status, error FROM sms_messages WHERE id = $1`, id).Scan(&status, &errText))
		require.Equal(t, want, status, "message %d", id)
		if want == "failed" {
			require.Contains(t, []string{"MK:0001 空号", "MN:0001 空号"}, errText)
		}
	}
	var deliveredAt time.Time
	require.NoError(t, db.QueryRow(context.Background(), `SELECT delivered_at FROM sms_messages WHERE id = $1`, a1).Scan(&deliveredAt))
	require.True(t, deliveredAt.Equal(time.Date(2026, 11, 23, 2, 0, 5, 0, time.UTC)), "report_time is Beijing time: %v", deliveredAt)
	for _, phone := range []string{"13900000013", "13900000023"} {
		c, err := q.GetSMSConsent(context.Background(), store.GetSMSConsentParams{DealerID: dealer, Phone: phone})
		require.NoError(t, err, phone)
		require.Equal(t, "opted_out", c.State, phone)
		require.Equal(t, "sms_reply", c.Source, phone)
	}
	var provider string
	require.NoError(t, db.QueryRow(context.Background(), `SELECT provider FROM sms_replies WHERE phone = '13900000023'`).Scan(&provider))
	require.Equal(t, "tencent", provider)
}
