package importer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/huifang/huifang/store/importer"
	"github.com/huifang/huifang/store/storetest"
)

// testNow is the clock of every test import: 2026-03-10 10:00 in Shanghai.
var testNow = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)

// vin makes the i-th valid test VIN (a Chinese-market pattern with a correct check digit).
func vin(t testing.TB, i int) string {
	t.Helper()
	v, err := importer.WithVINCheckDigit(fmt.Sprintf("LSVAB2BM0N%07d", i))
	require.NoError(t, err)
	return v
}

// badCheckVIN is vin(i) with a wrong check digit.
func badCheckVIN(t testing.TB, i int) string {
	v := vin(t, i)
	d := byte('0')
	if v[8] == '0' {
		d = '1'
	}
	return v[:8] + string(d) + v[9:]
}

// writeFile writes content to dir/name in the encoding: utf8, bom, gbk or utf16.
func writeFile(t testing.TB, dir, name, content, enc string) string {
	t.Helper()
	var b []byte
	switch enc {
	case "utf8", "":
		b = []byte(content)
	case "bom":
		b = append([]byte{0xEF, 0xBB, 0xBF}, content...)
	case "gbk":
		s, err := simplifiedchinese.GBK.NewEncoder().String(content)
		require.NoError(t, err)
		b = []byte(s)
	case "utf16": // Excel's "Unicode text": UTF-16LE with a BOM, tab-separated
		s, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(strings.ReplaceAll(content, ",", "\t"))
		require.NoError(t, err)
		b = []byte(s)
	default:
		t.Fatalf("unknown encoding %s", enc)
	}
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// csvOf joins lines into a CSV file body.
func csvOf(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

// imp runs an import for dealer D1 at testNow.
func imp(t testing.TB, db *pgxpool.Pool, opts importer.Options, files ...string) *importer.Result {
	t.Helper()
	if opts.DealerCode == "" {
		opts.DealerCode = "D1"
	}
	opts.Now = func() time.Time { return testNow }
	res, err := importer.Import(context.Background(), db, opts, files...)
	require.NoError(t, err)
	return res
}

func count(t testing.TB, db *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

func newDB(t testing.TB) *pgxpool.Pool { return storetest.New(t) }
