//go:build faults

package faults

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/telephony/sms/kanneltest"
)

// The size of each experiment: messages per campaign and the rate they go out at.
const (
	campaignSize = 1500
	smsRate      = 100
)

// lab is the private world the experiments run in.
type lab struct {
	t        *testing.T
	dir      string
	bin      string
	pg       *postgres
	redis    *redisServer
	kannel   *kanneltest.Kannel
	db       *pgxpool.Pool
	dealer   int64
	httpAddr string
	serve    *exec.Cmd
	serveN   int
	phoneSeq int
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// asPostgres runs a Postgres binary as the postgres user when we are root (initdb refuses root).
func asPostgres(name string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

// postgres is a private cluster.
type postgres struct {
	t    *testing.T
	dir  string
	port int
}

func startPostgres(t *testing.T) *postgres {
	dir, err := os.MkdirTemp("", "huifang-faults-pg-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		require.NoError(t, err, "run as root: the postgres user runs the private cluster")
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		require.NoError(t, os.Chown(dir, uid, gid))
	}
	p := &postgres{t: t, dir: dir, port: freePort(t)}
	out, err := asPostgres("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8").CombinedOutput()
	require.NoError(t, err, "initdb: %s", out)
	p.ctl("start", "-w")
	t.Cleanup(func() {
		_ = asPostgres("pg_ctl", "-D", filepath.Join(dir, "data"), "stop", "-m", "immediate").Run()
		_ = os.RemoveAll(dir)
	})
	return p
}

func (p *postgres) ctl(args ...string) {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", p.port, p.dir)
	all := append([]string{"-D", filepath.Join(p.dir, "data"), "-l", filepath.Join(p.dir, "log"), "-o", opts}, args...)
	out, err := asPostgres("pg_ctl", all...).CombinedOutput()
	require.NoError(p.t, err, "pg_ctl %v: %s", args, out)
}

func (p *postgres) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// redisServer is a private redis-server, restartable with or without its append-only file.
type redisServer struct {
	t    *testing.T
	dir  string
	port int
	aof  bool
	cmd  *exec.Cmd
}

func startRedis(t *testing.T, aof bool) *redisServer {
	r := &redisServer{t: t, dir: t.TempDir(), port: freePort(t), aof: aof}
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *redisServer) start() {
	ao := "no"
	if r.aof {
		ao = "yes"
	}
	r.cmd = exec.Command("redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(r.port), "--dir", r.dir,
		"--save", "", "--appendonly", ao, "--appendfsync", "always", "--logfile", filepath.Join(r.dir, "redis.log"))
	require.NoError(r.t, r.cmd.Start())
	require.Eventually(r.t, func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.port))
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 10*time.Second, 50*time.Millisecond)
}

func (r *redisServer) kill() {
	if r.cmd != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

func (r *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func newLab(t *testing.T) *lab {
	if !kanneltest.Available() {
		t.Skip("kannel not installed; run .ci/test-tools.sh")
	}
	for _, b := range []string{"initdb", "pg_ctl", "redis-server"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed", b)
		}
	}
	dir, err := os.MkdirTemp("", "huifang-faults-")
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	l := &lab{t: t, dir: dir}
	root, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err)
	l.bin = filepath.Join(l.dir, "huifang")
	build := exec.Command("go", "build", "-o", l.bin, "./cmd/huifang")
	build.Dir = filepath.Dir(strings.TrimSpace(string(root)))
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build: %s", out)
	l.pg = startPostgres(t)
	l.kannel = kanneltest.Start(t, kanneltest.Options{})
	l.httpAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	l.run("migrate")
	ctx := context.Background()
	l.db, err = pgxpool.New(ctx, l.pg.url())
	require.NoError(t, err)
	t.Cleanup(l.db.Close)
	d, err := store.New(l.db).EnsureDealer(ctx, store.EnsureDealerParams{Code: "F1", Name: "故障测试店"})
	require.NoError(t, err)
	l.dealer = d.ID
	return l
}

func (l *lab) env() []string {
	redisURL := ""
	if l.redis != nil {
		redisURL = l.redis.url()
	}
	return append(os.Environ(),
		"DATABASE_URL="+l.pg.url(), "REDIS_URL="+redisURL, "HUIFANG_HTTP_ADDR="+l.httpAddr,
		fmt.Sprintf("HUIFANG_SIP_ADDR=127.0.0.1:%d", freePort(l.t)), "HUIFANG_METRICS_ADDR=off",
		"HUIFANG_RECORDINGS_DIR="+filepath.Join(l.dir, "recordings"), "HUIFANG_LOG_LEVEL=info",
		"HUIFANG_KANNEL_SENDSMS_URL="+l.kannel.SendURL, "HUIFANG_KANNEL_USER="+l.kannel.Username,
		"HUIFANG_KANNEL_PASSWORD="+l.kannel.Password, "HUIFANG_KANNEL_FROM=106900001",
		"HUIFANG_KANNEL_DLR_MASK=19", fmt.Sprintf("HUIFANG_SMS_RATE=%d", smsRate),
		"HUIFANG_SMS_CALLBACK_URL=http://"+l.httpAddr+"/sms/kannel", "HUIFANG_SMS_TOKEN=faults-token-0123456789")
}

