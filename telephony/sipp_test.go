package telephony

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// sippRun is one sipp process playing a scenario from testdata.
type sippRun struct {
	port int
	done chan struct{} // closed when sipp exits
	err  error         // sipp's exit error, set before done closes
	out  *bytes.Buffer
}

// requireSipp skips the test when sipp (Debian package sip-tester) is not installed.
func requireSipp(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("sipp"); err != nil {
		t.Skip("sipp is not installed (Debian package sip-tester); CI installs it")
	}
}

// freePort returns a loopback port that is free for both UDP and TCP right now.
func freePort(t testing.TB) int {
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

// startSipp runs sipp as a UAS on a free loopback port with the scenario and -key pairs,
// for one call, and waits until it listens.
func startSipp(t testing.TB, scenario, transport string, keys ...string) *sippRun {
	t.Helper()
	return runSipp(t, scenario, transport, "", keys...)
}

// startSippUAC runs sipp as a UAC towards remote (HOST:PORT) for one call.
func startSippUAC(t testing.TB, scenario, transport, remote string, keys ...string) *sippRun {
	t.Helper()
	return runSipp(t, scenario, transport, remote, keys...)
}

func runSipp(t testing.TB, scenario, transport, remote string, keys ...string) *sippRun {
	t.Helper()
	return runSippN(t, scenario, transport, remote, 1, nil, keys...)
}

// runSippN runs sipp for calls calls with extra command-line arguments.
func runSippN(t testing.TB, scenario, transport, remote string, calls int, extra []string, keys ...string) *sippRun {
	t.Helper()
	requireSipp(t)
	port, mport := freePort(t), freePort(t)
	// sipp checks some values (status codes) when it loads the scenario, before -key
	// values apply, so the keys are written into a copy of the scenario.
	text, err := os.ReadFile(filepath.Join("testdata", scenario))
	require.NoError(t, err)
	for i := 0; i+1 < len(keys); i += 2 {
		text = bytes.ReplaceAll(text, []byte("["+keys[i]+"]"), []byte(keys[i+1]))
	}
	dir := t.TempDir()
	sf := filepath.Join(dir, scenario)
	require.NoError(t, os.WriteFile(sf, text, 0o644))
	tp := "u1"
	if transport == "tcp" {
		tp = "t1"
	}
	args := []string{"-sf", sf, "-i", "127.0.0.1", "-p", strconv.Itoa(port), "-mp", strconv.Itoa(mport),
		"-m", strconv.Itoa(calls), "-t", tp, "-nostdin", "-timeout", "60s", "-timeout_error", "-nr"}
	args = append(args, extra...)
	if remote != "" {
		args = append(args, remote)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	cmd := exec.CommandContext(ctx, "sipp", args...)
	cmd.Dir = dir
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	r := &sippRun{port: port, done: make(chan struct{}), out: out}
	go func() { r.err = cmd.Wait(); close(r.done); cancel() }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
		}
	})
	if remote != "" {
		return r
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
			return r
		}
		select {
		case <-r.done:
			t.Fatalf("sipp exited early: %v\n%s", r.err, out.String())
		case <-time.After(25 * time.Millisecond):
		}
	}
	t.Fatalf("sipp did not start listening\n%s", out.String())
	return nil
}

// wait returns sipp's exit error (nil when every call of the scenario succeeded).
func (r *sippRun) wait(t testing.TB) error {
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

func (r *sippRun) trunk() string { return "sip:127.0.0.1:" + strconv.Itoa(r.port) }

// testLogger is quiet unless the test runs verbose with HUIFANG_TEST_SIPLOG set.
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError + 1}))
}

// newTestGateway starts a gateway on a free loopback port, closed at cleanup.
func newTestGateway(t testing.TB, cfg Config) *Gateway {
	t.Helper()
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	g, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, g.Start())
	t.Cleanup(func() { _ = g.Close() })
	return g
}
