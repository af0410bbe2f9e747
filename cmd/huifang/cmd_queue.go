package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// cmdQueueBuild builds a dealer's queue as of a day (the scheduler runs the same code).
func cmdQueueBuild(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "queue build")
	dealer := fs.String("dealer", "", "dealer code (required)")
	date := fs.String("date", "", "day to build as of, YYYY-MM-DD (default today in the dealer's time zone)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dealer == "" {
		return fmt.Errorf("%w: --dealer is required", errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *date != "" {
		if _, err := parseDayFlag(*date, "UTC"); err != nil {
			return err
		}
	}
	cfg, err := loadConfig(env.getenv)
	if err != nil {
		return err
	}
	pool, err := openDB(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer pool.Close()
	d, day, err := queueDealerDay(ctx, pool, *dealer, *date)
	if err != nil {
		return err
	}
	res, err := queue.Build(ctx, pool, queue.BuildParams{DealerID: d.ID, Day: day})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "dealer %s queue as of %s: %d occurrences held (%d new, %d already there); tasks %d created, %d merged, %d updated, %d expired, %d cancelled; reasons %d expired, %d cut short, %d suppressed; %s\n",
		d.Code, day.Format(time.DateOnly), res.Held, res.ReasonsAdded, res.AlreadyPresent,
		res.TasksCreated, res.TasksMerged, res.TasksUpdated, res.TasksExpired, res.TasksCancelled,
		res.ReasonsExpired, res.ReasonsCut, res.ReasonsSuppressed, res.Duration.Round(time.Millisecond))
	return nil
}

// cmdQueueList prints a dealer's open tasks as of a day.
func cmdQueueList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "queue list")
	dealer := fs.String("dealer", "", "dealer code (required)")
	date := fs.String("date", "", "day to list as of, YYYY-MM-DD (default today in the dealer's time zone)")
	campaign := fs.String("campaign", "", "only tasks carrying this campaign ("+strings.Join(queue.Campaigns(), ", ")+")")
	asJSON := fs.Bool("json", false, "one JSON object per task per line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dealer == "" {
		return fmt.Errorf("%w: --dealer is required", errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *campaign != "" && !queue.IsCampaign(*campaign) {
		return fmt.Errorf("%w: unknown campaign %q (one of %s)", errUsage, *campaign, strings.Join(queue.Campaigns(), ", "))
	}
	if *date != "" {
		if _, err := parseDayFlag(*date, "UTC"); err != nil {
			return err
		}
	}
	cfg, err := loadConfig(env.getenv)
	if err != nil {
		return err
	}
	pool, err := openDB(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer pool.Close()
	d, day, err := queueDealerDay(ctx, pool, *dealer, *date)
	if err != nil {
		return err
	}
	tasks, err := queue.List(ctx, pool, queue.ListParams{DealerID: d.ID, Day: day, Campaign: *campaign})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetEscapeHTML(false)
		for _, t := range tasks {
			if err := enc.Encode(t); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "优先级\t客户\t电话\t开始\t截止\t活动\t原因")
	for _, t := range tasks {
		expires := "-"
		if t.Expires != nil {
			expires = *t.Expires
		}
		fmt.Fprintf(tw, "%d\t%s%s\t%s\t%s\t%s\t%s\t%s\n", t.Priority, t.Customer, t.Title, t.Phone, t.Due, expires,
			strings.Join(t.Campaigns, ","), strings.Join(t.Reasons, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%d tasks as of %s\n", len(tasks), day.Format(time.DateOnly))
	return nil
}

// queueDealerDay finds the dealer by code and the day: the --date value, or today in the
// dealer's time zone.
func queueDealerDay(ctx context.Context, db store.DBTX, code, date string) (store.Dealer, time.Time, error) {
	d, err := store.New(db).GetDealerByCode(ctx, code)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Dealer{}, time.Time{}, fmt.Errorf("unknown dealer %q", code)
	}
	if err != nil {
		return store.Dealer{}, time.Time{}, fmt.Errorf("dealer %s: %w", code, err)
	}
	day, err := parseDayFlag(date, d.TimeZone)
	if err != nil {
		return store.Dealer{}, time.Time{}, err
	}
	return d, day, nil
}
