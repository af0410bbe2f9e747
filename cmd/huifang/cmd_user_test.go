package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony"
)

func TestDealerCommands(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	env, out, errb := testEnvFor(t, db.URL)
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout or stderr
	}{
		{"create", []string{"--code", "GZ-01", "--name", "广州一店"}, 0, "dealer GZ-01 created"},
		{"exists", []string{"--code", "GZ-01", "--name", "又一个"}, 1, "already exists (use --update"},
		{"bad code", []string{"--code", "广州", "--name", "x"}, 2, "dealer code"},
		{"bad zone", []string{"--code", "SZ01", "--name", "深圳", "--tz", "Mars/Base"}, 2, "time zone \"Mars/Base\""},
		{"no name", []string{"--code", "SZ01"}, 2, "--name are required"},
		{"update", []string{"--code", "GZ-01", "--name", "广州一店（新）", "--tz", "Asia/Urumqi", "--update"}, 0, "dealer GZ-01 updated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out.Reset()
			errb.Reset()
			code := runWith(ctx, env, append([]string{"dealer", "add"}, tc.args...))
			require.Equal(t, tc.code, code, errb.String())
			require.Contains(t, out.String()+errb.String(), tc.want)
		})
	}
	d, err := store.New(db.Pool).GetDealerByCode(ctx, "GZ-01")
	require.NoError(t, err)
	require.Equal(t, "广州一店（新）", d.Name)
	require.Equal(t, "Asia/Urumqi", d.TimeZone)
	var n int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM dealers`).Scan(&n))
	require.Equal(t, 1, n, "refused dealers are not stored")
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action IN ('dealer.add', 'dealer.update') AND dealer_id = $1`, d.ID).Scan(&n))
	require.Equal(t, 2, n)
	out.Reset()
	require.Equal(t, 0, runWith(ctx, env, []string{"dealer", "list"}))
	require.Contains(t, out.String(), "GZ-01")
}

