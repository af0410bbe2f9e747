package queue

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/robfig/cron/v3"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

func TestSchedulerTwoProcessesOneBuildPerDealerDay(t *testing.T) {
	b := newWorkBundle(t, 0)
	rdb := newQueueRedis(t)
	ctx := context.Background()
	// 00:05 on 2026-11-23 in Shanghai is 16:05 UTC the day before.
	now := time.Date(2026, 11, 22, 16, 5, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var scheds []*Scheduler
	for range 2 {
		s, err := NewScheduler(SchedulerConfig{DB: b.db, Redis: rdb, Log: quietLog(), Now: clock, SyncInterval: time.Hour})
		require.NoError(t, err)
		require.NoError(t, s.Start(ctx)) // each enqueues today's build on start
		scheds = append(scheds, s)
	}
	want := fmt.Sprintf("build:%d:2026-11-23", b.dealer)
	require.Equal(t, []string{want}, taskIDs(t, rdb, "pending"))

	// Both cron entries fire for the day: still one task.
	for _, s := range scheds {
		require.NoError(t, s.enqueueDaily(ctx, b.dealer, "Asia/Shanghai"))
	}
	require.Equal(t, []string{want}, taskIDs(t, rdb, "pending"))

	// A dealer created later, in another zone, is picked up by the next sync.
	d2, err := store.New(b.db).EnsureDealer(ctx, store.EnsureDealerParams{Code: "NY", Name: "纽约店"})
	require.NoError(t, err)
	_, err = b.db.Exec(ctx, `UPDATE dealers SET time_zone = 'America/New_York' WHERE id = $1`, d2.ID)
	require.NoError(t, err)
	for _, s := range scheds {
		require.NoError(t, s.sync(ctx))
	}
	// In New York it is still 2026-11-22 at that instant, 11:05: past the morning
	// spot-check sample of the day before (in Shanghai it is 00:05, before it).
	require.Equal(t, []string{want, fmt.Sprintf("build:%d:2026-11-22", d2.ID), fmt.Sprintf("spotcheck:%d:2026-11-21", d2.ID)},
		taskIDs(t, rdb, "pending"))
	for _, s := range scheds {
		s.Shutdown()
	}
}

func TestSchedulerFiresAfterLocalMidnight(t *testing.T) {
	t.Parallel()
	// The pool connects lazily: this test only computes fire times.
	db, err := pgxpool.New(context.Background(), storetest.URL())
	require.NoError(t, err)
	defer db.Close()
	s, err := NewScheduler(SchedulerConfig{DB: db, Redis: redis.NewClient(&redis.Options{Addr: "127.0.0.1:0"})})
	require.NoError(t, err)
	for _, tc := range []struct {
		zone string
		from time.Time
		want string // local wall time of the next build
	}{
		{"Asia/Shanghai", time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), "2026-11-23 00:05"},
		{"Asia/Shanghai", time.Date(2026, 11, 22, 16, 4, 0, 0, time.UTC), "2026-11-23 00:05"},
		{"Asia/Shanghai", time.Date(2026, 11, 22, 16, 5, 0, 0, time.UTC), "2026-11-24 00:05"},
		{"America/New_York", time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), "2026-11-23 00:05"},
	} {
		sched, err := cron.ParseStandard(s.dailySpec(tc.zone))
		require.NoError(t, err)
		loc, err := time.LoadLocation(tc.zone)
		require.NoError(t, err)
		want, err := time.ParseInLocation("2006-01-02 15:04", tc.want, loc)
		require.NoError(t, err)
		require.True(t, want.Equal(sched.Next(tc.from)), "%s from %v: got %v", tc.zone, tc.from, sched.Next(tc.from))
	}
	_, err = NewScheduler(SchedulerConfig{DB: nil})
	require.Error(t, err)
}
