package agentui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDirectorSMSUncertain: the SMS page shows the dealer's uncertain messages (状态不明)
// with their count, and a director settles them; another dealer's messages are neither
// shown nor changed, and a bad decision is refused with a clear message.
func TestDirectorSMSUncertain(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	now := time.Now()
	b.addSMS(t, b.dealer.ID, 0, "leave_store_care", "uncertain", now)
	b.addSMS(t, b.dealer.ID, 0, "leave_store_care", "uncertain", now)
	b.addSMS(t, b.other.ID, 0, "leave_store_care", "uncertain", now)
	ids := func(dealer int64) []string {
		rows, err := b.db.Query(ctx, `SELECT id FROM sms_messages WHERE dealer_id = $1 ORDER BY id`, dealer)
		require.NoError(t, err)
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id int64
			require.NoError(t, rows.Scan(&id))
			out = append(out, fmt.Sprint(id))
		}
		return out
	}
	mine, theirs := ids(b.dealer.ID), ids(b.other.ID)

	d := b.login(t, "director1")
	resp, body := b.do(t, d, http.MethodGet, "/director/sms", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "状态不明")
	require.Contains(t, body, `<span id="uncertain-count">2</span>`)
	require.NotContains(t, body, `value="`+theirs[0]+`"`)

	tok := b.csrfOf(t, d, "/director/sms")
	resp, body = b.do(t, d, http.MethodPost, "/director/sms/uncertain", url.Values{"csrf": {tok}, "decision": {"maybe"}, "id": mine}, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "未知的处理方式")

	resp, _ = b.do(t, d, http.MethodPost, "/director/sms/uncertain", url.Values{"csrf": {tok}, "decision": {"resend"},
		"id": {mine[0], theirs[0]}}, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "sent back to the page")
	resp, _ = b.do(t, d, http.MethodPost, "/director/sms/uncertain", url.Values{"csrf": {tok}, "decision": {"sent"}, "id": {mine[1]}}, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var statuses []string
	rows, err := b.db.Query(ctx, `SELECT status FROM sms_messages ORDER BY id`)
	require.NoError(t, err)
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		statuses = append(statuses, s)
	}
	require.Equal(t, []string{"queued", "sent", "uncertain"}, statuses, "the other dealer's message is untouched")
	_, body = b.do(t, d, http.MethodGet, "/director/sms", nil, nil)
	require.Contains(t, body, `<span id="uncertain-count">0</span>`)
}
