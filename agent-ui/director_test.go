package agentui

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/huifang/huifang/store"
)

// addCall inserts an answered call of agent for the customer's task, recorded in a file
// of size bytes under dir (no recording when dir is empty); it returns the attempt id.
func (b *bundle) addCall(t *testing.T, dealerID int64, agent, customer string, at time.Time, talk time.Duration, dir string) int64 {
	t.Helper()
	path, callID := "", "c-"+randomToken()[:16]
	if dir != "" {
		path = filepath.Join(dir, callID+".wav")
		data := make([]byte, 4096)
		for i := range data {
			data[i] = byte(i)
		}
		require.NoError(t, os.WriteFile(path, data, 0o644))
	}
	var id int64
	ans, end := at.Add(5*time.Second), at.Add(5*time.Second+talk)
	require.NoError(t, b.db.QueryRow(context.Background(), `INSERT INTO call_attempts (dealer_id, task_id, customer_id, agent_user_id, call_id, to_number,
		invite_at, answer_at, end_at, sip_status, outcome, recording_path)
		VALUES ($1, $2, $3, $4, $5, '13900000001', $6, $7, $8, 200, 'answered', $9) RETURNING id`,
		dealerID, b.tasks[customer], b.customers[customer], b.users[agent].ID, callID, at, ans, end, path).Scan(&id))
	return id
}

