//go:build faults

package faults

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

// proc is a huifang process of the lab other than l.serve (a worker, a second serve).
type proc struct {
	cmd *exec.Cmd
	log string
}

// start runs `huifang args...` with the lab's environment plus extra (later entries win),
// its output in a log file of the lab's directory.
func (l *lab) start(name string, extra []string, args ...string) *proc {
	l.serveN++
	p := &proc{log: filepath.Join(l.dir, fmt.Sprintf("%s-%d.log", name, l.serveN))}
	f, err := os.Create(p.log)
	require.NoError(l.t, err)
	p.cmd = exec.Command(l.bin, args...)
	// The SMS callbacks' listener has a fixed default port another process may hold.
	p.cmd.Env = append(append(l.env(), "HUIFANG_SMS_CALLBACK_ADDR=off"), extra...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	require.NoError(l.t, p.cmd.Start())
	cmd := p.cmd
	l.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return p
}

func (p *proc) stop(t *testing.T, sig syscall.Signal) {
	require.NoError(t, p.cmd.Process.Signal(sig))
	_ = p.cmd.Wait()
}

// logSize is the size of the process's log so far.
func (p *proc) logSize(t *testing.T) int64 {
	st, err := os.Stat(p.log)
	require.NoError(t, err)
	return st.Size()
}

// waitListen waits until addr accepts TCP connections.
func waitListen(t *testing.T, addr string) {
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 60*time.Second, 100*time.Millisecond, "%s listens", addr)
}

// TestFaultsWorkerProcess: the SMS campaign runs on a separate `huifang worker` process
// (the relay, the sweep and the Asynq worker), which is killed (SIGKILL) or stopped
// (SIGTERM) once a third of the messages has arrived; another worker process starts.
func TestFaultsWorkerProcess(t *testing.T) {
	l := newLab(t)
	var rows []result
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		l.redis = startRedis(t, true)
		w := l.start("worker", nil, "worker")
		code := fmt.Sprintf("worker-%d", sig)
		phones := l.campaign(code, campaignSize)
		l.waitReceived(phones, campaignSize/3)
		w.stop(t, sig)
		w = l.start("worker", nil, "worker")
		rows = append(rows, l.settle(fmt.Sprintf("`worker` process %s mid-campaign", signalName(sig)), code, phones, time.Now()))
		w.stop(t, syscall.SIGTERM)
		l.redis.kill()
	}
	printRows(rows)
	for _, r := range rows {
		require.Zero(t, r.duplicated, r.fault)
		require.Zero(t, r.lost, r.fault)
	}
}

