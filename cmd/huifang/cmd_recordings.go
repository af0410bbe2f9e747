package main

import (
	"context"
	"fmt"
	"time"

	agentui "github.com/huifang/huifang/agent-ui"
)

// cmdRecordingsPurge deletes the recordings older than each dealer's retention (the
// director's setting recording_retention_days) and keeps the call records.
func cmdRecordingsPurge(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "recordings purge")
	dealer := fs.String("dealer", "", "only this dealer's `CODE` (every dealer by default)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pool, err := cliDB(ctx, env)
	if err != nil {
		return err
	}
	defer pool.Close()
	res, err := agentui.PurgeRecordings(ctx, pool, time.Now(), *dealer, nil)
	for _, r := range res {
		fmt.Fprintf(env.stdout, "%s: kept %d days, deleted %d recordings, %d already missing\n", r.DealerCode, r.Days, r.Deleted, r.Missing)
	}
	if err != nil {
		return fmt.Errorf("recordings purge: %w", err)
	}
	return nil
}
