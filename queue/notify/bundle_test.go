package notify

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// workBundle is one test's dealer, on a database of its own, with its agents.
type workBundle struct {
	db     *pgxpool.Pool
	dealer int64
	agents []int64
	loc    *time.Location
}

func newWorkBundle(t testing.TB, agents int) *workBundle {
	t.Helper()
	ctx := context.Background()
	db := storetest.New(t)
	q := store.New(db)
	d, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "D1", Name: "测试4S店"})
	require.NoError(t, err)
	loc, err := time.LoadLocation(d.TimeZone)
	require.NoError(t, err)
	b := &workBundle{db: db, dealer: d.ID, loc: loc}
	for i := 0; i < agents; i++ {
		u, err := q.CreateUser(ctx, store.CreateUserParams{
			DealerID: d.ID, Username: fmt.Sprintf("agent%d", i+1), DisplayName: fmt.Sprintf("坐席%d", i+1),
			Role: "agent", PasswordHash: "x",
		})
		require.NoError(t, err)
		b.agents = append(b.agents, u.ID)
	}
	return b
}

// at returns the instant of a local wall-clock time "2006-01-02 15:04" at the dealer.
func (b *workBundle) at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, b.loc)
	require.NoError(t, err)
	return v
}

// day returns a calendar day as pgx gives it (00:00 UTC).
func day(s string) time.Time {
	v, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return v
}

func newQueueRedis(t testing.TB) *redis.Client {
	t.Helper()
	return storetest.NewRedis(t).Client
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// notifyHandlers returns notify's handler for the queue worker's Handlers, with sender
// and the clock now.
func (b *workBundle) notifyHandlers(t testing.TB, sender Sender, now func() time.Time) map[string]asynq.Handler {
	t.Helper()
	h, err := NewHandler(HandlerConfig{DB: b.db, Sender: sender, Log: quietLog(), Now: now})
	require.NoError(t, err)
	return map[string]asynq.Handler{TaskPrefix: h}
}