func (l *lab) run(args ...string) {
	cmd := exec.Command(l.bin, args...)
	cmd.Env = l.env()
	out, err := cmd.CombinedOutput()
	require.NoError(l.t, err, "huifang %v: %s", args, out)
}

// startServe runs `huifang serve` (with --only parts, when given), its log in the lab's
// directory, and waits for its HTTP port when it serves HTTP.
func (l *lab) startServe(only ...string) {
	l.serveN++
	f, err := os.Create(filepath.Join(l.dir, fmt.Sprintf("serve-%d.log", l.serveN)))
	require.NoError(l.t, err)
	args := []string{"serve"}
	if len(only) > 0 {
		args = append(args, "--only", strings.Join(only, ","))
	}
	l.serve = exec.Command(l.bin, args...)
	l.serve.Env = l.env()
	l.serve.Stdout, l.serve.Stderr = f, f
	require.NoError(l.t, l.serve.Start())
	cmd := l.serve
	l.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	if len(only) > 0 {
		return
	}
	require.Eventually(l.t, func() bool {
		c, err := net.Dial("tcp", l.httpAddr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 60*time.Second, 100*time.Millisecond, "serve listens")
}

func (l *lab) stopServe(sig syscall.Signal) {
	require.NoError(l.t, l.serve.Process.Signal(sig))
	_ = l.serve.Wait()
}

// campaign queues one SMS to each of n new customers and returns their phones.
func (l *lab) campaign(code string, n int) map[string]bool {
	ctx := context.Background()
	phones := map[string]bool{}
	var ids []int64
	for i := 0; i < n; i++ {
		l.phoneSeq++
		phone := fmt.Sprintf("137%08d", l.phoneSeq)
		var id int64
		require.NoError(l.t, l.db.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, title, phone, phone_valid) VALUES ($1, $2, '先生', $3, true) RETURNING id`,
			l.dealer, fmt.Sprintf("客户%d", l.phoneSeq), phone).Scan(&id))
		ids = append(ids, id)
		phones[phone] = true
	}
	_, err := notify.StartSMSBroadcast(ctx, l.db, notify.SMSBroadcastParams{DealerID: l.dealer, Code: code, Template: "leave_store_care",
		Day: time.Now(), Audience: notify.SMSAudience{CustomerIDs: ids}})
	require.NoError(l.t, err)
	return phones
}

// received counts, per phone of the set, the messages the fake SMS centre got.
func (l *lab) received(phones map[string]bool) map[string]int {
	out := map[string]int{}
	for _, m := range l.kannel.Received() {
		if phones[m.To] {
			out[m.To]++
		}
	}
	return out
}

// waitReceived waits until the fake SMS centre has at least n of the set's phones.
func (l *lab) waitReceived(phones map[string]bool, n int) {
	require.Eventually(l.t, func() bool { return len(l.received(phones)) >= n }, 120*time.Second, 100*time.Millisecond)
}

// result is one row of the table.
type result struct {
	fault                                           string
	messages, received, duplicated, uncertain, lost int
	uncertainReceived                               int
	recovery                                        time.Duration
}

// settle waits until no message of the campaign is queued or sending and the fake SMS
// centre has every message recorded as sent, and counts.
func (l *lab) settle(fault, code string, phones map[string]bool, faultEnded time.Time) result {
	ctx := context.Background()
	var settledAt time.Time
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		var open, sent int
		require.NoError(l.t, l.db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE m.status IN ('queued', 'sending')),
			count(*) FILTER (WHERE m.status IN ('sent', 'delivered'))
			FROM sms_messages m JOIN broadcasts k ON k.id = m.broadcast_id WHERE k.code = $1`, code).Scan(&open, &sent))
		if open == 0 && settledAt.IsZero() {
			settledAt = time.Now()
		}
		if open == 0 && len(l.received(phones)) >= sent {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.False(l.t, settledAt.IsZero(), "%s: messages still queued or sending after 5 minutes", fault)
	got := l.received(phones)
	r := result{fault: fault, messages: len(phones), recovery: settledAt.Sub(faultEnded)}
	if r.recovery < 0 {
		r.recovery = 0
	}
	uncertain := map[string]bool{}
	rows, err := l.db.Query(ctx, `SELECT m.phone FROM sms_messages m JOIN broadcasts k ON k.id = m.broadcast_id
		WHERE k.code = $1 AND m.status = 'uncertain'`, code)
	require.NoError(l.t, err)
	for rows.Next() {
		var p string
		require.NoError(l.t, rows.Scan(&p))
		uncertain[p] = true
	}
	require.NoError(l.t, rows.Err())
	for p := range phones {
		n := got[p]
		if n > 0 {
			r.received++
		}
		if n > 1 {
			r.duplicated++
		}
		if uncertain[p] {
			r.uncertain++
			if n > 0 {
				r.uncertainReceived++
			}
		} else if n == 0 {
			r.lost++
		}
	}
	l.t.Logf("%s: %d messages, %d received, %d duplicated, %d uncertain (%d of them received), %d lost, recovered %.1f s after the fault ended",
		fault, r.messages, r.received, r.duplicated, r.uncertain, r.uncertainReceived, r.lost, r.recovery.Seconds())
	return r
}

// TestFaults runs every experiment and prints the table.
func TestFaults(t *testing.T) {
	l := newLab(t)
	var rows []result

	// serve killed or stopped mid-campaign.
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		l.redis = startRedis(t, true)
		l.startServe()
		code := fmt.Sprintf("serve-%d", sig)
		phones := l.campaign(code, campaignSize)
		l.waitReceived(phones, campaignSize/3)
		l.stopServe(sig)
		l.startServe()
		rows = append(rows, l.settle(fmt.Sprintf("serve %s mid-campaign (DLR mask 19)", signalName(sig)), code, phones, time.Now()))
		l.stopServe(syscall.SIGTERM)
		l.redis.kill()
	}

	// Redis killed mid-campaign, with and without its append-only file, and a 20 s outage.
	for _, c := range []struct {
		name   string
		aof    bool
		outage time.Duration
	}{{"Redis SIGKILL, no AOF (restarts empty)", false, 0}, {"Redis SIGKILL, AOF", true, 0}, {"Redis down 20 s (AOF)", true, 20 * time.Second}} {
		l.redis = startRedis(t, c.aof)
		l.startServe()
		code := fmt.Sprintf("redis-%d", len(rows))
		phones := l.campaign(code, campaignSize)
		l.waitReceived(phones, campaignSize/3)
		l.redis.kill()
		time.Sleep(c.outage) // the outage itself: the fault lasts this long
		l.redis.start()
		rows = append(rows, l.settle(c.name+" mid-campaign", code, phones, time.Now()))
		l.stopServe(syscall.SIGTERM)
		l.redis.kill()
	}

	// Postgres restarted (immediate shutdown, as a crash) mid-campaign.
	l.redis = startRedis(t, true)
	l.startServe()
	phones := l.campaign("pg-restart", campaignSize)
	l.waitReceived(phones, campaignSize/3)
	l.pg.ctl("restart", "-m", "immediate", "-w")
	rows = append(rows, l.settle("Postgres restart (immediate) mid-campaign", "pg-restart", phones, time.Now()))
	l.stopServe(syscall.SIGTERM)
	l.redis.kill()

	// A showroom visit's queue build, handed to Redis, lost with it (no AOF, no worker yet).
	rows = append(rows, l.lostBuild())

	fmt.Println()
	fmt.Println("| fault | messages | received | duplicated | uncertain (received) | lost | recovery after the fault ended |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, r := range rows {
		if r.messages == 0 {
			fmt.Printf("| %s | - | - | - | - | %d | %.1f s |\n", r.fault, r.lost, r.recovery.Seconds())
			continue
		}
		fmt.Printf("| %s | %d | %d | %d | %d (%d) | %d | %.1f s |\n", r.fault, r.messages, r.received, r.duplicated,
			r.uncertain, r.uncertainReceived, r.lost, r.recovery.Seconds())
	}
	for _, r := range rows {
		require.Zero(t, r.duplicated, r.fault)
		require.Zero(t, r.lost, r.fault)
	}
}

// lostBuild: serve runs only the relay, which hands a build over; Redis restarts empty;
// then the whole serve starts: the relay's check enqueues the build again and it runs.
func (l *lab) lostBuild() result {
	ctx := context.Background()
	l.redis = startRedis(l.t, false)
	defer l.redis.kill()
	var id int64
	require.NoError(l.t, l.db.QueryRow(ctx, `INSERT INTO outbox (dealer_id, task_type, payload) VALUES ($1, 'queue:build', jsonb_build_object('dealer_id', $1::bigint)) RETURNING id`,
		l.dealer).Scan(&id))
	l.startServe("relay")
	require.Eventually(l.t, func() bool {
		var relayed *time.Time
		require.NoError(l.t, l.db.QueryRow(ctx, `SELECT relayed_at FROM outbox WHERE id = $1`, id).Scan(&relayed))
		return relayed != nil
	}, 60*time.Second, 100*time.Millisecond)
	l.stopServe(syscall.SIGTERM)
	l.redis.kill()
	var done *time.Time
	l.redis.start()
	ended := time.Now()
	l.startServe()
	r := result{fault: "queue build handed to Redis, Redis restarted empty"}
	ok := false
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		require.NoError(l.t, l.db.QueryRow(ctx, `SELECT done_at FROM outbox WHERE id = $1`, id).Scan(&done))
		if done != nil {
			ok = true
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	r.recovery = time.Since(ended)
	if !ok {
		r.lost = 1
	}
	l.t.Logf("%s: lost %d, redone %.1f s after Redis came back", r.fault, r.lost, r.recovery.Seconds())
	l.stopServe(syscall.SIGTERM)
	return r
}

func signalName(s syscall.Signal) string {
	if s == syscall.SIGKILL {
		return "SIGKILL"
	}
	return "SIGTERM"
}
