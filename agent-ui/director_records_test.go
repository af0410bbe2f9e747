package agentui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// TestRecordsShowTheOutcomeForm: the one records page and its export carry what the
// agent saved (notes, appointment, complaint category, answers with their question) and
// the outcomes saved without a call; the old filterless list leads there.
func TestRecordsShowTheOutcomeForm(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	base := time.Now().Add(-2 * time.Hour)
	call := b.addCall(t, b.dealer.ID, "agent1", "王建国", base, 90*time.Second, "")
	appt := time.Date(2030, 3, 4, 10, 30, 0, 0, time.UTC)
	_, err := b.db.Exec(ctx, `INSERT INTO call_outcomes (dealer_id, client_id, task_id, attempt_id, agent_user_id, code,
		appointment_at, complaint_category, notes, answers, script_version)
		VALUES ($1, 'o1', $2, $3, $4, 'appointment', $5, 'waiting_time', '客户说上次等太久', '{"complaint_resolved": {"label": "部分解决", "score": 1}, "complaint_note": {"text": "要个说法"}, "reception_satisfaction": {"label": "满意", "score": 4}}', 'complaint@0+maintenance@0')`,
		b.dealer.ID, b.tasks["王建国"], call, b.users["agent1"].ID, appt)
	require.NoError(t, err)
	// An outcome saved with no call.
	_, err = b.db.Exec(ctx, `INSERT INTO call_outcomes (dealer_id, client_id, task_id, agent_user_id, code, notes, created_at)
		VALUES ($1, 'o2', $2, $3, 'not_owner', '车已卖给朋友', $4)`, b.dealer.ID, b.tasks["李娜"], b.users["agent2"].ID, base.Add(time.Minute))
	require.NoError(t, err)

	d := b.login(t, "director1")
	_, body := b.do(t, d, http.MethodGet, "/director/calls", nil, nil)
	body = strings.ReplaceAll(htmlUnescape(body), "&#43;", "+")
	for _, want := range []string{"预约时间", "抱怨类别", "问题回答", "备注",
		"2030-03-04 18:30", "等待时间", "您反映的问题现在解决了吗？：部分解决", "客户还有哪些要求？：要个说法", "客户说上次等太久",
		// A question the version does not have is named by the built-in script that asks it, not by its id.
		"今天销售顾问的接待，您觉得怎么样？按1到5分，5分是非常满意。：满意",
		"抱怨回访（内置版） + 定保（内置版）", fmt.Sprintf(`href="/director/calls/%d"`, call),
		"李娜女士", "未通话", "车已卖给朋友"} {
		require.Contains(t, body, want)
	}
	// The call's page says what the gateway reported in words, not its code.
	_, body = b.do(t, d, http.MethodGet, fmt.Sprintf("/director/calls/%d", call), nil, nil)
	require.Contains(t, body, `<span id="call-result">已接通</span>`)
	// Filters apply to outcomes without a call too.
	_, body = b.do(t, d, http.MethodGet, fmt.Sprintf("/director/calls?agent=%d", b.users["agent1"].ID), nil, nil)
	require.NotContains(t, body, "车已卖给朋友")
	_, body = b.do(t, d, http.MethodGet, "/director/calls?customer=李娜", nil, nil)
	require.Contains(t, body, "车已卖给朋友")
	require.NotContains(t, body, "客户说上次等太久")
	_, body = b.do(t, d, http.MethodGet, "/director/calls?min_secs=1", nil, nil)
	require.NotContains(t, body, "车已卖给朋友", "a talk-time filter means calls")

	// The export has the same columns and both records.
	resp, body := b.do(t, d, http.MethodGet, "/director/calls?format=xlsx", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	f, err := excelize.OpenReader(strings.NewReader(body))
	require.NoError(t, err)
	rows, err := f.GetRows("Sheet1")
	require.NoError(t, err)
	require.Len(t, rows, 3)
	require.Contains(t, rows[0], "问题回答")
	all := fmt.Sprint(rows)
	require.Contains(t, all, "您反映的问题现在解决了吗？：部分解决")
	require.Contains(t, all, "车已卖给朋友")

	// The old page leads to this one.
	resp, _ = b.do(t, d, http.MethodGet, "/calls", nil, nil)
	require.Equal(t, http.StatusMovedPermanently, resp.StatusCode)
	require.Equal(t, "/director/calls", resp.Header.Get("Location"))
}
