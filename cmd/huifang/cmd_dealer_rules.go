package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// ruleError turns the rule editors' refusals of bad input into usage errors (exit 2).
func ruleError(err error) error {
	if errors.Is(err, queue.ErrRuleInput) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return err
}

// dealerFlag adds --dealer to fs.
func dealerFlag(fs *flag.FlagSet) *string {
	return fs.String("dealer", "", "dealer code (required)")
}

// openDealer checks --dealer, opens the database and finds the dealer.
func openDealer(ctx context.Context, env *cliEnv, code string) (*pgxpool.Pool, store.Dealer, error) {
	if code == "" {
		return nil, store.Dealer{}, fmt.Errorf("%w: --dealer is required", errUsage)
	}
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

// cmdDealerRules prints every rule setting of a dealer (value, default, what it means;
// overridden ones marked), the calling window and the holidays.
func cmdDealerRules(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "dealer rules")
	dealer := dealerFlag(fs)
	asJSON := fs.Bool("json", false, "print the rules as one JSON object (settings, window, holidays)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pool, d, err := openDealer(ctx, env, *dealer)
	if err != nil {
		return err
	}
	defer pool.Close()
	r, err := queue.LoadDealerRules(ctx, pool, d.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(r)
	}
	fmt.Fprintf(env.stdout, "dealer %s (%s), time zone %s\n", d.Code, d.Name, d.TimeZone)
	fmt.Fprintf(env.stdout, "calling window %s-%s, same-day return visits until %s\n", r.Window.Start, r.Window.End, r.Window.SameDayEnd)
	if len(r.Holidays) == 0 {
		fmt.Fprintln(env.stdout, "holidays: none")
	} else {
		var hs []string
		for _, h := range r.Holidays {
			hs = append(hs, strings.TrimSpace(h.Day+" "+h.Name))
		}
		fmt.Fprintf(env.stdout, "holidays: %s\n", strings.Join(hs, ", "))
	}
	fmt.Fprintln(env.stdout)
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tDEFAULT\t\tMEANING")
	n := 0
	for _, s := range r.Settings {
		mark := ""
		if s.Overridden {
			mark = "*"
			n++
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", s.Key, s.Value, s.Default, mark, s.Doc)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "\n* %d of %d settings are the dealer's own (huifang dealer set --reset KEY restores a default)\n", n, len(r.Settings))
	return nil
}

// cmdDealerSet changes rule settings of a dealer (KEY=VALUE ..., all or nothing), or with
// --reset puts them back to their defaults; the queue of today is rebuilt.
func cmdDealerSet(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "dealer set")
	dealer := dealerFlag(fs)
	reset := fs.String("reset", "", "put these settings (KEY or KEY1,KEY2) back to their defaults instead")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: huifang dealer set --dealer C KEY=VALUE [KEY=VALUE...] | --reset KEY[,KEY...]\n(huifang dealer rules --dealer C lists the keys)")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pairs := fs.Args()
	var keys []string
	for _, k := range strings.Split(*reset, ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	switch {
	case len(pairs) == 0 && len(keys) == 0:
		return fmt.Errorf("%w: give KEY=VALUE pairs, or --reset KEY (huifang dealer rules --dealer C lists the keys)", errUsage)
	case len(pairs) > 0 && len(keys) > 0:
		return fmt.Errorf("%w: give KEY=VALUE pairs or --reset KEY, not both", errUsage)
	}
	// Check what needs no database first, so bad input never half-happens.
	values := map[string]int{}
	for _, p := range pairs {
		if strings.HasPrefix(p, "-") {
			return fmt.Errorf("%w: flag %s after the settings: put flags first", errUsage, p)
		}
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return fmt.Errorf("%w: %q is not KEY=VALUE, such as care_15day_due=10", errUsage, p)
		}
		k = strings.TrimSpace(k)
		if _, dup := values[k]; dup {
			return fmt.Errorf("%w: setting %s is given twice", errUsage, k)
		}
		n, err := queue.ParseSettingValue(k, v)
		if err != nil {
			return ruleError(err)
		}
		values[k] = n
	}
	pool, d, err := openDealer(ctx, env, *dealer)
	if err != nil {
		return err
	}
	defer pool.Close()
	if len(keys) > 0 {
		if err := queue.ResetSettings(ctx, pool, d.ID, keys, 0); err != nil {
			return ruleError(err)
		}
		fmt.Fprintf(env.stdout, "dealer %s: %s back to the default; today's queue will be rebuilt\n", d.Code, strings.Join(keys, ", "))
		return nil
	}
	if err := queue.SaveSettings(ctx, pool, d.ID, values, 0); err != nil {
		return ruleError(err)
	}
	fmt.Fprintf(env.stdout, "dealer %s: %s saved; today's queue will be rebuilt\n", d.Code, strings.Join(pairs, " "))
	return nil
}

// cmdDealerWindow sets a dealer's calling window.
func cmdDealerWindow(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "dealer window")
	dealer := dealerFlag(fs)
	hours := fs.String("hours", "", "the calling window as HH:MM-HH:MM, such as 09:00-20:30 (required)")
	sameDay := fs.String("same-day-end", "", "how late same-day return visits may be called, HH:MM (default: 30 minutes after the window's end)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *hours == "" {
		return fmt.Errorf("%w: --hours is required, such as --hours 09:00-20:30", errUsage)
	}
	w, err := queue.ParseWindowRange(*hours, *sameDay)
	if err != nil {
		return ruleError(err)
	}
	pool, d, err := openDealer(ctx, env, *dealer)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := queue.SaveCallWindow(ctx, pool, d.ID, w.Start, w.End, w.SameDayEnd, 0); err != nil {
		return ruleError(err)
	}
	fmt.Fprintf(env.stdout, "dealer %s: calling window %s-%s, same-day return visits until %s\n", d.Code, w.Start, w.End, w.SameDayEnd)
	return nil
}

// cmdDealerHolidayAdd lists a day as a holiday of the dealer: no call is placed that day.
func cmdDealerHolidayAdd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "dealer holiday add")
	dealer := dealerFlag(fs)
	day := fs.String("day", "", "the day, YYYY-MM-DD (required)")
	name := fs.String("name", "", "what the holiday is, such as 国庆")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *day == "" {
		return fmt.Errorf("%w: --day is required, such as --day 2026-10-01", errUsage)
	}
	pool, d, err := openDealer(ctx, env, *dealer)
	if err != nil {
		return err
	}
	defer pool.Close()
	added, err := queue.AddHoliday(ctx, pool, d.ID, *day, *name, 0)
	if err != nil {
		return ruleError(err)
	}
	if !added {
		fmt.Fprintf(env.stdout, "dealer %s: %s was already a holiday; its name is now %q\n", d.Code, *day, strings.TrimSpace(*name))
		return nil
	}
	fmt.Fprintf(env.stdout, "dealer %s: %s %s is a holiday (no calls that day)\n", d.Code, *day, strings.TrimSpace(*name))
	return nil
}

