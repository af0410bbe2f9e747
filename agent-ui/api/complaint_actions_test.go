package api

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
)

// A dealer's system assigns, responds to and resolves a complaint through the API, with
// the checks of the directors' page; the audit rows name the API key, resolving emits the
// webhook complaint.resolved, and another dealer's key sees nothing.
func TestPatchComplaint(t *testing.T) {
	b := setup(t, Config{})
	ctx := context.Background()
	q := store.New(b.db)
	for _, u := range []struct{ name, role string }{{"zhao", "director"}, {"agent9", "agent"}} {
		_, err := q.InsertUser(ctx, store.InsertUserParams{DealerID: b.dealer.ID, Username: u.name, DisplayName: u.name, Role: u.role, PasswordHash: "x"})
		require.NoError(t, err)
	}
	_, err := b.db.Exec(ctx, `INSERT INTO webhook_endpoints (dealer_id, url, events, secret) VALUES ($1, 'http://127.0.0.1:1/hook', '{complaint.resolved}', 's')`, b.dealer.ID)
	require.NoError(t, err)
	st, out := b.post("/api/v1/customers", owner("C-1", "13900000001", testVIN(t, 1)))
	require.Equal(t, http.StatusCreated, st, "%v", out)
	st, out = b.post("/api/v1/complaints", map[string]any{"external_id": "K-1", "phone": "13900000001", "opened_on": "2026-11-22", "category": "服务态度", "description": "等待太久"})
	require.Equal(t, http.StatusCreated, st, "%v", out)
	path := fmt.Sprintf("/api/v1/complaints/%d", int64(out["id"].(float64)))
	patch := func(key string, body map[string]any) (int, map[string]any) {
		st, _, out := b.call(http.MethodPatch, path, key, body)
		return st, out
	}

	st, _ = patch(b.otherKy, map[string]any{"action": "note", "note": "看看"})
	require.Equal(t, http.StatusNotFound, st, "another dealer's complaint is 404")
	st, _, _ = b.call(http.MethodPatch, "/api/v1/complaints/999999", b.key, map[string]any{"action": "note", "note": "x"})
	require.Equal(t, http.StatusNotFound, st)

	// Refused, naming the field, nothing changed.
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"action": "close"}, "action"},
		{map[string]any{"action": "assign"}, "owner"},
		{map[string]any{"action": "assign", "owner": "nobody"}, "owner"},
		{map[string]any{"action": "assign", "owner": "agent9"}, "owner"}, // not a director
		{map[string]any{"action": "respond", "owner": "zhao", "note": "x"}, "owner"},
		{map[string]any{"action": "resolve", "note": "  "}, "note"}, // a resolution needs its note
		{map[string]any{"action": "respond"}, "note"},
	} {
		st, out := patch(b.key, tc.body)
		require.Equal(t, http.StatusBadRequest, st, "%v: %v", tc.body, out)
		_, field := errField(out)
		require.Equal(t, tc.field, field, "%v", tc.body)
	}
	require.Equal(t, 0, b.count(`SELECT count(*) FROM complaints WHERE status <> 'open' OR owner_user_id = (SELECT id FROM users WHERE username = 'agent9')`))

	st, out = patch(b.key, map[string]any{"action": "assign", "owner": "zhao"})
	require.Equal(t, http.StatusOK, st, "%v", out)
	require.Equal(t, "zhao", out["owner"])
	st, out = patch(b.key, map[string]any{"action": "respond", "note": "已致电道歉"})
	require.Equal(t, http.StatusOK, st, "%v", out)
	require.Equal(t, "responded", out["state"])
	st, out = patch(b.key, map[string]any{"action": "respond", "note": "again"})
	require.Equal(t, http.StatusConflict, st, "responded already: %v", out)
	require.Zero(t, b.count(`SELECT count(*) FROM webhook_events WHERE event = 'complaint.resolved'`))
	st, out = patch(b.key, map[string]any{"action": "resolve", "note": "更换零件，客户确认"})
	require.Equal(t, http.StatusOK, st, "%v", out)
	require.Equal(t, "resolved", out["state"])
	require.Equal(t, "closed", out["status"])
	require.Equal(t, "2026-11-22", out["closed_on"], "the day it was resolved, on the API's clock")

	require.Equal(t, 1, b.count(`SELECT count(*) FROM webhook_events WHERE event = 'complaint.resolved'`), "the webhook as for a director's change")
	var key int64
	require.NoError(t, b.db.QueryRow(ctx, `SELECT id FROM api_keys WHERE dealer_id = $1`, b.dealer.ID).Scan(&key))
	require.Equal(t, 3, b.count(`SELECT count(*) FROM audit_log WHERE action IN ('complaint.assign', 'complaint.respond', 'complaint.resolve')
		AND user_id IS NULL AND (detail->>'api_key')::bigint = $1`, key), "audited with the API key as actor")
	require.Equal(t, 1, b.count(`SELECT count(*) FROM complaint_events WHERE kind = 'resolved' AND note = '更换零件，客户确认' AND (detail->>'api_key')::bigint = $1`, key))
}
