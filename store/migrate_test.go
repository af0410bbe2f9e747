package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

func TestMigrateFromZero(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t) // already migrated once
	all, err := store.Migrations()
	require.NoError(t, err)
	require.NoError(t, store.CheckSchema(ctx, db))

	// A second run applies nothing.
	res, err := store.Migrate(ctx, db)
	require.NoError(t, err)
	require.Empty(t, res.Applied)
	require.Equal(t, all[len(all)-1].Version, res.Current)

	// Forget the last migration: the schema is outdated and commands must refuse.
	_, err = db.Exec(ctx, `DELETE FROM schema_migrations WHERE version = $1`, all[len(all)-1].Version)
	require.NoError(t, err)
	require.ErrorIs(t, store.CheckSchema(ctx, db), store.ErrSchemaOutdated)
}

func TestMigrationsDownRevertUp(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	all, err := store.Migrations()
	require.NoError(t, err)
	for i := len(all) - 1; i >= 0; i-- {
		require.NotEmpty(t, all[i].Down, "migration %d has no down", all[i].Version)
		_, err := db.Exec(ctx, all[i].Down)
		require.NoError(t, err, "down %d", all[i].Version)
	}
	_, err = db.Exec(ctx, `DELETE FROM schema_migrations`)
	require.NoError(t, err)
	res, err := store.Migrate(ctx, db)
	require.NoError(t, err)
	require.Len(t, res.Applied, len(all))
}