func (b *bundle) do(t *testing.T, c *http.Client, method, path string, form url.Values, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.srv.URL+path, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

func TestDirectorAccessRules(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	dir := b.recDir
	now := time.Now()
	call := b.addCall(t, b.dealer.ID, "agent1", "王建国", now.Add(-time.Hour), time.Minute, dir)
	hash, err := store.HashPassword(testPassword)
	require.NoError(t, err)
	_, err = store.New(b.db).CreateUser(ctx, store.CreateUserParams{DealerID: b.other.ID, Username: "directorx", DisplayName: "外店总监", Role: roleDirector, PasswordHash: hash})
	require.NoError(t, err)

	pages := []string{"/director/calls", fmt.Sprintf("/director/calls/%d", call), fmt.Sprintf("/director/recordings/%d", call),
		"/director/checks", "/director/settings", "/director/daily", "/director/daily/list?kind=due", "/director/daily/sms", "/director/daily/thanks",
		"/director/kpi", "/director/kpi/list?kpi=agents", "/director/due-not-come", "/director/calls?format=xlsx"}
	a1 := b.login(t, "agent1")
	for _, p := range pages {
		resp, _ := b.do(t, a1, http.MethodGet, p, nil, nil)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, p)
	}
	tok := b.csrfOf(t, a1, "/console")
	resp, _ := b.do(t, a1, http.MethodPost, fmt.Sprintf("/director/calls/%d/score", call), url.Values{"csrf": {tok}}, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	d := b.login(t, "director1")
	for _, p := range pages {
		resp, body := b.do(t, d, http.MethodGet, p, nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", p, body)
	}
	// Another dealer's director finds neither the record nor its recording, nor it in lists.
	dx := b.login(t, "directorx")
	for _, p := range []string{fmt.Sprintf("/director/calls/%d", call), fmt.Sprintf("/director/recordings/%d", call)} {
		resp, _ := b.do(t, dx, http.MethodGet, p, nil, nil)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, p)
	}
	_, body := b.do(t, dx, http.MethodGet, "/director/calls", nil, nil)
	require.NotContains(t, body, fmt.Sprintf("/director/calls/%d", call))
	_, body = b.do(t, d, http.MethodGet, "/director/calls", nil, nil)
	require.Contains(t, body, fmt.Sprintf("/director/calls/%d", call))
	tok = b.csrfOf(t, dx, "/director/checks")
	resp, _ = b.do(t, dx, http.MethodPost, fmt.Sprintf("/director/calls/%d/score", call), url.Values{"csrf": {tok}}, nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestDirectorRecordingRangesAndAudit(t *testing.T) {
	b := setup(t, nil)
	dir := b.recDir
	call := b.addCall(t, b.dealer.ID, "agent1", "王建国", time.Now().Add(-time.Hour), time.Minute, dir)
	d := b.login(t, "director1")
	path := fmt.Sprintf("/director/recordings/%d", call)

	resp, body := b.do(t, d, http.MethodGet, path, nil, map[string]string{"Range": "bytes=0-"})
	require.Equal(t, http.StatusPartialContent, resp.StatusCode)
	require.Equal(t, "audio/wav", resp.Header.Get("Content-Type"))
	require.Len(t, body, 4096)
	resp, body = b.do(t, d, http.MethodGet, path, nil, map[string]string{"Range": "bytes=1000-1009"})
	require.Equal(t, http.StatusPartialContent, resp.StatusCode)
	require.Equal(t, "bytes 1000-1009/4096", resp.Header.Get("Content-Range"))
	require.Equal(t, []byte{1000 % 256, 1001 % 256, 1002 % 256, 1003 % 256, 1004 % 256, 1005 % 256, 1006 % 256, 1007 % 256, 1008 % 256, 1009 % 256}, []byte(body))

	// One listen (from the start) is audited once; the seek is not another listen.
	var n int
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'recording.listen' AND user_id = $1 AND subject_id = $2`,
		b.users["director1"].ID, call).Scan(&n))
	require.Equal(t, 1, n)
}

// TestDirectorRecordingPathTraversal: a recording path outside the recordings directory
// (a row pointed at another file by a bug, an import or a compromised worker; a "..";
// a link) is never served.
func TestDirectorRecordingPathTraversal(t *testing.T) {
	b := setup(t, nil)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.wav")
	require.NoError(t, os.WriteFile(secret, []byte("RIFF not a customer's call"), 0o600))
	require.NoError(t, os.Symlink(secret, filepath.Join(b.recDir, "link.wav")))
	call := b.addCall(t, b.dealer.ID, "agent1", "王建国", time.Now().Add(-time.Hour), time.Minute, "")
	d := b.login(t, "director1")
	for _, path := range []string{secret, filepath.Join(b.recDir, "..", filepath.Base(outside), "secret.wav"), filepath.Join(b.recDir, "link.wav")} {
		_, err := b.db.Exec(context.Background(), `UPDATE call_attempts SET recording_path = $1 WHERE id = $2`, path, call)
		require.NoError(t, err)
		resp, body := b.do(t, d, http.MethodGet, fmt.Sprintf("/director/recordings/%d", call), nil, nil)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		require.NotContains(t, body, "customer's call", path)
	}
}

func TestDirectorCallSearchFilters(t *testing.T) {
	b := setup(t, nil)
	base := time.Now().Add(-2 * time.Hour)
	c1 := b.addCall(t, b.dealer.ID, "agent1", "王建国", base, 90*time.Second, "")
	c2 := b.addCall(t, b.dealer.ID, "agent2", "李娜", base.Add(time.Minute), 10*time.Second, "")
	c3 := b.addCall(t, b.dealer.ID, "agent1", "李娜", base.Add(2*time.Minute), 30*time.Second, "")
	_, err := b.db.Exec(context.Background(), `INSERT INTO call_outcomes (dealer_id, client_id, task_id, attempt_id, agent_user_id, code)
		VALUES ($1, 'o1', $2, $3, $4, 'appointment')`, b.dealer.ID, b.tasks["王建国"], c1, b.users["agent1"].ID)
	require.NoError(t, err)
	d := b.login(t, "director1")
	ids := func(q string) []int64 {
		_, body := b.do(t, d, http.MethodGet, "/director/calls?"+q, nil, nil)
		var out []int64
		for _, id := range []int64{c1, c2, c3} {
			if strings.Contains(body, fmt.Sprintf(`href="/director/calls/%d"`, id)) {
				out = append(out, id)
			}
		}
		return out
	}
	for _, tc := range []struct {
		q    string
		want []int64
	}{
		{"", []int64{c1, c2, c3}},
		{fmt.Sprintf("agent=%d", b.users["agent1"].ID), []int64{c1, c3}},
		{"customer=李娜", []int64{c2, c3}},
		{"customer=13900000001", []int64{c1}},
		{"min_secs=60", []int64{c1}},
		{"outcome=appointment", []int64{c1}},
		{"campaign=insurance", []int64{c2, c3}},
		{"sip_status=486", nil},
	} {
		require.Equal(t, tc.want, ids(tc.q), tc.q)
	}
	resp, _ := b.do(t, d, http.MethodGet, "/director/calls?from=2026-13-01", nil, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// The export opens as a spreadsheet with a header and the three calls.
	resp, body := b.do(t, d, http.MethodGet, "/director/calls?format=xlsx", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	f, err := excelize.OpenReader(strings.NewReader(body))
	require.NoError(t, err)
	rows, err := f.GetRows("Sheet1")
	require.NoError(t, err)
	require.Len(t, rows, 4)
}

func TestDirectorSpotCheckAgentSeesScore(t *testing.T) {
	b := setup(t, nil)
	dir := t.TempDir()
	yesterday := time.Now().Add(-24 * time.Hour)
	for i := range 4 {
		b.addCall(t, b.dealer.ID, "agent1", "王建国", yesterday.Add(time.Duration(i)*time.Minute), time.Minute, dir)
	}
	b.addCall(t, b.dealer.ID, "agent2", "李娜", yesterday, time.Minute, dir)
	d := b.login(t, "director1")
	tok := b.csrfOf(t, d, "/director/checks")
	day := yesterday.In(time.FixedZone("CST", 8*3600)).Format(dayLayout)
	resp, _ := b.do(t, d, http.MethodPost, "/director/checks/draw", url.Values{"csrf": {tok}, "from": {day}, "to": {day}, "per_agent": {"2"}}, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var perAgent []int
	rows, err := b.db.Query(context.Background(), `SELECT count(*) FROM spot_checks GROUP BY agent_user_id ORDER BY 1`)
	require.NoError(t, err)
	for rows.Next() {
		var n int
		require.NoError(t, rows.Scan(&n))
		perAgent = append(perAgent, n)
	}
	require.Equal(t, []int{1, 2}, perAgent)

	// Per day over two days: agent1's calls of the day before yesterday are drawn too.
	before := yesterday.Add(-24 * time.Hour)
	for i := range 3 {
		b.addCall(t, b.dealer.ID, "agent1", "王建国", before.Add(time.Duration(i)*time.Minute), time.Minute, dir)
	}
	from := before.In(time.FixedZone("CST", 8*3600)).Format(dayLayout)
	resp, _ = b.do(t, d, http.MethodPost, "/director/checks/draw", url.Values{"csrf": {tok}, "from": {from}, "to": {day}, "per_agent": {"1"}, "per": {"day"}}, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var n1 int
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT count(*) FROM spot_checks WHERE agent_user_id = $1`, b.users["agent1"].ID).Scan(&n1))
	require.Equal(t, 4, n1, "2 drawn before, then one for each of the two days")

	var call int64
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT attempt_id FROM spot_checks WHERE agent_user_id = $1 LIMIT 1`, b.users["agent1"].ID).Scan(&call))
	form := url.Values{"csrf": {tok}, "result": {"fail"}, "coaching": {"1"}, "comment": {"没有核实身份"}}
	for _, it := range defaultRubric {
		form.Set("s_"+it.Key, fmt.Sprint(it.Max))
	}
	form.Set("s_identity", "11")
	resp, _ = b.do(t, d, http.MethodPost, fmt.Sprintf("/director/calls/%d/score", call), form, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "a score above the item's maximum")
	form.Set("s_identity", "0")
	resp, _ = b.do(t, d, http.MethodPost, fmt.Sprintf("/director/calls/%d/score", call), form, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	_, body := b.do(t, b.login(t, "agent1"), http.MethodGet, "/my/checks", nil, nil)
	require.Contains(t, body, "90/100")
	require.Contains(t, body, "没有核实身份")
	_, body = b.do(t, b.login(t, "agent2"), http.MethodGet, "/my/checks", nil, nil)
	require.NotContains(t, body, "没有核实身份")
}

func TestPurgeRecordingsKeepsRecords(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	dir := b.recDir
	now := time.Now()
	old := b.addCall(t, b.dealer.ID, "agent1", "王建国", now.Add(-40*24*time.Hour), time.Minute, dir)
	fresh := b.addCall(t, b.dealer.ID, "agent1", "王建国", now.Add(-2*24*time.Hour), time.Minute, dir)
	otherOld := b.addCall(t, b.other.ID, "agentx", "外店客户", now.Add(-40*24*time.Hour), time.Minute, dir)
	q := store.New(b.db)
	require.NoError(t, q.SetDealerSetting(ctx, store.SetDealerSettingParams{Key: RetentionKey, Value: 30, ID: b.dealer.ID}))
	paths := map[int64]string{}
	for _, id := range []int64{old, fresh, otherOld} {
		c, err := q.DirectorGetCall(ctx, store.DirectorGetCallParams{ID: id, DealerID: func() *int64 {
			var d int64
			require.NoError(t, b.db.QueryRow(ctx, `SELECT dealer_id FROM call_attempts WHERE id = $1`, id).Scan(&d))
			return &d
		}()})
		require.NoError(t, err)
		paths[id] = c.RecordingPath
	}
	res, err := PurgeRecordings(ctx, b.db, now, "", nil)
	require.NoError(t, err)
	require.Len(t, res, 1)
	require.Equal(t, 1, res[0].Deleted)
	_, err = os.Stat(paths[old])
	require.ErrorIs(t, err, os.ErrNotExist)
	for _, id := range []int64{fresh, otherOld} {
		_, err = os.Stat(paths[id])
		require.NoError(t, err)
	}
	var rec string
	var purged *time.Time
	require.NoError(t, b.db.QueryRow(ctx, `SELECT recording_path, recording_purged_at FROM call_attempts WHERE id = $1`, old).Scan(&rec, &purged))
	require.Empty(t, rec)
	require.NotNil(t, purged)
}

func TestHousekeepingPurgesRecordings(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	dir := t.TempDir()
	old := b.addCall(t, b.dealer.ID, "agent1", "王建国", time.Now().Add(-40*24*time.Hour), time.Minute, dir)
	require.NoError(t, store.New(b.db).SetDealerSetting(ctx, store.SetDealerSettingParams{Key: RetentionKey, Value: 30, ID: b.dealer.ID}))
	var path string
	require.NoError(t, b.db.QueryRow(ctx, `SELECT recording_path FROM call_attempts WHERE id = $1`, old).Scan(&path))
	require.FileExists(t, path)

	b.console.h.housekeepOnce(ctx) // what the console runs every hour
	require.NoFileExists(t, path)
	var purged *time.Time
	require.NoError(t, b.db.QueryRow(ctx, `SELECT recording_purged_at FROM call_attempts WHERE id = $1`, old).Scan(&purged))
	require.NotNil(t, purged, "the call record stays, marked purged")
}

func TestDirectorDrawFromSearch(t *testing.T) {
	b := setup(t, nil)
	dir := t.TempDir()
	at := time.Now().Add(-3 * time.Hour)
	for i := range 5 {
		b.addCall(t, b.dealer.ID, "agent1", "王建国", at.Add(time.Duration(i)*time.Minute), time.Minute, dir)
	}
	b.addCall(t, b.dealer.ID, "agent2", "李娜", at, time.Minute, dir)
	b.addCall(t, b.dealer.ID, "agent1", "李娜", at, time.Minute, "") // not recorded
	d := b.login(t, "director1")
	tok := b.csrfOf(t, d, "/director/calls")
	form := url.Values{"csrf": {tok}, "agent": {fmt.Sprint(b.users["agent1"].ID)}, "n": {"3"}}
	resp, _ := b.do(t, d, http.MethodPost, "/director/checks/draw-filtered", form, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	form.Set("n", "10")
	resp, _ = b.do(t, d, http.MethodPost, "/director/checks/draw-filtered", form, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var n, others int
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE s.agent_user_id = $1 AND a.recording_path <> ''),
		count(*) FILTER (WHERE s.agent_user_id <> $1 OR a.recording_path = '') FROM spot_checks s JOIN call_attempts a ON a.id = s.attempt_id`,
		b.users["agent1"].ID).Scan(&n, &others))
	require.Equal(t, 5, n, "3, then the 2 left of agent1's recorded calls")
	require.Zero(t, others)
}

