// Package kanneltest runs a real Kannel for tests: bearerbox and smsbox from the Debian
// package kannel, with fakesmsc (kannel-extras) as the SMSC, on free loopback ports and a
// kannel.conf generated in the test's temporary directory. Tests that use it skip when
// the binaries are not installed (.ci/test-tools.sh installs them).
package kanneltest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/stretchr/testify/require"
)

// FakeSMSC is where Debian installs fakesmsc.
const FakeSMSC = "/usr/lib/kannel/test/fakesmsc"

// Kannel is a running bearerbox, smsbox and fakesmsc.
type Kannel struct {
	// SendURL is smsbox's sendsms URL; Username and Password its sendsms-user.
	SendURL  string
	Username string
	Password string
	// Dir holds kannel.conf and the logs.
	Dir string

	t         testing.TB
	adminPort int
	smscPort  int
	mu        sync.Mutex
	fake      *exec.Cmd
	fakeLogs  []string
	procs     []*exec.Cmd
}

// Options configure Start.
type Options struct {
	// MOURL is the get-url of the catch-all sms-service (replies); empty disables it.
	MOURL string
	// Throughput caps the fake SMSC in messages per second; zero leaves it open.
	Throughput int
}

// Available reports whether bearerbox, smsbox and fakesmsc are installed.
func Available() bool {
	for _, b := range []string{"bearerbox", "smsbox"} {
		if _, err := exec.LookPath(b); err != nil {
			return false
		}
	}
	_, err := os.Stat(FakeSMSC)
	return err == nil
}

// Start runs Kannel for the test, or skips the test when Kannel is not installed. The
// processes stop at cleanup.
func Start(t testing.TB, o Options) *Kannel {
	t.Helper()
	if !Available() {
		t.Skip("kannel (bearerbox, smsbox) and kannel-extras (fakesmsc) are not installed; run .ci/test-tools.sh")
	}
	ports := freePorts(t, 4)
	k := &Kannel{
		SendURL:  fmt.Sprintf("http://127.0.0.1:%d/cgi-bin/sendsms", ports[3]),
		Username: "huifang", Password: "test-pw", Dir: t.TempDir(), t: t,
		adminPort: ports[0], smscPort: ports[2],
	}
	conf := fmt.Sprintf(`group = core
admin-port = %d
admin-password = admin-pw
admin-interface = 127.0.0.1
smsbox-port = %d
box-allow-ip = 127.0.0.1
log-level = 1
log-file = "%s/bearerbox.log"
dlr-storage = internal
sms-resend-retry = 0

group = smsc
smsc = fake
smsc-id = fake
port = %d
connect-allow-ip = 127.0.0.1
%s
group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = %d
sendsms-port = %d
sendsms-interface = 127.0.0.1
log-level = 1
log-file = "%s/smsbox.log"
mo-recode = true
http-request-retry = 3
http-queue-delay = 1

group = sendsms-user
username = %s
password = %s
max-messages = 10
concatenation = true
`, ports[0], ports[1], k.Dir, ports[2], throughput(o.Throughput), ports[1], ports[3], k.Dir, k.Username, k.Password)
	if o.MOURL != "" {
		conf += fmt.Sprintf(`
group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "%s"
`, o.MOURL)
	}
	path := filepath.Join(k.Dir, "kannel.conf")
	require.NoError(t, os.WriteFile(path, []byte(conf), 0o600))
	t.Cleanup(k.stop)

	k.run("bearerbox", "-v", "1", path)
	k.waitStatus(func(s string) bool { return strings.Contains(s, "Status: running") })
	k.startFake("-m", "0", "1 2 text unused")
	k.run("smsbox", "-v", "1", path)
	k.waitStatus(func(s string) bool {
		return strings.Contains(s, "smsbox:(none), IP 127.0.0.1") && strings.Contains(s, "online")
	})
	waitTCP(t, ports[3])
	return k
}

func throughput(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf("throughput = %d\n", n)
}

// run starts a Kannel binary with its output in Dir.
func (k *Kannel) run(name string, args ...string) *exec.Cmd {
	k.t.Helper()
	out, err := os.Create(filepath.Join(k.Dir, name+".out"))
	require.NoError(k.t, err)
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(k.t, cmd.Start(), "start %s", name)
	k.mu.Lock()
	k.procs = append(k.procs, cmd)
	k.mu.Unlock()
	return cmd
}