func TestUserCommands(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	env, out, errb := testEnvFor(t, db.URL)
	q := store.New(db.Pool)
	d, err := q.CreateDealer(ctx, store.CreateDealerParams{Code: "U1", Name: "一店", TimeZone: "Asia/Shanghai"})
	require.NoError(t, err)
	_, err = q.CreateDealer(ctx, store.CreateDealerParams{Code: "U2", Name: "二店", TimeZone: "Asia/Shanghai"})
	require.NoError(t, err)
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	pwFile := file("pw", "agent-pass-1\n")
	run := func(stdin string, args ...string) int {
		out.Reset()
		errb.Reset()
		env.stdin = nil
		if stdin != "" {
			env.stdin = strings.NewReader(stdin)
		}
		return runWith(ctx, env, args)
	}

	add := []struct {
		name     string
		dealer   string
		username string
		args     []string
		stdin    string
		code     int
		want     string
		password string // the login password that must work afterwards ("" when refused or generated)
	}{
		{"agent, password file", "U1", "wang.fang", []string{"--name", "客服 王芳", "--role", "agent", "--password-file", pwFile}, "", 0, "added", "agent-pass-1"},
		{"director, password on stdin", "U1", "director1", []string{"--name", "服务总监", "--role", "director"}, "dir-pass-22\n", 0, "added", "dir-pass-22"},
		{"admin, generated password", "U1", "admin", []string{"--name", "管理员", "--role", "admin"}, "", 0, "password: ", ""},
		{"duplicate at the dealer", "U1", "wang.fang", []string{"--role", "agent", "--password-file", pwFile}, "", 1, "already has a user \"wang.fang\"", ""},
		{"name used at another dealer", "U2", "wang.fang", []string{"--role", "agent", "--password-file", pwFile}, "", 1, "another dealer", ""},
		{"bad role", "U1", "li", []string{"--role", "boss", "--password-file", pwFile}, "", 2, "role \"boss\"", ""},
		{"bad user name", "U1", "li na", []string{"--role", "agent", "--password-file", pwFile}, "", 2, "user name \"li na\"", ""},
		{"too long user name", "U1", strings.Repeat("a", 33), []string{"--role", "agent", "--password-file", pwFile}, "", 2, "user name", ""},
		{"short password", "U1", "li", []string{"--role", "agent"}, "short\n", 2, "at least 8 characters", ""},
		{"SIP password flag is gone", "U1", "li", []string{"--role", "agent", "--password-file", pwFile, "--sip-password-file", file("sip", "sip-pass-1234")}, "", 2, "sip-password-file", ""},
		{"no such dealer", "XX", "li", []string{"--role", "agent", "--password-file", pwFile}, "", 1, "no dealer \"XX\"", ""},
	}
	for _, tc := range add {
		t.Run("add "+tc.name, func(t *testing.T) {
			var before int
			require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&before))
			code := run(tc.stdin, append([]string{"user", "add", "--dealer", tc.dealer, "--username", tc.username}, tc.args...)...)
			require.Equal(t, tc.code, code, errb.String())
			require.Contains(t, out.String()+errb.String(), tc.want)
			var after int
			require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&after))
			if tc.code != 0 {
				require.Equal(t, before, after, "nothing stored")
				return
			}
			require.Equal(t, before+1, after)
			u, err := q.GetUserByUsername(ctx, store.GetUserByUsernameParams{DealerID: d.ID, Username: tc.username})
			require.NoError(t, err)
			pw := tc.password
			if pw == "" {
				m := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(out.String())
				require.NotNil(t, m, out.String())
				pw = m[1]
			}
			require.True(t, store.CheckPassword(u.PasswordHash, pw))
			// An agent gets a random SIP secret, printed once and stored only as its HA1;
			// nobody else gets one.
			m := regexp.MustCompile(`SIP secret: (\S+)`).FindStringSubmatch(out.String())
			if u.Role != "agent" {
				require.Nil(t, m)
				require.Empty(t, u.SipHa1)
				return
			}
			require.NotNil(t, m, out.String())
			require.NotEqual(t, pw, m[1], "the SIP secret is not the login password")
			require.Equal(t, store.SIPHA1(u.Username, store.SIPRealm, m[1]), u.SipHa1)
			require.Equal(t, telephony.HA1(u.Username, store.SIPRealm, m[1]), u.SipHa1)
		})
	}

	// passwd: the new password works, the old one no longer; the SIP secret is untouched.
	before, err := q.GetUserByUsername(ctx, store.GetUserByUsernameParams{DealerID: d.ID, Username: "wang.fang"})
	require.NoError(t, err)
	require.Equal(t, 0, run("new-pass-99\n", "user", "passwd", "--dealer", "U1", "--username", "wang.fang"), errb.String())
	u, err := q.GetUserByUsername(ctx, store.GetUserByUsernameParams{DealerID: d.ID, Username: "wang.fang"})
	require.NoError(t, err)
	require.True(t, store.CheckPassword(u.PasswordHash, "new-pass-99"))
	require.False(t, store.CheckPassword(u.PasswordHash, "agent-pass-1"))
	require.Equal(t, before.SipHa1, u.SipHa1)
	require.Equal(t, 0, run("newer-pass-100\n", "user", "passwd", "--dealer", "U1", "--username", "wang.fang"), errb.String())
	u, err = q.GetUserByUsername(ctx, store.GetUserByUsernameParams{DealerID: d.ID, Username: "wang.fang"})
	require.NoError(t, err)
	require.True(t, store.CheckPassword(u.PasswordHash, "newer-pass-100"))

	// sip-secret: a new secret for an agent, printed once; the old one stops working.
	// Directors and admins have none to issue.
	require.Equal(t, 0, run("", "user", "sip-secret", "--dealer", "U1", "--username", "wang.fang"), errb.String())
	m := regexp.MustCompile(`SIP secret: (\S+)`).FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	sipSecret := m[1]
	u, err = q.GetUserByUsername(ctx, store.GetUserByUsernameParams{DealerID: d.ID, Username: "wang.fang"})
	require.NoError(t, err)
	require.Equal(t, store.SIPHA1("wang.fang", store.SIPRealm, sipSecret), u.SipHa1)
	require.NotEqual(t, before.SipHa1, u.SipHa1)
	require.Equal(t, 2, run("", "user", "sip-secret", "--dealer", "U1", "--username", "director1"))
	require.Contains(t, errb.String(), "only agents have a SIP secret")
	require.Equal(t, 2, run("short\n", "user", "passwd", "--dealer", "U1", "--username", "wang.fang"))
	require.Equal(t, 1, run("long-enough-1\n", "user", "passwd", "--dealer", "U1", "--username", "nobody"))
	require.Contains(t, errb.String(), "no user \"nobody\"")
	u2, err := q.GetUserByUsername(ctx, store.GetUserByUsernameParams{DealerID: d.ID, Username: "wang.fang"})
	require.NoError(t, err)
	require.Equal(t, u.PasswordHash, u2.PasswordHash, "a refused password changes nothing")

	// disable: no login, no phone, sessions ended; enable gives them back.
	_, err = db.Pool.Exec(ctx, `INSERT INTO console_sessions (token_hash, user_id, dealer_id, csrf_token, expires_at) VALUES ('h1', $1, $2, 'c', $3)`,
		u.ID, d.ID, time.Now().Add(time.Hour))
	require.NoError(t, err)
	agents := storeAgents{q: q}
	_, err = agents.LookupAgent(ctx, "wang.fang")
	require.NoError(t, err, "the phone may register before")
	require.Equal(t, 0, run("", "user", "disable", "--dealer", "U1", "--username", "wang.fang"), errb.String())
	require.Contains(t, out.String(), "1 console sessions ended")
	found, err := q.FindUsersByUsername(ctx, "wang.fang")
	require.NoError(t, err)
	require.Empty(t, found, "login finds no disabled user")
	_, err = agents.LookupAgent(ctx, "wang.fang")
	require.ErrorIs(t, err, telephony.ErrUnknownAgent)
	var n int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM console_sessions WHERE user_id = $1`, u.ID).Scan(&n))
	require.Zero(t, n)
	require.Equal(t, 0, run("", "user", "enable", "--dealer", "U1", "--username", "wang.fang"), errb.String())
	found, err = q.FindUsersByUsername(ctx, "wang.fang")
	require.NoError(t, err)
	require.Len(t, found, 1)
	require.Equal(t, 1, run("", "user", "disable", "--dealer", "U2", "--username", "wang.fang"), "another dealer's user is not found")

	// list: no hashes, no passwords.
	require.Equal(t, 0, run("", "user", "list", "--dealer", "U1"), errb.String())
	for _, secret := range []string{"$2a$", "newer-pass-100", "new-pass-99", "dir-pass-22", sipSecret, u.SipHa1} {
		require.NotContains(t, out.String(), secret)
	}
	require.Contains(t, out.String(), "wang.fang")
	require.Equal(t, 0, run("", "user", "list", "--dealer", "U1", "--json"), errb.String())
	var lines []map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &lines))
	require.Len(t, lines, 3)
	for _, l := range lines {
		require.NotContains(t, l, "password_hash")
		require.Equal(t, l["role"] == "agent", l["sip_secret_set"], l["username"])
	}
	require.NotContains(t, out.String(), "$2a$")

	// Every change is audited, with no secret in the audit log.
	rows, err := db.Pool.Query(ctx, `SELECT action, detail::text FROM audit_log WHERE subject_type = 'user' ORDER BY id`)
	require.NoError(t, err)
	var actions []string
	for rows.Next() {
		var action, detail string
		require.NoError(t, rows.Scan(&action, &detail))
		actions = append(actions, action)
		for _, secret := range []string{"agent-pass-1", "newer-pass-100", "new-pass-99", "dir-pass-22", "sip-secret-7", "$2a$"} {
			require.NotContains(t, detail, secret)
		}
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"user.add", "user.add", "user.add", "user.password", "user.password", "user.sip_secret", "user.disable", "user.enable"}, actions)
}
