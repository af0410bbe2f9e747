package store_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// TestOpenThroughPgBouncerTransactionMode: behind PgBouncer in transaction mode, two
// client connections share one server connection. pgx's default statement cache names
// its prepared statements after the SQL, so the second client's prepare collides with
// the first's on the shared server (or finds it missing): the queries fail. With
// TransactionPooled nothing is prepared by name and every query answers.
func TestOpenThroughPgBouncerTransactionMode(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	url := storetest.StartPgBouncer(t, db, 1)

	run := func(pool interface {
		Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
	}) error {
		for i := 0; i < 4; i++ {
			if _, err := pool.Exec(ctx, `SELECT count(*) FROM dealers WHERE id > $1`, i); err != nil {
				return err
			}
		}
		return nil
	}
	twoClients := func(pooled bool) error {
		a, err := store.Open(ctx, store.Config{URL: url, TransactionPooled: pooled})
		require.NoError(t, err)
		defer a.Close()
		b, err := store.Open(ctx, store.Config{URL: url, TransactionPooled: pooled})
		require.NoError(t, err)
		defer b.Close()
		if err := run(a); err != nil {
			return err
		}
		return run(b)
	}
	err := twoClients(false)
	require.Error(t, err, "named prepared statements do not survive transaction pooling")
	var pe *pgconn.PgError
	require.ErrorAs(t, err, &pe)
	require.Contains(t, []string{"42P05", "26000"}, pe.Code, "duplicate or missing prepared statement: %v", err)

	require.NoError(t, twoClients(true))

	// The schema PgBouncer sets on its server connections is the test's: the migrated
	// tables answer, and a transaction sees its own writes.
	p, err := store.Open(ctx, store.Config{URL: url, TransactionPooled: true})
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, store.CheckSchema(ctx, p))
}
