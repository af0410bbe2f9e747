package queue

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
)

// taskRow is a stored call task as the take reads it.
type taskRow struct {
	ID         int64
	Status     string
	Priority   int
	Due        string
	Expires    string
	Campaigns  []string
	Consultant string
}

func (f *ruleFixture) tasks(customer int64) []taskRow {
	f.t.Helper()
	rows, err := f.db.Query(f.ctx, `SELECT id, status, priority, to_char(due_day, 'YYYY-MM-DD'), to_char(expires_day, 'YYYY-MM-DD'),
		campaigns, consultant FROM call_tasks WHERE customer_id = $1 AND priority > 0 ORDER BY id`, customer)
	require.NoError(f.t, err)
	defer rows.Close()
	var out []taskRow
	for rows.Next() {
		var r taskRow
		require.NoError(f.t, rows.Scan(&r.ID, &r.Status, &r.Priority, &r.Due, &r.Expires, &r.Campaigns, &r.Consultant))
		out = append(out, r)
	}
	require.NoError(f.t, rows.Err())
	return out
}

func TestMergeOneTaskPerCustomer(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	c := f.customer(cust{})
	// Vehicle 1: delivered 2026-03-01 (delivery_3day 03-04..03-08, priority 50).
	f.vehicle(c, veh{Delivery: "2026-03-01"})
	// Vehicle 2: warranty ends 2026-03-20 (due 01-19, priority 40) and insurance 2026-04-10 (due 02-24).
	v2 := f.vehicle(c, veh{Delivery: "2023-01-01", Warranty: "2026-03-20", Insurance: "2026-04-10"})
	f.visit(v2, "2025-12-01", "maintenance", -1) // next maintenance due 2026-12-01
	// Vehicles 3 and 4: both first maintenance, one campaign on the task.
	f.vehicle(c, veh{Delivery: "2025-09-20"})
	f.vehicle(c, veh{Delivery: "2025-09-25"})

	res := f.build("2026-03-05")
	got := f.task("2026-03-05", c)
	require.EqualValues(t, 1, res.TasksCreated)
	require.EqualValues(t, 5, res.ReasonsAdded)
	require.NotNil(t, got)
	require.Equal(t, []string{CampaignFirstMaintenance, CampaignDelivery3Day, CampaignInsurance, CampaignWarranty}, got.Campaigns)
	require.Equal(t, 60, got.Priority)
	require.Equal(t, "2026-01-19", got.Due)
	require.Equal(t, "2026-04-24", *got.Expires) // first maintenance of 2025-09-25: due 2026-03-25, +30
	require.Len(t, got.Reasons, 5)

	stored := f.tasks(c)
	require.Len(t, stored, 1)
	require.Equal(t, "open", stored[0].Status)
	require.Equal(t, got.Campaigns, stored[0].Campaigns)
	require.Equal(t, 60, stored[0].Priority)
	require.Equal(t, "2026-01-19", stored[0].Due)

	// A later day adds a reason to the same open task and merges again; expired ones leave.
	res = f.build("2026-03-09")
	require.EqualValues(t, 0, res.TasksCreated)
	require.EqualValues(t, 1, res.ReasonsExpired) // delivery_3day ended 03-08
	stored = f.tasks(c)
	require.Len(t, stored, 1)
	require.Equal(t, []string{CampaignFirstMaintenance, CampaignInsurance, CampaignWarranty}, stored[0].Campaigns)
	got = f.task("2026-03-09", c)
	require.Equal(t, stored[0].Campaigns, got.Campaigns)
	// The queue as of 03-05 is still what it was.
	require.Len(t, f.task("2026-03-05", c).Reasons, 5)
}

func TestRebuildAddsNothing(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	for i := 0; i < 5; i++ {
		c := f.customer(cust{Grade: "premium", Birthday: "1990-03-05"})
		v := f.vehicle(c, veh{Delivery: "2025-09-05", Insurance: "2026-04-01"})
		f.visit(v, "2026-03-01", "repair", 3000)
		f.complaint(c, "2026-03-04", "")
	}
	first := f.build("2026-03-05")
	require.NotZero(t, first.ReasonsAdded)
	before := f.list("2026-03-05")
	second := f.build("2026-03-05")
	require.Zero(t, second.ReasonsAdded)
	require.Zero(t, second.TasksCreated)
	require.Zero(t, second.TasksMerged)
	require.Zero(t, second.TasksUpdated)
	require.Equal(t, first.Held, second.AlreadyPresent)
	require.Equal(t, before, f.list("2026-03-05"))
}

