package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
)

// seq numbers the rows the factory makes, so defaults never collide.
var seq atomic.Int64

// CustomerOpts are the fields of a customer a test sets; zero values get defaults.
type CustomerOpts struct {
	// DealerID is required.
	DealerID int64
	// Name defaults to 客户N, Title to 先生, Phone to 139NNNNNNNN.
	Name, Title, Phone string
	// Invalid marks the phone wrong (phone_valid false).
	Invalid bool
	// Birthday is a day, nil for none.
	Birthday *time.Time
}

// Customer inserts a customer and returns its id.
func Customer(ctx context.Context, t testing.TB, db *pgxpool.Pool, o CustomerOpts) int64 {
	t.Helper()
	require.NotZero(t, o.DealerID, "storetest.Customer: DealerID is required")
	n := seq.Add(1)
	if o.Name == "" {
		o.Name = fmt.Sprintf("客户%d", n)
	}
	if o.Title == "" {
		o.Title = "先生"
	}
	if o.Phone == "" {
		o.Phone = fmt.Sprintf("139%08d", n%100000000)
	}
	var id int64
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, title, phone, phone_valid, birthday)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, o.DealerID, o.Name, o.Title, o.Phone, !o.Invalid, o.Birthday).Scan(&id))
	return id
}

// VehicleOpts are the fields of a vehicle a test sets; zero values get defaults.
type VehicleOpts struct {
	// DealerID and CustomerID are required.
	DealerID, CustomerID int64
	// VIN defaults to LVIN + 13 digits, Plate to 粤ANNNNN, Model to 轩逸.
	VIN, Plate, Model string
	// Delivery is the delivery day, nil for none.
	Delivery *time.Time
}

// Vehicle inserts an active vehicle and returns its id.
func Vehicle(ctx context.Context, t testing.TB, db *pgxpool.Pool, o VehicleOpts) int64 {
	t.Helper()
	require.NotZero(t, o.DealerID, "storetest.Vehicle: DealerID is required")
	require.NotZero(t, o.CustomerID, "storetest.Vehicle: CustomerID is required")
	n := seq.Add(1)
	if o.VIN == "" {
		o.VIN = fmt.Sprintf("LVIN%013d", n)
	}
	if o.Plate == "" {
		o.Plate = fmt.Sprintf("粤A%05d", n%100000)
	}
	if o.Model == "" {
		o.Model = "轩逸"
	}
	var id int64
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO vehicles (dealer_id, customer_id, vin, plate, model, delivery_day)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, o.DealerID, o.CustomerID, o.VIN, o.Plate, o.Model, o.Delivery).Scan(&id))
	return id
}

// DealerFixture is a dealer "D1" on a database of its own, with its agents.
type DealerFixture struct {
	// DB is the test's own database.
	DB *pgxpool.Pool
	// ID is the dealer's id; Agents the agents' user ids (agent1, agent2, ...).
	ID     int64
	Agents []int64
	// Loc is the dealer's time zone.
	Loc *time.Location
}

// Dealer makes a database of its own with the dealer 测试4S店 (code D1) and agents agents
// (agent1 .. agentN, shown as 坐席1 .. 坐席N).
func Dealer(t testing.TB, agents int) *DealerFixture {
	t.Helper()
	ctx := context.Background()
	db := New(t)
	q := store.New(db)
	d, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "D1", Name: "测试4S店"})
	require.NoError(t, err)
	loc, err := time.LoadLocation(d.TimeZone)
	require.NoError(t, err)
	f := &DealerFixture{DB: db, ID: d.ID, Loc: loc}
	for i := 0; i < agents; i++ {
		u, err := q.CreateUser(ctx, store.CreateUserParams{
			DealerID: d.ID, Username: fmt.Sprintf("agent%d", i+1), DisplayName: fmt.Sprintf("坐席%d", i+1),
			Role: "agent", PasswordHash: "x",
		})
		require.NoError(t, err)
		f.Agents = append(f.Agents, u.ID)
	}
	return f
}

// At is the instant of a local wall-clock time "2006-01-02 15:04" in loc.
func At(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	require.NoError(t, err)
	return v
}

// Day is a calendar day "2006-01-02" as pgx gives a date (00:00 UTC); it panics on a bad
// day, which is a mistake in the test itself.
func Day(s string) time.Time {
	v, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return v
}
