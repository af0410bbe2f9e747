package agentui

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// kpiFixture is a dealer with a fixed October 2026: vehicles, visits, tasks, calls,
// outcomes and prospects whose figures are known by hand.
type kpiFixture struct {
	db       *pgxpool.Pool
	dealer   int64
	agents   map[string]int64
	tasks    map[string]int64
	sh       *time.Location
	customer int
}

func newKPIFixture(t *testing.T) *kpiFixture {
	ctx := context.Background()
	f := &kpiFixture{db: storetest.New(t), agents: map[string]int64{}, tasks: map[string]int64{}}
	f.sh, _ = time.LoadLocation("Asia/Shanghai")
	d, err := store.New(f.db).EnsureDealer(ctx, store.EnsureDealerParams{Code: "KPI", Name: "指标店"})
	require.NoError(t, err)
	f.dealer = d.ID
	for _, a := range []string{"agent1", "agent2"} {
		u, err := store.New(f.db).CreateUser(ctx, store.CreateUserParams{DealerID: d.ID, Username: a, Role: roleAgent, PasswordHash: "x"})
		require.NoError(t, err)
		f.agents[a] = u.ID
	}
	return f
}

func (f *kpiFixture) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	_, err := f.db.Exec(context.Background(), sql, args...)
	require.NoError(t, err, sql)
}

func (f *kpiFixture) id(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var id int64
	require.NoError(t, f.db.QueryRow(context.Background(), sql, args...).Scan(&id), sql)
	return id
}