// cmdDealerHolidayRemove takes a day off the dealer's holidays.
func cmdDealerHolidayRemove(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "dealer holiday remove")
	dealer := dealerFlag(fs)
	day := fs.String("day", "", "the day, YYYY-MM-DD (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *day == "" {
		return fmt.Errorf("%w: --day is required, such as --day 2026-10-01", errUsage)
	}
	pool, d, err := openDealer(ctx, env, *dealer)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := queue.RemoveHoliday(ctx, pool, d.ID, *day, 0); err != nil {
		return ruleError(err)
	}
	fmt.Fprintf(env.stdout, "dealer %s: %s is no longer a holiday\n", d.Code, *day)
	return nil
}

// cmdDealerHolidayList prints the dealer's holidays.
func cmdDealerHolidayList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "dealer holiday list")
	dealer := dealerFlag(fs)
	asJSON := fs.Bool("json", false, "print the holidays as a JSON array")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pool, d, err := openDealer(ctx, env, *dealer)
	if err != nil {
		return err
	}
	defer pool.Close()
	r, err := queue.LoadDealerRules(ctx, pool, d.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(r.Holidays)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DAY\tNAME")
	for _, h := range r.Holidays {
		fmt.Fprintf(tw, "%s\t%s\n", h.Day, h.Name)
	}
	return tw.Flush()
}

// cmdDealerWorkshop sets a dealer's workshop hours (接车时间), which appointments are
// checked against.
func cmdDealerWorkshop(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "dealer workshop")
	dealer := dealerFlag(fs)
	hours := fs.String("hours", "", "the workshop hours as HH:MM-HH:MM, such as 08:30-17:30 (required)")
	days := fs.String("days", "1-7", "the open days, ISO weekdays (1 Monday .. 7 Sunday), such as 1-6 or 1-5,7")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	open, closing, ok := strings.Cut(*hours, "-")
	if !ok {
		return fmt.Errorf("%w: --hours is required, such as --hours 08:30-17:30", errUsage)
	}
	d, err := queue.ParseWorkshopDays(*days)
	if err != nil {
		return ruleError(err)
	}
	pool, dl, err := openDealer(ctx, env, *dealer)
	if err != nil {
		return err
	}
	defer pool.Close()
	h := queue.WorkshopHours{Open: open, Close: closing, Days: d}
	if err := queue.SaveWorkshopHours(ctx, pool, dl.ID, h, 0); err != nil {
		return ruleError(err)
	}
	saved, err := queue.LoadWorkshopHours(ctx, store.New(pool), dl.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "dealer %s: workshop hours %s\n", dl.Code, saved)
	return nil
}
