package sms_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony/sms"
	"github.com/huifang/huifang/telephony/sms/kanneltest"
)

// BenchmarkKannelSubmit measures Kannel alone: HUIFANG_BENCH_SMS messages (default 5000)
// submitted by 64 goroutines to smsbox, until fakesmsc has them all, no delivery reports.
func BenchmarkKannelSubmit(b *testing.B) {
	if !kanneltest.Available() {
		b.Skip("kannel not installed")
	}
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("HUIFANG_BENCH_SMS")); err == nil && v > 0 {
		n = v
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		k := kanneltest.Start(b, kanneltest.Options{})
		s, err := sms.NewKannel(sms.KannelConfig{SendURL: k.SendURL, Username: k.Username, Password: k.Password, From: "10690000",
			Client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}})
		require.NoError(b, err)
		var next atomic.Int64
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for g := 0; g < 64; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					id := next.Add(1)
					if id > int64(n) {
						return
					}
					_, err := s.Submit(context.Background(), store.OutgoingSMS{ID: id, Phone: fmt.Sprint(13000000000 + id), Body: "【压测】你好"})
					if err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		accepted := time.Since(start)
		got := k.WaitReceived(n, 5*time.Minute)
		took := time.Since(start)
		b.StopTimer()
		require.Len(b, got, n)
		b.ReportMetric(float64(n)/took.Seconds(), "sms/s")
		b.Logf("%d submitted in %v, all at fakesmsc after %v: %.0f sms/s", n, accepted.Round(time.Millisecond), took.Round(time.Millisecond), float64(n)/took.Seconds())
	}
}

// BenchmarkReportEndpoint measures our delivery-report endpoint alone: HUIFANG_BENCH_SMS
// messages (default 5000) get two Kannel reports each (SMSC accepted, delivered), sent as
// Kannel sends them (HTTP GET on the dlr-url) by 64 goroutines, each report stored before
// its 200. HUIFANG_BENCH_SMS_BATCH=0 writes each report alone instead of sharing commits.
func BenchmarkReportEndpoint(b *testing.B) {
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("HUIFANG_BENCH_SMS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := storetest.New(b)
		d, err := store.New(db).EnsureDealer(ctx, store.EnsureDealerParams{Code: "B1", Name: "压测店"})
		require.NoError(b, err)
		_, err = db.Exec(ctx, `INSERT INTO sms_messages (dealer_id, phone, body, status, idempotency_key)
			SELECT $1, (13000000000 + g)::text, '您好', 'sending', 'b' || g FROM generate_series(1, $2::int) g`, d.ID, n)
		require.NoError(b, err)
		var first int64
		require.NoError(b, db.QueryRow(ctx, `SELECT min(id) FROM sms_messages`).Scan(&first))
		rec := &sms.Recorder{DB: db}
		batched := os.Getenv("HUIFANG_BENCH_SMS_BATCH") != "0"
		if batched {
			rec.Batch = sms.NewReportBatcher(db, 0)
			bctx, stop := context.WithCancel(ctx)
			go rec.Batch.Run(bctx)
			b.Cleanup(stop)
		}
		srv := httptest.NewServer(&sms.KannelHandler{Recorder: rec})
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		var next atomic.Int64
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for g := 0; g < 64; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					k := next.Add(1) - 1
					if k >= int64(2*n) {
						return
					}
					// The first n reports are "SMSC accepted" (8), the next n "delivered" (1).
					typ := 8
					if k >= int64(n) {
						typ = 1
					}
					u := fmt.Sprintf("%s/sms/kannel/dlr?id=%d&type=%d&answer=ok&ts=%d", srv.URL, first+k%int64(n), typ, time.Now().Unix())
					resp, err := client.Get(u)
					if err != nil {
						b.Error(err)
						return
					}
					_ = resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("report %d: HTTP %d", k, resp.StatusCode)
						return
					}
				}
			}()
		}
		wg.Wait()
		took := time.Since(start)
		b.StopTimer()
		srv.Close()
		var delivered, events int
		require.NoError(b, db.QueryRow(ctx, `SELECT count(*) FROM sms_messages WHERE status = 'delivered'`).Scan(&delivered))
		require.NoError(b, db.QueryRow(ctx, `SELECT count(*) FROM sms_events`).Scan(&events))
		require.Equal(b, n, delivered)
		require.Equal(b, 2*n, events)
		b.ReportMetric(float64(2*n)/took.Seconds(), "reports/s")
		b.Logf("%d reports (%d messages) stored in %v: %.0f reports/s, batched %v", 2*n, n, took.Round(time.Millisecond), float64(2*n)/took.Seconds(), batched)
	}
}
