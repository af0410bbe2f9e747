package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"

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

// TestImportEnqueuesBuild checks that an import asks the workers for a queue rebuild.
func TestImportEnqueuesBuild(t *testing.T) {
	ctx := context.Background()
	env, _, errb, r := testEnvRedis(t, storetest.NewDB(t).URL)
	rdb := r.Client

	file := filepath.Join(t.TempDir(), "owners.csv")
	require.NoError(t, os.WriteFile(file, []byte("客户姓名,手机号,车架号,交车日期\n张三,13900000001,LSVAB2L10PA000001,2026-11-19\n"), 0o644))
	require.Equal(t, 0, runWith(ctx, env, []string{"import", "--dealer", "IMP", file}), errb.String())

	// asynq keeps a scheduled task's id in the queue's scheduled set.
	ids, err := rdb.ZRange(ctx, "asynq:{default}:scheduled", 0, -1).Result()
	require.NoError(t, err)
	require.Len(t, ids, 1, errb.String())
	require.True(t, strings.HasPrefix(ids[0], "build:"), ids[0])
	typ, err := rdb.HGet(ctx, "asynq:{default}:t:"+ids[0], "msg").Result()
	require.NoError(t, err)
	require.Contains(t, typ, queue.TypeBuild)

	// A dry run writes nothing and asks for nothing.
	require.NoError(t, rdb.FlushDB(ctx).Err())
	require.Equal(t, 0, runWith(ctx, env, []string{"import", "--dealer", "IMP", "--dry-run", file}), errb.String())
	n, err := rdb.ZCard(ctx, "asynq:{default}:scheduled").Result()
	require.NoError(t, err)
	require.Zero(t, n)
}