// startFake starts fakesmsc with args; its output (the messages it got) goes to a new log.
func (k *Kannel) startFake(args ...string) {
	k.t.Helper()
	k.mu.Lock()
	log := filepath.Join(k.Dir, fmt.Sprintf("fakesmsc-%d.log", len(k.fakeLogs)))
	k.fakeLogs = append(k.fakeLogs, log)
	k.mu.Unlock()
	out, err := os.Create(log)
	require.NoError(k.t, err)
	all := append([]string{"-H", "127.0.0.1", "-r", fmt.Sprint(k.smscPort), "-i", "0.05"}, args...)
	cmd := exec.Command(FakeSMSC, all...)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(k.t, cmd.Start(), "start fakesmsc")
	k.mu.Lock()
	k.fake = cmd
	k.procs = append(k.procs, cmd)
	k.mu.Unlock()
	k.waitStatus(func(s string) bool { return strings.Contains(s, "fake") && strings.Contains(s, "online") })
}

// SendMO has the fake SMSC deliver one incoming SMS from from to to (any text, sent as
// UCS-2): fakesmsc is restarted with that one message, and keeps receiving afterwards.
func (k *Kannel) SendMO(from, to, text string) {
	k.t.Helper()
	k.mu.Lock()
	old := k.fake
	k.mu.Unlock()
	if old != nil {
		_ = old.Process.Kill()
		_ = old.Wait()
	}
	var enc strings.Builder
	for _, u := range utf16.Encode([]rune(text)) {
		var b [2]byte
		binary.BigEndian.PutUint16(b[:], u)
		fmt.Fprintf(&enc, "%%%02X%%%02X", b[0], b[1])
	}
	k.startFake("-m", "1", fmt.Sprintf("%s %s ucs2 %s", from, to, enc.String()))
}

// MT is one message the fake SMSC received.
type MT struct {
	From, To, Text string
}

var gotRe = regexp.MustCompile(`Got message \d+: <(\S+) (\S+) (\S+) (.*)>\s*$`)

// Received returns every message the fake SMSC has received so far.
func (k *Kannel) Received() []MT {
	k.t.Helper()
	k.mu.Lock()
	logs := append([]string(nil), k.fakeLogs...)
	k.mu.Unlock()
	var out []MT
	for _, l := range logs {
		f, err := os.Open(l)
		require.NoError(k.t, err)
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			m := gotRe.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			out = append(out, MT{From: m[1], To: m[2], Text: decodeFake(m[3], m[4])})
		}
		f.Close()
	}
	return out
}

// WaitReceived waits up to timeout until the fake SMSC has received at least n messages.
func (k *Kannel) WaitReceived(n int, timeout time.Duration) []MT {
	k.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := k.Received()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// decodeFake decodes fakesmsc's printing of a message body: "text" as is, "ucs-2" and
// "data" URL-encoded (UCS-2 big-endian for ucs-2).
func decodeFake(kind, s string) string {
	switch kind {
	case "ucs-2", "ucs2":
		b, err := url.PathUnescape(s)
		if err != nil {
			return s
		}
		raw := []byte(b)
		u := make([]uint16, 0, len(raw)/2)
		for i := 0; i+1 < len(raw); i += 2 {
			u = append(u, binary.BigEndian.Uint16(raw[i:]))
		}
		return string(utf16.Decode(u))
	case "data":
		b, err := url.PathUnescape(s)
		if err != nil {
			return s
		}
		return b
	}
	return s
}

// Status returns bearerbox's status page.
func (k *Kannel) Status() string {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/status.txt?password=admin-pw", k.adminPort))
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	return b.String()
}

func (k *Kannel) waitStatus(ok func(string) bool) {
	k.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := k.Status()
		if s != "" && ok(s) {
			return
		}
		if time.Now().After(deadline) {
			k.dumpLogs()
			require.FailNow(k.t, "kannel did not come up", "status:\n%s", s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dumpLogs prints the tails of Kannel's logs into the test log.
func (k *Kannel) dumpLogs() {
	files, _ := filepath.Glob(filepath.Join(k.Dir, "*.log"))
	outs, _ := filepath.Glob(filepath.Join(k.Dir, "*.out"))
	for _, f := range append(files, outs...) {
		b, _ := os.ReadFile(f)
		if len(b) > 3000 {
			b = b[len(b)-3000:]
		}
		k.t.Logf("== %s ==\n%s", filepath.Base(f), b)
	}
}

// stop kills the processes Start started, newest first.
func (k *Kannel) stop() {
	if k.t.Failed() {
		k.dumpLogs()
	}
	k.mu.Lock()
	procs := k.procs
	k.procs = nil
	k.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		p := procs[i]
		if p.ProcessState != nil {
			continue
		}
		_ = p.Process.Kill()
		_ = p.Wait()
	}
}

// freePorts returns n distinct free TCP ports on loopback.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

func waitTCP(t testing.TB, port int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		require.True(t, time.Now().Before(deadline), "port %d did not open: %v", port, err)
		time.Sleep(50 * time.Millisecond)
	}
}
