package sms_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/telephony/sms"
)

// tencentSent is one message the fake Tencent accepted.
type tencentSent struct {
	phone, session, serial string
	at                     time.Time
	reported               bool
}

// fakeTencentLog stands in for Tencent Cloud SMS's SendSms and
// PullSmsSendStatusByPhoneNumber (sms 2021-01-11): every request must carry the action,
// the version and a TC3-HMAC-SHA256 Authorization that the fake recomputes with the key
// (else Tencent's AuthFailure answer); SendSms accepts and remembers each message,
// and the pull lists, for a number and a time window, the status reports that came back
// (a message is reported once the test says so), with SessionContext unless noSession.
type fakeTencentLog struct {
	mu        sync.Mutex
	sent      []*tencentSent
	sends     map[string]int   // SessionContext -> SendSms calls
	pulls     []map[string]any // the body of each pull
	badAuth   int
	noSession bool
	failNext  bool
	srv       *httptest.Server
}

func newFakeTencentLog(t *testing.T, secretID, secretKey string, now func() time.Time) *fakeTencentLog {
	f := &fakeTencentLog{sends: map[string]int{}}
	apiErr := func(w http.ResponseWriter, code string) {
		_, _ = fmt.Fprintf(w, `{"Response":{"Error":{"Code":%q,"Message":"m"},"RequestId":"r"}}`, code)
	}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		fields := map[string]any{}
		require.NoError(t, json.Unmarshal(body, &fields))
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Header.Get("Authorization") == "" || !tencentSignatureOK(r, body, secretID, secretKey) {
			f.badAuth++
			apiErr(w, "AuthFailure.SignatureFailure")
			return
		}
		if v := r.Header.Get("X-TC-Version"); v != "2021-01-11" {
			apiErr(w, "InvalidParameter.Version:"+v)
			return
		}
		switch r.Header.Get("X-TC-Action") {
		case "SendSms":
			set, _ := fields["PhoneNumberSet"].([]any)
			require.Len(t, set, 1)
			sc, _ := fields["SessionContext"].(string)
			s := &tencentSent{phone: set[0].(string), session: sc, serial: fmt.Sprintf("2645:%d", len(f.sent)+1), at: now()}
			f.sent = append(f.sent, s)
			f.sends[sc]++
			_, _ = fmt.Fprintf(w, `{"Response":{"SendStatusSet":[{"SerialNo":%q,"PhoneNumber":%q,"Fee":1,"SessionContext":%q,"Code":"Ok","Message":"send success","IsoCode":"CN"}],"RequestId":"r"}}`,
				s.serial, s.phone, sc)
		case "PullSmsSendStatusByPhoneNumber":
			f.pulls = append(f.pulls, fields)
			if f.failNext {
				f.failNext = false
				apiErr(w, "InternalError.Timeout")
				return
			}
			num := func(k string) int64 {
				v, ok := fields[k].(float64)
				require.True(t, ok, "pull without %s: %v", k, fields)
				return int64(v)
			}
			begin, end, limit := num("BeginTime"), num("EndTime"), num("Limit")
			require.Zero(t, num("Offset"), "Offset is always 0")
			require.True(t, limit >= 1 && limit <= 100, "Limit 1-100")
			require.LessOrEqual(t, begin, end)
			require.Equal(t, "1400006666", fields["SmsSdkAppId"])
			phone, _ := fields["PhoneNumber"].(string)
			require.True(t, strings.HasPrefix(phone, "+86"), "E.164 number: %q", phone)
			var items []string
			for _, s := range f.sent {
				if s.phone != phone || !s.reported || s.at.Unix() < begin || s.at.Unix() > end || int64(len(items)) == limit {
					continue
				}
				sc := s.session
				if f.noSession {
					sc = ""
				}
				items = append(items, fmt.Sprintf(`{"UserReceiveTime":%d,"CountryCode":"86","SubscriberNumber":%q,"PhoneNumber":%q,"SerialNo":%q,"ReportStatus":"SUCCESS","Description":"DELIVRD","SessionContext":%q}`,
					s.at.Unix()+3, strings.TrimPrefix(phone, "+86"), phone, s.serial, sc))
			}
			_, _ = fmt.Fprintf(w, `{"Response":{"PullSmsSendStatusSet":[%s],"RequestId":"r"}}`, strings.Join(items, ","))
		default:
			apiErr(w, "InvalidAction")
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// report marks the message with SessionContext id as reported back by the carrier.
func (f *fakeTencentLog) report(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.sent {
		if s.session == strconv.FormatInt(id, 10) {
			s.reported = true
		}
	}
}

func newConfirmingTencent(t *testing.T, f *fakeTencentLog, key string, clock func() time.Time) *sms.Tencent {
	tc, err := sms.NewTencent(sms.TencentConfig{SecretID: "AKIDt", SecretKey: key, SDKAppID: "1400006666",
		Endpoint: strings.TrimPrefix(f.srv.URL, "http://"), Scheme: "http", Now: clock})
	require.NoError(t, err)
	return tc
}

// TestTencentConfirm: Confirm finds a message whose status report Tencent lists by its
// SessionContext, with Tencent's SerialNo, asking about the claim's number and window;
// a message not listed is "ask later" before ConfirmAfter and unknown after it (never
// "not accepted": Tencent lists reports, not submissions); reports without
// SessionContext, a failed pull and a bad signature are never an answer.
func TestTencentConfirm(t *testing.T) {
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	f := newFakeTencentLog(t, "AKIDt", "tkey", clock)
	tc := newConfirmingTencent(t, f, "tkey", clock)
	ctx := context.Background()
	var later interface{ Later() bool }

	claimed := now
	// Earlier messages to the number, before the claim's window.
	for i := 0; i < 3; i++ {
		_, err := tc.Submit(ctx, outgoing(int64(100+i), "13900000001", "1234567"))
		require.NoError(t, err)
		f.report(int64(100 + i))
	}
	now = now.Add(5 * time.Minute)
	claimed = now
	_, err := tc.Submit(ctx, outgoing(7, "13900000001", "1234567"))
	require.NoError(t, err)
	now = now.Add(10 * time.Second)

	// Accepted, its report not back yet: ask again later.
	_, known, _, err := tc.Confirm(ctx, outgoing(7, "13900000001", "1234567"), claimed)
	require.True(t, errors.As(err, &later) && later.Later(), "%v", err)
	require.False(t, known)

	f.report(7)
	accepted, known, pid, err := tc.Confirm(ctx, outgoing(7, "13900000001", "1234567"), claimed)
	require.NoError(t, err)
	require.True(t, known && accepted)
	require.Equal(t, "2645:4", pid, "Tencent's SerialNo, as Submit would have returned")
	p := f.pulls[len(f.pulls)-1]
	require.Equal(t, "+8613900000001", p["PhoneNumber"])
	require.Equal(t, float64(claimed.Add(-time.Minute).Unix()), p["BeginTime"], "from the claim, less a minute for clock skew")
	require.Equal(t, float64(now.Add(time.Minute).Unix()), p["EndTime"])
	require.Equal(t, float64(100), p["Limit"])

	// Never reached Tencent: ask later for two minutes, then unknown (a person decides).
	_, known, _, err = tc.Confirm(ctx, outgoing(8, "13900000001", "1234567"), claimed)
	require.True(t, errors.As(err, &later) && later.Later(), "%v", err)
	require.False(t, known)
	now = claimed.Add(2 * time.Minute)
	accepted, known, _, err = tc.Confirm(ctx, outgoing(8, "13900000001", "1234567"), claimed)
	require.NoError(t, err)
	require.False(t, known || accepted, "not listed is not 'not accepted'")

	// Reports without SessionContext (not enabled at Tencent) say nothing about ours.
	f.noSession = true
	_, known, _, err = tc.Confirm(ctx, outgoing(7, "13900000001", "1234567"), claimed)
	require.ErrorContains(t, err, "SessionContext")
	require.False(t, errors.As(err, &later))
	require.False(t, known)
	f.noSession = false

	// A failed pull and a bad signature say nothing.
	f.failNext = true
	_, known, _, err = tc.Confirm(ctx, outgoing(7, "13900000001", "1234567"), claimed)
	require.ErrorContains(t, err, "InternalError.Timeout")
	require.False(t, known)
	_, known, _, err = newConfirmingTencent(t, f, "other", clock).Confirm(ctx, outgoing(7, "13900000001", "1234567"), claimed)
	require.ErrorContains(t, err, "AuthFailure.SignatureFailure")
	require.False(t, known)
	require.Equal(t, 1, f.badAuth)
}

// TestStrandedTencentMessagesSettledByTencent: a sender dies with two messages in
// sending, one of which reached Tencent. The SMS sweep, with the Tencent sender as its
// Confirmer, leaves both in sending while Tencent lists neither, marks the one whose
// report Tencent lists sent (with its SerialNo), and two minutes after the claim leaves
// the other to a person (uncertain), never sending it again.
func TestStrandedTencentMessagesSettledByTencent(t *testing.T) {
	db, dealer := cloudDB(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	f := newFakeTencentLog(t, "AKIDt", "tkey", clock)
	tc := newConfirmingTencent(t, f, "tkey", clock)
	var _ notify.Confirmer = tc
	stranded := func(phone string) int64 {
		var id int64
		require.NoError(t, db.QueryRow(ctx, `INSERT INTO sms_messages (dealer_id, phone, kind, body, status, idempotency_key, claimed_at, claimed_by, attempts)
			VALUES ($1, $2, 'service', '【测试4S店】您好', 'sending', $2, $3, 'w-dead', 1) RETURNING id`, dealer, phone, now).Scan(&id))
		return id
	}
	reached, lost := stranded("13900000011"), stranded("13900000012")
	_, err := tc.Submit(ctx, outgoing(reached, "13900000011", "1234567")) // the answer never got back
	require.NoError(t, err)
	status := func(id int64) string {
		var s string
		require.NoError(t, db.QueryRow(ctx, `SELECT status FROM sms_messages WHERE id = $1`, id).Scan(&s))
		return s
	}
	sweep := &notify.SMSSweep{DB: db, Confirmer: tc, WorkerTimeout: 15 * time.Second}

	now = now.Add(20 * time.Second)
	res, err := sweep.Run(ctx, now)
	require.NoError(t, err)
	require.Equal(t, 2, res.Later, "no report yet for either")
	require.Equal(t, []string{"sending", "sending"}, []string{status(reached), status(lost)})

	f.report(reached)
	now = now.Add(20 * time.Second)
	res, err = sweep.Run(ctx, now)
	require.NoError(t, err)
	require.Equal(t, 1, res.Confirmed)
	require.Equal(t, 1, res.Later)
	require.Equal(t, "sent", status(reached))
	var provider, pid string
	require.NoError(t, db.QueryRow(ctx, `SELECT provider, provider_id FROM sms_messages WHERE id = $1`, reached).Scan(&provider, &pid))
	require.Equal(t, []string{"tencent", "2645:1"}, []string{provider, pid})

	now = now.Add(2 * time.Minute)
	res, err = sweep.Run(ctx, now)
	require.NoError(t, err)
	require.Zero(t, res.Requeued, "not listed is never sent again blindly")
	require.Equal(t, []int64{lost}, res.Uncertain)
	require.Equal(t, "uncertain", status(lost))
	require.Equal(t, map[string]int{strconv.FormatInt(reached, 10): 1}, f.sends, "nothing sent twice")
}
