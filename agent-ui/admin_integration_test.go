package agentui

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/agent-ui/api"
)

func TestAdminIntegration(t *testing.T) {
	b := setup(t, nil)
	b.addAdmin(t)
	ctx := context.Background()
	a := b.login(t, "agent1")
	resp, _ := b.do(t, a, http.MethodGet, "/admin/integration", nil, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	d := b.login(t, "director1")
	resp, body := b.do(t, d, http.MethodGet, "/admin/integration", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `id="read-only"`)
	require.NotContains(t, body, `id="key-create"`)
	tok := b.csrfOf(t, d, "/admin/integration")
	resp, _ = b.do(t, d, http.MethodPost, "/admin/integration", url.Values{"csrf": {tok}, "what": {"key_create"}, "name": {"x"}}, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	ad := b.login(t, "admin1")
	tok = b.csrfOf(t, ad, "/admin/integration")
	resp, body = b.do(t, ad, http.MethodPost, "/admin/integration", url.Values{"csrf": {tok}, "what": {"key_create"}, "name": {"DMS"}}, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	m := regexp.MustCompile(`id="shown-value">(hf_[0-9a-f]+)<`).FindStringSubmatch(body)
	require.Len(t, m, 2, "the new key is shown once")
	var n int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE key_hash = $1 AND dealer_id = $2`, api.HashKey(m[1]), b.dealer.ID).Scan(&n))
	require.Equal(t, 1, n)
	_, body = b.do(t, ad, http.MethodGet, "/admin/integration", nil, nil)
	require.NotContains(t, body, m[1], "never shown again")

	resp, body = b.do(t, ad, http.MethodPost, "/admin/integration", url.Values{"csrf": {tok}, "what": {"hook_add"}, "url": {"ftp://x"}, "events": {"complaint.opened"}}, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, `id="admin-error"`)
	resp, body = b.do(t, ad, http.MethodPost, "/admin/integration", url.Values{"csrf": {tok}, "what": {"hook_add"},
		"url": {"https://dms.example/hook"}, "events": {"complaint.opened", "appointment.booked"}}, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Regexp(t, `id="shown-value">whsec_`, body)

	// A complaint opens: its delivery is listed, and an admin can redeliver it.
	_, err := b.db.Exec(ctx, `WITH c AS (INSERT INTO customers (dealer_id, name, phone) VALUES ($1, '周', '13800001234') RETURNING id)
		INSERT INTO complaints (dealer_id, customer_id, opened_on) SELECT $1, id, '2026-11-22' FROM c`, b.dealer.ID)
	require.NoError(t, err)
	var delivery string
	require.NoError(t, b.db.QueryRow(ctx, `SELECT id::text FROM webhook_deliveries`).Scan(&delivery))
	_, body = b.do(t, ad, http.MethodGet, "/admin/integration", nil, nil)
	require.Contains(t, body, `id="delivery-`+delivery+`"`)
	resp, _ = b.do(t, ad, http.MethodPost, "/admin/integration", url.Values{"csrf": {tok}, "what": {"redeliver"}, "id": {delivery}}, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE task_type = 'webhook:deliver'`).Scan(&n))
	require.Equal(t, 2, n, "the event's delivery and the redelivery")
	resp, _ = b.do(t, ad, http.MethodPost, "/admin/integration", url.Values{"csrf": {tok}, "what": {"redeliver"}, "id": {"999999"}}, nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}
