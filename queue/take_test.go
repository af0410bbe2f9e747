package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// workBundle is a dealer with agents on a fresh schema, for the take/outcome tests.
type workBundle struct {
	db     *pgxpool.Pool
	dealer int64
	agents []int64
	loc    *time.Location
}

func newWorkBundle(t testing.TB, agents int) *workBundle {
	t.Helper()
	f := storetest.Dealer(t, agents)
	return &workBundle{db: f.DB, dealer: f.ID, agents: f.Agents, loc: f.Loc}
}

// at returns the instant of a local wall-clock time "2006-01-02 15:04" at the dealer.
func (b *workBundle) at(t testing.TB, s string) time.Time {
	t.Helper()
	return storetest.At(t, b.loc, s)
}

// day returns a calendar day as pgx gives it (00:00 UTC).
func day(s string) time.Time { return storetest.Day(s) }

// taskOpts describes one open task for addTask.
type taskOpts struct {
	phone      string
	priority   int
	due, exp   string
	campaigns  []string
	consultant string
}

// addTask inserts a customer and an open task with one open reason; it returns the task id.
func (b *workBundle) addTask(t testing.TB, o taskOpts) int64 {
	t.Helper()
	ctx := context.Background()
	if o.priority == 0 {
		o.priority = 50
	}
	if o.due == "" {
		o.due = "2026-11-23"
	}
	if o.exp == "" {
		o.exp = "2026-11-30"
	}
	if len(o.campaigns) == 0 {
		o.campaigns = []string{"care_15day"}
	}
	var cust, task int64
	err := b.db.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, phone) VALUES ($1, '客户', $2) RETURNING id`,
		b.dealer, o.phone).Scan(&cust)
	require.NoError(t, err)
	err = b.db.QueryRow(ctx, `INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns, consultant)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		b.dealer, cust, o.priority, day(o.due), day(o.exp), o.campaigns, o.consultant).Scan(&task)
	require.NoError(t, err)
	_, err = b.db.Exec(ctx, `INSERT INTO call_task_reasons (dealer_id, task_id, customer_id, campaign, occurrence, priority, due_day, expires_day, text)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '测试原因')`,
		b.dealer, task, cust, o.campaigns[0], fmt.Sprintf("t%d", task), o.priority, day(o.due), day(o.exp))
	require.NoError(t, err)
	return task
}

func (b *workBundle) take(t testing.TB, agent int64, now time.Time) (*TakenTask, error) {
	t.Helper()
	return Take(context.Background(), b.db, TakeParams{DealerID: b.dealer, AgentUserID: agent, Now: now})
}

