package sms_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony/sms"
	"github.com/huifang/huifang/telephony/sms/kanneltest"
)

// rig is a real Kannel with our callback handler in front of a fresh schema.
type rig struct {
	db     *pgxpool.Pool
	dealer int64
	k      *kanneltest.Kannel
	sender *sms.Kannel
}

func newRig(t *testing.T) *rig {
	t.Helper()
	if !kanneltest.Available() {
		t.Skip("kannel not installed; run .ci/test-tools.sh")
	}
	db := storetest.New(t)
	d, err := store.New(db).EnsureDealer(context.Background(), store.EnsureDealerParams{Code: "D1", Name: "测试4S店"})
	require.NoError(t, err)
	h := &sms.KannelHandler{Recorder: &sms.Recorder{DB: db}, Token: "tok"}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	k := kanneltest.Start(t, kanneltest.Options{MOURL: sms.KannelMOURL(srv.URL+"/sms/kannel", "tok")})
	sender, err := sms.NewKannel(sms.KannelConfig{
		SendURL: k.SendURL, Username: k.Username, Password: k.Password, From: "10690000",
		ReportURL: srv.URL + "/sms/kannel/dlr", Token: "tok",
	})
	require.NoError(t, err)
	return &rig{db: db, dealer: d.ID, k: k, sender: sender}
}

// message inserts a queued message and returns its id.
func (r *rig) message(t *testing.T, phone, kind, body string) int64 {
	t.Helper()
	var id int64
	require.NoError(t, r.db.QueryRow(context.Background(), `INSERT INTO sms_messages (dealer_id, phone, kind, body, idempotency_key)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, r.dealer, phone, kind, body, fmt.Sprintf("t:%s:%d", phone, time.Now().UnixNano())).Scan(&id))
	return id
}

func (r *rig) status(t *testing.T, id int64) string {
	t.Helper()
	var s string
	require.NoError(t, r.db.QueryRow(context.Background(), `SELECT status FROM sms_messages WHERE id = $1`, id).Scan(&s))
	return s
}

func TestKannelSubmitDeliveryReportAndOptOut(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	body := "【测试4S店】王先生您好，感谢您今天光临！回TD退订"
	id := r.message(t, "13912345678", "service", body)

	pid, err := r.sender.Submit(ctx, store.OutgoingSMS{ID: id, Phone: "13912345678", Body: body})
	require.NoError(t, err)
	require.Equal(t, fmt.Sprint(id), pid)

	got := r.k.WaitReceived(1, 15*time.Second)
	require.Len(t, got, 1)
	require.Equal(t, kanneltest.MT{From: "10690000", To: "13912345678", Text: body}, got[0])

	require.Eventually(t, func() bool { return r.status(t, id) == "delivered" }, 15*time.Second, 50*time.Millisecond, "delivery report")
	// Kannel sends the "submitted" (8) and "delivered" (1) reports at once; the batcher
	// stores one report per message per statement, so the second may land a batch later.
	require.Eventually(t, func() bool {
		kinds := r.eventKinds(t, id)
		return slices.Contains(kinds, "delivered") && slices.Contains(kinds, "submitted")
	}, 15*time.Second, 50*time.Millisecond, "both reports stored")
	require.Equal(t, "delivered", r.status(t, id), "a late 'accepted' does not undo 'delivered'")

	// A marketing message waits in the queue; the customer replies 退订 through the SMSC.
	queued := r.message(t, "13912345678", "marketing", "【测试4S店】保养提醒")
	r.k.SendMO("8613912345678", "10690000", "退订")
	require.Eventually(t, func() bool {
		c, err := store.New(r.db).GetSMSConsent(ctx, store.GetSMSConsentParams{DealerID: r.dealer, Phone: "13912345678"})
		return err == nil && c.State == "opted_out"
	}, 15*time.Second, 50*time.Millisecond, "opt-out")
	c, err := store.New(r.db).GetSMSConsent(ctx, store.GetSMSConsentParams{DealerID: r.dealer, Phone: "13912345678"})
	require.NoError(t, err)
	require.Equal(t, "sms_reply", c.Source)
	require.Equal(t, "退订", c.Detail)
	require.WithinDuration(t, time.Now(), c.At, time.Minute)
	require.Equal(t, "suppressed", r.status(t, queued))
	var replied bool
	require.NoError(t, r.db.QueryRow(ctx, `SELECT replied_at IS NOT NULL FROM sms_messages WHERE id = $1`, id).Scan(&replied))
	require.True(t, replied, "the reply is tied to the message it answered")

	// After the restart the fake SMSC still receives: a plain ASCII message, and a reply
	// that is not an opt-out opts nobody out.
	id2 := r.message(t, "13900000002", "service", "Hello")
	_, err = r.sender.Submit(ctx, store.OutgoingSMS{ID: id2, Phone: "13900000002", Body: "Hello"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return r.status(t, id2) == "delivered" }, 15*time.Second, 50*time.Millisecond, "second delivery")
	require.Equal(t, "Hello", r.k.Received()[1].Text)
}

func TestKannelReplyNotOptOut(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	id := r.message(t, "13900000003", "marketing", "【测试4S店】生日快乐")
	_, err := r.sender.Submit(ctx, store.OutgoingSMS{ID: id, Phone: "13900000003", Body: "【测试4S店】生日快乐"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return r.status(t, id) == "delivered" }, 15*time.Second, 50*time.Millisecond, "delivered")
	r.k.SendMO("13900000003", "10690000", "谢谢")
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, r.db.QueryRow(ctx, `SELECT count(*) FROM sms_replies WHERE phone = '13900000003'`).Scan(&n))
		return n == 1
	}, 15*time.Second, 50*time.Millisecond, "reply stored")
	_, err = store.New(r.db).GetSMSConsent(ctx, store.GetSMSConsentParams{DealerID: r.dealer, Phone: "13900000003"})
	require.Error(t, err, "a thank-you is not an opt-out")
}

func TestKannelRefusesBadCredentials(t *testing.T) {
	r := newRig(t)
	bad, err := sms.NewKannel(sms.KannelConfig{SendURL: r.k.SendURL, Username: "nobody", Password: "x"})
	require.NoError(t, err)
	_, err = bad.Submit(context.Background(), store.OutgoingSMS{ID: 1, Phone: "13900000004", Body: "x"})
	var ke *sms.Error
	require.ErrorAs(t, err, &ke)
	require.True(t, ke.Permanent(), "%v", err)
	require.Equal(t, http.StatusForbidden, ke.Status)
}

func TestKannelErrorsHideThePassword(t *testing.T) {
	// A port nobody listens on: the connection is refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	k, err := sms.NewKannel(sms.KannelConfig{SendURL: "http://" + addr + "/cgi-bin/sendsms", Username: "huifang", Password: "s3cret-pw"})
	require.NoError(t, err)
	_, err = k.Submit(context.Background(), store.OutgoingSMS{ID: 1, Phone: "13912345678", Body: "您好"})
	require.Error(t, err)
	require.Contains(t, err.Error(), "/cgi-bin/sendsms")
	require.NotContains(t, err.Error(), "s3cret-pw")
	var se *sms.Error
	require.ErrorAs(t, err, &se)
	require.False(t, se.InDoubt(), "a refused connection sent nothing")
}

// eventKinds returns the kinds of the message's stored events, oldest first.
func (r *rig) eventKinds(t *testing.T, id int64) []string {
	t.Helper()
	rows, err := r.db.Query(context.Background(), `SELECT kind FROM sms_events WHERE message_id = $1 ORDER BY id`, id)
	require.NoError(t, err)
	kinds, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return kinds
}
