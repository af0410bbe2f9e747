package sipptest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
)

// Sipp is one sipp process playing a scenario.
type Sipp struct {
	// Port is the loopback port sipp listens on.
	Port int
	done chan struct{} // closed when sipp exits
	err  error         // sipp's exit error, set before done closes
	out  *storetest.SyncBuffer
}

// Require skips the test when sipp (Debian package sip-tester) is not installed.
func Require(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("sipp"); err != nil {
		t.Skip("sipp is not installed (Debian package sip-tester); CI installs it")
	}
}

// FreePort returns a loopback port that is free for both UDP and TCP right now.
func FreePort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 50; i++ {
		u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		p := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		u.Close()
		if err == nil {
			l.Close()
			return p
		}
	}
	t.Fatal("no free port")
	return 0
}

// FreeMediaPort returns an even port P below the kernel's ephemeral range such that P to
// P+3 are free: sipp binds audio RTP and RTCP on P and P+1 and video on P+2 and P+3, so
// a port taken from the ephemeral range could collide with another test's socket.
func FreeMediaPort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 200; i++ {
		p := 20000 + 4*rand.IntN(2500)
		var held []*net.UDPConn
		ok := true
		for k := 0; k < 4 && ok; k++ {
			u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p + k})
			if err != nil {
				ok = false
				break
			}
			held = append(held, u)
		}
		for _, u := range held {
			u.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatal("no free media ports")
	return 0
}

// Options say what sipp plays.
type Options struct {
	// Scenario is the path of the XML scenario.
	Scenario string
	// Transport is "udp" (default) or "tcp".
	Transport string
	// Remote, HOST:PORT, makes sipp a client calling there; empty makes it a server on a
	// free loopback port.
	Remote string
	// Calls is the number of calls to play (default 1).
	Calls int
	// Extra are more sipp arguments.
	Extra []string
	// Keys are name, value pairs written into the scenario in place of [name].
	Keys []string
	// LocalIP is the loopback address sipp sends from (default 127.0.0.1); another one,
	// such as 127.0.0.2, plays a second machine.
	LocalIP string
}

// Start runs sipp with o; a server is listening when Start returns. The process is
// killed at cleanup if still running.
func Start(t testing.TB, o Options) *Sipp {
	t.Helper()
	calls := max(o.Calls, 1)
	Require(t)
	// A port found free can be taken before sipp binds it (by another test, or by the
	// UDP readiness probe below), so a bind failure is retried on fresh ports.
	for attempt := 1; ; attempt++ {
		r, bindFailed := start(t, o, calls)
		if !bindFailed {
			return r
		}
		if attempt == 5 {
			t.Fatalf("sipp could not bind a port in 5 tries\n%s", r.out.String())
		}
	}
}

// start runs sipp once; bindFailed reports that sipp exited because its port was taken.
func start(t testing.TB, o Options, calls int) (r *Sipp, bindFailed bool) {
	t.Helper()
	scenario, transport, remote, keys, extra := o.Scenario, o.Transport, o.Remote, o.Keys, o.Extra
	port, mport := FreePort(t), FreeMediaPort(t)
	// sipp checks some values (status codes) when it loads the scenario, before -key
	// values apply, so the keys are written into a copy of the scenario.
	text, err := os.ReadFile(scenario)
	require.NoError(t, err)
	for i := 0; i+1 < len(keys); i += 2 {
		text = bytes.ReplaceAll(text, []byte("["+keys[i]+"]"), []byte(keys[i+1]))
	}
	dir := t.TempDir()
	sf := filepath.Join(dir, filepath.Base(scenario))
	require.NoError(t, os.WriteFile(sf, text, 0o644))
	tp := "u1"
	if transport == "tcp" {
		tp = "t1"
	}
	localIP := o.LocalIP
	if localIP == "" {
		localIP = "127.0.0.1"
	}
	args := []string{"-sf", sf, "-i", localIP, "-p", strconv.Itoa(port), "-mp", strconv.Itoa(mport),
		"-m", strconv.Itoa(calls), "-t", tp, "-nostdin", "-timeout", "60s", "-timeout_error", "-nr"}
	args = append(args, extra...)
	if remote != "" {
		args = append(args, remote)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	cmd := exec.CommandContext(ctx, "sipp", args...)
	cmd.Dir = dir
	out := &storetest.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	r = &Sipp{Port: port, done: make(chan struct{}), out: out}
	go func() { r.err = cmd.Wait(); close(r.done); cancel() }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
		}
	})
	if remote != "" {
		return r, false
	}
	// sipp listens once it has bound its port.
	for i := 0; i < 200; i++ {
		var busy bool
		if transport == "tcp" {
			c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err == nil {
				// A probe connection counts as nothing to sipp; close it at once.
				c.Close()
				busy = true
			}
		} else {
			u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
			if err != nil {
				busy = true
			} else {
				u.Close()
			}
		}
		if busy {
			return r, false
		}
		select {
		case <-r.done:
			if strings.Contains(out.String(), "Address already in use") {
				return r, true
			}
			t.Fatalf("sipp exited early: %v\n%s", r.err, out.String())
		case <-time.After(25 * time.Millisecond):
		}
	}
	t.Fatalf("sipp did not start listening\n%s", out.String())
	return nil, false
}

// Wait returns sipp's exit error (nil when every call of the scenario succeeded).
func (r *Sipp) Wait(t testing.TB) error {
	t.Helper()
	select {
	case <-r.done:
		if r.err != nil {
			return fmt.Errorf("sipp: %w\n%s", r.err, r.out.String())
		}
		return nil
	case <-time.After(60 * time.Second):
		return fmt.Errorf("sipp still running\n%s", r.out.String())
	}
}

// TrunkURI returns sipp's address as a trunk URI, sip:127.0.0.1:PORT.
func (r *Sipp) TrunkURI() string { return "sip:127.0.0.1:" + strconv.Itoa(r.Port) }