func (b *workBundle) taskStatus(t testing.TB, id int64) string {
	t.Helper()
	var s string
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT status FROM call_tasks WHERE id = $1`, id).Scan(&s))
	return s
}

func TestTakeNeverHandsACustomerToTwoAgents(t *testing.T) {
	t.Parallel()
	const agents, tasks = 50, 40
	b := newWorkBundle(t, agents)
	for i := 0; i < tasks; i++ {
		b.addTask(t, taskOpts{phone: fmt.Sprintf("139%08d", i), priority: 10 + i%3})
	}
	now := b.at(t, "2026-11-23 10:00")
	var (
		mu     sync.Mutex
		got    = map[int64]int64{} // customer -> agent
		noTask int
		wg     sync.WaitGroup
		start  = make(chan struct{})
	)
	for _, a := range b.agents {
		wg.Add(1)
		go func(agent int64) {
			defer wg.Done()
			<-start
			tk, err := b.take(t, agent, now)
			mu.Lock()
			defer mu.Unlock()
			if errors.Is(err, ErrNoTask) {
				noTask++
				return
			}
			if !assertNoErr(t, err) {
				return
			}
			if prev, dup := got[tk.CustomerID]; dup {
				t.Errorf("customer %d handed to agents %d and %d", tk.CustomerID, prev, agent)
			}
			got[tk.CustomerID] = agent
		}(a)
	}
	close(start)
	wg.Wait()
	require.Len(t, got, tasks)
	require.Equal(t, agents-tasks, noTask)
	var distinct int
	require.NoError(t, b.db.QueryRow(context.Background(),
		`SELECT count(DISTINCT taken_by) FROM call_tasks WHERE taken_by IS NOT NULL`).Scan(&distinct))
	require.Equal(t, tasks, distinct)
}

func assertNoErr(t *testing.T, err error) bool {
	if err != nil {
		t.Error(err)
		return false
	}
	return true
}

func TestTakeOrderAndEligibility(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 2)
	now := b.at(t, "2026-11-23 10:00")
	low := b.addTask(t, taskOpts{phone: "13900000001", priority: 40})
	b.addTask(t, taskOpts{phone: "13900000002", priority: 90, due: "2026-11-24"})                    // not due yet
	b.addTask(t, taskOpts{phone: "13900000003", priority: 90, due: "2026-11-01", exp: "2026-11-22"}) // expired
	high := b.addTask(t, taskOpts{phone: "13900000004", priority: 60, due: "2026-11-20"})
	mid := b.addTask(t, taskOpts{phone: "13900000005", priority: 60, due: "2026-11-21"})
	mine := b.addTask(t, taskOpts{phone: "13900000006", priority: 100, consultant: "坐席2"})

	var order []int64
	for {
		tk, err := b.take(t, b.agents[0], now)
		if errors.Is(err, ErrNoTask) {
			break
		}
		require.NoError(t, err)
		order = append(order, tk.ID)
		require.Equal(t, []string{"测试原因"}, tk.Reasons)
		// Give it back for good so the next take moves on.
		_, err = b.db.Exec(context.Background(), `UPDATE call_tasks SET status = 'done' WHERE id = $1`, tk.ID)
		require.NoError(t, err)
	}
	require.Equal(t, []int64{high, mid, low}, order, "priority desc, then due day; consultant task excluded")

	tk, err := b.take(t, b.agents[1], now)
	require.NoError(t, err)
	require.Equal(t, mine, tk.ID, "the consultant (display name) takes the task")
}

func TestTakeCallingWindow(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	normal := b.addTask(t, taskOpts{phone: "13900000001", priority: 50})
	sameDay := b.addTask(t, taskOpts{phone: "13900000002", priority: 90, campaigns: []string{"same_day_visit"}})
	cases := []struct {
		at       string
		normal   bool // a normal task may be taken
		sameDay  bool // a same-day-visit task may be taken
		nextOpen string
	}{
		{"2026-11-23 08:59", false, false, "2026-11-23 09:00"},
		{"2026-11-23 09:00", true, true, ""},
		{"2026-11-23 20:29", true, true, ""},
		{"2026-11-23 20:30", false, true, "2026-11-24 09:00"},
		{"2026-11-23 20:59", false, true, "2026-11-24 09:00"},
		{"2026-11-23 21:00", false, false, "2026-11-24 09:00"},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.at, func(t *testing.T) {
			for _, tc := range []struct {
				id   int64
				want bool
			}{{normal, c.normal}, {sameDay, c.sameDay}} {
				// Only the task under test is open.
				_, err := b.db.Exec(ctx, `UPDATE call_tasks SET status = CASE WHEN id = $1 THEN 'open' ELSE 'cancelled' END, taken_by = NULL, taken_at = NULL`, tc.id)
				require.NoError(t, err)
				tk, err := b.take(t, b.agents[0], b.at(t, c.at))
				if tc.want {
					require.NoError(t, err)
					require.Equal(t, tc.id, tk.ID)
					continue
				}
				require.ErrorIs(t, err, ErrOutsideWindow)
				var ce *ClosedError
				require.ErrorAs(t, err, &ce)
				require.True(t, b.at(t, c.nextOpen).Equal(ce.NextOpen), "next open %v", ce.NextOpen)
			}
		})
	}
}

func TestTakeHoliday(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	b.addTask(t, taskOpts{phone: "13900000001"})
	q := store.New(b.db)
	ctx := context.Background()
	require.NoError(t, q.AddHoliday(ctx, store.AddHolidayParams{DealerID: b.dealer, Day: day("2026-11-23"), Name: "店休"}))
	require.NoError(t, q.AddHoliday(ctx, store.AddHolidayParams{DealerID: b.dealer, Day: day("2026-11-24"), Name: "店休"}))

	_, err := b.take(t, b.agents[0], b.at(t, "2026-11-23 10:00"))
	require.ErrorIs(t, err, ErrHoliday)
	var ce *ClosedError
	require.ErrorAs(t, err, &ce)
	require.True(t, b.at(t, "2026-11-25 09:00").Equal(ce.NextOpen), "skips both holidays: %v", ce.NextOpen)

	// The evening before a holiday, the next opening skips it too.
	_, err = b.take(t, b.agents[0], b.at(t, "2026-11-22 21:30"))
	require.ErrorIs(t, err, ErrOutsideWindow)
	require.ErrorAs(t, err, &ce)
	require.True(t, b.at(t, "2026-11-25 09:00").Equal(ce.NextOpen), "next open %v", ce.NextOpen)

	_, err = b.take(t, b.agents[0], b.at(t, "2026-11-25 09:00"))
	require.NoError(t, err)
}

func TestTakeStaleTaskReturnsFlagged(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 2)
	id := b.addTask(t, taskOpts{phone: "13900000001"})
	a, other := b.agents[0], b.agents[1]
	tk, err := b.take(t, a, b.at(t, "2026-11-23 10:00"))
	require.NoError(t, err)
	require.False(t, tk.Flagged)

	_, err = b.take(t, other, b.at(t, "2026-11-23 10:19"))
	require.ErrorIs(t, err, ErrNoTask, "still held within the timeout")

	tk, err = b.take(t, other, b.at(t, "2026-11-23 10:21"))
	require.NoError(t, err)
	require.Equal(t, id, tk.ID)
	require.True(t, tk.WasStale)
	require.True(t, tk.Flagged)
	var takenBy int64
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT taken_by FROM call_tasks WHERE id = $1`, id).Scan(&takenBy))
	require.Equal(t, other, takenBy)

	// The sweep returns an abandoned task without anyone taking it.
	n, err := ReturnStale(context.Background(), b.db, b.at(t, "2026-11-23 10:40"), 0)
	require.NoError(t, err)
	require.Equal(t, int64(0), n, "taken 19 minutes ago")
	n, err = ReturnStale(context.Background(), b.db, b.at(t, "2026-11-23 10:42"), 0)
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
	tk, err = b.take(t, a, b.at(t, "2026-11-23 10:42"))
	require.NoError(t, err)
	require.True(t, tk.Flagged)
	require.False(t, tk.WasStale)
}

