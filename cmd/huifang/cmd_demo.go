package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/demo"
)

func cmdDemo(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "demo")
	dealer := fs.String("dealer", "", "dealer code (created when missing; required)")
	customers := fs.Int("customers", 2000, "number of customers to make")
	password := fs.String("password", "", "password of the generated users (default: random, printed)")
	ifEmpty := fs.Bool("if-empty", false, "do nothing, successfully, when the dealer already has customers")
	date := fs.String("date", "", "day the histories lead up to, YYYY-MM-DD (default today in Asia/Shanghai)")
	seed := fs.Uint64("seed", 1, "random seed; the same seed makes the same dealer")
	historyDays := fs.Int("history-days", 3, "days of past agent calls, with recordings, for directors to check (0 for none)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dealer == "" {
		return fmt.Errorf("%w: --dealer is required", errUsage)
	}
	if *customers < 0 || *customers > 10_000_000 {
		return fmt.Errorf("%w: --customers must be between 0 and 10000000", errUsage)
	}
	today, err := parseDayFlag(*date, "Asia/Shanghai")
	if err != nil {
		return err
	}
	generated := false
	if *password == "" {
		b := make([]byte, 10)
		_, _ = rand.Read(b)
		*password = strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
		generated = true
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

	start := time.Now()
	bar := newProgress(env, "demo", *customers)
	res, err := demo.Generate(ctx, pool, demo.Params{
		DealerCode: *dealer, Customers: *customers, Password: *password,
		Today: today, Seed: *seed, Progress: bar.set,
	})
	bar.done()
	if errors.Is(err, demo.ErrNotEmpty) && *ifEmpty {
		fmt.Fprintf(env.stdout, "dealer %s already has data; demo left it as it is\n", *dealer)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "dealer %s: %d customers, %d vehicles, %d workshop visits, %d showroom visits, %d complaints, %d odometer readings in %s\n",
		*dealer, res.Customers, res.Vehicles, res.Visits, res.Showroom, res.Complaints, res.Readings, time.Since(start).Round(time.Millisecond))
	if err := afterDataChange(ctx, cfg, pool, res.DealerID, today); err != nil {
		return err
	}
	recDir, err := filepath.Abs(cfg.RecordingsDir)
	if err != nil {
		return fmt.Errorf("HUIFANG_RECORDINGS_DIR: %w", err)
	}
	calls, err := demo.GenerateCalls(ctx, pool, demo.CallParams{DealerID: res.DealerID, Today: today,
		Days: *historyDays, PerAgentPerDay: 6, RecordingsDir: recDir, Seed: *seed})
	if err != nil {
		return err
	}
	if calls.Attempts > 0 {
		fmt.Fprintf(env.stdout, "past calls: %d attempts over %d days, %d answered, %d recordings in %s\n",
			calls.Attempts, *historyDays, calls.Answered, calls.Recordings, recDir)
	}
	shown := *password
	if generated {
		shown += " (generated)"
	}
	fmt.Fprintln(env.stdout, "logins:")
	for _, u := range res.Users {
		fmt.Fprintf(env.stdout, "  %-10s %-9s %s  password: %s\n", u.Username, u.Role, u.DisplayName, shown)
	}
	fmt.Fprintf(env.stdout, "softphones (SIP user = the agent's user name, realm %s, shown once; huifang user sip-secret issues a new one):\n", store.SIPRealm)
	for _, u := range res.Users {
		if s, ok := res.SIPSecrets[u.Username]; ok {
			fmt.Fprintf(env.stdout, "  %-10s SIP secret: %s\n", u.Username, s)
		}
	}
	return nil
}

// parseDayFlag parses a YYYY-MM-DD flag value, or returns today in zone when empty.
func parseDayFlag(v, zone string) (time.Time, error) {
	if v == "" {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			return time.Time{}, fmt.Errorf("time zone %q: %w", zone, err)
		}
		now := time.Now().In(loc)
		return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC), nil
	}
	d, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: --date %q is not a day like 2026-03-01", errUsage, v)
	}
	return d, nil
}
