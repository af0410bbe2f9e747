package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony"
	"github.com/huifang/huifang/telephony/sipptest"
)

// TestGatewayBindingsSurviveRestart registers a sipp phone with gateway A, closes A and
// starts gateway B on the same sip_bindings: B knows the phone at the same contact and
// calls it; an expired row and a row of a deactivated agent are not restored; the phone
// unregistering on B deletes its row.
func TestGatewayBindingsSurviveRestart(t *testing.T) {
	sipptest.Require(t)
	ctx := context.Background()
	db := storetest.New(t)
	q := store.New(db)
	dealer, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "REG", Name: "注册测试店"})
	require.NoError(t, err)
	users := map[string]store.User{}
	for _, name := range []string{"agent1", "agent2", "agent3"} {
		u, err := q.CreateUser(ctx, store.CreateUserParams{DealerID: dealer.ID, Username: name, Role: "agent",
			PasswordHash: "x", SipHa1: store.SIPHA1(name, store.SIPRealm, "pw-"+name)})
		require.NoError(t, err)
		users[name] = u
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	bindings := storeBindings{q: q}
	newGateway := func() *telephony.Gateway {
		gw, err := telephony.New(telephony.Config{ListenAddr: "127.0.0.1:0", Credentials: storeAgents{q: q},
			Bindings: bindings, Logger: log})
		require.NoError(t, err)
		require.NoError(t, gw.Start())
		t.Cleanup(func() { _ = gw.Close() })
		return gw
	}
	testdata := filepath.Join("..", "..", "telephony", "testdata")

	// agent1's phone registers with A; its Contact is where a second sipp answers calls.
	a := newGateway()
	phone := sipptest.Start(t, sipptest.Options{Scenario: filepath.Join(testdata, "uas_agent_phone.xml"),
		Keys: []string{"codec", "8", "pcap", "/usr/share/sip-tester/g711a.pcap"}})
	contactPort := strconv.Itoa(phone.Port)
	reg := sipptest.Start(t, sipptest.Options{Scenario: filepath.Join(testdata, "uac_register.xml"), Remote: a.Addr(),
		Keys: []string{"user", "agent1", "password", "pw-agent1", "contact_port", contactPort}})
	require.NoError(t, reg.Wait(t))
	onA, ok := a.RegisteredBinding("agent1")
	require.True(t, ok, "agent1 registered with A")
	row := sipBindingRow(t, q, "agent1")
	require.Equal(t, users["agent1"].ID, row.UserID)
	require.Equal(t, onA.Contact, row.Contact)
	require.Equal(t, "sip:agent1@127.0.0.1:"+contactPort, row.Contact)
	require.Equal(t, "UDP", row.Transport)
	require.WithinDuration(t, onA.Expires, row.ExpiresAt, time.Millisecond)

	// agent2's row has expired; agent3's is live but agent3 is no longer an active agent.
	require.NoError(t, bindings.SaveBinding(ctx, telephony.Binding{Username: "agent2", UserID: users["agent2"].ID,
		Contact: "sip:agent2@127.0.0.1:5999", Source: "127.0.0.1:5999", Transport: "UDP", Expires: time.Now().Add(-time.Minute)}))
	require.NoError(t, bindings.SaveBinding(ctx, telephony.Binding{Username: "agent3", UserID: users["agent3"].ID,
		Contact: "sip:agent3@127.0.0.1:5998", Source: "127.0.0.1:5998", Transport: "UDP", Expires: time.Now().Add(time.Hour)}))
	_, err = db.Exec(ctx, `UPDATE users SET active = false WHERE id = $1`, users["agent3"].ID)
	require.NoError(t, err)
	live, err := bindings.LoadBindings(ctx, time.Now())
	require.NoError(t, err)
	require.Len(t, live, 2, "the expired row is not loaded")

	// Restart: B is a new gateway on the same store.
	require.NoError(t, a.Close())
	b := newGateway()
	onB, ok := b.RegisteredBinding("agent1")
	require.True(t, ok, "agent1 is registered with B without registering again")
	require.True(t, b.Registered("agent1"))
	require.Equal(t, onA.Contact, onB.Contact)
	require.Equal(t, onA.UserID, onB.UserID)
	require.Equal(t, "UDP", onB.Transport)
	require.False(t, b.Registered("agent2"), "an expired binding is not restored")
	require.False(t, b.Registered("agent3"), "a deactivated agent's binding is not restored")

	// B reaches the phone at its restored contact: the agent's leg at login.
	legCtx, logout := context.WithCancel(ctx)
	legErr := make(chan error, 1)
	go func() {
		_, err := b.CallAgent(legCtx, "agent1")
		legErr <- err
	}()
	for i := 0; i < 400 && !b.AgentConnected("agent1"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	require.True(t, b.AgentConnected("agent1"), "B called agent1's phone")
	logout()
	select {
	case err := <-legErr:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the agent's leg did not end")
	}
	require.NoError(t, phone.Wait(t), "the phone got B's call and BYE")

	// The phone unregisters with B (Expires: 0): its row is gone.
	unreg := filepath.Join(t.TempDir(), "uac_unregister.xml")
	text, err := os.ReadFile(filepath.Join(testdata, "uac_register.xml"))
	require.NoError(t, err)
	require.Contains(t, string(text), "Expires: 300")
	require.NoError(t, os.WriteFile(unreg, []byte(strings.ReplaceAll(string(text), "Expires: 300", "Expires: 0")), 0o644))
	reg = sipptest.Start(t, sipptest.Options{Scenario: unreg, Remote: b.Addr(),
		Keys: []string{"user", "agent1", "password", "pw-agent1", "contact_port", contactPort}})
	require.NoError(t, reg.Wait(t))
	require.False(t, b.Registered("agent1"))
	var n int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM sip_bindings WHERE username = 'agent1'`).Scan(&n))
	require.Zero(t, n, "unregistering deletes the stored binding")
}

// sipBindingRow reads one stored binding.
func sipBindingRow(t *testing.T, q *store.Queries, username string) store.SipBinding {
	t.Helper()
	rows, err := q.ListLiveSipBindings(context.Background(), time.Now())
	require.NoError(t, err)
	for _, r := range rows {
		if r.Username == username {
			return r
		}
	}
	t.Fatalf("no live sip binding for %s", username)
	return store.SipBinding{}
}
