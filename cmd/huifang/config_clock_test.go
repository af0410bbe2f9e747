package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// HUIFANG_TEST_NOW moves the clock only with HUIFANG_TESTING=1; the clock then runs on
// from the instant given.
func TestTestClockSetting(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(n string) string { return kv[n] } }

	_, err := loadConfig(env(map[string]string{"HUIFANG_TEST_NOW": "2026-12-09T10:00:30+08:00"}))
	require.ErrorContains(t, err, "HUIFANG_TEST_NOW moves the clock and is for tests only: it needs HUIFANG_TESTING=1")

	_, err = loadConfig(env(map[string]string{"HUIFANG_TEST_NOW": "2026-12-09 10:00", "HUIFANG_TESTING": "1"}))
	require.ErrorContains(t, err, "HUIFANG_TEST_NOW must be an RFC 3339 instant")

	cfg, err := loadConfig(env(nil))
	require.NoError(t, err)
	require.True(t, cfg.TestNow.IsZero())
	real := cfg.clock()()
	require.WithinDuration(t, time.Now(), real, time.Minute, "the real clock without HUIFANG_TEST_NOW")

	cfg, err = loadConfig(env(map[string]string{"HUIFANG_TEST_NOW": "2026-12-09T10:00:30+08:00", "HUIFANG_TESTING": "1"}))
	require.NoError(t, err)
	want := time.Date(2026, 12, 9, 2, 0, 30, 0, time.UTC)
	now := cfg.clock()
	first := now()
	require.WithinDuration(t, want, first, time.Minute, "starts at the instant given")
	require.Eventually(t, func() bool { return now().After(first) }, 5*time.Second, time.Millisecond, "and runs on")
}
