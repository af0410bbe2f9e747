package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAuthErrorsAndLimits(t *testing.T) {
	b := setup(t, Config{})
	revokedID, revoked, err := CreateKey(context.Background(), b.db, b.dealer.ID, "old")
	require.NoError(t, err)
	require.NoError(t, RevokeKey(context.Background(), b.db, b.dealer.ID, revokedID, testNow))
	require.ErrorIs(t, RevokeKey(context.Background(), b.db, b.other.ID, revokedID, testNow), ErrNoKey)

	visit := map[string]any{"external_id": "v1", "phone": "13800001234", "arrived_at": "2026-11-22 15:00"}
	for _, tc := range []struct {
		name, key string
		body      any
		status    int
		code      string
		field     string
	}{
		{"no key", "", visit, 401, "unauthorized", ""},
		{"unknown key", "hf_nope", visit, 401, "unauthorized", ""},
		{"revoked key", revoked, visit, 401, "unauthorized", ""},
		{"unknown field", b.key, map[string]any{"external_id": "v1", "phone": "13800001234", "arrived_at": "2026-11-22 15:00", "colour": "red"}, 400, "invalid", "colour"},
		{"bad phone", b.key, map[string]any{"external_id": "v1", "phone": "12345", "arrived_at": "2026-11-22 15:00"}, 400, "invalid", "phone"},
		{"wrong type", b.key, map[string]any{"external_id": "v1", "phone": 13800001234, "arrived_at": "2026-11-22 15:00"}, 400, "invalid", "phone"},
		{"left before arrival", b.key, map[string]any{"external_id": "v1", "phone": "13800001234", "arrived_at": "2026-11-22 15:00", "left_at": "2026-11-22 14:00"}, 400, "invalid", "left_at"},
		{"unknown title", b.key, map[string]any{"external_id": "v1", "phone": "13800001234", "arrived_at": "2026-11-22 15:00", "title": "Dr"}, 400, "invalid", "title"},
		{"no external id", b.key, map[string]any{"phone": "13800001234", "arrived_at": "2026-11-22 15:00"}, 400, "invalid", "external_id"},
		{"not JSON", b.key, "{", 400, "invalid", ""},
		{"over 1 MiB", b.key, `{"external_id":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "too_large", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _, out := b.call(http.MethodPost, "/api/v1/showroom-visits", tc.key, tc.body)
			require.Equal(t, tc.status, st, "%v", out)
			code, field := errField(out)
			require.Equal(t, tc.code, code)
			require.Equal(t, tc.field, field)
		})
	}
	require.Zero(t, b.count(`SELECT count(*) FROM showroom_visits`), "nothing stored by refused requests")
	require.Zero(t, b.count(`SELECT count(*) FROM outbox`))

	st, _, out := b.call(http.MethodGet, "/api/v1/nothing-here", b.key, nil)
	require.Equal(t, 404, st)
	require.Equal(t, "not_found", out["error"].(map[string]any)["code"])
}

func TestRateLimit(t *testing.T) {
	now := testNow
	b := setup(t, Config{Rate: 1, Burst: 2, Now: func() time.Time { return now }})
	get := func(key string) (int, http.Header) {
		st, h, _ := b.call(http.MethodGet, "/api/v1/appointments?day=2026-11-22", key, nil)
		return st, h
	}
	st, _ := get(b.key)
	require.Equal(t, 200, st)
	st, _ = get(b.key)
	require.Equal(t, 200, st)
	st, h := get(b.key)
	require.Equal(t, 429, st)
	require.Equal(t, "1", h.Get("Retry-After"))
	st, _ = get(b.otherKy)
	require.Equal(t, 200, st, "each key has its own limit")
	now = now.Add(time.Second)
	st, _ = get(b.key)
	require.Equal(t, 200, st, "a second later the key may go on")
}
