package agentui

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var nextPageRe = regexp.MustCompile(`href="(/director/calls\?[^"]+)" id="next-page"`)

// The call records list the tasks agents skipped without a call next to the calls, in
// one order and across pages, with the skip reason; filters only calls have leave them out.
func TestDirectorRecordsListSkips(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	base := time.Now().Add(-3 * time.Hour)
	c1 := b.addCall(t, b.dealer.ID, "agent1", "王建国", base, 90*time.Second, "")
	// 60 skips of 李娜's task a second apart, the first at the call's instant.
	_, err := b.db.Exec(ctx, `INSERT INTO call_skips (dealer_id, task_id, customer_id, agent_user_id, reason, created_at)
		SELECT $1, $2, $3, $4, 'customer_in_store', $5::timestamptz + make_interval(secs => g) FROM generate_series(0, 59) g`,
		b.dealer.ID, b.tasks["李娜"], b.customers["李娜"], b.users["agent2"].ID, base)
	require.NoError(t, err)
	d := b.login(t, "director1")
	page := func(path string) (skips, calls int, next string) {
		_, body := b.do(t, d, http.MethodGet, path, nil, nil)
		skips = strings.Count(body, "未呼叫：客户正在店内")
		calls = strings.Count(body, fmt.Sprintf(`href="/director/calls/%d"`, c1))
		if m := nextPageRe.FindStringSubmatch(body); m != nil {
			next = html.UnescapeString(m[1])
		}
		return
	}
	s, c, next := page("/director/calls")
	require.Equal(t, callsPageSize, s+c)
	require.NotEmpty(t, next)
	s2, c2, next2 := page(next)
	require.Empty(t, next2)
	require.Equal(t, 60, s+s2, "every skip, once")
	require.Equal(t, 1, c+c2, "the call, once")

	s, c, _ = page("/director/calls?outcome=not_called")
	require.Equal(t, []int{callsPageSize, 0}, []int{s, c})
	s, c, _ = page("/director/calls?sip_status=200")
	require.Equal(t, []int{0, 1}, []int{s, c})
	s, c, _ = page("/director/calls?customer=王建国")
	require.Equal(t, []int{0, 1}, []int{s, c})
	s, _, _ = page(fmt.Sprintf("/director/calls?agent=%d", b.users["agent2"].ID))
	require.Equal(t, callsPageSize, s)
}
