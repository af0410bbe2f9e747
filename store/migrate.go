package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// ErrSchemaOutdated is returned by CheckSchema when migrations are pending.
var ErrSchemaOutdated = errors.New("the database schema is outdated: run `huifang migrate`")

// Migration is one numbered schema change.
type Migration struct {
	// Version is the number at the start of the file name.
	Version int
	// Name is the rest of the file name, without the .up.sql suffix.
	Name string
	// Up is the SQL that applies the change.
	Up string
	// Down is the SQL that reverts it.
	Down string
}

// Migrations returns every embedded migration in version order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	byVersion := map[int]*Migration{}
	for _, e := range entries {
		file := e.Name()
		var dir string
		switch {
		case strings.HasSuffix(file, ".up.sql"):
			dir = "up"
		case strings.HasSuffix(file, ".down.sql"):
			dir = "down"
		default:
			continue
		}
		num, rest, ok := strings.Cut(file, "_")
		if !ok {
			return nil, fmt.Errorf("store: migration %s: name must be NNNN_name.%s.sql", file, dir)
		}
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: bad version number: %w", file, err)
		}
		body, err := fs.ReadFile(migrationFS, path.Join("migrations", file))
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", file, err)
		}
		m := byVersion[v]
		if m == nil {
			m = &Migration{Version: v, Name: strings.TrimSuffix(rest, "."+dir+".sql")}
			byVersion[v] = m
		}
		if dir == "up" {
			m.Up = string(body)
		} else {
			m.Down = string(body)
		}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		if m.Up == "" {
			return nil, fmt.Errorf("store: migration %04d_%s has no .up.sql", m.Version, m.Name)
		}
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// MigrateResult says what Migrate did.
type MigrateResult struct {
	// Applied lists the versions applied by this run, in order.
	Applied []Migration
	// Current is the schema version after the run.
	Current int
}

// Migrate applies every pending migration, each in its own transaction. Two processes
// migrating at once are serialised by an advisory lock.
func Migrate(ctx context.Context, db TxBeginner) (*MigrateResult, error) {
	all, err := Migrations()
	if err != nil {
		return nil, err
	}
	res := &MigrateResult{}
	err = WithTx(ctx, db, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, createMigrationsTable)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: create schema_migrations: %w", err)
	}
	for _, m := range all {
		applied := false
		err := WithTx(ctx, db, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(727361)`); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.Exec(ctx, m.Up); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
				return err
			}
			applied = true
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("store: migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if applied {
			res.Applied = append(res.Applied, m)
		}
		res.Current = m.Version
	}
	return res, nil
}

// SchemaVersion returns the highest applied migration, or 0 on an empty database.
func SchemaVersion(ctx context.Context, db DBTX) (int, error) {
	var exists bool
	if err := db.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := db.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return v, nil
}

// CheckSchema returns ErrSchemaOutdated, wrapped with the missing versions, unless every
// embedded migration has been applied.
func CheckSchema(ctx context.Context, db DBTX) error {
	all, err := Migrations()
	if err != nil {
		return err
	}
	if v, err := SchemaVersion(ctx, db); err != nil {
		return err
	} else if v == 0 {
		return fmt.Errorf("%w (the database is empty)", ErrSchemaOutdated)
	}
	rows, err := db.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("store: read schema_migrations: %w", err)
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return fmt.Errorf("store: read schema_migrations: %w", err)
	}
	have := map[int]bool{}
	for _, v := range applied {
		have[int(v)] = true
	}
	var missing []string
	for _, m := range all {
		if !have[m.Version] {
			missing = append(missing, fmt.Sprintf("%04d_%s", m.Version, m.Name))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w (missing %s)", ErrSchemaOutdated, strings.Join(missing, ", "))
	}
	return nil
}
