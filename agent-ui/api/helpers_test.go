package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/importer"
	"github.com/huifang/huifang/store/storetest"
)

// testNow is the fixed clock of the tests: 2026-11-22 18:00 in Shanghai.
var testNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// bundle is a running API on a fresh schema with two dealers and a key each.
type bundle struct {
	t       testing.TB
	db      *pgxpool.Pool
	srv     *Server
	ts      *httptest.Server
	dealer  store.Dealer
	other   store.Dealer
	key     string
	otherKy string
	// client checks every request and response against openapi.json.
	client *http.Client
}

// setup starts the API with cfg's rate settings (zero: generous).
func setup(t testing.TB, cfg Config) *bundle {
	t.Helper()
	ctx := context.Background()
	db := storetest.New(t)
	q := store.New(db)
	d, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "GZ01", Name: "广州一店"})
	require.NoError(t, err)
	o, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "SZ02", Name: "深圳二店"})
	require.NoError(t, err)
	cfg.DB, cfg.Log = db, slog.New(slog.DiscardHandler)
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	if cfg.Rate == 0 {
		cfg.Rate, cfg.Burst = 1e6, 1e6
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	srv.Register(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	srv.cfg.PublicURL = ts.URL
	_, key, err := CreateKey(ctx, db, d.ID, "DMS")
	require.NoError(t, err)
	_, okey, err := CreateKey(ctx, db, o.ID, "DMS")
	require.NoError(t, err)
	return &bundle{t: t, db: db, srv: srv, ts: ts, dealer: d, other: o, key: key, otherKy: okey,
		client: &http.Client{Transport: newValidator(t)}}
}

// call makes a request with key (none when empty) and returns the status, the headers
// and the body decoded as JSON (nil when it is not JSON).
func (b *bundle) call(method, path, key string, body any) (int, http.Header, map[string]any) {
	b.t.Helper()
	var r io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(v)
	case []byte:
		r = bytes.NewReader(v)
	default:
		j, err := json.Marshal(v)
		require.NoError(b.t, err)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, b.ts.URL+path, r)
	require.NoError(b.t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := b.client.Do(req)
	require.NoError(b.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(b.t, err)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, res.Header, out
}

// post is call with the dealer's key.
func (b *bundle) post(path string, body any) (int, map[string]any) {
	b.t.Helper()
	st, _, out := b.call(http.MethodPost, path, b.key, body)
	return st, out
}

// count runs a count query.
func (b *bundle) count(sql string, args ...any) int {
	b.t.Helper()
	var n int
	require.NoError(b.t, b.db.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// errField returns the error's field and code of an error body.
func errField(out map[string]any) (code, field string) {
	e, _ := out["error"].(map[string]any)
	c, _ := e["code"].(string)
	f, _ := e["field"].(string)
	return c, f
}

// owner is a customer body with one vehicle.
func owner(ext, phone, vin string) map[string]any {
	return map[string]any{"external_id": ext, "phone": phone, "name": "张三", "title": "先生", "grade": "A",
		"consultant": "李娜", "vehicles": []map[string]any{{"vin": vin, "plate": "粤A12345", "brand": "丰田",
			"model": "凯美瑞", "delivery_day": "2026-05-01", "mileage": 5000, "mileage_day": "2026-11-01"}}}
}

// testVIN makes the i-th valid VIN (correct check digit).
func testVIN(t testing.TB, i int) string {
	v, err := importer.WithVINCheckDigit(fmt.Sprintf("LSVAB2BM0N%07d", i))
	require.NoError(t, err)
	return v
}
