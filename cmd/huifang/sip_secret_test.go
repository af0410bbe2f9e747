package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony"
	"github.com/huifang/huifang/telephony/sipptest"
)

// TestSIPSecretIsNotTheConsolePassword performs the attacks of issue 12 item 2 with a real
// phone (sipp) against the gateway as serve wires it (storeAgents on Postgres): a phone
// registering with an agent's console password, and an admin's or director's phone
// registering at all, are refused (403); only the agent's own SIP secret registers. The
// users table (a database backup) holds neither the console password nor the SIP secret.
func TestSIPSecretIsNotTheConsolePassword(t *testing.T) {
	sipptest.Require(t)
	ctx := context.Background()
	db := storetest.New(t)
	q := store.New(db)
	d, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "SEC", Name: "安全测试店"})
	require.NoError(t, err)
	const consolePW = "console-pass-1"
	secrets := map[string]string{}
	for _, u := range []struct{ name, role string }{{"sec.agent", "agent"}, {"sec.director", "director"}, {"sec.admin", "admin"}} {
		_, secret, err := store.AddUser(ctx, db, store.NewUser{DealerID: d.ID, Username: u.name, Role: u.role, Password: consolePW}, cliActor)
		require.NoError(t, err)
		require.Equal(t, u.role == "agent", secret != "", u.name)
		secrets[u.name] = secret
	}
	gw, err := telephony.New(telephony.Config{ListenAddr: "127.0.0.1:0", Realm: store.SIPRealm, Credentials: storeAgents{q: q},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	require.NoError(t, gw.Start())
	t.Cleanup(func() { _ = gw.Close() })
	testdata := filepath.Join("..", "..", "telephony", "testdata")
	register := func(scenario, user, password string) error {
		p := sipptest.Start(t, sipptest.Options{Scenario: filepath.Join(testdata, scenario), Remote: gw.Addr(),
			Keys: []string{"user", user, "password", password, "contact_port", "5099"}})
		return p.Wait(t)
	}
	for _, tc := range []struct{ name, user, password string }{
		{"an agent with the console password", "sec.agent", consolePW},
		{"a director with the console password", "sec.director", consolePW},
		{"an admin with the console password", "sec.admin", consolePW},
		{"an admin with the agent's secret", "sec.admin", secrets["sec.agent"]},
	} {
		require.NoError(t, register("uac_register_refused.xml", tc.user, tc.password), "%s: refused with 403", tc.name)
		require.False(t, gw.Registered(tc.user), tc.name)
	}
	require.NoError(t, register("uac_register.xml", "sec.agent", secrets["sec.agent"]))
	require.True(t, gw.Registered("sec.agent"))

	// A database backup: no column of users holds a secret.
	rows, err := db.Query(ctx, `SELECT to_jsonb(u)::text FROM users u`)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var row string
		require.NoError(t, rows.Scan(&row))
		require.NotContains(t, row, consolePW)
		require.NotContains(t, row, secrets["sec.agent"])
	}
	require.NoError(t, rows.Err())
}

// TestSIPConfig checks the SIP security settings: defaults, bad values named, and the TLS
// files that go together.
func TestSIPConfig(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(name string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == name {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	c, err := loadConfig(env())
	require.NoError(t, err)
	require.Equal(t, 10, c.SIPAuthFailures)
	require.Equal(t, 15*time.Minute, c.SIPAuthLockout)
	require.Equal(t, time.Minute, c.SIPRTPTimeout)
	require.Empty(t, c.SIPTLSAddr, "no TLS without a certificate")
	c, err = loadConfig(env("HUIFANG_SIP_TLS_CERT_FILE", "c.pem", "HUIFANG_SIP_TLS_KEY_FILE", "k.pem", "HUIFANG_SIP_ADDR", "0.0.0.0:5060"))
	require.NoError(t, err)
	require.Equal(t, "0.0.0.0:5061", c.SIPTLSAddr)
	for _, bad := range [][]string{
		{"HUIFANG_SIP_TLS_CERT_FILE", "c.pem"},
		{"HUIFANG_SIP_AUTH_FAILURES", "0"},
		{"HUIFANG_SIP_AUTH_WINDOW", "soon"},
		{"HUIFANG_SIP_RTP_TIMEOUT", "-1s"},
	} {
		_, err := loadConfig(env(bad...))
		require.ErrorContains(t, err, strings.TrimSuffix(bad[0], "_FILE"), bad)
	}
}
