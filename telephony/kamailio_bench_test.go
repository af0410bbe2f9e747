package telephony

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony/kamailiotest"
)

// BenchmarkAgentLegThroughKamailio measures what Kamailio adds to reaching an agent's
// phone: the time from the gateway's INVITE to the agent's leg being up (200, ACK),
// through Kamailio (location lookup, Record-Route) against the same sipp phone registered
// to the gateway itself, 200 legs one after another each way; then legs set up through
// Kamailio by 16 callers at once, for a rate. Run with -benchtime 1x.
func BenchmarkAgentLegThroughKamailio(b *testing.B) {
	kamailiotest.Require(b)
	db := storetest.NewDB(b)
	ctx := context.Background()
	q := store.New(db.Pool)
	d, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "D1", Name: "测试4S店"})
	if err != nil {
		b.Fatal(err)
	}
	const users = 16
	creds := mapCredentials{}
	for i := range users {
		name := "bench" + strconv.Itoa(i)
		u, err := q.CreateUser(ctx, store.CreateUserParams{DealerID: d.ID, Username: name, DisplayName: name, Role: "agent", PasswordHash: "x"})
		if err != nil {
			b.Fatal(err)
		}
		ha1 := HA1(name, store.SIPRealm, "pw")
		if _, err := db.Pool.Exec(ctx, "UPDATE users SET sip_ha1 = $1 WHERE id = $2", ha1, u.ID); err != nil {
			b.Fatal(err)
		}
		creds[name] = Agent{Username: name, HA1: ha1, UserID: u.ID, DealerID: d.ID}
	}
	proxyPort := freePort(b)
	proxy := "127.0.0.1:" + strconv.Itoa(proxyPort)
	viaProxy := newTestGateway(b, Config{Credentials: creds, AgentProxy: proxy})
	direct := newTestGateway(b, Config{Credentials: creds})
	k := kamailiotest.Start(b, kamailiotest.Options{DB: db, Gateways: []string{viaProxy.Addr()}, Port: proxyPort})
	phone := runSippN(b, "uas_phone_quiet.xml", "udp", "", 100000, nil)
	for name := range creds {
		for _, registrar := range []string{k.Addr, direct.Addr()} {
			reg := startSippUAC(b, "uac_register.xml", "udp", registrar, "user", name, "password", "pw", "contact_port", strconv.Itoa(phone.Port))
			if err := reg.Wait(b); err != nil {
				b.Fatal(err)
			}
		}
	}
	leg := func(g *Gateway, user string) (time.Duration, error) {
		start := time.Now()
		end, err := g.legForCall(ctx, user)
		if err != nil {
			return 0, err
		}
		took := time.Since(start)
		end()
		return took, nil
	}
	series := func(g *Gateway) []time.Duration {
		var out []time.Duration
		for range 200 {
			d, err := leg(g, "bench0")
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, d)
		}
		slices.Sort(out)
		return out
	}
	b.ResetTimer()
	for range b.N {
		direct1 := series(direct)
		kam := series(viaProxy)
		b.ReportMetric(float64(direct1[len(direct1)/2].Microseconds()), "direct-p50-µs")
		b.ReportMetric(float64(kam[len(kam)/2].Microseconds()), "kamailio-p50-µs")
		b.ReportMetric(float64(direct1[len(direct1)*99/100].Microseconds()), "direct-p99-µs")
		b.ReportMetric(float64(kam[len(kam)*99/100].Microseconds()), "kamailio-p99-µs")

		// 16 callers at once, each its own agent, for 3 s.
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			legs  int
			fails int
		)
		stop := time.Now().Add(3 * time.Second)
		t0 := time.Now()
		for i := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(stop) {
					_, err := leg(viaProxy, "bench"+strconv.Itoa(i))
					mu.Lock()
					if err != nil {
						if fails == 0 {
							b.Logf("first failure: %v", err)
						}
						fails++
					} else {
						legs++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		b.ReportMetric(float64(legs)/time.Since(t0).Seconds(), "kamailio-legs/s")
		b.ReportMetric(float64(fails), "failed")
	}
}
