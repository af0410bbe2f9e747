package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/importer"
	phonepkg "github.com/huifang/huifang/store/phone"
)

// cmdVisit records one showroom visit as the front desk (or a DMS hook) reports it: the
// prospect and the visit are stored, and in the same transaction the outbox gets the
// leave-store care SMS (when the leave time is known) and a rebuild of the dealer's queue,
// so the same-day return visit is in the queue within a minute once a worker runs.
func cmdVisit(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "visit")
	dealer := fs.String("dealer", "", "dealer code (required)")
	phone := fs.String("phone", "", "the visitor's phone (required)")
	name := fs.String("name", "", "the visitor's name")
	title := fs.String("title", "", "先生 or 女士")
	arrived := fs.String("arrived", "", "arrival time, such as \"2026-11-22 15:00\" or now (dealer's time; default now)")
	left := fs.String("left", "", "leave time, such as \"2026-11-22 16:30\" or now; when given, the leave-store care SMS is queued")
	consultant := fs.String("consultant", "", "the sales consultant who received the visitor")
	intent := fs.String("intent", "", "intent level (H, A, B, C)")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dealer == "" || *phone == "" {
		return fmt.Errorf("%w: --dealer and --phone are required", errUsage)
	}
	p, err := phonepkg.Normalize(*phone)
	if err != nil {
		return fmt.Errorf("%w: --phone %q: %v", errUsage, *phone, err)
	}
	pool, err := cliDB(ctx, env)
	if err != nil {
		return err
	}
	defer pool.Close()
	d, err := store.New(pool).GetDealerByCode(ctx, *dealer)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("no dealer %q (a dealer is created by its first import)", *dealer)
	}
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(d.TimeZone)
	if err != nil {
		return fmt.Errorf("dealer %s time zone %q: %w", d.Code, d.TimeZone, err)
	}
	v := queue.ShowroomVisit{DealerID: d.ID, Phone: p, Name: *name, Title: *title,
		ArrivedAt: time.Now(), Consultant: *consultant, IntentLevel: *intent}
	if *arrived != "" {
		if v.ArrivedAt, err = visitTime(*arrived, loc); err != nil {
			return fmt.Errorf("%w: --arrived %q: %v", errUsage, *arrived, err)
		}
	}
	if *left != "" {
		t, err := visitTime(*left, loc)
		if err != nil {
			return fmt.Errorf("%w: --left %q: %v", errUsage, *left, err)
		}
		if *arrived == "" && t.Before(v.ArrivedAt) {
			v.ArrivedAt = t // a visit recorded after it ended: no arrival time known
		}
		v.LeftAt = &t
	}
	var res struct {
		*queue.ShowroomVisitResult
		SMSID         int64
		SMSSuppressed bool
	}
	err = store.WithTx(ctx, pool, func(tx pgx.Tx) error {
		visit, err := queue.RecordShowroomVisit(ctx, tx, v)
		if err != nil {
			return err
		}
		sms, err := notify.LeaveStoreSMSTx(ctx, tx, visit)
		res.ShowroomVisitResult, res.SMSID, res.SMSSuppressed = visit, sms.ID, sms.Suppressed
		return err
	})
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(res)
	}
	fmt.Fprintf(env.stdout, "visit %d of customer %d on %s recorded", res.VisitID, res.CustomerID, res.Day.Format(time.DateOnly))
	switch {
	case res.SMSID != 0:
		fmt.Fprintf(env.stdout, "; leave-store SMS %d queued", res.SMSID)
	case res.SMSSuppressed:
		fmt.Fprint(env.stdout, "; leave-store SMS suppressed (do-not-call or invalid number)")
	}
	fmt.Fprintln(env.stdout, "; queue rebuild requested")
	return nil
}

// visitTime reads a visit time in the dealer's zone: "now", or a time as the importer
// reads them ("2026-11-22 15:00").
func visitTime(s string, loc *time.Location) (time.Time, error) {
	if strings.EqualFold(strings.TrimSpace(s), "now") {
		return time.Now(), nil
	}
	return importer.ParseTime(s, loc)
}