// TestFaultsBuildKilled: a worker process is killed (SIGKILL) while it builds the queue of
// a dealer of buildCustomers customers (the queue build of a showroom visit or a rule
// change, an outbox row); another worker starts. The build's transaction rolls back, the
// relay's check gives the task to the new worker once Asynq's lease of the dead one has
// expired, the build runs to its end: the row is done, no customer has two open tasks, and
// a build run by hand afterwards adds nothing (nothing was lost).
func TestFaultsBuildKilled(t *testing.T) {
	const buildCustomers = 50000
	l := newLab(t)
	ctx := context.Background()
	l.redis = startRedis(t, true)
	defer l.redis.kill()
	// A database of its own: the benchmark data of queue/testdata chooses its own ids.
	_, err := l.db.Exec(ctx, `CREATE DATABASE build`)
	require.NoError(t, err)
	dbURL := strings.Replace(l.pg.url(), "/postgres?", "/build?", 1)
	extra := []string{"DATABASE_URL=" + dbURL}
	require.NoError(t, l.start("migrate", extra, "migrate").cmd.Wait())
	db, err := pgxpool.New(ctx, dbURL)
	require.NoError(t, err)
	defer db.Close()
	var dealer int64
	var today time.Time
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO dealers (code, name) VALUES ('BK', '构建故障店') RETURNING id, (now() AT TIME ZONE time_zone)::date`).Scan(&dealer, &today))
	src, err := os.ReadFile(filepath.Join("..", "..", "..", "queue", "testdata", "bench_data.sql"))
	require.NoError(t, err)
	t0 := time.Now()
	for _, stmt := range strings.Split(string(src), ";\n") {
		if strings.TrimSpace(stripComments(stmt)) == "" {
			continue
		}
		_, err := db.Exec(ctx, stmt, pgx.NamedArgs{"dealer": dealer, "day": today, "n": buildCustomers})
		require.NoError(t, err, stmt)
	}
	_, err = db.Exec(ctx, `ANALYZE`)
	require.NoError(t, err)
	t.Logf("%d customers generated in %s", buildCustomers, time.Since(t0).Round(time.Second))

	var row int64
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO outbox (dealer_id, task_type, payload) VALUES ($1, 'queue:build', jsonb_build_object('dealer_id', $1::bigint, 'day', $2::text)) RETURNING id`,
		dealer, today.Format(time.DateOnly)).Scan(&row))
	w := l.start("worker", extra, "worker")
	building := func() bool {
		var n int
		// The build holds the dealer's advisory lock for its transaction.
		require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
			AND database = (SELECT oid FROM pg_database WHERE datname = 'build')`).Scan(&n))
		return n > 0
	}
	require.Eventually(t, building, 60*time.Second, 20*time.Millisecond, "the build starts")
	time.Sleep(time.Second) // into the build: the fault is injected a second after it started
	require.True(t, building(), "still building when killed")
	w.stop(t, syscall.SIGKILL)
	w = l.start("worker", extra, "worker")
	ended := time.Now()
	var done *time.Time
	require.Eventually(t, func() bool {
		require.NoError(t, db.QueryRow(ctx, `SELECT done_at FROM outbox WHERE id = $1`, row).Scan(&done))
		return done != nil
	}, 3*time.Minute, 200*time.Millisecond, "the build is redone")
	r := result{fault: fmt.Sprintf("`worker` SIGKILL during a queue build (%d customers)", buildCustomers), recovery: done.Sub(ended)}
	w.stop(t, syscall.SIGTERM)

	var tasks, twice int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM call_tasks WHERE dealer_id = $1`, dealer).Scan(&tasks))
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM (SELECT customer_id FROM call_tasks WHERE status = 'open' GROUP BY 1 HAVING count(*) > 1) x`).Scan(&twice))
	r.duplicated = twice
	out, err := func() ([]byte, error) {
		c := exec.Command(l.bin, "queue", "build", "--dealer", "BK", "--date", today.Format(time.DateOnly))
		c.Env = append(l.env(), extra...)
		return c.CombinedOutput()
	}()
	require.NoError(t, err, "%s", out)
	m := regexp.MustCompile(`\((\d+) new,`).FindSubmatch(out)
	require.NotNil(t, m, "%s", out)
	if string(m[1]) != "0" {
		r.lost = 1
	}
	t.Logf("%s: %d tasks, %d customers with two open tasks, build by hand afterwards: %s; redone %.1f s after the new worker started",
		r.fault, tasks, twice, strings.TrimSpace(string(out)), r.recovery.Seconds())
	require.Positive(t, tasks)
	printRows([]result{r})
	require.Zero(t, r.duplicated)
	require.Zero(t, r.lost)
}

// stripComments drops the SQL comment lines of a statement.
func stripComments(stmt string) string {
	var b strings.Builder
	for _, line := range strings.Split(stmt, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// TestFaultsLoginBurst: 200 wrong-password logins for one agent at once from the call
// center's one address (issue 18: all 200 reached bcrypt, saturated both cores for 12 s,
// then every account was locked for 15 minutes). Counted: the answers, how long the burst
// took to be answered, and whether the other users at the same address log in during and
// after it (a user who cannot is counted lost).
func TestFaultsLoginBurst(t *testing.T) {
	l := newLab(t)
	l.redis = startRedis(t, true)
	defer l.redis.kill()
	pw := filepath.Join(l.dir, "pw")
	require.NoError(t, os.WriteFile(pw, []byte("faults-password-1\n"), 0o600))
	for _, u := range []struct{ name, role string }{{"agent1", "agent"}, {"agent2", "agent"}, {"agent3", "agent"}, {"director1", "director"}} {
		l.run("user", "add", "--dealer", "F1", "--username", u.name, "--name", u.name, "--role", u.role, "--password-file", pw)
	}
	s := l.start("serve", nil, "serve")
	defer s.stop(t, syscall.SIGTERM)
	waitListen(t, l.httpAddr)
	base := "http://" + l.httpAddr

	login := func(c *http.Client, tok, user, password string) (int, time.Duration) {
		t0 := time.Now()
		resp, err := c.PostForm(base+"/login", url.Values{"csrf": {tok}, "username": {user}, "password": {password}})
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, time.Since(t0)
	}
	attacker, tok := loginClient(t, base)
	statuses := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _ := login(attacker, tok, "agent1", "wrong-password")
			mu.Lock()
			statuses[code]++
			mu.Unlock()
		}()
	}
	// The rest of the call center logs in while the burst is answered.
	var during []string
	var slowest time.Duration
	for _, u := range []string{"agent2", "director1"} {
		c, tok := loginClient(t, base)
		code, took := login(c, tok, u, "faults-password-1")
		slowest = max(slowest, took)
		if code != http.StatusOK {
			during = append(during, fmt.Sprintf("%s %d", u, code))
		}
	}
	wg.Wait()
	burst := time.Since(t0)
	lost := len(during)
	c, tok := loginClient(t, base)
	if code, _ := login(c, tok, "agent3", "faults-password-1"); code != http.StatusOK {
		lost++
		during = append(during, fmt.Sprintf("agent3 after %d", code))
	}
	t.Logf("login burst: answers %v in %s; other users during the burst: slowest login %s; refused: %v", statuses, burst.Round(time.Millisecond), slowest.Round(time.Millisecond), during)
	fmt.Printf("\n| login burst: 200 wrong passwords at once for one agent from the office's address | answers %v in %.1f s; the other users there log in during it (slowest %.2f s) and after | lost %d |\n",
		statuses, burst.Seconds(), slowest.Seconds(), lost)
	require.Zero(t, lost, "users locked out: %v", during)
	require.Equal(t, 200, statuses[http.StatusUnauthorized]+statuses[http.StatusTooManyRequests], "%v", statuses)
}

// loginClient returns a client with a cookie jar and the CSRF token of the login form.
func loginClient(t *testing.T, base string) (*http.Client, string) {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	// A login answers 303 to the console; the client stops there (200 means logged in).
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second}
	resp, err := c.Get(base + "/login")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	require.NotNil(t, m, "no CSRF token in the login form")
	return c, string(m[1])
}

// TestFaultsSIPJunk: 1,000 junk UDP packets (random bytes and cut or garbled SIP requests)
// at serve's SIP port. Counted: the bytes and lines of log they cause (issue 18: 746 KB
// for 1,000 packets), and how long until the gateway answers an OPTIONS again.
func TestFaultsSIPJunk(t *testing.T) {
	l := newLab(t)
	l.redis = startRedis(t, true)
	defer l.redis.kill()
	sipAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := l.start("serve", []string{"HUIFANG_SIP_ADDR=" + sipAddr}, "serve")
	defer s.stop(t, syscall.SIGTERM)
	waitListen(t, l.httpAddr)
	require.Eventually(t, func() bool { return optionsAnswered(sipAddr) }, 30*time.Second, 200*time.Millisecond, "the gateway answers")
	before := s.logSize(t)
	beforeLines := countLines(t, s.log)

	c, err := net.Dial("udp", sipAddr)
	require.NoError(t, err)
	defer c.Close()
	rng := rand.New(rand.NewPCG(18, 18))
	valid := "OPTIONS sip:" + sipAddr + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-junk\r\nFrom: <sip:x@127.0.0.1>;tag=1\r\nTo: <sip:" + sipAddr + ">\r\nCall-ID: junk\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	for i := 0; i < 1000; i++ {
		var p []byte
		switch i % 3 {
		case 0:
			p = make([]byte, 1+rng.IntN(1200))
			for j := range p {
				p[j] = byte(rng.IntN(256))
			}
		case 1:
			p = []byte(valid[:1+rng.IntN(len(valid)-1)])
		default:
			b := []byte(valid)
			for k := 0; k < 5; k++ {
				b[rng.IntN(len(b))] = byte(rng.IntN(256))
			}
			p = b
		}
		_, err := c.Write(p)
		require.NoError(t, err)
	}
	ended := time.Now()
	require.Eventually(t, func() bool { return optionsAnswered(sipAddr) }, 60*time.Second, 100*time.Millisecond)
	back := time.Since(ended)
	time.Sleep(2 * time.Second) // lines logged late (a rate-limited summary) are counted
	bytes := s.logSize(t) - before
	lines := countLines(t, s.log) - beforeLines
	t.Logf("SIP junk: 1000 packets, %d log lines, %d bytes of log; OPTIONS answered %.2f s after the last packet", lines, bytes, back.Seconds())
	fmt.Printf("\n| SIP junk: 1,000 malformed UDP packets at the SIP port | %d log lines, %d bytes of log | answers OPTIONS %.2f s after the last packet |\n",
		lines, bytes, back.Seconds())
	require.Less(t, lines, 60, "junk is not logged packet by packet")
}

// optionsAnswered sends one OPTIONS over UDP and reports whether a SIP response came back.
func optionsAnswered(addr string) bool {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	branch := fmt.Sprintf("z9hG4bK-%d", time.Now().UnixNano())
	local := c.LocalAddr().String()
	req := "OPTIONS sip:" + addr + " SIP/2.0\r\nVia: SIP/2.0/UDP " + local + ";branch=" + branch + ";rport\r\nFrom: <sip:probe@127.0.0.1>;tag=" + branch +
		"\r\nTo: <sip:" + addr + ">\r\nCall-ID: " + branch + "\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		return false
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	return err == nil && strings.HasPrefix(string(buf[:n]), "SIP/2.0 ")
}

func countLines(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.Count(string(b), "\n")
}

// printRows prints rows of the fault table.
func printRows(rows []result) {
	fmt.Println()
	for _, r := range rows {
		if r.messages == 0 {
			fmt.Printf("| %s | - | - | %d | - | %d | %.1f s |\n", r.fault, r.duplicated, r.lost, r.recovery.Seconds())
			continue
		}
		fmt.Printf("| %s | %d | %d | %d | %d (%d) | %d | %.1f s |\n", r.fault, r.messages, r.received, r.duplicated,
			r.uncertain, r.uncertainReceived, r.lost, r.recovery.Seconds())
	}
}
