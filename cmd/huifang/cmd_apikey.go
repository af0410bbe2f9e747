package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/agent-ui/api"
	"github.com/huifang/huifang/store"
)

// cmdAPIKeyCreate makes an API key for a dealer and prints it once.
func cmdAPIKeyCreate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "apikey create")
	dealer := fs.String("dealer", "", "dealer code (required)")
	name := fs.String("name", "", "what the key is for, such as DMS (required)")
	asJSON := fs.Bool("json", false, `print {"id":N,"key":"..."} on one line`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dealer == "" || *name == "" {
		return fmt.Errorf("%w: --dealer and --name are required", errUsage)
	}
	pool, d, err := apiDealer(ctx, env, *dealer)
	if err != nil {
		return err
	}
	defer pool.Close()
	id, key, err := api.CreateKey(ctx, pool, d.ID, *name)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(map[string]any{"id": id, "key": key})
	}
	fmt.Fprintf(env.stdout, "API key %d (%s) of dealer %s, shown only now:\n%s\n", id, *name, d.Code, key)
	return nil
}

// cmdAPIKeyList prints a dealer's API keys (never the keys themselves).
func cmdAPIKeyList(ctx context.Context, env *cliEnv, args []string) error {
	return dealerList(ctx, env, args, "apikey list", "one JSON object per key per line",
		[]string{"id", "name", "key starts", "created", "revoked"},
		func(ctx context.Context, q *store.Queries, dealerID int64) ([]any, [][]string, error) {
			keys, err := q.ListAPIKeys(ctx, dealerID)
			if err != nil {
				return nil, nil, err
			}
			var objs []any
			var rows [][]string
			for _, k := range keys {
				objs = append(objs, map[string]any{"id": k.ID, "name": k.Name, "prefix": k.Prefix, "created_at": k.CreatedAt, "revoked_at": k.RevokedAt})
				revoked := "-"
				if k.RevokedAt != nil {
					revoked = k.RevokedAt.Format(time.DateTime)
				}
				rows = append(rows, []string{strconv.FormatInt(k.ID, 10), k.Name, k.Prefix + "…", k.CreatedAt.Format(time.DateTime), revoked})
			}
			return objs, rows, nil
		})
}

// dealerList runs a "<thing> list" command: --dealer CODE [--json]. load returns the
// dealer's records as JSON objects (printed one a line with --json) and as table rows
// (printed under head).
func dealerList(ctx context.Context, env *cliEnv, args []string, name, jsonUsage string, head []string,
	load func(ctx context.Context, q *store.Queries, dealerID int64) (objs []any, rows [][]string, err error)) error {
	fs := newFlagSet(env, name)
	dealer := fs.String("dealer", "", "dealer code (required)")
	asJSON := fs.Bool("json", false, jsonUsage)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dealer == "" {
		return fmt.Errorf("%w: --dealer is required", errUsage)
	}
	pool, d, err := apiDealer(ctx, env, *dealer)
	if err != nil {
		return err
	}
	defer pool.Close()
	objs, rows, err := load(ctx, store.New(pool), d.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		for _, o := range objs {
			if err := enc.Encode(o); err != nil {
				return err
			}
		}
		return nil
	}
	writeTable(env.stdout, append([][]string{head}, rows...))
	return nil
}

// cmdAPIKeyRevoke revokes a dealer's API key.
func cmdAPIKeyRevoke(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "apikey revoke")
	dealer := fs.String("dealer", "", "dealer code (required)")
	id := fs.Int64("id", 0, "the key's id (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dealer == "" || *id <= 0 {
		return fmt.Errorf("%w: --dealer and --id are required", errUsage)
	}
	pool, d, err := apiDealer(ctx, env, *dealer)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := api.RevokeKey(ctx, pool, d.ID, *id, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "API key %d of dealer %s revoked\n", *id, d.Code)
	return nil
}

// apiDealer opens the database and finds the dealer by code.
func apiDealer(ctx context.Context, env *cliEnv, code string) (*pgxpool.Pool, store.Dealer, error) {
	pool, err := cliDB(ctx, env)
	if err != nil {
		return nil, store.Dealer{}, err
	}
	d, err := cliDealer(ctx, pool, code)
	if err != nil {
		pool.Close()
		return nil, store.Dealer{}, err
	}
	return pool, d, nil
}
