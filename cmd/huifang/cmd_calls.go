package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/huifang/huifang/agent-ui/api"
)

// cmdCallsExport writes a dealer's call detail records of a period as CSV or JSON lines:
// the same records as GET /api/v1/calls, with signed recording URLs.
func cmdCallsExport(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "calls export")
	dealer := fs.String("dealer", "", "dealer code (required)")
	from := fs.String("from", "", "first day, YYYY-MM-DD in the dealer's zone (required)")
	to := fs.String("to", "", "last day, YYYY-MM-DD (required)")
	format := fs.String("format", "csv", "csv or jsonl")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dealer == "" || *from == "" || *to == "" {
		return fmt.Errorf("%w: --dealer, --from and --to are required", errUsage)
	}
	if *format != "csv" && *format != "jsonl" {
		return fmt.Errorf("%w: --format %q is not csv or jsonl", errUsage, *format)
	}
	cfg, err := loadConfig(env.getenv)
	if err != nil {
		return err
	}
	pool, d, err := apiDealer(ctx, env, *dealer)
	if err != nil {
		return err
	}
	defer pool.Close()
	loc, err := time.LoadLocation(d.TimeZone)
	if err != nil {
		return fmt.Errorf("dealer %s time zone %q: %w", d.Code, d.TimeZone, err)
	}
	fromDay, err := time.ParseInLocation(time.DateOnly, *from, loc)
	if err != nil {
		return fmt.Errorf("%w: --from %q is not YYYY-MM-DD", errUsage, *from)
	}
	toDay, err := time.ParseInLocation(time.DateOnly, *to, loc)
	if err != nil {
		return fmt.Errorf("%w: --to %q is not YYYY-MM-DD", errUsage, *to)
	}
	if toDay.Before(fromDay) {
		return fmt.Errorf("%w: --to %s is before --from %s", errUsage, *to, *from)
	}
	sign, err := api.NewSigner(ctx, pool, cfg.PublicURL, cfg.API.RecordingTTL, time.Now)
	if err != nil {
		return err
	}
	var cw *csv.Writer
	enc := json.NewEncoder(env.stdout)
	enc.SetEscapeHTML(false)
	if *format == "csv" {
		cw = csv.NewWriter(env.stdout)
		if err := cw.Write([]string{"id", "time", "agent", "agent_name", "kind", "phone", "customer_id", "customer", "campaigns",
			"outcome", "call_result", "sip_status", "sip_reason", "ring_seconds", "talk_seconds", "answers", "recording_url"}); err != nil {
			return err
		}
	}
	p := api.CallRecordsParams{DealerID: d.ID, Since: fromDay, Until: toDay.AddDate(0, 0, 1), Limit: 5000}
	n := 0
	for {
		recs, err := api.CallRecords(ctx, pool, sign, p)
		if err != nil {
			return err
		}
		for _, r := range recs {
			n++
			if cw == nil {
				if err := enc.Encode(r); err != nil {
					return err
				}
				continue
			}
			url := ""
			if r.RecordingURL != nil {
				url = *r.RecordingURL
			}
			if err := cw.Write([]string{strconv.FormatInt(r.ID, 10), r.Time, r.Agent, r.AgentName, r.Kind, r.Phone,
				strconv.FormatInt(r.CustomerID, 10), r.Customer, strings.Join(r.Campaigns, ","), r.Outcome, r.CallResult,
				strconv.Itoa(r.SIPStatus), r.SIPReason, strconv.FormatFloat(r.RingSeconds, 'f', -1, 64),
				strconv.FormatFloat(r.TalkSeconds, 'f', -1, 64), string(r.Answers), url}); err != nil {
				return err
			}
		}
		if len(recs) < p.Limit {
			break
		}
		p.AfterAt, p.AfterID = recs[len(recs)-1].At, recs[len(recs)-1].ID
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.stderr, "%d calls of dealer %s from %s to %s\n", n, d.Code, *from, *to)
	return nil
}
