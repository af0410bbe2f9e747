package importer

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkReadOwners measures reading and validating an owners CSV without a database:
// the Go side of an import, which runs beside COPY.
func BenchmarkReadOwners(b *testing.B) {
	const n = 200_000
	path := filepath.Join(b.TempDir(), "owners.csv")
	f, err := os.Create(path)
	require.NoError(b, err)
	w := bufio.NewWriter(f)
	w.WriteString("客户姓名,手机号,性别,车架号,车牌号,品牌,车型,交车日期,行驶里程,里程日期,保险到期日,客户等级,销售顾问\n")
	for i := 0; i < n; i++ {
		v, err := WithVINCheckDigit(fmt.Sprintf("LSVAB2BM0N%07d", i))
		require.NoError(b, err)
		fmt.Fprintf(w, "客户%d,139%08d,男,%s,沪A%05d,大众,帕萨特,2025-03-01,%d,2026/3/1,2026年6月30日,A,顾问\n", i, i, v, i%100000, i%90000)
	}
	require.NoError(b, w.Flush())
	require.NoError(b, f.Close())
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		pl := prescan(path)
		require.False(b, pl.res.Refused, pl.res.Problem)
		t, err := openTable(path, pl.res.Encoding)
		require.NoError(b, err)
		_, _, _ = t.next() // header
		out := make(chan [][]any, 8)
		done := make(chan int)
		go func() {
			rows := 0
			for batch := range out {
				rows += len(batch)
			}
			done <- rows
		}()
		err = readRows(context.Background(), t, specs[KindOwners], pl, Options{}, &fileOpts{}, time.UTC, out)
		close(out)
		require.NoError(b, err)
		require.Equal(b, n, <-done)
		_ = t.close()
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "rows/s")
}
