package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/telephony/media"
	"github.com/huifang/huifang/telephony/simcarrier"
	"github.com/huifang/huifang/telephony/sipptest"
)

// dialEnv is a CLI environment without a database.
func dialEnv() (*cliEnv, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	vars := map[string]string{"HUIFANG_LOG_LEVEL": "error"}
	return &cliEnv{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}, &out, &errb
}

func TestDialCommandJSON(t *testing.T) {
	tests := []struct {
		odds      simcarrier.Odds
		transport string
		record    bool
		want      string
		code      int
	}{
		{simcarrier.Odds{Answer: 1}, "udp", true, "answered", 0},
		{simcarrier.Odds{Busy: 1}, "tcp", false, "busy", 0},
		{simcarrier.Odds{Invalid: 1}, "udp", false, "invalid_number", 0},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			c, err := simcarrier.New(simcarrier.Config{ListenAddr: "127.0.0.1:0", Odds: tt.odds,
				RingMin: 50 * time.Millisecond, RingMax: 50 * time.Millisecond,
				TalkMin: 300 * time.Millisecond, TalkMax: 300 * time.Millisecond})
			require.NoError(t, err)
			require.NoError(t, c.Start())
			defer c.Close()
			env, out, errb := dialEnv()
			args := []string{"dial", "--trunk", c.URI(), "--to", "13900000001", "--json", "--transport", tt.transport}
			dir := t.TempDir()
			if tt.record {
				args = append(args, "--record", dir)
			}
			code := runWith(context.Background(), env, args)
			require.Equal(t, tt.code, code, errb.String())
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			require.Len(t, lines, 1, "one JSON line")
			var got dialJSON
			require.NoError(t, json.Unmarshal([]byte(lines[0]), &got))
			require.Equal(t, tt.want, got.Outcome)
			require.NotEmpty(t, got.CallID)
			if tt.want == "answered" {
				require.Equal(t, 200, got.SIPStatus)
				require.Greater(t, got.TalkS, 0.2)
				require.FileExists(t, got.Recording)
				left, _, err := media.ReadStereoWAV(got.Recording)
				require.NoError(t, err)
				require.Greater(t, media.RMS(left), 300.0, "the carrier's tone is recorded")
			} else {
				require.Empty(t, got.Recording)
				require.Zero(t, got.TalkS)
			}
		})
	}
}

func TestDialCommandTrunkFailureExitCode(t *testing.T) {
	// A port where nothing answers over TCP: a transport error.
	env, out, _ := dialEnv()
	code := runWith(context.Background(), env, []string{"dial", "--trunk", "sip:127.0.0.1:" + strconv.Itoa(closedPort(t)),
		"--transport", "tcp", "--to", "13900000001", "--json"})
	require.Equal(t, 3, code)
	require.Contains(t, out.String(), `"outcome":"trunk_failure"`)
}

func TestDialCommandUsage(t *testing.T) {
	env, _, errb := dialEnv()
	require.Equal(t, 2, runWith(context.Background(), env, []string{"dial", "--to", "1"}))
	require.Contains(t, errb.String(), "--trunk and --to are required")
	env, _, errb = dialEnv()
	require.Equal(t, 2, runWith(context.Background(), env, []string{"dial", "--trunk", "http://x", "--to", "1"}))
	require.Contains(t, errb.String(), "want sip:HOST:PORT")
}

// closedPort returns a loopback TCP port with nothing listening.
func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return p
}

// TestDialCommandAgainstSipp runs huifang dial against sipp trunks for each kind of
// outcome, as an operator testing a trunk would.
func TestDialCommandAgainstSipp(t *testing.T) {
	sipptest.Require(t)
	tests := []struct {
		scenario string
		keys     []string
		args     []string
		want     string
		status   int
		code     int
	}{
		{"uas_answer.xml", []string{"talk", "200", "codec", "0"}, nil, "answered", 200, 0},
		{"uas_status.xml", []string{"status", "486", "reason", "Busy Here"}, nil, "busy", 486, 0},
		{"uas_status.xml", []string{"status", "603", "reason", "Decline"}, nil, "declined", 603, 0},
		{"uas_status.xml", []string{"status", "480", "reason", "Temporarily Unavailable"}, nil, "unreachable", 480, 0},
		{"uas_status.xml", []string{"status", "404", "reason", "Not Found"}, nil, "invalid_number", 404, 0},
		{"uas_status.xml", []string{"status", "503", "reason", "Service Unavailable"}, nil, "trunk_failure", 503, 3},
		{"uas_ring_forever.xml", []string{"delay", "0"}, []string{"--ring-timeout", "2s"}, "no_answer", 487, 0},
		{"uas_auth.xml", []string{"user", "u1", "password", "p1", "codec", "0"}, []string{"--user", "u1", "--password", "p1"}, "answered", 200, 0},
	}
	for _, tt := range tests {
		t.Run(tt.want+"_"+strconv.Itoa(tt.status), func(t *testing.T) {
			s := sipptest.Start(t, sipptest.Options{Scenario: "../../telephony/testdata/" + tt.scenario, Keys: tt.keys})
			env, out, errb := dialEnv()
			args := append([]string{"dial", "--trunk", s.TrunkURI(), "--to", "13900000001", "--json"}, tt.args...)
			require.Equal(t, tt.code, runWith(context.Background(), env, args), errb.String())
			var got dialJSON
			require.NoError(t, json.Unmarshal(out.Bytes(), &got))
			require.Equal(t, tt.want, got.Outcome)
			require.Equal(t, tt.status, got.SIPStatus)
			require.NoError(t, s.Wait(t))
		})
	}
}