func TestConcurrentBuilds(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	var customers []int64
	for i := 0; i < 20; i++ {
		c := f.customer(cust{Grade: "general"})
		f.vehicle(c, veh{Delivery: "2026-03-01"})
		f.vehicle(c, veh{Delivery: "2025-09-10"})
		customers = append(customers, c)
	}
	var wg sync.WaitGroup
	results := make([]*BuildResult, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = Build(context.Background(), db, BuildParams{DealerID: f.dealer, Day: mustDay("2026-03-05")})
		}()
	}
	wg.Wait()
	var added, created int64
	for i := range results {
		require.NoError(t, errs[i])
		added += results[i].ReasonsAdded
		created += results[i].TasksCreated
	}
	require.EqualValues(t, 20, created)
	var reasons int64
	require.NoError(t, db.QueryRow(f.ctx, `SELECT count(*) FROM call_task_reasons WHERE dealer_id = $1`, f.dealer).Scan(&reasons))
	require.Equal(t, reasons, added)
	require.EqualValues(t, 20*2, reasons) // delivery_3day, first_maintenance (due 03-10: not on the March list)
	for _, c := range customers {
		require.Len(t, f.tasks(c), 1)
	}
}

func TestExpiryAndPastDays(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	c := f.customer(cust{})
	f.vehicle(c, veh{Delivery: "2026-03-01"})

	// A future day first: the 15-day care call, its own task.
	f.build("2026-03-17")
	stored := f.tasks(c)
	require.Len(t, stored, 1)
	require.Equal(t, []string{CampaignCare15Day}, stored[0].Campaigns)
	// Then a past day: the 3-day call joins the open task; nothing is destroyed.
	f.build("2026-03-05")
	require.Equal(t, []string{CampaignDelivery3Day}, f.task("2026-03-05", c).Campaigns)
	require.Equal(t, []string{CampaignCare15Day}, f.task("2026-03-17", c).Campaigns)
	stored = f.tasks(c)
	require.Len(t, stored, 1)
	require.Equal(t, "open", stored[0].Status)

	// After every window: reasons and the task expire, the past stays listable.
	res := f.build("2026-03-25")
	require.EqualValues(t, 2, res.ReasonsExpired)
	require.EqualValues(t, 1, res.TasksExpired)
	require.Equal(t, "expired", f.tasks(c)[0].Status)
	require.Nil(t, f.task("2026-03-25", c))
	require.Equal(t, []string{CampaignDelivery3Day}, f.task("2026-03-05", c).Campaigns)
	require.Equal(t, []string{CampaignCare15Day}, f.task("2026-03-17", c).Campaigns)

	// A sales follow-up later makes a new task, owned by the consultant.
	_, err := db.Exec(f.ctx, `UPDATE vehicles SET consultant = '张伟' WHERE customer_id = $1`, c)
	require.NoError(t, err)
	f.build("2026-03-31")
	stored = f.tasks(c)
	require.Len(t, stored, 2)
	require.Equal(t, "open", stored[1].Status)
	require.Equal(t, "张伟", stored[1].Consultant)
	require.Equal(t, "张伟", f.task("2026-03-31", c).Consultant)
}

func TestDoNotCallAfterBuild(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	c := f.customer(cust{Phone: "13700000001"})
	f.vehicle(c, veh{Delivery: "2026-03-01"})
	f.build("2026-03-04")
	require.NotNil(t, f.task("2026-03-04", c))
	f.dnc("13700000001")
	require.Nil(t, f.task("2026-03-04", c), "do-not-call hides the task at once")
	res := f.build("2026-03-05")
	require.EqualValues(t, 1, res.ReasonsSuppressed)
	require.EqualValues(t, 1, res.TasksCancelled)
	require.Equal(t, "cancelled", f.tasks(c)[0].Status)
	f.build("2026-03-16")
	require.Len(t, f.tasks(c), 1, "no new task for a do-not-call number")
}

func TestComplaintKeepsOnlyTheComplaintCall(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	c := f.customer(cust{})
	f.vehicle(c, veh{Delivery: "2026-03-01", Consultant: "张伟"})
	f.build("2026-03-04")
	f.complaint(c, "2026-03-05", "")
	f.build("2026-03-05")
	got := f.task("2026-03-05", c)
	require.Equal(t, []string{CampaignComplaint}, got.Campaigns)
	require.Equal(t, 100, got.Priority)
	stored := f.tasks(c)
	require.Len(t, stored, 1)
	require.Equal(t, []string{CampaignComplaint}, stored[0].Campaigns)
	require.Equal(t, "2026-03-05", stored[0].Due)
	// The daily complaint call moves on; yesterday's expires.
	res := f.build("2026-03-06")
	require.EqualValues(t, 1, res.ReasonsAdded)
	require.Equal(t, []string{CampaignComplaint}, f.tasks(c)[0].Campaigns)
	require.Len(t, f.task("2026-03-06", c).Reasons, 1)
}

