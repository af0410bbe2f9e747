package api

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// batch posts NDJSON lines to /api/v1/batch/{kind} and returns the status and the
// result lines.
func (b *bundle) batch(kind string, lines ...string) (int, []map[string]any) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.ts.URL+"/api/v1/batch/"+kind, strings.NewReader(strings.Join(lines, "\n")+"\n"))
	require.NoError(b.t, err)
	req.Header.Set("Authorization", "Bearer "+b.key)
	req.Header.Set("Content-Type", "application/x-ndjson")
	res, err := b.client.Do(req)
	require.NoError(b.t, err)
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode, nil
	}
	var out []map[string]any
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		var m map[string]any
		require.NoError(b.t, json.Unmarshal(sc.Bytes(), &m))
		out = append(out, m)
	}
	return res.StatusCode, out
}

func jsonLine(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestBatchCustomers(t *testing.T) {
	b := setup(t, Config{})
	lines := []string{
		jsonLine(t, owner("C-1", "13900000001", testVIN(t, 1))),
		jsonLine(t, owner("C-2", "1390000000", testVIN(t, 2))), // bad phone
		"", // blank lines are skipped
		jsonLine(t, owner("C-3", "13900000003", testVIN(t, 3))),
		`{"external_id":"C-4","phone":"13900000004","nickname":"x"}`,
		jsonLine(t, owner("C-1", "13900000005", testVIN(t, 5))), // the same external id twice
		`not json`,
	}
	st, res := b.batch("customers", lines...)
	require.Equal(t, http.StatusOK, st)
	require.Len(t, res, 6, "one result per non-blank line")
	want := []struct {
		line  float64
		field string
	}{{1, ""}, {2, "phone"}, {4, ""}, {5, "nickname"}, {6, "external_id"}, {7, ""}}
	for i, w := range want {
		require.Equal(t, w.line, res[i]["line"], "%v", res[i])
		e, bad := res[i]["error"].(map[string]any)
		if w.field == "" && i != 5 {
			require.False(t, bad, "%v", res[i])
			require.Equal(t, "created", res[i]["result"])
			continue
		}
		require.True(t, bad, "%v", res[i])
		if w.field != "" {
			require.Equal(t, w.field, e["field"], "%v", res[i])
		}
	}
	require.Equal(t, 2, b.count(`SELECT count(*) FROM customers`))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM outbox WHERE task_type = 'queue:build'`), "one rebuild for the batch")

	// The same batch again: nothing new; the good lines are unchanged with the same ids.
	_, again := b.batch("customers", lines...)
	require.Equal(t, res[0]["id"], again[0]["id"])
	require.Equal(t, "unchanged", again[0]["result"])
	require.Equal(t, 2, b.count(`SELECT count(*) FROM customers`))

	st, _ = b.batch("customers", strings.Repeat(jsonLine(t, owner("C-9", "13900000009", testVIN(t, 9)))+"\n", 10001))
	require.Equal(t, http.StatusRequestEntityTooLarge, st)
	st, _ = b.batch("cars", "{}")
	require.Equal(t, http.StatusNotFound, st)
}

func TestBatchShowroomVisits(t *testing.T) {
	b := setup(t, Config{})
	var lines []string
	for i := range 20 {
		lines = append(lines, jsonLine(t, map[string]any{"external_id": fmt.Sprint("SV-", i), "phone": fmt.Sprintf("1380000%04d", i),
			"arrived_at": "2026-11-22 15:00", "left_at": "2026-11-22 15:40"}))
	}
	lines = append(lines, `{"external_id":"SV-bad","phone":"13800001111","arrived_at":"soon"}`)
	st, res := b.batch("showroom-visits", lines...)
	require.Equal(t, http.StatusOK, st)
	require.Len(t, res, 21)
	require.Equal(t, "arrived_at", res[20]["error"].(map[string]any)["field"])
	require.Equal(t, 20, b.count(`SELECT count(*) FROM showroom_visits`))
	require.Equal(t, 20, b.count(`SELECT count(*) FROM sms_messages`))
}
