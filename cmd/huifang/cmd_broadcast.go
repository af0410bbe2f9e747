package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/telephony/media"
)

// audienceFlags reads the audience flags of broadcast sms: exactly one of --birthdays,
// --reasons and --customers.
func audienceFlags(birthdays bool, reasons, customers string) (notify.AudienceInput, error) {
	var in []notify.AudienceInput
	if birthdays {
		in = append(in, notify.AudienceInput{Kind: notify.AudienceBirthdays})
	}
	if reasons != "" {
		in = append(in, notify.AudienceInput{Kind: notify.AudienceReasons, Reasons: strings.Split(reasons, ",")})
	}
	if customers != "" {
		in = append(in, notify.AudienceInput{Kind: notify.AudienceCustomers, Customers: customers})
	}
	if len(in) != 1 {
		return notify.AudienceInput{}, fmt.Errorf("%w: give exactly one audience: --birthdays, --reasons or --customers", errUsage)
	}
	return in[0], nil
}

// cmdBroadcastSMS starts an SMS broadcast (群发) (the sms part sends it).
func cmdBroadcastSMS(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "broadcast sms")
	dealer := fs.String("dealer", "", "dealer code (required)")
	code := fs.String("code", "", "broadcast code, unique per dealer (required)")
	tmpl := fs.String("template", "", "template code: leave_store_care, birthday, holiday, maintenance, insurance, inspection or the dealer's own (required)")
	date := fs.String("date", "", "the dealer's day the audience is taken on, YYYY-MM-DD (default today)")
	birthdays := fs.Bool("birthdays", false, "audience: customers whose birthday is that day")
	reasons := fs.String("reasons", "", "audience: customers with a queue reason of these campaigns due that day (comma-separated)")
	customers := fs.String("customers", "", "audience: these customer ids or phones (comma-separated)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dealer == "" || *code == "" || *tmpl == "" {
		return fmt.Errorf("%w: --dealer, --code and --template are required", errUsage)
	}
	in, err := audienceFlags(*birthdays, *reasons, *customers)
	if err != nil {
		return err
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
	aud, err := broadcastAudience(ctx, env, pool, d, day, in)
	if err != nil {
		return err
	}
	res, err := notify.StartSMSBroadcast(ctx, pool, notify.SMSBroadcastParams{DealerID: d.ID, Code: *code, Template: *tmpl, Audience: aud.SMS, Day: day})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "broadcast %s: %d queued, %d held (quiet hours or send time), %d suppressed, %d already there, %d skipped\n",
		*code, res.Queued, res.Held, res.Suppressed, res.Existing, res.Skipped)
	for _, e := range res.Errors {
		fmt.Fprintf(env.stdout, "  skipped: %s\n", e)
	}
	return nil
}

// cmdBroadcastCalls starts a recorded-message broadcast (the sms part places the calls, in the
// calling window, through the gateway).
func cmdBroadcastCalls(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "broadcast calls")
	dealer := fs.String("dealer", "", "dealer code (required)")
	code := fs.String("code", "", "broadcast code (required)")
	prompt := fs.String("prompt", "", "prompt WAV (8000 Hz, 16-bit mono); with --prompt-text, where to write it")
	text := fs.String("prompt-text", "", "Mandarin text to render with espeak-ng instead of a recorded prompt")
	customers := fs.String("customers", "", "customer ids or phones (comma-separated, required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dealer == "" || *code == "" || *prompt == "" || *customers == "" {
		return fmt.Errorf("%w: --dealer, --code, --prompt and --customers are required", errUsage)
	}
	if err := notify.ValidateBroadcastCode(*code); err != nil {
		return err
	}
	path, err := filepath.Abs(*prompt)
	if err != nil {
		return err
	}
	if *text != "" {
		if _, err := media.RenderPrompt(ctx, *text, path); err != nil {
			return err
		}
	}
	pool, err := cliDB(ctx, env)
	if err != nil {
		return err
	}
	defer pool.Close()
	d, day, err := queueDealerDay(ctx, pool, *dealer, "")
	if err != nil {
		return err
	}
	aud, err := broadcastAudience(ctx, env, pool, d, day, notify.AudienceInput{Kind: notify.AudienceCustomers, Customers: *customers})
	if err != nil {
		return err
	}
	res, err := notify.StartMessageCallBroadcast(ctx, pool, notify.MessageCallBroadcastParams{DealerID: d.ID, Code: *code, PromptPath: path,
		CustomerIDs: aud.CustomerIDs, PromptText: *text, Audience: aud})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "message-call broadcast %s: %d to call, %d suppressed (do-not-call or invalid)\n", *code, res.Added, res.Suppressed)
	return nil
}

