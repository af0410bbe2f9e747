package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
)

// testEnv returns a CLI environment whose DATABASE_URL is a fresh migrated schema.
func testEnv(t *testing.T) (*cliEnv, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	return testEnvFor(t, storetest.NewDB(t).URL)
}

// testEnvFor returns a CLI environment on the database URL and a Redis database leased
// to the test.
func testEnvFor(t *testing.T, dbURL string) (*cliEnv, *bytes.Buffer, *bytes.Buffer) {
	env, out, errb, _ := testEnvRedis(t, dbURL)
	return env, out, errb
}

// testEnvRedis is testEnvFor, also returning the leased Redis.
func testEnvRedis(t *testing.T, dbURL string) (*cliEnv, *bytes.Buffer, *bytes.Buffer, *storetest.Redis) {
	t.Helper()
	r := storetest.NewRedis(t)
	var out, errb bytes.Buffer
	vars := map[string]string{
		"DATABASE_URL": dbURL,
		"REDIS_URL":    r.URL,
	}
	return &cliEnv{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}, &out, &errb, r
}

// TestDemoHitsEveryCampaign generates the demo dealer and checks that the queue built for
// the demo's day holds every campaign of docs/domain.md.
func TestDemoHitsEveryCampaign(t *testing.T) {
	env, out, errb := testEnv(t)
	ctx := context.Background()
	code := runWith(ctx, env, []string{"demo", "--dealer", "DQ", "--customers", "4000", "--password", "secret1", "--date", "2026-11-22"})
	require.Equal(t, 0, code, errb.String())
	require.Contains(t, out.String(), "agent1")

	out.Reset()
	code = runWith(ctx, env, []string{"queue", "list", "--dealer", "DQ", "--date", "2026-11-22", "--json"})
	require.Equal(t, 0, code, errb.String())
	seen := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var task struct {
			Phone     string   `json:"phone"`
			Campaigns []string `json:"campaigns"`
			Reasons   []string `json:"reasons"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &task), sc.Text())
		require.NotEmpty(t, task.Phone)
		require.NotEmpty(t, task.Reasons)
		for _, c := range task.Campaigns {
			seen[c]++
		}
	}
	for _, c := range []string{"complaint", "same_day_visit", "recall", "lost_prospect", "key_prospect",
		"first_maintenance", "delivery_3day", "care_15day", "post_service", "sales_followup", "maintenance",
		"warranty", "insurance", "inspection", "due_not_come", "lapsed_3m", "lapsed_6m", "lapsed_12m",
		"lapsed_24m", "base_care", "birthday"} {
		require.Positive(t, seen[c], "no demo customer is in campaign %s (seen %v)", c, seen)
	}
}
