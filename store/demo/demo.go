// Package demo makes a realistic dealer for demonstrations, manual testing and
// benchmarks: three years of showroom prospects, owners and their vehicles (valid VINs),
// odometer readings, workshop visits, complaints and a recall list, with Chinese names
// and valid mainland phone numbers, spread so that every campaign of docs/domain.md has
// customers on the day the data is generated for; and the dealer's users.
//
// Rows are written with COPY, so a million customers take seconds, not hours. The same
// seed gives the same dealer.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/store"
)

// Params says what dealer to make.
type Params struct {
	// DealerCode is the dealer's code; the dealer is created when missing.
	DealerCode string
	// DealerName is the dealer's display name.
	DealerName string
	// Customers is the number of customers (prospects and owners) to make.
	Customers int
	// Password is the password of every generated user.
	Password string
	// Today is the day the histories lead up to, in the dealer's zone (00:00 UTC).
	Today time.Time
	// Seed makes the data reproducible.
	Seed uint64
	// Progress, when set, is called after each batch with the customers written so far.
	Progress func(done int)
}

// Result says what was made.
type Result struct {
	// DealerID is the dealer's id.
	DealerID int64
	// Users are the generated logins, in order.
	Users []User
	// SIPSecrets are the agents' softphone secrets by user name, to be shown once (only
	// their HA1 is stored).
	SIPSecrets map[string]string
	// Customers, Vehicles, Visits, Showroom, Complaints and Readings count the rows written.
	Customers, Vehicles, Visits, Showroom, Complaints, Readings int
}

// User is one generated login.
type User struct {
	// Username is the login name.
	Username string
	// DisplayName is the name the console shows.
	DisplayName string
	// Role is agent, director or admin.
	Role string
}

// ErrNotEmpty is returned when the dealer already has customers.
var ErrNotEmpty = errors.New("demo: the dealer already has customers")

// Users lists the logins the demo makes.
func Users() []User {
	return []User{
		{"agent1", "客服 王芳", "agent"},
		{"agent2", "客服 刘洋", "agent"},
		{"agent3", "回访专员 陈静", "agent"},
		{"agent4", "张伟", "agent"}, // sales consultant
		{"agent5", "李娜", "agent"}, // sales consultant
		{"director1", "服务总监 赵强", "director"},
		{"admin", "系统管理员", "admin"},
	}
}

// consultants are the sales consultants named in vehicles.consultant; agent4 and agent5
// carry these display names so their consultant-owned tasks reach them.
var consultants = []string{"张伟", "李娜"}

// Generate makes the dealer. It refuses with ErrNotEmpty when the dealer has customers.
func Generate(ctx context.Context, db *pgxpool.Pool, p Params) (*Result, error) {
	if p.Customers < 0 {
		return nil, fmt.Errorf("demo: customers must not be negative, got %d", p.Customers)
	}
	if p.DealerName == "" {
		p.DealerName = p.DealerCode + " 汽车销售服务有限公司"
	}
	if p.Today.IsZero() {
		return nil, errors.New("demo: Today is required")
	}
	q := store.New(db)
	dealer, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: p.DealerCode, Name: p.DealerName})
	if err != nil {
		return nil, fmt.Errorf("demo: dealer %s: %w", p.DealerCode, err)
	}
	n, err := q.CountCustomers(ctx, dealer.ID)
	if err != nil {
		return nil, fmt.Errorf("demo: count customers: %w", err)
	}
	if n > 0 {
		return nil, fmt.Errorf("%w (%s has %d)", ErrNotEmpty, p.DealerCode, n)
	}
	res := &Result{DealerID: dealer.ID, SIPSecrets: map[string]string{}}
	for _, u := range Users() {
		hash, err := store.HashPassword(p.Password)
		if err != nil {
			return nil, err
		}
		ha1 := ""
		if u.Role == "agent" {
			secret := store.NewSIPSecret()
			res.SIPSecrets[u.Username] = secret
			ha1 = store.SIPHA1(u.Username, store.SIPRealm, secret)
		}
		if _, err := q.CreateUser(ctx, store.CreateUserParams{
			DealerID: dealer.ID, Username: u.Username, DisplayName: u.DisplayName,
			Role: u.Role, PasswordHash: hash, SipHa1: ha1,
		}); err != nil {
			return nil, fmt.Errorf("demo: user %s: %w", u.Username, err)
		}
		res.Users = append(res.Users, u)
	}
	loc, err := time.LoadLocation(dealer.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("demo: dealer time zone %q: %w", dealer.TimeZone, err)
	}
	g := &generator{
		p: p, dealerID: dealer.ID, loc: loc,
		rng: rand.New(rand.NewPCG(p.Seed, p.Seed^0x9e3779b97f4a7c15)),
	}
	const batch = 50_000
	for start := 0; start < p.Customers; start += batch {
		end := min(start+batch, p.Customers)
		b, err := g.batch(ctx, db, start, end)
		if err != nil {
			return nil, err
		}
		if err := store.WithTx(ctx, db, func(tx pgx.Tx) error { return b.copy(ctx, tx) }); err != nil {
			return nil, fmt.Errorf("demo: write customers %d-%d: %w", start+1, end, err)
		}
		res.Customers += len(b.customers)
		res.Vehicles += len(b.vehicles)
		res.Visits += len(b.visits)
		res.Showroom += len(b.showroom)
		res.Complaints += len(b.complaints)
		res.Readings += len(b.readings)
		if p.Progress != nil {
			p.Progress(end)
		}
	}
	if err := g.recall(ctx, db); err != nil {
		return nil, err
	}
	return res, nil
}