// cmdSMSTemplate saves a dealer's SMS template, signature or quiet hours of
// marketing SMS (a director's edit).
func cmdSMSTemplate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "sms template")
	dealer := fs.String("dealer", "", "dealer code (required)")
	code := fs.String("code", "", "template code")
	kind := fs.String("kind", "marketing", "service or marketing")
	title := fs.String("title", "", "title shown to directors")
	body := fs.String("body", "", "text with {customer} {name} {title} {dealer} {plate} {model} {due_day} {date}")
	signature := fs.String("signature", "", "set the dealer's SMS signature (the text inside 【】)")
	providerCode := fs.String("provider-code", "", "the template's code at the cloud SMS provider (SMS_123456789, 1234567); kept when not given")
	quiet := fs.String("quiet-hours", "", "set the dealer's quiet hours of marketing SMS, START-END such as 20:00-09:00 (21:00-08:00 or wider)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dealer == "" || (*signature == "" && *quiet == "" && (*code == "" || *body == "")) {
		return fmt.Errorf("%w: --dealer and either --signature, --quiet-hours or --code with --body are required", errUsage)
	}
	var hours notify.QuietHours
	if *quiet != "" {
		h, err := notify.ParseQuietHoursRange(*quiet)
		if err != nil {
			return err
		}
		hours = h
	}
	pool, err := cliDB(ctx, env)
	if err != nil {
		return err
	}
	defer pool.Close()
	d, _, err := queueDealerDay(ctx, pool, *dealer, "")
	if err != nil {
		return err
	}
	if *signature != "" {
		sig, err := notify.SaveSMSSignature(ctx, pool, d.ID, *signature, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "dealer %s signature 【%s】\n", d.Code, sig)
	}
	if *quiet != "" {
		if err := notify.SaveQuietHours(ctx, pool, d.ID, hours.StartText(), hours.EndText(), 0); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "dealer %s quiet hours of marketing SMS %s\n", d.Code, hours)
	}
	if *code != "" {
		t := notify.SMSTemplate{Code: *code, Kind: *kind, Title: *title, Body: *body, ProviderCode: *providerCode}
		given := false
		fs.Visit(func(f *flag.Flag) { given = given || f.Name == "provider-code" })
		if !given {
			if old, err := notify.LoadSMSTemplate(ctx, pool, d.ID, *code); err == nil {
				t.ProviderCode = old.ProviderCode
			}
		}
		if err := notify.SaveSMSTemplate(ctx, pool, d.ID, t, 0); err != nil {
			return err
		}
		dd, err := store.New(pool).GetDealerSMS(ctx, d.ID)
		if err != nil {
			return err
		}
		sample, err := notify.RenderSMS(t.Body, t.Kind, dd.Signature, map[string]string{"customer": "王先生", "name": "王", "title": "先生",
			"dealer": dd.Name, "plate": "粤A12345", "model": "轩逸", "due_day": "12月1日", "date": "2026年11月23日"})
		if err != nil {
			return err
		}
		chars, parts := notify.SMSSegments(sample)
		fmt.Fprintf(env.stdout, "template %s saved; sample (%d characters, %d SMS): %s\n", *code, chars, parts, sample)
	}
	return nil
}

