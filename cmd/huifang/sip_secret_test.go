package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

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
