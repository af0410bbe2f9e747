package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
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
	pool, err := cliDB(ctx, env)
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
	pool, err := cliDB(ctx, env)
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
	rows := [][]string{{"优先级", "客户", "电话", "开始", "截止", "活动", "原因"}}
	for _, t := range tasks {
		expires := "-"
		if t.Expires != nil {
			expires = *t.Expires
		}
		rows = append(rows, []string{strconv.Itoa(t.Priority), t.Customer + t.Title, t.Phone, t.Due, expires,
			strings.Join(t.Campaigns, ","), strings.Join(t.Reasons, "; ")})
	}
	writeTable(env.stdout, rows)
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

// writeTable prints rows as columns aligned for a terminal, counting Chinese characters as
// two columns wide; the last column is not padded.
func writeTable(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, cell := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(cell))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, cell := range r {
			b.WriteString(cell)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(cell)+2))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

// displayWidth is the number of terminal columns s takes: East Asian wide characters take two.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
			r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6:
			n += 2
		default:
			n++
		}
	}
	return n
}
