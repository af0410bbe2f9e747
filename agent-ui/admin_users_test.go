package agentui

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
)

// addAdmin adds the dealer's admin "admin1" (password testPassword).
func (b *bundle) addAdmin(t *testing.T) {
	t.Helper()
	hash, err := store.HashPassword(testPassword)
	require.NoError(t, err)
	row, err := store.New(b.db).CreateUser(context.Background(), store.CreateUserParams{DealerID: b.dealer.ID, Username: "admin1",
		DisplayName: "系统管理员", Role: roleAdmin, PasswordHash: hash})
	require.NoError(t, err)
	b.users["admin1"] = row
}

func (b *bundle) countUsers(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT count(*) FROM users`).Scan(&n))
	return n
}

func TestAdminUsersAccess(t *testing.T) {
	b := setup(t, nil)
	b.addAdmin(t)
	a := b.login(t, "agent1")
	resp, _ := b.do(t, a, http.MethodGet, "/admin/users", nil, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	tok := b.csrfOf(t, a, "/console")
	resp, _ = b.do(t, a, http.MethodPost, "/admin/users", url.Values{"csrf": {tok}, "what": {"add"}, "username": {"x1"},
		"role": {roleAdmin}, "password": {"long-enough-1"}}, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	// Directors look but do not change.
	d := b.login(t, "director1")
	resp, body := b.do(t, d, http.MethodGet, "/admin/users", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `id="read-only"`)
	require.NotContains(t, body, `id="add-user"`)
	tok = b.csrfOf(t, d, "/admin/users")
	resp, _ = b.do(t, d, http.MethodPost, "/admin/users", url.Values{"csrf": {tok}, "what": {"disable"}, "username": {"agent1"}}, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	ad := b.login(t, "admin1")
	_, body = b.do(t, ad, http.MethodGet, "/console", nil, nil)
	require.Contains(t, body, `href="/admin/users"`, "the top navigation links the page")
	u, _ := url.Parse(b.srv.URL)
	for _, lang := range []string{langZH, langEN} {
		ad.Jar.SetCookies(u, []*http.Cookie{{Name: langCookie, Value: lang, Path: "/"}})
		resp, body := b.do(t, ad, http.MethodGet, "/admin/users", nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, body, "</html>", "rendered to the end (%s)", lang)
		require.Contains(t, body, adminWords(lang)["add"])
		require.Contains(t, body, `id="add-user"`)
		require.NotContains(t, body, "$2a$", "no hashes on the page")
	}
	// A form without the session's CSRF token is refused.
	resp, _ = b.do(t, ad, http.MethodPost, "/admin/users", url.Values{"what": {"disable"}, "username": {"agent1"}}, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestAdminManagesUsers(t *testing.T) {
	b := setup(t, nil)
	b.addAdmin(t)
	ctx := context.Background()
	q := store.New(b.db)
	ad := b.login(t, "admin1")
	tok := b.csrfOf(t, ad, "/admin/users")
	post := func(v url.Values) (*http.Response, string) {
		v.Set("csrf", tok)
		return b.do(t, ad, http.MethodPost, "/admin/users", v, nil)
	}

	// Bad input: 400 naming the problem, nothing stored.
	before := b.countUsers(t)
	for _, tc := range []struct {
		name             string
		username, role   string
		password, detail string
	}{
		{"bad user name", "li na", roleAgent, "long-enough-1", "用户名“li na”不能用"},
		{"chinese user name", "赵敏", roleAgent, "long-enough-1", "中文姓名请填在“姓名”一栏"},
		{"bad role", "li", "boss", "long-enough-1", "角色只能是坐席、总监、管理员或服务前台"},
		{"short password", "li", roleAgent, "short", "密码至少要 8 位"},
		{"taken at the dealer", "agent1", roleAgent, "long-enough-1", "用户名“agent1”已有人使用"},
		{"taken at another dealer", "agentx", roleAgent, "long-enough-1", "用户名“agentx”已有人使用（本店或其他门店）"},
	} {
		resp, body := post(url.Values{"what": {"add"}, "username": {tc.username}, "display_name": {"李"}, "role": {tc.role}, "password": {tc.password}})
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, tc.name)
		require.Contains(t, body, `id="admin-error"`, tc.name)
		require.Contains(t, htmlUnescape(body), tc.detail, tc.name)
		require.Contains(t, body, `value="李"`, "%s: the form keeps what was typed", tc.name)
	}
	require.Equal(t, before, b.countUsers(t))

	// Add an agent: they can log in, and get a random SIP secret of their own, shown once
	// and stored only as its HA1.
	resp, body := post(url.Values{"what": {"add"}, "username": {"agent9"}, "display_name": {"小周"}, "role": {roleAgent}, "password": {"agent9-pass"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	secret := sipSecretOn(t, body)
	require.NotEqual(t, "agent9-pass", secret)
	a9, err := q.GetUserByUsername(ctx, store.GetUserByUsernameParams{DealerID: b.dealer.ID, Username: "agent9"})
	require.NoError(t, err)
	require.Equal(t, store.SIPHA1("agent9", store.SIPRealm, secret), a9.SipHa1)
	require.Equal(t, http.StatusSeeOther, b.postLogin(t, b.client(t), "agent9", "agent9-pass").StatusCode)

	// Issue a new SIP secret: the HA1 changes; a director has none to issue.
	resp, body = post(url.Values{"what": {"sip"}, "username": {"agent9"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	secret2 := sipSecretOn(t, body)
	require.NotEqual(t, secret, secret2)
	a9, err = q.GetUserByUsername(ctx, store.GetUserByUsernameParams{DealerID: b.dealer.ID, Username: "agent9"})
	require.NoError(t, err)
	require.Equal(t, store.SIPHA1("agent9", store.SIPRealm, secret2), a9.SipHa1)
	resp, body = post(url.Values{"what": {"sip"}, "username": {"director1"}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "只有坐席有分机密码")

	_, body = b.do(t, ad, http.MethodGet, "/admin/users", nil, nil)
	require.NotContains(t, body, secret2, "the secret is shown once")
	require.Contains(t, body, `id="user-agent9"`)
	require.NotContains(t, body, "agentx", "another dealer's users are not listed")
	require.NotContains(t, body, "agent9-pass")

	// Reset a password.
	resp, body = post(url.Values{"what": {"passwd"}, "username": {"agent9"}, "password": {"agent9-new-pass"}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "not confirmed")
	require.Contains(t, htmlUnescape(body), "没有重置“agent9”的密码：请勾选确认框")
	resp, _ = post(url.Values{"what": {"passwd"}, "username": {"agent9"}, "password": {"agent9-new-pass"}, "confirm": {"agent1"}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "confirmed for another user")
	require.Equal(t, http.StatusSeeOther, b.postLogin(t, b.client(t), "agent9", "agent9-pass").StatusCode, "unchanged")
	resp, _ = post(url.Values{"what": {"passwd"}, "username": {"agent9"}, "password": {"agent9-new-pass"}, "confirm": {"agent9"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, http.StatusUnauthorized, b.postLogin(t, b.client(t), "agent9", "agent9-pass").StatusCode)
	require.Equal(t, http.StatusSeeOther, b.postLogin(t, b.client(t), "agent9", "agent9-new-pass").StatusCode)
	resp, _ = post(url.Values{"what": {"passwd"}, "username": {"agent9"}, "password": {"short"}, "confirm": {"agent9"}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// Disable a logged-in agent: their session ends and they cannot log in again.
	a1 := b.login(t, "agent1")
	resp, _ = post(url.Values{"what": {"disable"}, "username": {"agent1"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = b.do(t, a1, http.MethodGet, "/console", nil, nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the session ended")
	require.Equal(t, http.StatusUnauthorized, b.postLogin(t, b.client(t), "agent1", testPassword).StatusCode)
	resp, _ = post(url.Values{"what": {"enable"}, "username": {"agent1"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	b.login(t, "agent1")
	resp, _ = post(url.Values{"what": {"disable"}, "username": {"admin1"}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "an admin does not lock themselves out")

	// Another dealer's user cannot be touched.
	for _, what := range []string{"passwd", "sip", "disable", "enable", "update"} {
		resp, _ := post(url.Values{"what": {what}, "username": {"agentx"}, "password": {"taken-over-1"}, "confirm": {"agentx"}})
		require.Equal(t, http.StatusNotFound, resp.StatusCode, what)
	}
	x, err := q.GetUser(ctx, b.users["agentx"].ID)
	require.NoError(t, err)
	require.True(t, x.Active)
	require.Equal(t, b.users["agentx"].PasswordHash, x.PasswordHash)

	// Each change is audited as the admin's, with no secrets.
	rows, err := b.db.Query(ctx, `SELECT action, detail::text FROM audit_log WHERE subject_type = 'user' AND action LIKE 'user.%' ORDER BY id`)
	require.NoError(t, err)
	var actions []string
	for rows.Next() {
		var action, detail string
		require.NoError(t, rows.Scan(&action, &detail))
		actions = append(actions, action)
		require.NotContains(t, detail, "agent9-")
		require.NotContains(t, detail, secret2)
		require.Contains(t, detail, `"console"`)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"user.add", "user.sip_secret", "user.password", "user.disable", "user.enable"}, actions)
	var by int64
	require.NoError(t, b.db.QueryRow(ctx, `SELECT user_id FROM audit_log WHERE action = 'user.add'`).Scan(&by))
	require.Equal(t, b.users["admin1"].ID, by)
}

// sipSecretOn returns the SIP secret shown once on a page.
func sipSecretOn(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`<code[^>]*>([A-Z2-7]{20})</code>`).FindStringSubmatch(body)
	require.NotNil(t, m, "no SIP secret on the page")
	return m[1]
}

// TestAgentIssuesOwnSIPSecret: an agent issues their own SIP secret at /my/sip (shown
// once, stored as HA1, audited as theirs); other roles have no such page.
func TestAgentIssuesOwnSIPSecret(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	a := b.login(t, "agent1")
	resp, body := b.do(t, a, http.MethodGet, "/my/sip", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `id="sip-reissue"`)
	require.NotContains(t, body, `id="sip-secret"`)
	tok := b.csrfOf(t, a, "/my/sip")
	resp, _ = b.do(t, a, http.MethodPost, "/my/sip", url.Values{}, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "no CSRF token")
	resp, body = b.do(t, a, http.MethodPost, "/my/sip", url.Values{"csrf": {tok}}, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	secret := sipSecretOn(t, body)
	u, err := store.New(b.db).GetUser(ctx, b.users["agent1"].ID)
	require.NoError(t, err)
	require.Equal(t, store.SIPHA1("agent1", store.SIPRealm, secret), u.SipHa1)
	var by int64
	require.NoError(t, b.db.QueryRow(ctx, `SELECT user_id FROM audit_log WHERE action = 'user.sip_secret'`).Scan(&by))
	require.Equal(t, u.ID, by)

	d := b.login(t, "director1")
	resp, _ = b.do(t, d, http.MethodGet, "/my/sip", nil, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestAdminEditsNameAndRole(t *testing.T) {
	b := setup(t, nil)
	b.addAdmin(t)
	ctx := context.Background()
	q := store.New(b.db)
	ad := b.login(t, "admin1")
	tok := b.csrfOf(t, ad, "/admin/users")
	post := func(v url.Values) (*http.Response, string) {
		v.Set("csrf", tok)
		return b.do(t, ad, http.MethodPost, "/admin/users", v, nil)
	}
	a2 := b.login(t, "agent2")

	// A Chinese display name and a promotion: saved, audited, the user's sessions end so
	// the new role applies from the next login.
	resp, _ := post(url.Values{"what": {"update"}, "username": {"agent2"}, "display_name": {"组长 王芳"}, "role": {roleDirector}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	u, err := q.GetUser(ctx, b.users["agent2"].ID)
	require.NoError(t, err)
	require.Equal(t, "组长 王芳", u.DisplayName)
	require.Equal(t, roleDirector, u.Role)
	resp, _ = b.do(t, a2, http.MethodGet, "/console", nil, nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	d2 := b.login(t, "agent2")
	resp, _ = b.do(t, d2, http.MethodGet, "/director/calls", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "a director now")
	var detail string
	require.NoError(t, b.db.QueryRow(ctx, `SELECT detail::text FROM audit_log WHERE action = 'user.update'`).Scan(&detail))
	require.Contains(t, detail, `"role": ["agent", "director"]`)

	// Refused, in Chinese, nothing changed: a bad role, a name too long, one's own role.
	for _, tc := range []struct{ name, username, display, role, want string }{
		{"bad role", "agent1", "小李", "boss", "角色只能是坐席、总监、管理员或服务前台"},
		{"long name", "agent1", strings.Repeat("长", 65), roleAgent, "姓名最多 64 个字"},
		{"own role", "admin1", "管理员", roleAgent, "不能修改自己的角色"},
	} {
		resp, body := post(url.Values{"what": {"update"}, "username": {tc.username}, "display_name": {tc.display}, "role": {tc.role}})
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, tc.name)
		require.Contains(t, htmlUnescape(body), tc.want, tc.name)
	}
	a1, err := q.GetUser(ctx, b.users["agent1"].ID)
	require.NoError(t, err)
	require.Equal(t, "小李", a1.DisplayName)
	require.Equal(t, roleAgent, a1.Role)
}
