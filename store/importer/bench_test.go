package importer_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/importer"
	"github.com/huifang/huifang/store/storetest"
)

// writeOwnersCSV writes an owners export of n rows (valid VINs and phones) the way a DMS
// does: UTF-8 with a BOM, Chinese headers.
func writeOwnersCSV(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	require.NoError(tb, err)
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("\ufeff客户姓名,手机号,性别,车架号,车牌号,品牌,车型,交车日期,行驶里程,里程日期,保险到期日,客户等级,销售顾问\r\n")
	brands := []string{"大众,帕萨特", "大众,途观L", "丰田,凯美瑞", "本田,雅阁", "别克,君越"}
	grades := []string{"A", "B", "C", ""}
	base := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		d := base.AddDate(0, 0, i%1100)
		fmt.Fprintf(w, "客户%d,1%d%09d,%s,%s,沪A%05d,%s,%s,%d,%s,%s,%s,顾问%d\r\n",
			i, 3+i%7, i, []string{"男", "女"}[i%2], vin(tb, i), i%100000, brands[i%len(brands)],
			d.Format("2006-01-02"), 1000+i%90000, "2026/3/1", d.AddDate(1, 0, 0).Format("2006年1月2日"),
			grades[i%len(grades)], i%20)
	}
	require.NoError(tb, w.Flush())
	require.NoError(tb, f.Close())
}

// BenchmarkImportOwners imports a generated owners CSV into a fresh schema and reports
// rows/s. HUIFANG_BENCH_ROWS sets the size (default 1,000,000); run it with
//
//	go test ./store/importer -run '^$' -bench ImportOwners -benchtime 1x
func BenchmarkImportOwners(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("HUIFANG_BENCH_ROWS"); s != "" {
		var err error
		n, err = strconv.Atoi(s)
		require.NoError(b, err)
	}
	path := filepath.Join(b.TempDir(), "owners.csv")
	writeOwnersCSV(b, path, n)
	st, err := os.Stat(path)
	require.NoError(b, err)
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := storetest.New(b)
		b.StartTimer()
		start := time.Now()
		opts := importer.Options{DealerCode: "BENCH"}
		if testing.Verbose() {
			opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
		res, err := importer.Import(context.Background(), db, opts, path)
		total += time.Since(start)
		require.NoError(b, err)
		require.False(b, res.Refused(), "%+v", res.Files[0].Errors)
		require.Equal(b, n, res.Total.Inserted)
	}
	rate := float64(n) * float64(b.N) / total.Seconds()
	b.ReportMetric(rate, "rows/s")
	b.Logf("%d rows (%.0f MB) in %v per import: %.0f rows/s", n, float64(st.Size())/1e6, total/time.Duration(b.N), rate)
}
