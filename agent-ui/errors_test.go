package agentui

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestErrorsArePagesInTheUsersLanguage: a refusal seen in the browser is a page inside
// the layout (navigation, a way back), in Chinese, naming the field; scripts and the API
// still get a short text.
func TestErrorsArePagesInTheUsersLanguage(t *testing.T) {
	b := setup(t, nil)
	d := b.login(t, "director1")
	a := b.login(t, "agent1")
	get := func(c *http.Client, path, accept string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, b.srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Accept", accept)
		resp, err := c.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	for _, tc := range []struct {
		name   string
		c      *http.Client
		path   string
		status int
		want   []string
	}{
		{"range backwards", d, "/director/calls?from=2026-05-10&to=2026-05-01", 400,
			[]string{"结束日期 2026-05-01 早于开始日期 2026-05-10", `href="/director/calls" id="error-back"`}},
		{"bad day", d, "/director/calls?from=5/10", 400, []string{`日期 &#34;5/10&#34; 格式不对，请写成 2026-05-01 这样`}},
		{"not a number", d, "/director/calls?min_secs=abc", 400, []string{"“最短通话秒数”要填整数"}},
		{"bad month", d, "/director/due-not-come?month=2026", 400, []string{"格式不对，请写成 2026-05 这样"}},
		{"agent on a director page", a, "/director/calls", 403, []string{"您没有权限打开这个页面", `href="/console" id="error-home"`}},
		{"no such call", d, "/director/calls/999999999", 404, []string{"找不到这个页面或记录", `href="/director" id="error-home"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(tc.c, tc.path, browser)
			require.Equal(t, tc.status, status)
			require.Contains(t, body, `<header class="top">`, "inside the page layout")
			require.Contains(t, body, `id="error-message"`)
			for _, w := range tc.want {
				require.Contains(t, body, w)
			}
		})
	}
	// A script's fetch gets the words alone.
	status, body := get(a, "/director/calls", "*/*")
	require.Equal(t, 403, status)
	require.Equal(t, "您没有权限打开这个页面\n", body)
}
