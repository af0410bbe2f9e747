package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony/sms"
	"github.com/huifang/huifang/telephony/sms/kanneltest"
)

// BenchmarkSMSThroughQueueToFakeSMSC measures SMS throughput end to end: a campaign of
// HUIFANG_BENCH_SMS messages (default 5000) is queued in Postgres, the outbox relay moves
// it to Asynq, a worker claims and submits each through a real Kannel smsbox to fakesmsc,
// and delivery reports come back on our dlr-url (HUIFANG_BENCH_SMS_DLR=0 turns them off).
// It reports messages per second until fakesmsc has them all and checks no number got
// two. Not run in CI; figures in telephony/sms/BENCH.md.
func BenchmarkSMSThroughQueueToFakeSMSC(b *testing.B) {
	if !kanneltest.Available() {
		b.Skip("kannel not installed")
	}
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("HUIFANG_BENCH_SMS")); err == nil && v > 0 {
		n = v
	}
	conc := 4
	if v, err := strconv.Atoi(os.Getenv("HUIFANG_BENCH_SMS_WORKERS")); err == nil && v > 0 {
		conc = v
	}
	withDLR := os.Getenv("HUIFANG_BENCH_SMS_DLR") != "0"
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := storetest.New(b)
		lease := storetest.NewRedis(b)
		rdb := redis.NewClient(&redis.Options{Addr: lease.Addr, DB: lease.DB, PoolSize: 200})
		mux := http.NewServeMux()
		rec := &sms.Recorder{DB: db, Log: log}
		if os.Getenv("HUIFANG_BENCH_SMS_BATCH") != "0" {
			// As serve runs it: delivery reports share commits.
			rec.Batch = sms.NewReportBatcher(db, 0)
			bctx, stop := context.WithCancel(ctx)
			go rec.Batch.Run(bctx)
			b.Cleanup(stop)
		}
		mux.Handle("/sms/kannel/", &sms.KannelHandler{Recorder: rec})
		srv := httptest.NewServer(mux)
		k := kanneltest.Start(b, kanneltest.Options{})
		cfg := sms.KannelConfig{SendURL: k.SendURL, Username: k.Username, Password: k.Password, From: "10690000",
			Client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conc}}}
		if withDLR {
			cfg.ReportURL = srv.URL + "/sms/kannel/dlr"
			cfg.DLRMask, _ = strconv.Atoi(os.Getenv("HUIFANG_BENCH_SMS_DLR_MASK"))
		}
		kannel, err := sms.NewKannel(cfg)
		require.NoError(b, err)
		dealer, err := store.New(db).EnsureDealer(ctx, store.EnsureDealerParams{Code: "B1", Name: "压测店"})
		require.NoError(b, err)
		_, err = db.Exec(ctx, `INSERT INTO customers (dealer_id, name, phone)
			SELECT $1, '客户' || g, (13000000000 + g)::text FROM generate_series(1, $2) g`, dealer.ID, n)
		require.NoError(b, err)
		var ids []int64
		rows, err := db.Query(ctx, `SELECT id FROM customers WHERE dealer_id = $1`, dealer.ID)
		require.NoError(b, err)
		for rows.Next() {
			var id int64
			require.NoError(b, rows.Scan(&id))
			ids = append(ids, id)
		}
		require.NoError(b, rows.Err())
		noon := time.Now()
		res, err := notify.StartSMSBroadcast(ctx, db, notify.SMSBroadcastParams{DealerID: dealer.ID, Code: fmt.Sprintf("bench:%d", i),
			Template: "leave_store_care", Day: noon, Now: noon, Audience: notify.SMSAudience{CustomerIDs: ids}})
		require.NoError(b, err)
		require.Equal(b, n, res.Queued)

		w, err := queue.NewWorker(queue.WorkerConfig{DB: db, Redis: rdb, Log: log, Concurrency: conc, PollInterval: 20 * time.Millisecond,
			Handlers: notifyHandlers(b, db, &notify.ProviderSender{DB: db, Provider: kannel, Limiter: &notify.RateLimiter{Redis: rdb, Default: 100000}})})
		require.NoError(b, err)
		relay, err := queue.NewRelay(queue.RelayConfig{DB: db, Redis: rdb, Log: log, BatchSize: 500})
		require.NoError(b, err)

		b.StartTimer()
		start := time.Now()
		require.NoError(b, w.Start())
		require.NoError(b, relay.Start(ctx))
		got := k.WaitReceived(n, 5*time.Minute)
		took := time.Since(start)
		b.StopTimer()

		require.Len(b, got, n)
		seen := map[string]bool{}
		for _, m := range got {
			require.False(b, seen[m.To], "duplicate SMS to %s", m.To)
			seen[m.To] = true
		}
		b.ReportMetric(float64(n)/took.Seconds(), "sms/s")
		b.Logf("%d SMS through outbox, Asynq (%d workers) and Kannel to fakesmsc in %v: %.0f sms/s, DLR %v, no duplicate",
			n, conc, took.Round(time.Millisecond), float64(n)/took.Seconds(), withDLR)
		if withDLR {
			deadline := time.Now().Add(time.Minute)
			var delivered int
			for time.Now().Before(deadline) {
				require.NoError(b, db.QueryRow(ctx, `SELECT count(*) FROM sms_messages WHERE status = 'delivered'`).Scan(&delivered))
				if delivered == n {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			b.Logf("delivered (DLR stored) %d/%d after %v", delivered, n, time.Since(start).Round(time.Millisecond))
		}
		relay.Shutdown()
		w.Shutdown()
		srv.Close()
		_ = rdb.Close()
	}
}
