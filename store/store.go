package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config says how to reach Postgres.
type Config struct {
	// URL is a libpq connection string or URL, such as
	// postgres://postgres@127.0.0.1:5432/huifang?sslmode=disable.
	URL string
	// MaxConns caps the pool size; zero keeps pgx's default.
	MaxConns int32
	// SearchPath, when set, is the schema search_path of every connection (used by tests).
	SearchPath string
	// TransactionPooled says the URL reaches Postgres through a pooler in transaction
	// mode (PgBouncer pool_mode=transaction): consecutive transactions of one client
	// connection may run on different server connections, so no named prepared statement
	// can be relied on. The pool then prepares nothing on the server and caches only
	// statement descriptions (pgx's QueryExecModeCacheDescribe: unnamed statements, one
	// round trip once a statement's description is known), unless the URL names its own
	// default_query_exec_mode (simple_protocol, exec...).
	TransactionPooled bool
}

// Open connects a pool to Postgres and checks that the server answers.
func Open(ctx context.Context, cfg Config) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("store: parse database URL: %w", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if cfg.SearchPath != "" {
		pc.ConnConfig.RuntimeParams["search_path"] = cfg.SearchPath
	}
	if cfg.TransactionPooled && !strings.Contains(cfg.URL, "default_query_exec_mode") {
		pc.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: ping %s: %w", pc.ConnConfig.Host, err)
	}
	return pool, nil
}

// TxBeginner starts transactions; *pgxpool.Pool and pgx.Tx (savepoints) satisfy it.
type TxBeginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// WithTx runs fn in a transaction on db and commits it when fn returns nil. On error, or
// panic, the transaction is rolled back on a context that cannot be cancelled, so a
// cancelled caller never leaves a transaction open on the server.
func WithTx(ctx context.Context, db TxBeginner, fn func(tx pgx.Tx) error) (err error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(ctx); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a Postgres unique-constraint violation.
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// CreateDatabase creates the database named in url when it does not exist yet, by
// connecting to the server's "postgres" database. It does nothing when the database
// exists or when the user may not create databases but the database answers.
func CreateDatabase(ctx context.Context, url string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("store: parse database URL: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		return conn.Close(ctx)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "3D000" { // invalid_catalog_name
		return fmt.Errorf("store: connect: %w", err)
	}
	name := cfg.Database
	cfg.Database = "postgres"
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("store: connect to create database %s: %w", name, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil && !IsUniqueViolation(err) {
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42P04" { // duplicate_database
			return fmt.Errorf("store: create database %s: %w", name, err)
		}
	}
	return nil
}
