package agentui

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDirectorCallQuality: the call page shows each side's loss, jitter, round trip and
// estimated MOS, a poor side marked; the records filter "poor quality calls" lists the
// calls whose worse side is below 3.6 and no skip.
func TestDirectorCallQuality(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	now := time.Now()
	good := b.addCall(t, b.dealer.ID, "agent1", "王建国", now.Add(-2*time.Hour), time.Minute, "")
	poor := b.addCall(t, b.dealer.ID, "agent1", "李娜", now.Add(-time.Hour), time.Minute, "")
	unrated := b.addCall(t, b.dealer.ID, "agent1", "赵回电", now.Add(-30*time.Minute), time.Minute, "")
	_, err := b.db.Exec(ctx, `UPDATE call_attempts SET customer_packets = 3000, customer_lost = 0, customer_jitter_ms = 1.5,
		customer_rtt_ms = 20, customer_mos = 4.39, agent_packets = 3000, agent_lost = 0, agent_jitter_ms = 2, agent_mos = 4.4, mos = 4.39 WHERE id = $1`, good)
	require.NoError(t, err)
	_, err = b.db.Exec(ctx, `UPDATE call_attempts SET customer_packets = 2700, customer_lost = 300, customer_jitter_ms = 40,
		customer_rtt_ms = 180, customer_mos = 2.31, agent_packets = 3000, agent_lost = 0, agent_jitter_ms = 2, agent_mos = 4.4, mos = 2.31 WHERE id = $1`, poor)
	require.NoError(t, err)

	d := b.login(t, "director1")
	resp, body := b.do(t, d, http.MethodGet, fmt.Sprintf("/director/calls/%d", poor), nil, map[string]string{"Accept": "text/html"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `id="call-quality"`)
	require.Contains(t, body, "通话质量")
	require.Contains(t, body, "300 (10.0%)")
	require.Contains(t, body, "2.31 · 质量差")
	require.Contains(t, body, "4.40")
	_, body = b.do(t, d, http.MethodGet, fmt.Sprintf("/director/calls/%d", unrated), nil, map[string]string{"Accept": "text/html"})
	require.NotContains(t, body, `id="call-quality"`, "no audio, no quality table")

	_, body = b.do(t, d, http.MethodGet, "/director/calls?quality=poor", nil, map[string]string{"Accept": "text/html"})
	require.Contains(t, body, fmt.Sprintf("/director/calls/%d\"", poor))
	require.NotContains(t, body, fmt.Sprintf("/director/calls/%d\"", good))
	require.NotContains(t, body, fmt.Sprintf("/director/calls/%d\"", unrated))
	require.Contains(t, body, `id="f-poor" checked`)
	_, body = b.do(t, d, http.MethodGet, "/director/calls", nil, map[string]string{"Accept": "text/html"})
	for _, id := range []int64{good, poor, unrated} {
		require.Contains(t, body, fmt.Sprintf("/director/calls/%d\"", id))
	}
}