// cmdBroadcastStats prints the director's view of the SMS and message-call broadcasts.
func cmdBroadcastStats(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "broadcast stats")
	dealer := fs.String("dealer", "", "dealer code (required)")
	since := fs.String("since", "", "first day, YYYY-MM-DD (default 30 days ago)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dealer == "" {
		return fmt.Errorf("%w: --dealer is required", errUsage)
	}
	pool, err := cliDB(ctx, env)
	if err != nil {
		return err
	}
	defer pool.Close()
	d, day, err := queueDealerDay(ctx, pool, *dealer, *since)
	if err != nil {
		return err
	}
	if *since == "" {
		day = day.AddDate(0, 0, -30)
	}
	loc, err := time.LoadLocation(d.TimeZone)
	if err != nil {
		return err
	}
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	st, err := notify.LoadBroadcastStats(ctx, pool, d.ID, from)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(st)
	}
	rows := [][]string{{"broadcast", "template", "total", "sent", "delivered", "failed", "suppressed", "pending", "replied", "opted out"}}
	for _, s := range st.SMS {
		c := s.Broadcast
		if c == "" {
			c = "(automatic)"
		}
		rows = append(rows, []string{c, s.Template, fmt.Sprint(s.Total), fmt.Sprint(s.Sent), fmt.Sprint(s.Delivered), fmt.Sprint(s.Failed),
			fmt.Sprint(s.Suppressed), fmt.Sprint(s.Pending), fmt.Sprint(s.Replied), fmt.Sprint(s.OptedOut)})
	}
	fmt.Fprintf(env.stdout, "SMS since %s\n", from.Format(time.DateOnly))
	writeTable(env.stdout, rows)
	if len(st.Calls) > 0 {
		rows = [][]string{{"message calls", "total", "answered", "key 1", "key 2", "key 9", "unreachable", "pending"}}
		for _, c := range st.Calls {
			rows = append(rows, []string{c.Broadcast, fmt.Sprint(c.Total), fmt.Sprint(c.Answered), fmt.Sprint(c.Key1), fmt.Sprint(c.Key2),
				fmt.Sprint(c.Key9), fmt.Sprint(c.Unreachable), fmt.Sprint(c.Pending)})
		}
		writeTable(env.stdout, rows)
	}
	return nil
}

// cmdSMSConsent records a phone's marketing-SMS consent at a dealer (an opt-in or an
// opt-out, with the reason and its source), or prints its history with --show.
func cmdSMSConsent(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "sms consent")
	dealer := fs.String("dealer", "", "dealer code (required)")
	phone := fs.String("phone", "", "the customer's phone (required)")
	state := fs.String("state", "", "opted_in or opted_out")
	source := fs.String("source", "director", "where the customer said it: agent, director, import, sms_reply or message_call")
	detail := fs.String("detail", "", "why: the customer's words or the call (required with --state)")
	show := fs.Bool("show", false, "print the number's consent history instead")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dealer == "" || *phone == "" {
		return fmt.Errorf("%w: --dealer and --phone are required", errUsage)
	}
	if !*show && *state == "" {
		return fmt.Errorf("%w: give --state opted_in|opted_out with --detail, or --show", errUsage)
	}
	pool, err := cliDB(ctx, env)
	if err != nil {
		return err
	}
	defer pool.Close()
	d, _, err := queueDealerDay(ctx, pool, *dealer, "")
	if err != nil {
		return err
	}
	if !*show {
		n, err := notify.SetSMSConsent(ctx, pool, notify.ConsentParams{DealerID: d.ID, Phone: *phone, State: *state, Source: *source, Detail: *detail})
		if errors.Is(err, notify.ErrConsentInput) {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%s at %s: %s (%s)", *phone, d.Code, *state, *source)
		if n > 0 {
			fmt.Fprintf(env.stdout, "; %d queued marketing SMS suppressed", n)
		}
		fmt.Fprintln(env.stdout)
		return nil
	}
	hist, err := notify.SMSConsentHistory(ctx, pool, d.ID, *phone)
	if err != nil {
		return err
	}
	if len(hist) == 0 {
		fmt.Fprintf(env.stdout, "%s at %s: no consent recorded (marketing SMS go, with TD to opt out)\n", *phone, d.Code)
		return nil
	}
	loc, err := time.LoadLocation(d.TimeZone)
	if err != nil {
		return err
	}
	rows := [][]string{{"at", "state", "source", "detail"}}
	for _, h := range hist {
		rows = append(rows, []string{h.At.In(loc).Format("2006-01-02 15:04"), h.State, h.Source, h.Detail})
	}
	writeTable(env.stdout, rows)
	return nil
}

// broadcastAudience resolves a broadcast's audience as the preview and the start do, and
// lists what the dealer does not know as a customer.
func broadcastAudience(ctx context.Context, env *cliEnv, pool *pgxpool.Pool, d store.Dealer, day time.Time, in notify.AudienceInput) (*notify.Audience, error) {
	aud, err := notify.ResolveAudience(ctx, pool, d.ID, day, in)
	if err != nil {
		return nil, err
	}
	for _, u := range aud.Unknown {
		fmt.Fprintf(env.stdout, "  not a customer of %s: %s\n", d.Code, u)
	}
	return aud, nil
}
