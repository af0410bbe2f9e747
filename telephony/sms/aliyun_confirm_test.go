package sms_test

import (
	"context"
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

// fakeAliyunLog stands in for Aliyun's SendSms and QuerySendDetails: every request's
// signature is recomputed with the secret (a bad one is refused as Aliyun does), SendSms
// accepts and remembers each message by number and Beijing day, and QuerySendDetails
// lists, page by page, what was accepted for a number on a day.
type fakeAliyunLog struct {
	mu       sync.Mutex
	sent     map[string][]string // phone|yyyyMMdd -> OutIds, in order
	sends    map[string]int      // OutId -> SendSms calls
	queries  []string            // phone|day|page of each QuerySendDetails
	failNext bool
	srv      *httptest.Server
}

func newFakeAliyunLog(t *testing.T, keyID, secret string, now func() time.Time) *fakeAliyunLog {
	f := &fakeAliyunLog{sent: map[string][]string{}, sends: map[string]int{}}
	beijing := time.FixedZone("CST", 8*3600)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		if r.Form.Get("AccessKeyId") != keyID || r.Form.Get("Signature") != aliyunSignature(r.Method, r.Form, secret) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation.","RequestId":"r"}`)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		switch r.Form.Get("Action") {
		case "SendSms":
			key := r.Form.Get("PhoneNumbers") + "|" + now().In(beijing).Format("20060102")
			f.sent[key] = append(f.sent[key], r.Form.Get("OutId"))
			f.sends[r.Form.Get("OutId")]++
			_, _ = fmt.Fprintf(w, `{"Code":"OK","Message":"OK","BizId":"biz-%s","RequestId":"r"}`, r.Form.Get("OutId"))
		case "QuerySendDetails":
			if f.failNext {
				f.failNext = false
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, `{"Code":"ServiceUnavailable","Message":"The request has failed due to a temporary failure of the server.","RequestId":"r"}`)
				return
			}
			phone, day := r.Form.Get("PhoneNumber"), r.Form.Get("SendDate")
			size, _ := strconv.Atoi(r.Form.Get("PageSize"))
			page, _ := strconv.Atoi(r.Form.Get("CurrentPage"))
			require.True(t, size >= 1 && size <= 50 && page >= 1, "PageSize 1-50, CurrentPage from 1")
			f.queries = append(f.queries, fmt.Sprintf("%s|%s|%d", phone, day, page))
			all := f.sent[phone+"|"+day]
			var items []string
			for i := (page - 1) * size; i < len(all) && i < page*size; i++ {
				items = append(items, fmt.Sprintf(`{"ErrCode":"DELIVERED","TemplateCode":"SMS_1","OutId":"%s","ReceiveDate":"","SendDate":"%s","PhoneNum":"%s","Content":"【测试店】","SendStatus":3}`,
					all[i], day, phone))
			}
			_, _ = fmt.Fprintf(w, `{"Code":"OK","Message":"OK","RequestId":"r","TotalCount":%d,"SmsSendDetailDTOs":{"SmsSendDetailDTO":[%s]}}`,
				len(all), strings.Join(items, ","))
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"Code":"InvalidAction.NotFound","Message":"no such action","RequestId":"r"}`)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// TestAliyunConfirm: Confirm finds a message Aliyun accepted by its OutId on the claim's
// Beijing day, on a later page and on the next day when the day changed; a message not
// listed is not accepted once ConfirmAfter has passed since its claim, and "ask later"
// before; a failed query or a bad signature is an error, never an answer.
func TestAliyunConfirm(t *testing.T) {
	// 2026-11-23 23:59:30 in Beijing.
	now := time.Date(2026, 11, 23, 15, 59, 30, 0, time.UTC)
	clock := func() time.Time { return now }
	f := newFakeAliyunLog(t, "AKID1", "s3cret", clock)
	host := strings.TrimPrefix(f.srv.URL, "http://")
	a, err := sms.NewAliyun(sms.AliyunConfig{AccessKeyID: "AKID1", AccessKeySecret: "s3cret", Endpoint: host, Scheme: "http", Now: clock})
	require.NoError(t, err)
	ctx := context.Background()

	// 60 earlier messages to the same number that day: ours is on the second page.
	for i := 0; i < 60; i++ {
		_, err := a.Submit(ctx, outgoing(int64(1000+i), "13900000001", "SMS_1"))
		require.NoError(t, err)
	}
	claimed := now.Add(-10 * time.Second)
	_, err = a.Submit(ctx, outgoing(7, "13900000001", "SMS_1"))
	require.NoError(t, err)
	accepted, known, pid, err := a.Confirm(ctx, outgoing(7, "13900000001", "SMS_1"), claimed)
	require.NoError(t, err)
	require.True(t, known)
	require.True(t, accepted)
	require.Equal(t, "7", pid, "reports are matched by OutId")
	require.Equal(t, []string{"13900000001|20261123|1", "13900000001|20261123|2"}, f.queries)

	// Not listed, claimed 10 s ago: ask again later.
	_, known, _, err = a.Confirm(ctx, outgoing(8, "13900000001", "SMS_1"), claimed)
	var later interface{ Later() bool }
	require.True(t, errors.As(err, &later) && later.Later(), "%v", err)
	require.False(t, known)

	// Past midnight in Beijing, the claim of the day before is looked up on both days.
	now = now.Add(2 * time.Minute)
	_, err = a.Submit(ctx, outgoing(9, "13900000002", "SMS_1")) // accepted just after midnight
	require.NoError(t, err)
	f.queries = nil
	accepted, known, _, err = a.Confirm(ctx, outgoing(9, "13900000002", "SMS_1"), claimed)
	require.NoError(t, err)
	require.True(t, known && accepted)
	require.Equal(t, []string{"13900000002|20261123|1", "13900000002|20261124|1"}, f.queries)

	// Not listed two minutes after the claim: never accepted.
	accepted, known, _, err = a.Confirm(ctx, outgoing(8, "13900000001", "SMS_1"), claimed)
	require.NoError(t, err)
	require.True(t, known)
	require.False(t, accepted)

	// A failed query says nothing.
	f.failNext = true
	_, known, _, err = a.Confirm(ctx, outgoing(8, "13900000001", "SMS_1"), claimed)
	require.ErrorContains(t, err, "ServiceUnavailable")
	require.False(t, known)
	wrong, err := sms.NewAliyun(sms.AliyunConfig{AccessKeyID: "AKID1", AccessKeySecret: "other", Endpoint: host, Scheme: "http", Now: clock})
	require.NoError(t, err)
	_, known, _, err = wrong.Confirm(ctx, outgoing(8, "13900000001", "SMS_1"), claimed)
	require.ErrorContains(t, err, "SignatureDoesNotMatch")
	require.False(t, known)
}

// TestStrandedAliyunMessagesSettledByAliyun: a sender dies with two messages in sending,
// one of which reached Aliyun. The SMS sweep, with the Aliyun sender as its Confirmer,
// leaves both in sending while Aliyun may not list them yet, then marks the one Aliyun
// lists sent and puts the other back in the queue, released again (an sms:send outbox
// row); nothing is marked uncertain and nothing was sent twice.
func TestStrandedAliyunMessagesSettledByAliyun(t *testing.T) {
	db, dealer := cloudDB(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	f := newFakeAliyunLog(t, "AKID1", "s3cret", clock)
	a, err := sms.NewAliyun(sms.AliyunConfig{AccessKeyID: "AKID1", AccessKeySecret: "s3cret",
		Endpoint: strings.TrimPrefix(f.srv.URL, "http://"), Scheme: "http", Now: clock})
	require.NoError(t, err)
	stranded := func(phone string) int64 {
		var id int64
		require.NoError(t, db.QueryRow(ctx, `INSERT INTO sms_messages (dealer_id, phone, kind, body, status, idempotency_key, claimed_at, claimed_by, attempts)
			VALUES ($1, $2, 'service', '【测试4S店】您好', 'sending', $2, $3, 'w-dead', 1) RETURNING id`, dealer, phone, now).Scan(&id))
		return id
	}
	reached, lost := stranded("13900000011"), stranded("13900000012")
	_, err = a.Submit(ctx, outgoing(reached, "13900000011", "SMS_1")) // the answer never got back
	require.NoError(t, err)

	sweep := &notify.SMSSweep{DB: db, Confirmer: a, WorkerTimeout: 15 * time.Second}
	status := func(id int64) string {
		var s string
		require.NoError(t, db.QueryRow(ctx, `SELECT status FROM sms_messages WHERE id = $1`, id).Scan(&s))
		return s
	}
	now = now.Add(20 * time.Second)
	res, err := sweep.Run(ctx, now)
	require.NoError(t, err)
	require.Equal(t, 1, res.Confirmed, "listed: sent")
	require.Equal(t, 1, res.Later, "not listed 20 s after the claim: asked again later")
	require.Empty(t, res.Uncertain)
	require.Equal(t, "sent", status(reached))
	require.Equal(t, "sending", status(lost))

	now = now.Add(2 * time.Minute)
	res, err = sweep.Run(ctx, now)
	require.NoError(t, err)
	require.Equal(t, 1, res.Requeued)
	require.Equal(t, 1, res.Released, "sent again")
	require.Empty(t, res.Uncertain)
	require.Equal(t, "queued", status(lost))
	var outbox int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE task_type = 'sms:send' AND (payload->>'message_id')::bigint = $1`, lost).Scan(&outbox))
	require.Equal(t, 1, outbox)
	var provider, pid string
	require.NoError(t, db.QueryRow(ctx, `SELECT provider, provider_id FROM sms_messages WHERE id = $1`, reached).Scan(&provider, &pid))
	require.Equal(t, []string{"aliyun", strconv.FormatInt(reached, 10)}, []string{provider, pid})
	require.Equal(t, map[string]int{strconv.FormatInt(reached, 10): 1}, f.sends, "nothing sent twice")
}
