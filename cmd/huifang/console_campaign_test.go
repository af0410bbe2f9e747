package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// TestConsoleRendersDirectorPrompt starts a message-call campaign from the director's
// page of the console as serve builds it: the prompt is rendered by espeak-ng into
// <recordings>/prompts and the campaign plays that file.
func TestConsoleRendersDirectorPrompt(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed; run .ci/test-tools.sh")
	}
	ctx := context.Background()
	db := storetest.New(t)
	q := store.New(db)
	dealer, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "PR", Name: "语音测试店"})
	require.NoError(t, err)
	hash, err := store.HashPassword("secret-pass")
	require.NoError(t, err)
	_, err = q.CreateUser(ctx, store.CreateUserParams{DealerID: dealer.ID, Username: "director1", Role: "director", PasswordHash: hash})
	require.NoError(t, err)
	var customerID int64
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, title, phone) VALUES ($1, '王建国', '先生', '13900000001') RETURNING id`,
		dealer.ID).Scan(&customerID))

	recordings := t.TempDir()
	srv := httptest.NewUnstartedServer(nil)
	cfg := &config{PublicURL: "http://" + srv.Listener.Addr().String(), RecordingsDir: recordings}
	d := &deps{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), db: db, mux: http.NewServeMux()}
	p := newConsolePart(d, nil)
	require.NoError(t, p.err)
	srv.Config.Handler = d.mux
	srv.Start()
	defer srv.Close()

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	csrfRe := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)
	csrf := func(path string) string {
		resp, err := c.Get(srv.URL + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := csrfRe.FindSubmatch(body)
		require.NotNil(t, m, "no csrf token on %s", path)
		return string(m[1])
	}
	resp, err := c.PostForm(srv.URL+"/login", url.Values{"csrf": {csrf("/login")}, "username": {"director1"}, "password": {"secret-pass"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	resp, err = c.PostForm(srv.URL+"/director/sms/new", url.Values{"csrf": {csrf("/director/sms/new")}, "what": {"calls"}, "code": {"call-20261123"},
		"prompt": {"您好，这里是语音测试店。需要预约保养请按1。"}, "audience": {"customers"}, "customers": {"13900000001"}})
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))

	abs, err := filepath.Abs(recordings)
	require.NoError(t, err)
	want := filepath.Join(abs, "prompts", strconv.FormatInt(dealer.ID, 10), "call-20261123.wav")
	var path string
	require.NoError(t, db.QueryRow(ctx, `SELECT prompt_path FROM broadcasts WHERE dealer_id = $1 AND code = 'call-20261123'`, dealer.ID).Scan(&path))
	require.Equal(t, want, path)
	wav, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "RIFF", string(wav[:4]))
	require.Greater(t, len(wav), 8000, "more than half a second of speech at 8000 Hz")
	var n int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM message_call_targets WHERE customer_id = $1 AND status = 'pending'`, customerID).Scan(&n))
	require.Equal(t, 1, n)
}
