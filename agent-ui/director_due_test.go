package agentui

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// The due-not-come list masks phones on screen like every other page; its export has them
// in full and is audited.
func TestDueNotComeMasksPhones(t *testing.T) {
	b := setup(t, nil)
	d := b.login(t, "director1")
	// The fixtures' maintenance on 2026-06-01 makes the next one due on 2027-06-01.
	_, body := b.do(t, d, http.MethodGet, "/director/due-not-come?month=2027-06", nil, nil)
	require.Contains(t, body, "139****0001")
	require.NotContains(t, body, "13900000001")
	resp, _ := b.do(t, d, http.MethodGet, "/director/due-not-come?month=2027-06&format=xlsx", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var n int
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'export.due_not_come' AND user_id = $1`,
		b.users["director1"].ID).Scan(&n))
	require.Equal(t, 1, n)
}