func TestReleaseSkipsWithReason(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 2)
	id := b.addTask(t, taskOpts{phone: "13900000001"})
	now := b.at(t, "2026-11-23 10:00")
	_, err := b.take(t, b.agents[0], now)
	require.NoError(t, err)
	ctx := context.Background()
	err = Release(ctx, b.db, ReleaseParams{DealerID: b.dealer, TaskID: id, AgentUserID: b.agents[1], Reason: "x", Now: now})
	require.ErrorIs(t, err, ErrNotTaken, "only the holder releases")
	require.NoError(t, Release(ctx, b.db, ReleaseParams{DealerID: b.dealer, TaskID: id, AgentUserID: b.agents[0], Reason: "customer_in_store", Now: now, Skip: true}))
	var skips int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM call_skips WHERE task_id = $1 AND agent_user_id = $2 AND reason = 'customer_in_store' AND created_at = $3`,
		id, b.agents[0], now).Scan(&skips))
	require.Equal(t, 1, skips, "the skip is recorded for the directors' records")

	_, err = b.take(t, b.agents[1], now.Add(14*time.Minute))
	require.ErrorIs(t, err, ErrNoTask)
	tk, err := b.take(t, b.agents[1], now.Add(15*time.Minute))
	require.NoError(t, err)
	require.Equal(t, id, tk.ID)
	var n int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'call.skip' AND detail->>'reason' = 'customer_in_store'`).Scan(&n))
	require.Equal(t, 1, n)
}

// A call that asks the customer to rate a person is never served to that person: the
// consultant's own visitors' surveys go to someone else; their sales follow-ups stay theirs.
func TestSurveyNotServedToThePersonRated(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 2)
	ctx := context.Background()
	now := b.at(t, "2026-11-23 10:00")
	consultant, service := b.agents[0], b.agents[1]
	for i, tc := range []struct {
		campaign, by string // by: how the consultant is named (customer or reason)
		theirs       bool
	}{
		{"same_day_visit", "customer", false},
		{"same_day_visit", "reason", false},
		{"delivery_3day", "customer", false},
		{"lost_prospect", "reason", false},
		{"sales_followup", "task", true},
		{"care_15day", "customer", true},
	} {
		t.Run(tc.campaign+"/"+tc.by, func(t *testing.T) {
			o := taskOpts{phone: fmt.Sprintf("1380000%04d", i), campaigns: []string{tc.campaign}}
			if tc.by == "task" {
				o.consultant = "agent1"
			}
			id := b.addTask(t, o)
			switch tc.by {
			case "customer":
				_, err := b.db.Exec(ctx, `UPDATE customers SET consultant = '坐席1' FROM call_tasks t WHERE t.id = $1 AND customers.id = t.customer_id`, id)
				require.NoError(t, err)
			case "reason":
				_, err := b.db.Exec(ctx, `UPDATE call_task_reasons SET facts = '{"consultant": "agent1"}' WHERE task_id = $1`, id)
				require.NoError(t, err)
			}
			tk, err := b.take(t, consultant, now)
			if tc.theirs {
				require.NoError(t, err)
				require.Equal(t, id, tk.ID)
			} else {
				require.ErrorIs(t, err, ErrNoTask, "not served to the consultant rated")
				tk, err = b.take(t, service, now)
				require.NoError(t, err)
				require.Equal(t, id, tk.ID, "customer service asks")
			}
			_, err = b.db.Exec(ctx, `UPDATE call_tasks SET status = 'done', taken_by = NULL WHERE id = $1`, id)
			require.NoError(t, err)
		})
	}
}
