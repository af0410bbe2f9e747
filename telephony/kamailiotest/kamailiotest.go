package kamailiotest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony/sipptest"
)

// Require skips the test when kamailio is not installed, unless it runs in CI.
func Require(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("kamailio"); err == nil {
		return
	}
	if _, err := os.Stat("/usr/sbin/kamailio"); err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("kamailio is not installed: .ci/test-tools.sh installs it (Debian packages kamailio, kamailio-postgres-modules)")
	}
	t.Skip("kamailio is not installed (Debian packages kamailio and kamailio-postgres-modules); CI installs it")
}

// Options say how Kamailio runs.
type Options struct {
	// DB is the test's schema, whose sip_subscribers view Kamailio checks phones against.
	DB *storetest.DB
	// Gateways are the gateways' HOST:PORT, the dispatcher set that may place calls.
	Gateways []string
	// Port is the loopback port to listen on (UDP and TCP); zero picks a free one.
	Port int
	// PingInterval is the seconds between OPTIONS probes of the gateways (default 1).
	PingInterval int
}

// Proxy is one running Kamailio.
type Proxy struct {
	// Addr is the HOST:PORT Kamailio listens on.
	Addr string
	ctl  string // the ctl socket's path, for kamcmd
	out  *storetest.SyncBuffer
	done chan struct{}
}

// Output returns what Kamailio logged so far.
func (p *Proxy) Output() string { return p.out.String() }

// Config returns the path of deploy/kamailio/kamailio.cfg in this repository.
func Config(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Join(filepath.Dir(file), "..", "..", "deploy", "kamailio", "kamailio.cfg")
}

// Start runs Kamailio on loopback until the test ends and waits until it answers.
func Start(t testing.TB, o Options) *Proxy {
	t.Helper()
	Require(t)
	for attempt := 1; ; attempt++ {
		p, bindFailed := start(t, o)
		if !bindFailed {
			return p
		}
		if attempt == 5 || o.Port != 0 {
			t.Fatalf("kamailio could not bind its port\n%s", p.Output())
		}
	}
}

func start(t testing.TB, o Options) (*Proxy, bool) {
	t.Helper()
	dir := t.TempDir()
	port := o.Port
	if port == 0 {
		port = sipptest.FreePort(t)
	}
	var list strings.Builder
	for _, g := range o.Gateways {
		fmt.Fprintf(&list, "1 sip:%s\n", g)
	}
	dsList := filepath.Join(dir, "dispatcher.list")
	require.NoError(t, os.WriteFile(dsList, []byte(list.String()), 0o644))
	ping := o.PingInterval
	if ping <= 0 {
		ping = 1
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := []string{"-f", Config(t), "-DD", "-E", "-m", "256", "-M", "16", "-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"),
		"-A", "LISTEN=udp:" + addr, "-A", "LISTEN_TCP=tcp:" + addr,
		"-A", `DBURL="` + dbURL(t, o.DB) + `"`,
		"-A", `SUBSCRIBERS="` + o.DB.Schema + `.sip_subscribers"`,
		"-A", `DISPATCHER_LIST="` + dsList + `"`,
		"-A", `CTL_SOCKET="unix:` + filepath.Join(dir, "ctl") + `"`,
		"-A", "DS_PING_INTERVAL=" + strconv.Itoa(ping),
		"-A", "DEBUG_LEVEL=2"}
	bin, err := exec.LookPath("kamailio")
	if err != nil {
		bin = "/usr/sbin/kamailio"
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	out := &storetest.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	p := &Proxy{Addr: addr, ctl: filepath.Join(dir, "ctl"), out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		// SIGTERM lets Kamailio's children end with it; SIGKILL only if it hangs.
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			cancel()
			<-p.done
		}
		cancel()
		if t.Failed() {
			t.Logf("kamailio output:\n%s", out.String())
		}
	})
	// Kamailio answers OPTIONS to itself once its workers run.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return p, strings.Contains(out.String(), "Address already in use")
		default:
		}
		if Ping(addr) {
			return p, false
		}
	}
	t.Fatalf("kamailio did not answer OPTIONS on %s\n%s", addr, out.String())
	return nil, false
}

// dbURL is the test database in the form Kamailio's db_postgres reads
// (postgres://user[:password]@host[:port]/database).
func dbURL(t testing.TB, db *storetest.DB) string {
	t.Helper()
	u, err := url.Parse(db.URL)
	require.NoError(t, err)
	return (&url.URL{Scheme: "postgres", User: u.User, Host: u.Host, Path: u.Path}).String()
}

// Ping sends one OPTIONS to addr over UDP and reports whether a 200 came back within
// 200 ms.
func Ping(addr string) bool {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	local := c.LocalAddr().String()
	msg := "OPTIONS sip:" + addr + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK" + strconv.FormatInt(time.Now().UnixNano(), 36) + ";rport\r\n" +
		"From: <sip:probe@" + local + ">;tag=probe\r\nTo: <sip:" + addr + ">\r\n" +
		"Call-ID: probe-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(msg)); err != nil {
		return false
	}
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	return err == nil && strings.HasPrefix(string(buf[:n]), "SIP/2.0 200")
}

// GatewayFlags returns each gateway's dispatcher flags as `kamcmd dispatcher.list` shows
// them ("AP": active and answering the probes; "IP": inactive, not answering), by URI.
func (p *Proxy) GatewayFlags() (map[string]string, error) {
	out, err := exec.Command("kamcmd", "-s", "unix:"+p.ctl, "dispatcher.list").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("kamcmd dispatcher.list: %w: %s", err, out)
	}
	flags := map[string]string{}
	uri := ""
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "URI: "); ok {
			uri = v
		} else if v, ok := strings.CutPrefix(line, "FLAGS: "); ok && uri != "" {
			flags[uri] = v
		}
	}
	return flags, nil
}
