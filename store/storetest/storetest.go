// Package storetest gives tests a real Postgres: each call to New makes a fresh schema
// with every migration applied, in a test database, and drops it when the test ends.
//
// The server is HUIFANG_TEST_DATABASE_URL, by default
// postgres://postgres:postgres@127.0.0.1:5432/huifang_test?sslmode=disable; the database is
// created when it does not exist.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
)

// DefaultURL is the test database used when HUIFANG_TEST_DATABASE_URL is not set.
const DefaultURL = "postgres://postgres:postgres@127.0.0.1:5432/huifang_test?sslmode=disable"

// URL returns the test database URL.
func URL() string {
	if u := os.Getenv("HUIFANG_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// DB is a migrated schema of its own for one test.
type DB struct {
	// Pool is connected with search_path set to the test's schema.
	Pool *pgxpool.Pool
	// Schema is the schema's name.
	Schema string
	// URL is a database URL whose connections use the schema (search_path option).
	URL string
}

// New returns a pool on a fresh, fully migrated schema that is dropped at cleanup.
func New(t testing.TB) *pgxpool.Pool {
	return NewDB(t).Pool
}

// NewDB is New, also returning the schema's name and a URL that selects it.
func NewDB(t testing.TB) *DB {
	t.Helper()
	ctx := context.Background()
	base := URL()
	ensureDatabase(t, base)

	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)

	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err, "connect to test database %s", base)
	_, err = admin.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	require.NoError(t, admin.Close(ctx))

	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()

	pool, err := store.Open(ctx, store.Config{URL: base, SearchPath: schema, MaxConns: 20})
	require.NoError(t, err)
	_, err = store.Migrate(ctx, pool)
	require.NoError(t, err, "migrate test schema")

	t.Cleanup(func() {
		pool.Close()
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Logf("storetest: drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("storetest: drop schema %s: %v", schema, err)
		}
	})
	return &DB{Pool: pool, Schema: schema, URL: u.String()}
}

func ensureDatabase(t testing.TB, base string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(base)
	require.NoError(t, err)
	name := cfg.Database
	c, err := pgx.Connect(ctx, base)
	if err == nil {
		_ = c.Close(ctx)
		return
	}
	if !strings.Contains(err.Error(), "does not exist") {
		require.NoError(t, err, "connect to test database")
	}
	cfg.Database = "postgres"
	c, err = pgx.ConnectConfig(ctx, cfg)
	require.NoError(t, err, "connect to postgres database to create %s", name)
	defer c.Close(ctx)
	_, err = c.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s", pgx.Identifier{name}.Sanitize()))
	if err != nil && !store.IsUniqueViolation(err) && !strings.Contains(err.Error(), "already exists") {
		require.NoError(t, err, "create database %s", name)
	}
}
