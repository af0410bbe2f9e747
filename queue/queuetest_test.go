package queue

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

// ruleFixture is a small factory of one dealer's data for the rule tests: every helper inserts
// rows directly with SQL.
type ruleFixture struct {
	t      testing.TB
	ctx    context.Context
	db     *pgxpool.Pool
	dealer int64
	seq    *atomic.Int64
}

// newRuleDealer makes a fresh dealer in db.
func newRuleDealer(t testing.TB, db *pgxpool.Pool, seq *atomic.Int64) *ruleFixture {
	t.Helper()
	f := &ruleFixture{t: t, ctx: context.Background(), db: db, seq: seq}
	n := seq.Add(1)
	require.NoError(t, db.QueryRow(f.ctx, `INSERT INTO dealers (code, name) VALUES ($1, $2) RETURNING id`,
		fmt.Sprintf("D%d", n), fmt.Sprintf("测试店%d", n)).Scan(&f.dealer))
	return f
}

// mustDay parses a day.
func mustDay(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// cust are the fields of a customer the tests set.
type cust struct {
	Name       string
	Phone      string
	Grade      string // premium, potential, general or ""
	Birthday   string
	Prospect   string // prospect_status
	StatusDay  string
	Consultant string
	Invalid    bool
	Created    string
}

func nullDay(s string) any {
	if s == "" {
		return nil
	}
	return mustDay(s)
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// customer inserts a customer and returns its id.
func (f *ruleFixture) customer(c cust) int64 {
	f.t.Helper()
	n := f.seq.Add(1)
	if c.Name == "" {
		c.Name = fmt.Sprintf("客户%d", n)
	}
	if c.Phone == "" {
		c.Phone = fmt.Sprintf("139%08d", n)
	}
	created := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if c.Created != "" {
		created = mustDay(c.Created)
	}
	var id int64
	require.NoError(f.t, f.db.QueryRow(f.ctx, `INSERT INTO customers
		(dealer_id, name, phone, phone_valid, grade, birthday, prospect_status, status_day, consultant, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		f.dealer, c.Name, c.Phone, !c.Invalid, nullText(c.Grade), nullDay(c.Birthday), c.Prospect,
		nullDay(c.StatusDay), c.Consultant, created).Scan(&id))
	return id
}

// veh are the fields of a vehicle the tests set.
type veh struct {
	Delivery   string
	Warranty   string
	Insurance  string
	Inspection string
	Consultant string
	Inactive   bool
	VIN        string
}

// vehicle inserts a vehicle of customer and returns its id.
func (f *ruleFixture) vehicle(customer int64, v veh) int64 {
	f.t.Helper()
	n := f.seq.Add(1)
	if v.VIN == "" {
		v.VIN = fmt.Sprintf("LVIN%013d", n)
	}
	var id int64
	require.NoError(f.t, f.db.QueryRow(f.ctx, `INSERT INTO vehicles
		(dealer_id, customer_id, vin, plate, delivery_day, warranty_end, insurance_end, inspection_due, consultant, active)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		f.dealer, customer, v.VIN, fmt.Sprintf("粤A%05d", n%100000), nullDay(v.Delivery), nullDay(v.Warranty),
		nullDay(v.Insurance), nullDay(v.Inspection), v.Consultant, !v.Inactive).Scan(&id))
	return id
}

// visit inserts a workshop visit (kind maintenance or repair); km < 0 means no mileage.
func (f *ruleFixture) visit(vehicle int64, day, kind string, km int) {
	f.t.Helper()
	var mileage any
	if km >= 0 {
		mileage = km
	}
	_, err := f.db.Exec(f.ctx, `INSERT INTO workshop_visits (dealer_id, vehicle_id, customer_id, day, kind, type_label, mileage)
		SELECT dealer_id, id, customer_id, $2, $3, $4, $5 FROM vehicles WHERE id = $1`,
		vehicle, mustDay(day), kind, map[string]string{"maintenance": "保养", "repair": "维修"}[kind], mileage)
	require.NoError(f.t, err)
}

// reading inserts an odometer reading.
func (f *ruleFixture) reading(vehicle int64, day string, km int) {
	f.t.Helper()
	_, err := f.db.Exec(f.ctx, `INSERT INTO odometer_readings (vehicle_id, day, km) VALUES ($1, $2, $3)`, vehicle, mustDay(day), km)
	require.NoError(f.t, err)
}

// complaint inserts a complaint opened on opened and closed on closed ("" while open).
func (f *ruleFixture) complaint(customer int64, opened, closed string) {
	f.t.Helper()
	_, err := f.db.Exec(f.ctx, `INSERT INTO complaints (dealer_id, customer_id, opened_on, closed_on, category, description)
		VALUES ($1, $2, $3, $4, '服务态度', $5)`, f.dealer, customer, mustDay(opened), nullDay(closed), fmt.Sprint(f.seq.Add(1)))
	require.NoError(f.t, err)
}

// showroom inserts a showroom visit at a local time "2026-03-05 14:10" (Asia/Shanghai).
func (f *ruleFixture) showroom(customer int64, at string) {
	f.t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(f.t, err)
	ts, err := time.ParseInLocation("2006-01-02 15:04", at, loc)
	require.NoError(f.t, err)
	_, err = f.db.Exec(f.ctx, `INSERT INTO showroom_visits (dealer_id, customer_id, arrived_at, consultant) VALUES ($1, $2, $3, '张伟')`,
		f.dealer, customer, ts)
	require.NoError(f.t, err)
}

// recall puts vin on recall code, imported on imported and done on done ("" when not done).
func (f *ruleFixture) recall(code, vin, imported, done string) {
	f.t.Helper()
	var id int64
	require.NoError(f.t, f.db.QueryRow(f.ctx, `INSERT INTO recalls (dealer_id, code, title) VALUES ($1, $2, '刹车') 
		ON CONFLICT (dealer_id, code) DO UPDATE SET code = EXCLUDED.code RETURNING id`, f.dealer, code).Scan(&id))
	_, err := f.db.Exec(f.ctx, `INSERT INTO recall_vehicles (recall_id, vin, imported_on, done_on) VALUES ($1, $2, $3, $4)`,
		id, vin, mustDay(imported), nullDay(done))
	require.NoError(f.t, err)
}

// dnc puts phone on the do-not-call list.
func (f *ruleFixture) dnc(phone string) {
	f.t.Helper()
	_, err := f.db.Exec(f.ctx, `INSERT INTO do_not_call (dealer_id, phone) VALUES ($1, $2)`, f.dealer, phone)
	require.NoError(f.t, err)
}

// outcome records a call outcome with code for customer at local noon of day, on a task of its own.
func (f *ruleFixture) outcome(customer int64, day, code string) {
	f.t.Helper()
	var task int64
	require.NoError(f.t, f.db.QueryRow(f.ctx, `INSERT INTO call_tasks (dealer_id, customer_id, status, priority, due_day, expires_day)
		VALUES ($1, $2, 'done', 0, $3, $3) RETURNING id`, f.dealer, customer, mustDay(day)).Scan(&task))
	at := mustDay(day).Add(4 * time.Hour) // 12:00 in Asia/Shanghai
	_, err := f.db.Exec(f.ctx, `INSERT INTO call_outcomes (dealer_id, client_id, task_id, code, created_at) VALUES ($1, $2, $3, $4, $5)`,
		f.dealer, fmt.Sprint(f.seq.Add(1)), task, code, at)
	require.NoError(f.t, err)
}

// build builds the queue as of day.
func (f *ruleFixture) build(day string) *BuildResult {
	f.t.Helper()
	res, err := Build(f.ctx, f.db, BuildParams{DealerID: f.dealer, Day: mustDay(day)})
	require.NoError(f.t, err)
	return res
}

// list lists the queue as of day.
func (f *ruleFixture) list(day string) []ListedTask {
	f.t.Helper()
	out, err := List(f.ctx, f.db, ListParams{DealerID: f.dealer, Day: mustDay(day)})
	require.NoError(f.t, err)
	return out
}

// task returns customer's listed task as of day, or nil.
func (f *ruleFixture) task(day string, customer int64) *ListedTask {
	f.t.Helper()
	for _, t := range f.list(day) {
		if t.CustomerID == customer {
			return &t
		}
	}
	return nil
}

// held reports whether customer's queue as of day carries campaign.
func (f *ruleFixture) held(day string, customer int64, campaign string) bool {
	f.t.Helper()
	t := f.task(day, customer)
	if t == nil {
		return false
	}
	for _, c := range t.Campaigns {
		if c == campaign {
			return true
		}
	}
	return false
}
