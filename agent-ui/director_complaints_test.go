package agentui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/huifang/huifang/queue"
)

// addComplaintAndLowScore opens a complaint from an agent's call of the customer and
// gives that call's outcome a score of 1; it returns the complaint and the outcome ids.
func (b *bundle) addComplaintAndLowScore(t *testing.T, dealerID int64, agent, customer string, attempt int64) (int64, int64) {
	t.Helper()
	ctx := context.Background()
	var outcome int64
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO call_outcomes (dealer_id, client_id, task_id, attempt_id, agent_user_id, code, answers, effect)
		VALUES ($1, $2, $3, $4, $5, 'complaint', '{"satisfaction": {"kind": "score", "score": 1}}', 'complaint') RETURNING id`,
		dealerID, "ls-"+randomToken()[:12], b.tasks[customer], attempt, b.users[agent].ID).Scan(&outcome))
	_, err := b.db.Exec(ctx, `INSERT INTO call_scores (outcome_id, question, dealer_id, attempt_id, customer_id, agent_user_id, campaign, day, score)
		VALUES ($1, 'satisfaction', $2, $3, $4, $5, 'maintenance', CURRENT_DATE, 1)`, outcome, dealerID, attempt, b.customers[customer], b.users[agent].ID)
	require.NoError(t, err)
	id, err := queue.OpenComplaint(ctx, b.db, queue.OpenComplaintParams{DealerID: dealerID, CustomerID: b.customers[customer], Category: "repair_quality",
		Description: "修完还漏油 " + customer, Source: queue.ComplaintFromCall, UserID: b.users[agent].ID, OutcomeID: outcome, AttemptID: attempt,
		Now: time.Now()})
	require.NoError(t, err)
	return id, outcome
}

// A director opens a complaint; every director page's notice connection is told at once
// (an agent may not open one); the list shows it, overdue first and red once its first
// response is late; respond and resolve need their notes, in Chinese, naming them; the
// timeline tells the story; the Excel export has the same rows; the customer card tells
// what it was, who handles it and how it was resolved.
func TestDirectorComplaints(t *testing.T) {
	b := setup(t, func(c *Config) { c.ComplaintSweep = 50 * time.Millisecond })
	dir := b.login(t, "director1")
	notes, _, err := b.dialWS(t, dir, b.srv.URL, "?view=notify")
	require.NoError(t, err)
	_, resp, err := b.dialWS(t, b.login(t, "agent1"), b.srv.URL, "?view=notify")
	require.Error(t, err)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	// An older complaint of another customer, opened 30 hours ago: its first response is late.
	_, err = queue.OpenComplaint(t.Context(), b.db, queue.OpenComplaintParams{DealerID: b.dealer.ID, CustomerID: b.customers["李娜"],
		Category: "price", Description: "太贵", Source: queue.ComplaintFromAPI, Now: time.Now().Add(-30 * time.Hour)})
	require.NoError(t, err)

	csrf := b.csrfOf(t, dir, "/director/complaints")
	resp, body := b.do(t, dir, http.MethodPost, "/director/complaints", url.Values{"csrf": {csrf}, "phone": {"13900000001"},
		"category": {""}, "description": {"x"}}, map[string]string{"Accept": "text/html"})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "请选择抱怨类别")
	resp, _ = b.do(t, dir, http.MethodPost, "/director/complaints", url.Values{"csrf": {csrf}, "phone": {"139 0000 0001"},
		"category": {"attitude"}, "description": {"顾问态度差"}, "serious": {"1"}}, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var id int64
	_, err = fmt.Sscanf(resp.Header.Get("Location"), "/director/complaints/%d", &id)
	require.NoError(t, err)

	seen := map[string]bool{}
	for len(seen) < 3 {
		m := notes.until("a complaint notice", func(m map[string]any) bool { return m["type"] == "complaint" })
		n := m["notice"].(map[string]any)
		seen[fmt.Sprint(n["kind"], ":", n["customer"])] = true
	}
	require.Equal(t, map[string]bool{"opened:王建国": true, "opened:李娜": true, "respond_overdue:李娜": true}, seen)

	resp, body = b.do(t, dir, http.MethodGet, "/director/complaints", nil, map[string]string{"Accept": "text/html"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	first := strings.Index(body, `class="overdue`)
	require.Greater(t, first, 0, "the late one is red")
	require.Less(t, first, strings.Index(body, fmt.Sprintf(`data-id="%d"`, id)), "overdue first")
	require.Contains(t, body, "服务态度")
	require.Contains(t, body, "严重")

	act := func(form url.Values) (*http.Response, string) {
		form.Set("csrf", csrf)
		return b.do(t, dir, http.MethodPost, fmt.Sprintf("/director/complaints/%d", id), form, map[string]string{"Accept": "text/html"})
	}
	resp, body = act(url.Values{"action": {"respond"}, "note": {" "}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "首次回复")
	resp, _ = act(url.Values{"action": {"respond"}, "note": {"已致电道歉，约好明天来店"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, body = act(url.Values{"action": {"resolve"}, "note": {""}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "解决说明必填")
	resp, _ = act(url.Values{"action": {"assign"}, "owner": {fmt.Sprint(b.users["agent1"].ID)}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "not a director")
	resp, _ = act(url.Values{"action": {"resolve"}, "note": {"更换顾问，赠送保养一次"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	resp, body = b.do(t, dir, http.MethodGet, fmt.Sprintf("/director/complaints/%d", id), nil, map[string]string{"Accept": "text/html"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, s := range []string{"开启", "首次回复", "已解决", "已致电道歉，约好明天来店", "更换顾问，赠送保养一次", "陈总监", "已解决，待满意度回访"} {
		require.Contains(t, body, s)
	}

	resp, raw := b.do(t, dir, http.MethodGet, "/director/complaints?status=&format=xlsx", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	f, err := excelize.OpenReader(strings.NewReader(raw))
	require.NoError(t, err)
	rows, err := f.GetRows("Sheet1")
	require.NoError(t, err)
	require.Len(t, rows, 3, "header and two complaints")

	// The card of a complaint follow-up: the story first.
	resp, raw = b.do(t, dir, http.MethodGet, fmt.Sprintf("/customers/%d", b.customers["王建国"]), nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var cd card
	require.NoError(t, json.Unmarshal([]byte(raw), &cd))
	require.Len(t, cd.Complaints, 1)
	k := cd.Complaints[0]
	require.Equal(t, "attitude", k.Category, "a code the console names with the form's words")
	require.Equal(t, "陈总监", k.Owner)
	require.Equal(t, "更换顾问，赠送保养一次", k.Resolution)
	require.Equal(t, queue.ComplaintResolved, k.Status)
	require.True(t, k.Serious)
}

// The low-score list: a 1 or 2 stays until acknowledged with a note; the satisfaction
// report and the weekly spot-checks render their figures and open the calls behind them.
func TestDirectorLowScoresAndSatisfaction(t *testing.T) {
	b := setup(t, nil)
	dir := b.login(t, "director1")
	call := b.addCall(t, b.dealer.ID, "agent1", "王建国", time.Now().Add(-time.Hour), time.Minute, "")
	_, outcome := b.addComplaintAndLowScore(t, b.dealer.ID, "agent1", "王建国", call)

	resp, body := b.do(t, dir, http.MethodGet, "/director/low-scores", nil, map[string]string{"Accept": "text/html"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, fmt.Sprintf(`data-outcome="%d"`, outcome))
	csrf := b.csrfOf(t, dir, "/director/low-scores")
	resp, body = b.do(t, dir, http.MethodPost, fmt.Sprintf("/director/low-scores/%d", outcome), url.Values{"csrf": {csrf}, "note": {""}},
		map[string]string{"Accept": "text/html"})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "请填写处理说明")
	resp, _ = b.do(t, dir, http.MethodPost, fmt.Sprintf("/director/low-scores/%d", outcome), url.Values{"csrf": {csrf}, "note": {"已回电安抚"}}, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = b.do(t, dir, http.MethodGet, "/director/low-scores", nil, map[string]string{"Accept": "text/html"})
	require.NotContains(t, body, fmt.Sprintf(`data-outcome="%d"`, outcome))
	_, body = b.do(t, dir, http.MethodGet, "/director/low-scores?acked=1", nil, map[string]string{"Accept": "text/html"})
	require.Contains(t, body, "已回电安抚")

	resp, body = b.do(t, dir, http.MethodGet, "/director/satisfaction", nil, map[string]string{"Accept": "text/html"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, s := range []string{"按回访类型", "定保", "1.00", "0.0%", "抱怨指标", "维修质量"} {
		require.Contains(t, body, s)
	}
	resp, body = b.do(t, dir, http.MethodGet, "/director/satisfaction/calls?by=campaign&key=maintenance", nil, map[string]string{"Accept": "text/html"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, fmt.Sprintf("/director/calls/%d", call))
	resp, _ = b.do(t, dir, http.MethodGet, "/director/satisfaction/calls?by=nope", nil, map[string]string{"Accept": "text/html"})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, _ = b.do(t, dir, http.MethodGet, "/director/checks/weekly", nil, map[string]string{"Accept": "text/html"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
}
