package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony/sms"
	"github.com/huifang/huifang/telephony/sms/kanneltest"
)

// TestLeaveStoreSMSThroughKannelAndOptOut is the demo on a real Kannel: a
// showroom visit ends, the outbox relay and an Asynq worker send the leave-store SMS
// through smsbox to fakesmsc, its delivery report comes back on our dlr-url; the visitor
// replies TD through fakesmsc, is opted out, and the next marketing SMS skips them while
// another owner still gets it.
func TestLeaveStoreSMSThroughKannelAndOptOut(t *testing.T) {
	if !kanneltest.Available() {
		t.Skip("kannel not installed; run .ci/test-tools.sh")
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := storetest.New(t)
	rdb := storetest.NewRedis(t).Client

	mux := http.NewServeMux()
	mux.Handle("/sms/kannel/", &sms.KannelHandler{Recorder: &sms.Recorder{DB: db, Log: log}, Token: "s3cret"})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	k := kanneltest.Start(t, kanneltest.Options{MOURL: sms.KannelMOURL(srv.URL+"/sms/kannel", "s3cret")})
	kannel, err := sms.NewKannel(sms.KannelConfig{SendURL: k.SendURL, Username: k.Username, Password: k.Password,
		From: "106900001", ReportURL: srv.URL + "/sms/kannel/dlr", Token: "s3cret"})
	require.NoError(t, err)

	q := store.New(db)
	dealer, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "GZ01", Name: "广州测试4S店"})
	require.NoError(t, err)
	loc, err := time.LoadLocation(dealer.TimeZone)
	require.NoError(t, err)
	// Daytime at the dealer, whatever the wall clock says (marketing has quiet hours).
	noon := time.Now().In(loc)
	noon = time.Date(noon.Year(), noon.Month(), noon.Day(), 12, 0, 0, 0, loc)
	clock := func() time.Time { return noon }

	w, err := queue.NewWorker(queue.WorkerConfig{DB: db, Redis: rdb, Log: log, Concurrency: 4, PollInterval: 50 * time.Millisecond,
		Handlers: notifyHandlers(t, db, &notify.ProviderSender{DB: db, Provider: kannel, Now: clock,
			Limiter: &notify.RateLimiter{Redis: rdb, Default: 50}})})
	require.NoError(t, err)
	require.NoError(t, w.Start())
	t.Cleanup(w.Shutdown)
	relay, err := queue.NewRelay(queue.RelayConfig{DB: db, Redis: rdb, Log: log, PollInterval: 200 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, relay.Start(ctx))
	t.Cleanup(relay.Shutdown)

	// The visitor leaves the showroom.
	arrived := noon.Add(-2 * time.Hour)
	left := noon.Add(-30 * time.Minute)
	visit, smsID := recordVisitSMS(t, db, queue.ShowroomVisit{DealerID: dealer.ID, Phone: "13911112222",
		Name: "王", Title: "先生", ArrivedAt: arrived, LeftAt: &left, Consultant: "张伟"})
	require.NotZero(t, smsID)

	got := k.WaitReceived(1, 20*time.Second)
	require.Len(t, got, 1)
	require.Equal(t, "13911112222", got[0].To)
	require.True(t, strings.HasPrefix(got[0].Text, "【广州测试4S店】王先生您好，感谢您今天光临"), got[0].Text)
	status := func(id int64) string {
		var s string
		require.NoError(t, db.QueryRow(ctx, `SELECT status FROM sms_messages WHERE id = $1`, id).Scan(&s))
		return s
	}
	require.Eventually(t, func() bool { return status(smsID) == "delivered" }, 20*time.Second, 50*time.Millisecond, "the delivery report")
	var provider string
	require.NoError(t, db.QueryRow(ctx, `SELECT provider FROM sms_messages WHERE id = $1`, smsID).Scan(&provider))
	require.Equal(t, "kannel", provider)

	// The visitor replies TD.
	k.SendMO("+8613911112222", "106900001", "TD")
	require.Eventually(t, func() bool {
		c, err := q.GetSMSConsent(ctx, store.GetSMSConsentParams{DealerID: dealer.ID, Phone: "13911112222"})
		return err == nil && c.State == "opted_out"
	}, 20*time.Second, 50*time.Millisecond, "the opt-out")

	// The next marketing SMS goes to another owner, not to the visitor.
	var other int64
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, title, phone) VALUES ($1, '李', '女士', '13933334444') RETURNING id`,
		dealer.ID).Scan(&other))
	res, err := notify.StartSMSBroadcast(ctx, db, notify.SMSBroadcastParams{DealerID: dealer.ID, Code: "holiday:test", Template: "holiday",
		Day: noon, Now: noon, Audience: notify.SMSAudience{CustomerIDs: []int64{visit.CustomerID, other}}})
	require.NoError(t, err)
	require.Equal(t, 1, res.Queued)
	require.Equal(t, 1, res.Suppressed)
	got = k.WaitReceived(2, 20*time.Second)
	require.Len(t, got, 2)
	require.Equal(t, "13933334444", got[1].To)
	require.Equal(t, "【广州测试4S店】李女士，广州测试4S店祝您节日快乐，出行平安！回TD退订", got[1].Text)

	stats, err := notify.LoadBroadcastStats(ctx, db, dealer.ID, time.Time{})
	require.NoError(t, err)
	byBroadcast := map[string]store.BroadcastSMSStatsRow{}
	for _, s := range stats.SMS {
		byBroadcast[s.Broadcast] = s
	}
	require.EqualValues(t, 1, byBroadcast[""].Delivered, "the leave-store SMS")
	require.EqualValues(t, 1, byBroadcast[""].Replied)
	require.EqualValues(t, 1, byBroadcast[""].OptedOut)
	require.EqualValues(t, 1, byBroadcast["holiday:test"].Suppressed)
	// Nothing more reaches the SMSC (each message once).
	time.Sleep(300 * time.Millisecond)
	require.Len(t, k.Received(), 2)
}

// notifyHandlers returns notify's SMS handler with sender, for a test worker's Handlers.
func notifyHandlers(t testing.TB, db *pgxpool.Pool, sender notify.Sender) map[string]asynq.Handler {
	t.Helper()
	h, err := notify.NewHandler(notify.HandlerConfig{DB: db, Sender: sender})
	require.NoError(t, err)
	return map[string]asynq.Handler{notify.TaskPrefix: h}
}

// recordVisitSMS records a showroom visit and its leave-store SMS in one transaction, as
// `huifang visit` does, and returns the visit and the SMS's id (zero when none was queued).
func recordVisitSMS(t testing.TB, db *pgxpool.Pool, v queue.ShowroomVisit) (*queue.ShowroomVisitResult, int64) {
	t.Helper()
	ctx := context.Background()
	var visit *queue.ShowroomVisitResult
	var id int64
	require.NoError(t, store.WithTx(ctx, db, func(tx pgx.Tx) error {
		var err error
		visit, err = queue.RecordShowroomVisit(ctx, tx, v)
		if err != nil {
			return err
		}
		sms, err := notify.LeaveStoreSMSTx(ctx, tx, visit)
		id = sms.ID
		return err
	}))
	return visit, id
}