// customer adds a customer (grade "" for none) and returns its id.
func (f *kpiFixture) newCustomer(t *testing.T, grade, status, statusDay, reason, consultant string) int64 {
	f.customer++
	var g, sd any
	if grade != "" {
		g = grade
	}
	if statusDay != "" {
		sd = statusDay
	}
	return f.id(t, `INSERT INTO customers (dealer_id, name, phone, grade, prospect_status, status_day, lost_reason, consultant)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, f.dealer, fmt.Sprintf("客户%d", f.customer),
		fmt.Sprintf("1390000%04d", f.customer), g, status, sd, reason, consultant)
}

// owner adds a graded owner with a vehicle delivered on day; visits are "kind day".
func (f *kpiFixture) owner(t *testing.T, grade, delivered string, visits ...[2]string) int64 {
	c := f.newCustomer(t, grade, "", "", "", "")
	v := f.id(t, `INSERT INTO vehicles (dealer_id, customer_id, vin, delivery_day) VALUES ($1, $2, $3, $4) RETURNING id`,
		f.dealer, c, fmt.Sprintf("LVIN%013d", c), delivered)
	for _, x := range visits {
		f.exec(t, `INSERT INTO workshop_visits (dealer_id, vehicle_id, customer_id, day, kind) VALUES ($1, $2, $3, $4, $5)`, f.dealer, v, c, x[1], x[0])
	}
	return c
}

// task adds a task for customer c with one reason of campaign (due..expires) and facts.
func (f *kpiFixture) task(t *testing.T, name string, c int64, campaign, due, expires, status string, closed *time.Time, facts string) int64 {
	id := f.id(t, `INSERT INTO call_tasks (dealer_id, customer_id, status, priority, due_day, expires_day, campaigns, closed_at, created_at)
		VALUES ($1, $2, $3, 50, $4, $5, ARRAY[$6], $7, '2026-09-01') RETURNING id`, f.dealer, c, status, due, expires, campaign, closed)
	f.exec(t, `INSERT INTO call_task_reasons (dealer_id, task_id, customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
		VALUES ($1, $2, $3, $4, $5, 50, $6, $7, 'why', $8)`, f.dealer, id, c, campaign, name, due, expires, facts)
	f.tasks[name] = id
	return id
}

// call adds an attempt of agent on a task at a local time, answered with talk seconds
// when talk > 0; it returns the attempt id.
func (f *kpiFixture) call(t *testing.T, agent, task string, at time.Time, talk int) int64 {
	var ans, end any
	if talk > 0 {
		ans, end = at.Add(5*time.Second), at.Add(time.Duration(5+talk)*time.Second)
	}
	var c int64
	require.NoError(t, f.db.QueryRow(context.Background(), `SELECT customer_id FROM call_tasks WHERE id = $1`, f.tasks[task]).Scan(&c))
	return f.id(t, `INSERT INTO call_attempts (dealer_id, task_id, customer_id, agent_user_id, call_id, to_number, invite_at, answer_at, end_at, sip_status)
		VALUES ($1, $2, $3, $4, $5, '1', $6, $7, $8, 200) RETURNING id`, f.dealer, f.tasks[task], c, f.agents[agent], fmt.Sprintf("%s-%d", task, at.Unix()), at, ans, end)
}

func (f *kpiFixture) outcome(t *testing.T, agent, task string, attempt int64, code string, at time.Time) {
	f.exec(t, `INSERT INTO call_outcomes (dealer_id, client_id, task_id, attempt_id, agent_user_id, code, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, f.dealer, fmt.Sprintf("%s-%s-%d", task, code, at.Unix()), f.tasks[task], attempt, f.agents[agent], code, at)
}

func (f *kpiFixture) at(day string, hh, mm int) time.Time {
	d, _ := time.ParseInLocation(dayLayout, day, f.sh)
	return d.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
}

// build fills the October 2026 fixture.
func (f *kpiFixture) build(t *testing.T) {
	// First maintenance: windows closing in October are due delivery + 6 months, close +30.
	f.owner(t, "premium", "2026-03-15", [2]string{"maintenance", "2026-09-20"})   // closes 10-15, came
	f.owner(t, "premium", "2026-03-20")                                           // closes 10-20, not come
	f.owner(t, "potential", "2026-03-25", [2]string{"maintenance", "2026-10-30"}) // came after the close
	f.owner(t, "", "2026-06-01")                                                  // closes in December: not counted
	f.owner(t, "general", "2026-03-10", [2]string{"repair", "2026-09-01"})        // a repair is not a maintenance

	// Calls in October (and one in September, outside the range).
	c1 := f.newCustomer(t, "", "", "", "", "")
	f.exec(t, `INSERT INTO vehicles (dealer_id, customer_id, vin, delivery_day, active) VALUES ($1, $2, 'LVINLAPSED0000001', '2020-01-01', false)`, f.dealer, c1)
	v1 := f.id(t, `SELECT id FROM vehicles WHERE customer_id = $1`, c1)
	f.exec(t, `INSERT INTO workshop_visits (dealer_id, vehicle_id, customer_id, day, kind) VALUES ($1, $2, $3, '2026-11-20', 'repair')`, f.dealer, v1, c1)
	c2 := f.newCustomer(t, "", "", "", "", "")
	f.exec(t, `INSERT INTO vehicles (dealer_id, customer_id, vin, delivery_day, active) VALUES ($1, $2, 'LVINLAPSED0000002', '2020-01-01', false)`, f.dealer, c2)
	v2 := f.id(t, `SELECT id FROM vehicles WHERE customer_id = $1`, c2)
	f.exec(t, `INSERT INTO workshop_visits (dealer_id, vehicle_id, customer_id, day, kind) VALUES ($1, $2, $3, '2027-02-01', 'maintenance')`, f.dealer, v2, c2)
	closed5 := f.at("2026-10-05", 10, 5)
	f.task(t, "T1", c1, "lapsed_6m", "2026-10-01", "2026-10-31", "done", &closed5, `{}`)
	f.task(t, "T2", c2, "lapsed_12m", "2026-10-06", "2026-11-05", "done", nil, `{}`)
	f.task(t, "T3", f.newCustomer(t, "", "", "", "", ""), "first_maintenance", "2026-10-01", "2026-10-31", "open", nil, `{}`)
	f.task(t, "T4", f.newCustomer(t, "", "", "", "", ""), "insurance", "2026-09-01", "2026-09-30", "done", nil, `{}`)
	f.task(t, "T5", f.newCustomer(t, "", "", "", "", ""), "care_15day", "2026-10-01", "2026-10-10", "open", nil, `{}`)
	f.task(t, "T6", f.newCustomer(t, "", "", "", "", ""), "maintenance", "2026-10-01", "2026-10-31", "open", nil, `{"maintenance_number": 2}`)
	closed7 := f.at("2026-10-05", 16, 0)
	f.task(t, "T7", f.newCustomer(t, "", "", "", "", ""), "recall", "2026-10-01", "2026-12-31", "unreachable", &closed7, `{}`)
	f.task(t, "T8", f.newCustomer(t, "", "", "", "", ""), "warranty", "2026-09-01", "2026-09-30", "expired", &closed5, `{}`)

	a1 := f.call(t, "agent1", "T1", f.at("2026-10-05", 10, 0), 60)
	f.outcome(t, "agent1", "T1", a1, "reached", f.at("2026-10-05", 10, 3))
	a2 := f.call(t, "agent1", "T2", f.at("2026-10-06", 10, 30), 120)
	f.outcome(t, "agent1", "T2", a2, "appointment", f.at("2026-10-06", 10, 33))
	a3 := f.call(t, "agent1", "T3", f.at("2026-10-05", 14, 0), 0)
	f.outcome(t, "agent1", "T3", a3, "no_answer", f.at("2026-10-05", 14, 1))
	a4 := f.call(t, "agent2", "T4", f.at("2026-09-20", 10, 0), 30)
	f.outcome(t, "agent2", "T4", a4, "reached", f.at("2026-09-20", 10, 1))
	a5 := f.call(t, "agent2", "T5", f.at("2026-10-05", 11, 0), 90)
	f.outcome(t, "agent2", "T5", a5, "appointment", f.at("2026-10-07", 9, 0))
	f.call(t, "agent2", "T7", f.at("2026-10-05", 15, 0), 0)

	// Prospects closed in October (and one in September).
	f.newCustomer(t, "", "won", "2026-10-03", "", "张伟")
	f.newCustomer(t, "", "lost", "2026-10-04", "价格太高", "张伟")
	f.newCustomer(t, "", "lost", "2026-10-10", "价格太高", "李娜")
	f.newCustomer(t, "", "lost", "2026-09-30", "没有现车", "李娜")
	f.newCustomer(t, "", "lost", "2026-10-11", "品牌不接受", "李娜")
	// Key prospects of the week of 10-05.
	for _, k := range []struct{ status, day, cons string }{{"won", "2026-10-08", "张伟"}, {"key", "", "张伟"}, {"lost", "2026-10-09", "李娜"}} {
		c := f.newCustomer(t, "", k.status, k.day, "", k.cons)
		f.task(t, "K"+fmt.Sprint(c), c, "key_prospect", "2026-10-05", "2026-10-11", "open", nil, `{}`)
	}
}

func TestKPIDefinitions(t *testing.T) {
	f := newKPIFixture(t)
	f.build(t)
	from, _ := time.ParseInLocation(dayLayout, "2026-10-01", f.sh)
	to, _ := time.ParseInLocation(dayLayout, "2026-10-31", f.sh)
	k, err := computeKPIs(context.Background(), store.New(f.db), f.db, testFigures{db: f.db}, f.dealer, "Asia/Shanghai", dayRange{From: from, To: to})
	require.NoError(t, err)

	require.Equal(t, [2]int64{1, 4}, [2]int64{k.FirstCame, k.FirstDue}, "first-maintenance return: came / windows closed")
	require.Equal(t, [2]int64{3, 9}, [2]int64{k.FollowReached, k.FollowDue},
		"follow-up: reached (T1 T2 T5) / fell due in October (T1 T2 T3 T5 T6 T7 and the 3 key prospects; T6 and the key prospects never called count too)")
	require.Contains(t, k.FollowByCampaign, followLine{Campaign: "maintenance", Due: 1, Reached: 0})
	require.Contains(t, k.FollowByCampaign, followLine{Campaign: "care_15day", Due: 1, Reached: 1})
	require.Equal(t, "过期未拨", taskStatusName(langZH, "expired", 0))
	require.Equal(t, [2]int64{3, 5}, [2]int64{k.Reached, k.Called}, "contact: tasks reached / tasks called (T1 T2 T3 T5 T7)")
	require.Equal(t, int64(2), k.Booked, "booking: T2 and T5")
	require.Equal(t, [2]int64{1, 2}, [2]int64{k.LapsedCame, k.LapsedReached}, "win-back: came within 90 days / lapsed reached")
	require.Equal(t, [2]int64{2, 4}, [2]int64{k.Won, k.Lost}, "the two key prospects closed in October count too")
	require.Equal(t, []countOf{{"价格太高", 2}, {"–", 1}, {"品牌不接受", 1}}, k.LostReasons)
	byName := map[string]store.DirectorAgentProductivityRow{}
	for _, a := range k.Agents {
		byName[a.Name] = a
	}
	require.Equal(t, store.DirectorAgentProductivityRow{ID: f.agents["agent1"], Name: "agent1", Calls: 3, Answered: 2, TalkSecs: 180, Outcomes: 3, ActiveHours: 3}, byName["agent1"])
	require.Equal(t, store.DirectorAgentProductivityRow{ID: f.agents["agent2"], Name: "agent2", Calls: 2, Answered: 1, TalkSecs: 90, Outcomes: 1, ActiveHours: 2}, byName["agent2"])
	require.Equal(t, "1.0", perHour(3, 3))
	require.Equal(t, []keyProspectLine{{"张伟", 1, 0, 1}, {"李娜", 0, 1, 0}}, k.KeyProspects)
	require.Equal(t, []countOf{{"premium", 2}, {"potential", 1}, {"general", 1}, {"", 1}}, k.Grades)
}

func TestDailyCheckCounts(t *testing.T) {
	f := newKPIFixture(t)
	f.build(t)
	day, _ := time.ParseInLocation(dayLayout, "2026-10-05", f.sh)
	rg := dayRange{From: day, To: day}
	from, to := rg.fromAt(), rg.toAt()
	rows, err := store.New(f.db).DirectorDayTasks(context.Background(), store.DirectorDayTasksParams{FromAt: &from, ToAt: &to, DealerID: f.dealer, Day: dateOnly(day)})
	require.NoError(t, err)
	order, counts := dailyCounts(rows)
	require.ElementsMatch(t, []string{"lapsed_6m", "first_maintenance", "care_15day", "maintenance_2", "recall", "key_prospect"}, order, "T2 is due the day after, T4 and T8 closed before")
	want := map[string]map[string]int64{
		"lapsed_6m":         {"due": 1, "called": 1, "reached": 1},
		"first_maintenance": {"due": 1, "called": 1, "not_called": 0},
		"care_15day":        {"due": 1, "called": 1, "no_outcome": 1},
		"maintenance_2":     {"due": 1, "not_called": 1},
		"recall":            {"due": 1, "called": 1, "unreachable": 1, "no_outcome": 1},
		"key_prospect":      {"due": 3, "not_called": 3},
	}
	for cat, kinds := range want {
		for _, k := range dailyKinds {
			require.Equal(t, kinds[k], counts[cat][k], "%s %s", cat, k)
		}
	}
}
