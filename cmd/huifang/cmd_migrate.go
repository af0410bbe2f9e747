package main

import (
	"context"
	"fmt"

	"github.com/huifang/huifang/store"
)

func cmdMigrate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "migrate")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(env.getenv)
	if err != nil {
		return err
	}
	if err := store.CreateDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	pool, err := openDB(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer pool.Close()
	res, err := store.Migrate(ctx, pool)
	if res != nil {
		for _, m := range res.Applied {
			fmt.Fprintf(env.stdout, "applied %04d_%s\n", m.Version, m.Name)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "schema at version %d\n", res.Current)
	return nil
}