func TestDirectorEditsRubricAndRetention(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	d := b.login(t, "director1")
	tok := b.csrfOf(t, d, "/director/settings")
	form := url.Values{"csrf": {tok}, "retention": {"90"}}
	for i, it := range defaultRubric {
		n := fmt.Sprint(i)
		form.Set("key_"+n, it.Key)
		form.Set("label_"+n, it.Label)
		form.Set("max_"+n, fmt.Sprint(it.Max))
		form.Set("sort_"+n, fmt.Sprint(it.Sort))
		if it.Key != "objections" {
			form.Set("active_"+n, "1")
		}
	}
	form.Set("key_49", "product_knowledge")
	form.Set("label_49", "产品知识")
	form.Set("max_49", "15")
	form.Set("sort_49", "80")
	form.Set("active_49", "1")
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("key_49", "Bad Key")
	resp, _ := b.do(t, d, http.MethodPost, "/director/settings", bad, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, _ = b.do(t, d, http.MethodPost, "/director/settings", form, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	items, err := b.console.h.rubric(ctx, b.dealer.ID)
	require.NoError(t, err)
	var active []string
	for _, it := range items {
		if it.Active {
			active = append(active, it.Key)
		}
	}
	require.Equal(t, []string{"greeting", "identity", "reason", "satisfaction", "closing", "courtesy", "product_knowledge"}, active)
	other, err := b.console.h.rubric(ctx, b.other.ID)
	require.NoError(t, err)
	require.Equal(t, defaultRubric, other, "another dealer keeps the defaults")
	raw, err := store.New(b.db).GetDealerSettings(ctx, b.dealer.ID)
	require.NoError(t, err)
	require.JSONEq(t, `{"recording_retention_days": 90}`, string(raw))

	// Each retention change is audited with who, from and to; saving the same is not a change.
	form.Set("retention", "7")
	resp, _ = b.do(t, d, http.MethodPost, "/director/settings", form, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = b.do(t, d, http.MethodPost, "/director/settings", form, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	rows, err := b.db.Query(ctx, `SELECT user_id, detail FROM audit_log WHERE action = 'dealer.recording_retention' AND dealer_id = $1 ORDER BY id`, b.dealer.ID)
	require.NoError(t, err)
	var changes []string
	for rows.Next() {
		var by int64
		var detail []byte
		require.NoError(t, rows.Scan(&by, &detail))
		require.Equal(t, b.users["director1"].ID, by)
		changes = append(changes, string(detail))
	}
	require.NoError(t, rows.Err())
	require.Len(t, changes, 2)
	require.JSONEq(t, `{"setting": "recording_retention_days", "from": null, "to": 90}`, changes[0])
	require.JSONEq(t, `{"setting": "recording_retention_days", "from": 90, "to": 7}`, changes[1])

	// The scoring form follows the dealer's rubric.
	call := b.addCall(t, b.dealer.ID, "agent1", "王建国", time.Now().Add(-time.Hour), time.Minute, "")
	_, body := b.do(t, d, http.MethodGet, fmt.Sprintf("/director/calls/%d", call), nil, nil)
	require.Contains(t, body, `name="s_product_knowledge"`)
	require.NotContains(t, body, `name="s_objections"`)
}

func TestDirectorPagesRenderInBothLanguages(t *testing.T) {
	b := setup(t, nil)
	call := b.addCall(t, b.dealer.ID, "agent1", "王建国", time.Now().Add(-time.Hour), time.Minute, b.recDir)
	_, err := b.db.Exec(context.Background(), `INSERT INTO call_outcomes (dealer_id, client_id, task_id, attempt_id, agent_user_id, code, answers, script_version)
		VALUES ($1, 'o1', $2, $3, $4, 'appointment', '{"q1": 5}', 'maintenance@2')`, b.dealer.ID, b.tasks["王建国"], call, b.users["agent1"].ID)
	require.NoError(t, err)
	d := b.login(t, "director1")
	a := b.login(t, "agent1")
	u, _ := url.Parse(b.srv.URL)
	for _, lang := range []string{langZH, langEN} {
		for _, c := range []*http.Client{d, a} {
			c.Jar.SetCookies(u, []*http.Cookie{{Name: langCookie, Value: lang, Path: "/"}})
		}
		pages := []string{"/director/calls", fmt.Sprintf("/director/calls/%d", call), "/director/checks", "/director/settings",
			"/director/daily", "/director/daily/list?kind=due", "/director/daily/sms", "/director/kpi", "/director/due-not-come"}
		for _, k := range []string{"first_maintenance", "contact", "booking", "winback", "lost", "agents", "key_prospects", "grades"} {
			pages = append(pages, "/director/kpi/list?kpi="+k)
		}
		for _, p := range pages {
			req, _ := http.NewRequest(http.MethodGet, b.srv.URL+p, nil)
			resp, err := d.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode, p)
			require.Contains(t, string(body), "</html>", "%s (%s) rendered to the end", p, lang)
		}
		resp, err := a.Get(b.srv.URL + "/my/checks")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Contains(t, string(body), "</html>")
	}
	_, body := b.do(t, d, http.MethodGet, fmt.Sprintf("/director/calls/%d", call), nil, nil)
	require.Contains(t, body, "maintenance@2")
	require.Contains(t, body, "q1")
}
