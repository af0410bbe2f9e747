package agentui

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDirectorSeesCustomerChanges: what a call wrote back about a customer is on the
// director's customer view (and the agent's card), in words; another dealer's customer
// does not exist.
func TestDirectorSeesCustomerChanges(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	c := b.customers["王建国"]
	_, err := b.db.Exec(ctx, `INSERT INTO audit_log (dealer_id, user_id, action, subject_type, subject_id, detail) VALUES
		($1, $2, 'customer.writeback', 'customer', $3, '{"field":"prospect_status","from":"key","to":"lost","source":"call"}'),
		($1, $2, 'customer.writeback', 'customer', $3, '{"field":"mileage","from":null,"to":12500,"plate":"粤A12345","source":"call"}')`,
		b.dealer.ID, b.users["agent1"].ID, c)
	require.NoError(t, err)
	d := b.login(t, "director1")
	resp, body := b.do(t, d, http.MethodGet, fmt.Sprintf("/director/customer-changes?customer=%d", c), nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "通话带来的资料变更")
	require.Contains(t, body, "重点")
	require.Contains(t, body, "战败")
	require.Contains(t, body, "12500")
	require.Contains(t, body, "粤A12345")
	resp, _ = b.do(t, d, http.MethodGet, fmt.Sprintf("/director/customer-changes?customer=%d", b.customers["外店客户"]), nil, nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	card, err := b.console.h.loadCard(ctx, &user{ID: b.users["director1"].ID, DealerID: b.dealer.ID, Role: "director"}, c)
	require.NoError(t, err)
	require.Len(t, card.Changes, 2)
	require.Equal(t, "mileage", card.Changes[0].Field, "newest first")
}
