package notify

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

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
