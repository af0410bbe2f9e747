package sms_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
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
