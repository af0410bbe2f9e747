package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony"
	"github.com/huifang/huifang/telephony/sipptest"
)

// countingAgents counts the registrar's lookups in Postgres.
type countingAgents struct {
	storeAgents
	n atomic.Int64
}

func (c *countingAgents) LookupAgent(ctx context.Context, user string) (telephony.Agent, error) {
	c.n.Add(1)
	return c.storeAgents.LookupAgent(ctx, user)
}

// TestSIPBruteForceLockedOut performs issue 12 item 3's attack: sipp guesses an agent's
// SIP secret with 300 REGISTERs at 150 per second from 127.0.0.1, while a director logs
// in to the console over and over. After HUIFANG_SIP_AUTH_FAILURES wrong answers the
// address is locked out: even the right secret from it is answered 403. The agent's own
// phone (127.0.0.2, registered before) still registers; Postgres saw a lookup or two,
// not one per guess; every console login during the flood succeeded.
func TestSIPBruteForceLockedOut(t *testing.T) {
	sipptest.Require(t)
	ctx := context.Background()
	db := storetest.New(t)
	q := store.New(db)
	d, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "BF", Name: "暴力破解测试店"})
	require.NoError(t, err)
	_, secret, err := store.AddUser(ctx, db, store.NewUser{DealerID: d.ID, Username: "bf.agent", Role: "agent", Password: "console-pass-1"}, cliActor)
	require.NoError(t, err)
	_, _, err = store.AddUser(ctx, db, store.NewUser{DealerID: d.ID, Username: "bf.director", Role: "director", Password: "director-pass-1"}, cliActor)
	require.NoError(t, err)

	// The console, as serve builds it.
	srv := httptest.NewUnstartedServer(nil)
	cfg := &config{PublicURL: "http://" + srv.Listener.Addr().String(), RecordingsDir: t.TempDir()}
	deps := &deps{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), db: db, mux: http.NewServeMux()}
	cp := newConsolePart(deps, nil)
	require.NoError(t, cp.err)
	srv.Config.Handler = deps.mux
	srv.Start()
	defer srv.Close()

	agents := &countingAgents{storeAgents: storeAgents{q: q}}
	const limit = 10
	gw, err := telephony.New(telephony.Config{ListenAddr: "127.0.0.1:0", Realm: store.SIPRealm, Credentials: agents,
		AuthFailures: limit, AuthWindow: 5 * time.Minute, AuthLockout: 15 * time.Minute,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	require.NoError(t, gw.Start())
	t.Cleanup(func() { _ = gw.Close() })
	testdata := filepath.Join("..", "..", "telephony", "testdata")
	register := func(scenario, from, password string, calls int, extra ...string) error {
		p := sipptest.Start(t, sipptest.Options{Scenario: filepath.Join(testdata, scenario), Remote: gw.Addr(), LocalIP: from,
			Calls: calls, Extra: extra, Keys: []string{"user", "bf.agent", "password", password, "contact_port", "5099"}})
		return p.Wait(t)
	}

	// The agent's phone registers from its own address.
	require.NoError(t, register("uac_register.xml", "127.0.0.2", secret, 1))

	// The console keeps answering logins during the flood.
	stop := make(chan struct{})
	var logins, failed atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if consoleLogin(srv.URL, "bf.director", "director-pass-1") {
				logins.Add(1)
			} else {
				failed.Add(1)
			}
		}
	}()
	lookupsBefore := agents.n.Load()
	require.NoError(t, register("uac_register_refused.xml", "127.0.0.1", "wrong-guess-1", 300, "-r", "150"), "every guess is refused")
	close(stop)
	wg.Wait()

	st := gw.SecurityStats()
	t.Logf("300 guesses: %d digest failures counted, %d lockouts, %d Postgres lookups; %d console logins during the flood, %d failed",
		st.AuthFailures, st.AuthLockouts, agents.n.Load()-lookupsBefore, logins.Load(), failed.Load())
	require.EqualValues(t, limit, st.AuthFailures, "guesses stop being checked at the limit")
	require.Positive(t, st.AuthLockouts)
	require.LessOrEqual(t, agents.n.Load()-lookupsBefore, int64(2), "lookups are cached, not one per guess")
	require.Positive(t, logins.Load())
	require.Zero(t, failed.Load(), "the console answered every login during the flood")

	// Locked: even the right secret from the attacker's address is refused.
	require.NoError(t, register("uac_register_refused.xml", "127.0.0.1", secret, 1), "the locked address is refused")
	// The agent's phone, from the address it registered from, still registers.
	require.NoError(t, register("uac_register.xml", "127.0.0.2", secret, 1))
}

// consoleLogin logs in to the console and reports whether it worked (303 to the console).
func consoleLogin(base, username, password string) bool {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(base + "/login")
	if err != nil {
		return false
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindSubmatch(body)
	if m == nil {
		return false
	}
	resp, err = c.PostForm(base+"/login", url.Values{"csrf": {string(m[1])}, "username": {username}, "password": {password}})
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusSeeOther
}
