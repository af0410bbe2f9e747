package queue

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The morning sample on a fixed calendar: per agent 5 % of the reached calls of the day
// before rounded up, at least 2, at most 10 (never more than there are), plus every call
// with a low score or a complaint; calls of other days and unreached outcomes never; a
// second run adds nothing; the bounds are settings.
func TestSpotCheckSample(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newWorkBundle(t, 4)
	// agent 0: 300 reached calls on 11-23 (5 % = 15 -> 10) plus one low score and one
	// complaint; agent 1: 30 (-> 2); agent 2: 1 (-> 1); agent 3: 40 no-answer outcomes.
	add := func(agent int64, n int, code, answers string, at time.Time) {
		_, err := b.db.Exec(ctx, `
			WITH c AS (INSERT INTO customers (dealer_id, name, phone)
			           SELECT $1, 'c', (15000000000 + nextval('customers_id_seq'))::text FROM generate_series(1, $2) RETURNING id),
			     t AS (INSERT INTO call_tasks (dealer_id, customer_id, status, priority, due_day, expires_day)
			           SELECT $1, id, 'done', 1, '2026-11-01', '2026-12-01' FROM c RETURNING id),
			     a AS (INSERT INTO call_attempts (dealer_id, task_id, agent_user_id, call_id, to_number, invite_at, answer_at, outcome)
			           SELECT $1, id, $3, 'sc-' || id, '1', $5, $5, 'answered' FROM t RETURNING id, task_id)
			INSERT INTO call_outcomes (dealer_id, client_id, task_id, attempt_id, agent_user_id, code, effect, answers, created_at)
			SELECT $1, 'sc-' || a.id, a.task_id, a.id, $3, $4, CASE WHEN $4 = 'complaint' THEN 'complaint' ELSE 'done' END, $6::jsonb, $5 FROM a`,
			b.dealer, n, agent, code, at, answers)
		require.NoError(t, err)
	}
	yesterday := b.at(t, "2026-11-23 15:00")
	add(b.agents[0], 300, "reached", `{}`, yesterday)
	add(b.agents[1], 30, "reached", `{}`, yesterday)
	add(b.agents[2], 1, "reached", `{}`, b.at(t, "2026-11-23 00:10"))
	add(b.agents[3], 40, "no_answer", `{}`, yesterday)
	add(b.agents[1], 50, "reached", `{}`, b.at(t, "2026-11-24 00:10")) // the day after
	add(b.agents[1], 50, "reached", `{}`, b.at(t, "2026-11-22 23:50")) // the day before
	add(b.agents[0], 1, "complaint", `{}`, yesterday)
	add(b.agents[0], 1, "reached", `{}`, yesterday)
	_, err := b.db.Exec(ctx, `INSERT INTO call_scores (outcome_id, question, dealer_id, attempt_id, customer_id, agent_user_id, day, score)
		SELECT o.id, 'satisfaction', o.dealer_id, o.attempt_id, t.customer_id, o.agent_user_id, '2026-11-23', 1
		FROM call_outcomes o JOIN call_tasks t ON t.id = o.task_id WHERE o.id = (SELECT max(id) FROM call_outcomes)`)
	require.NoError(t, err)

	now := b.at(t, "2026-11-24 07:00")
	n, err := SampleSpotChecks(ctx, b.db, b.dealer, day("2026-11-23"), now)
	require.NoError(t, err)
	count := func() map[string]int {
		out := map[string]int{}
		rows, err := b.db.Query(ctx, `SELECT u.username || ':' || s.source, count(*) FROM spot_checks s JOIN users u ON u.id = s.agent_user_id
			WHERE s.sample_day = '2026-11-23' AND s.status = 'pending' GROUP BY 1`)
		require.NoError(t, err)
		for rows.Next() {
			var k string
			var v int
			require.NoError(t, rows.Scan(&k, &v))
			out[k] = v
		}
		return out
	}
	got := count()
	require.Equal(t, 1, got["agent1:complaint"])
	require.Equal(t, 1, got["agent1:low_score"])
	require.Equal(t, 10, got["agent1:sample"], "5 %% of 302 is 16: at most 10 at random, the low score and the complaint on top")
	require.Equal(t, map[string]int{"agent2:sample": 2, "agent3:sample": 1}, map[string]int{"agent2:sample": got["agent2:sample"], "agent3:sample": got["agent3:sample"]})
	require.Zero(t, got["agent4:sample"], "not reached")
	require.Equal(t, 15, n)

	again, err := SampleSpotChecks(ctx, b.db, b.dealer, day("2026-11-23"), now.Add(time.Hour))
	require.NoError(t, err)
	require.Zero(t, again, "drawn once")

	// The bounds are settings: 50 % of agent2's 30 is 15, capped at 12.
	require.NoError(t, SaveSetting(ctx, b.db, b.dealer, "spot_check_percent", 50))
	require.NoError(t, SaveSetting(ctx, b.db, b.dealer, "spot_check_max", 12))
	_, err = b.db.Exec(ctx, `DELETE FROM spot_checks`)
	require.NoError(t, err)
	_, err = SampleSpotChecks(ctx, b.db, b.dealer, day("2026-11-23"), now)
	require.NoError(t, err)
	require.Equal(t, 12, count()["agent2:sample"])
}

// The scheduler enqueues the sample of the day before once 07:00 local has passed, under
// one task id whatever the number of schedulers.
func TestSchedulerSpotCheckSampleAtSeven(t *testing.T) {
	b := newWorkBundle(t, 0)
	rdb := newQueueRedis(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 22, 59, 0, 0, time.UTC) // 06:59 on 11-24 in Shanghai
	clock := func() time.Time { return now }
	s1, err := NewScheduler(SchedulerConfig{DB: b.db, Redis: rdb, Log: quietLog(), Now: clock, SyncInterval: time.Hour})
	require.NoError(t, err)
	s2, err := NewScheduler(SchedulerConfig{DB: b.db, Redis: rdb, Log: quietLog(), Now: clock, SyncInterval: time.Hour})
	require.NoError(t, err)
	require.NoError(t, s1.enqueueSample(ctx, b.dealer, "Asia/Shanghai"))
	require.Empty(t, taskIDs(t, rdb, "pending"))
	now = now.Add(time.Minute)
	for _, s := range []*Scheduler{s1, s2, s1} {
		require.NoError(t, s.enqueueSample(ctx, b.dealer, "Asia/Shanghai"))
	}
	require.Equal(t, []string{fmt.Sprintf("spotcheck:%d:2026-11-23", b.dealer)}, taskIDs(t, rdb, "pending"))
	s1.Shutdown()
	s2.Shutdown()
}