func TestSettingsOverride(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	c := f.customer(cust{})
	f.vehicle(c, veh{Delivery: "2026-03-01"})
	require.NoError(t, SaveSetting(f.ctx, db, f.dealer, "delivery_3day_due", 2))
	require.NoError(t, SaveSetting(f.ctx, db, f.dealer, "delivery_3day_priority", 77))
	require.Error(t, SaveSetting(f.ctx, db, f.dealer, "no_such", 1))
	r, err := LoadRules(f.ctx, db, f.dealer)
	require.NoError(t, err)
	require.Equal(t, 2, r.Get("delivery_3day_due"))
	f.build("2026-03-03")
	got := f.task("2026-03-03", c)
	require.NotNil(t, got)
	require.Equal(t, 77, got.Priority)
	require.NoError(t, SaveSetting(f.ctx, db, f.dealer, "care_15day_enabled", 0))
	f.build("2026-03-16")
	require.Nil(t, f.task("2026-03-16", c))
	require.NoError(t, ResetSetting(f.ctx, db, f.dealer, "care_15day_enabled"))
	f.build("2026-03-17")
	require.NotNil(t, f.task("2026-03-17", c))
}

func TestListCampaignFilterAndOpenEndedRecall(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	a := f.customer(cust{})
	f.vehicle(a, veh{Delivery: "2024-01-01", VIN: "LRECALL0000000009"})
	f.recall("R9", "LRECALL0000000009", "2026-03-01", "")
	b := f.customer(cust{})
	f.vehicle(b, veh{Delivery: "2026-03-01"})
	f.build("2026-03-04")
	all := f.list("2026-03-04")
	require.Len(t, all, 2)
	require.Equal(t, a, all[0].CustomerID, "recall (80) before delivery (50)")
	require.Nil(t, all[0].Expires)
	only, err := List(f.ctx, db, ListParams{DealerID: f.dealer, Day: mustDay("2026-03-04"), Campaign: CampaignDelivery3Day})
	require.NoError(t, err)
	require.Len(t, only, 1)
	require.Equal(t, b, only[0].CustomerID)
	_, err = List(f.ctx, db, ListParams{DealerID: f.dealer, Day: mustDay("2026-03-04"), Campaign: "nope"})
	require.Error(t, err)
}

func TestReasonsSayWhyInWordsAndFacts(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	c := f.customer(cust{})
	v := f.vehicle(c, veh{Delivery: "2025-03-01"})
	f.visit(v, "2025-12-10", "repair", -1)
	f.build("2026-03-10") // 90 days after 2025-12-10
	got := f.task("2026-03-10", c)
	require.NotNil(t, got)
	require.Contains(t, got.Reasons, "上次进厂 2025-12-10, 已 90 天 (拟流失)")

	c2 := f.customer(cust{})
	f.vehicle(c2, veh{Delivery: "2026-03-01"})
	f.build("2026-03-16")
	got = f.task("2026-03-16", c2)
	require.NotNil(t, got)
	require.Len(t, got.Reasons, 1)
	require.Contains(t, got.Reasons[0], "交车 2026-03-01, 第15天关怀")

	var facts map[string]any
	require.NoError(t, db.QueryRow(f.ctx, `SELECT facts FROM call_task_reasons WHERE customer_id = $1 AND campaign = 'lapsed_3m'`, c).Scan(&facts))
	require.Equal(t, "2025-12-10", facts["last_service"])
	require.EqualValues(t, 90, facts["days"])
}

func TestCallbackKeepsTheTaskAlive(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	c := f.customer(cust{})
	f.vehicle(c, veh{Delivery: "2026-03-01"})
	f.build("2026-03-07")
	// The customer asked to be called back on 03-12; the outcome code extends the task.
	_, err := db.Exec(f.ctx, `UPDATE call_tasks SET not_before = '2026-03-12 02:00:00+00', expires_day = '2026-03-12', outcome = 'callback'
		WHERE customer_id = $1 AND status = 'open'`, c)
	require.NoError(t, err)
	res := f.build("2026-03-09") // the 3-day reason ended 03-08
	require.EqualValues(t, 1, res.ReasonsExpired)
	require.Zero(t, res.TasksExpired)
	stored := f.tasks(c)
	require.Equal(t, "open", stored[0].Status)
	require.Equal(t, "2026-03-12", stored[0].Expires)
	res = f.build("2026-03-13")
	require.Equal(t, "expired", f.tasks(c)[0].Status)
}
