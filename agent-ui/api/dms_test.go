package api

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/store/importer"
	"github.com/huifang/huifang/store/storetest"
)

// runWorkers starts the outbox relay and a queue worker on the bundle's database.
func (b *bundle) runWorkers(t testing.TB) {
	ctx := context.Background()
	rdb := storetest.NewRedis(t).Client
	relay, err := queue.NewRelay(queue.RelayConfig{DB: b.db, Redis: rdb, Log: b.srv.log, PollInterval: 200 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, relay.Start(ctx))
	t.Cleanup(relay.Shutdown)
	sms, err := notify.NewHandler(notify.HandlerConfig{DB: b.db, Log: b.srv.log})
	require.NoError(t, err)
	w, err := queue.NewWorker(queue.WorkerConfig{DB: b.db, Redis: rdb, Log: b.srv.log,
		Handlers: map[string]asynq.Handler{notify.TaskPrefix: sms}, PollInterval: 100 * time.Millisecond, Concurrency: 4})
	require.NoError(t, err)
	require.NoError(t, w.Start())
	t.Cleanup(w.Shutdown)
}

// pushVisits posts n showroom visits of the test day with distinct phones from workers
// goroutines, and returns how many were created.
func (b *bundle) pushVisits(t testing.TB, n, workers, offset int) int64 {
	var created atomic.Int64
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				k := offset + i
				body := fmt.Sprintf(`{"external_id":"SV-%d","phone":"139%08d","name":"访客%d","arrived_at":"2026-11-22 %02d:%02d","left_at":"2026-11-22 %02d:%02d","consultant":"李娜","intent_level":"B"}`,
					k, k, k, 9+k%10, k%60, 10+k%10, k%60)
				req, _ := http.NewRequest(http.MethodPost, b.ts.URL+"/api/v1/showroom-visits", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+b.key)
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("visit %d: %v", k, err)
					return
				}
				res.Body.Close()
				if res.StatusCode == http.StatusCreated {
					created.Add(1)
				} else {
					t.Errorf("visit %d: status %d", k, res.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	return created.Load()
}

// The DMS simulation: a DMS pushes 1,000 showroom visits through the API while the relay
// and a worker run; the queue gets 1,000 same-day return visits, none twice, even when the
// DMS sends every visit a second time.
func TestDMSSimulation(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 visits through a real server, relay and worker")
	}
	b := setup(t, Config{})
	b.runWorkers(t)
	const n = 1000
	require.EqualValues(t, n, b.pushVisits(t, n, 8, 0))
	ctx := context.Background()
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	list := func() []queue.ListedTask {
		tasks, err := queue.List(ctx, b.db, queue.ListParams{DealerID: b.dealer.ID, Day: day, Campaign: queue.CampaignSameDayVisit})
		require.NoError(t, err)
		return tasks
	}
	require.Eventually(t, func() bool { return len(list()) == n }, 3*time.Minute, 500*time.Millisecond, "1,000 same-day tasks")

	// The DMS sends everything again (a retry after a timeout): nothing new.
	var again atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				body := fmt.Sprintf(`{"external_id":"SV-%d","phone":"139%08d","name":"访客%d","arrived_at":"2026-11-22 %02d:%02d","left_at":"2026-11-22 %02d:%02d","consultant":"李娜","intent_level":"B"}`,
					i, i, i, 9+i%10, i%60, 10+i%10, i%60)
				req, _ := http.NewRequest(http.MethodPost, b.ts.URL+"/api/v1/showroom-visits", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+b.key)
				res, err := http.DefaultClient.Do(req)
				if err == nil {
					if res.StatusCode == http.StatusOK {
						again.Add(1)
					}
					res.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	require.EqualValues(t, n, again.Load(), "every repeat is 200 with the same id")
	tasks := list()
	require.Len(t, tasks, n)
	seen := map[string]bool{}
	for _, task := range tasks {
		require.False(t, seen[task.Phone], "phone %s twice", task.Phone)
		seen[task.Phone] = true
	}
	require.Equal(t, n, b.count(`SELECT count(*) FROM call_tasks WHERE status = 'open'`))
	require.Equal(t, n, b.count(`SELECT count(*) FROM call_task_reasons WHERE campaign = 'same_day_visit'`))
	require.Equal(t, n, b.count(`SELECT count(*) FROM showroom_visits`))
	require.Equal(t, n, b.count(`SELECT count(*) FROM sms_messages WHERE template = 'leave_store_care'`))
	builds := b.count(`SELECT count(*) FROM queue_builds`)
	t.Logf("1,000 visits made %d queue builds", builds)
}

// BenchmarkDMS measures showroom visits a second through the API (8 clients, the relay
// and a worker running) and customers a second through POST /api/v1/batch/customers
// against the file import of the same rows. Run by hand:
//
//	go test ./agent-ui/api -run '^$' -bench DMS -benchtime 1x
func BenchmarkDMS(b *testing.B) {
	for range b.N {
		bb := setup(b, Config{})
		bb.runWorkers(b)
		const visits = 2000
		start := time.Now()
		created := bb.pushVisits(b, visits, 8, 0)
		el := time.Since(start)
		b.ReportMetric(float64(created)/el.Seconds(), "visits/s")

		const customers = 10000
		var lines []string
		rows := [][]string{{"手机号", "客户姓名", "性别", "客户等级", "销售顾问", "车架号", "车牌号", "品牌", "车型", "交车日期", "行驶里程", "里程日期"}}
		for i := range customers {
			vin, err := importer.WithVINCheckDigit(fmt.Sprintf("LSVAB2BM0N%07d", i))
			if err != nil {
				b.Fatal(err)
			}
			phone := fmt.Sprintf("137%08d", i)
			lines = append(lines, fmt.Sprintf(`{"external_id":"C-%d","phone":"%s","name":"车主%d","title":"先生","grade":"B","consultant":"张伟","vehicles":[{"vin":"%s","plate":"粤A%05d","brand":"丰田","model":"凯美瑞","delivery_day":"2025-05-01","mileage":%d,"mileage_day":"2026-11-01"}]}`,
				i, phone, i, vin, i, 1000+i))
			rows = append(rows, []string{phone, fmt.Sprintf("车主%d", i), "男", "B", "张伟", vin, fmt.Sprintf("粤A%05d", i), "丰田", "凯美瑞", "2025-05-01", fmt.Sprint(1000 + i), "2026-11-01"})
		}
		body := strings.Join(lines, "\n")
		start = time.Now()
		req, _ := http.NewRequest(http.MethodPost, bb.ts.URL+"/api/v1/batch/customers", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+bb.key)
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatalf("batch: %v %v", err, res)
		}
		res.Body.Close()
		batchEl := time.Since(start)
		if n := bb.count(`SELECT count(*) FROM vehicles`); n != customers {
			b.Fatalf("batch stored %d vehicles", n)
		}

		path := filepath.Join(b.TempDir(), "owners.csv")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		w := csv.NewWriter(f)
		_ = w.WriteAll(rows)
		_ = f.Close()
		start = time.Now()
		ires, err := importer.Import(context.Background(), bb.db, importer.Options{DealerCode: bb.other.Code, Now: func() time.Time { return testNow }}, path)
		if err != nil || ires.Refused() {
			b.Fatalf("import: %v %+v", err, ires)
		}
		fileEl := time.Since(start)
		b.ReportMetric(customers/batchEl.Seconds(), "batch_customers/s")
		b.ReportMetric(customers/fileEl.Seconds(), "file_customers/s")
		b.Logf("%d visits through the API in %s: %.0f visits/s; %d customers: batch endpoint %s (%.0f/s), file import %s (%.0f/s), batch/file %.2f",
			created, el.Round(time.Millisecond), float64(created)/el.Seconds(), customers, batchEl.Round(time.Millisecond),
			customers/batchEl.Seconds(), fileEl.Round(time.Millisecond), customers/fileEl.Seconds(), fileEl.Seconds()/batchEl.Seconds())
	}
}
