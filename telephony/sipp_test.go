package telephony

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/telephony/sipptest"
)

// sippRun is a sipp process in these tests.
type sippRun = sipptest.Sipp

func requireSipp(t testing.TB) { sipptest.Require(t) }

func freePort(t testing.TB) int { return sipptest.FreePort(t) }

// startSipp runs sipp as a UAS on a free loopback port with the scenario from testdata
// and -key pairs, for one call.
func startSipp(t testing.TB, scenario, transport string, keys ...string) *sippRun {
	t.Helper()
	return runSippN(t, scenario, transport, "", 1, nil, keys...)
}

// startSippUAC runs sipp as a UAC towards remote (HOST:PORT) for one call.
func startSippUAC(t testing.TB, scenario, transport, remote string, keys ...string) *sippRun {
	t.Helper()
	return runSippN(t, scenario, transport, remote, 1, nil, keys...)
}

// runSippN runs sipp for calls calls with extra command-line arguments.
func runSippN(t testing.TB, scenario, transport, remote string, calls int, extra []string, keys ...string) *sippRun {
	t.Helper()
	return sipptest.Start(t, sipptest.Options{Scenario: filepath.Join("testdata", scenario), Transport: transport,
		Remote: remote, Calls: calls, Extra: extra, Keys: keys})
}

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
