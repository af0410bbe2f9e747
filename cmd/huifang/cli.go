package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand of huifang.
type command struct {
	// name is the word after huifang (several words for nested commands, such as "queue build").
	name string
	// aliases are former names that still run the command (not in the usage text): the
	// SMS commands were "campaign ..." before a campaign came to mean a call rule only.
	aliases []string
	// summary is one line for the usage text.
	summary string
	// run executes the command with its own arguments.
	run func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv carries what every command needs: output streams and the environment.
type cliEnv struct {
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// stdin is where commands read secrets from (nil: nothing to read).
	stdin io.Reader
}

// commands is the table of subcommands; each lives in its own cmd_<name>.go file.
func commands() []command {
	return []command{
		{name: "apikey create", summary: "make a dealer's JSON API key, printed once (--dealer CODE --name NAME [--json])", run: cmdAPIKeyCreate},
		{name: "apikey list", summary: "print a dealer's API keys, never the keys (--dealer CODE [--json])", run: cmdAPIKeyList},
		{name: "apikey revoke", summary: "revoke a dealer's API key (--dealer CODE --id N)", run: cmdAPIKeyRevoke},
		{name: "calls export", summary: "write a dealer's call detail records as CSV or JSON lines (--dealer CODE --from D --to D --format csv|jsonl)", run: cmdCallsExport},
		{name: "broadcast sms", aliases: []string{"campaign sms"}, summary: "start an SMS broadcast, 群发短信 (--dealer CODE --code C --template T --birthdays|--reasons R|--customers IDS)", run: cmdBroadcastSMS},
		{name: "broadcast calls", aliases: []string{"campaign calls"}, summary: "start a recorded-message broadcast, 语音通知 (--dealer CODE --code C --prompt WAV [--prompt-text TEXT] --customers IDS)", run: cmdBroadcastCalls},
		{name: "broadcast stats", aliases: []string{"campaign stats"}, summary: "SMS and message-call broadcast figures (--dealer CODE [--since D] [--json])", run: cmdBroadcastStats},
		{name: "sms template", aliases: []string{"campaign template"}, summary: "save a dealer's SMS template, signature or quiet hours (--dealer CODE --code C --body TEXT | --signature S | --quiet-hours 20:00-09:00)", run: cmdSMSTemplate},
		{name: "sms consent", aliases: []string{"campaign consent"}, summary: "record a phone's marketing-SMS opt-in or opt-out (--dealer CODE --phone P --state opted_in|opted_out --detail WHY) or --show its history", run: cmdSMSConsent},
		{name: "import", summary: "import dealer CSV/XLSX exports (owners, visits, prospects, complaints, recalls, do-not-call)", run: cmdImport},
		{name: "migrate", summary: "apply pending database migrations", run: cmdMigrate},
		{name: "queue build", summary: "build a dealer's call queue as of a day (--dealer CODE [--date YYYY-MM-DD])", run: cmdQueueBuild},
		{name: "queue list", summary: "print a dealer's open call tasks as of a day (--dealer CODE [--date D] [--campaign C] [--json])", run: cmdQueueList},
		{name: "recordings purge", summary: "delete recordings older than each dealer's retention, keeping the call records ([--dealer CODE])", run: cmdRecordingsPurge},
		{name: "serve", summary: "run the whole product in one process (HTTP, workers, scheduler, SIP)", run: cmdServe},
		{name: "visit", summary: "record a showroom visit (queues the leave-store SMS and the same-day call)", run: cmdVisit},
		{name: "dealer add", summary: "create a dealer (--code C --name N [--tz Asia/Shanghai]); --update changes its name or time zone", run: cmdDealerAdd},
		{name: "dealer list", summary: "print the dealers", run: cmdDealerList},
		{name: "dealer rules", summary: "print a dealer's rule settings (value, default, meaning), calling window and holidays (--dealer C [--json])", run: cmdDealerRules},
		{name: "dealer set", summary: "change a dealer's rule settings, all or nothing (--dealer C KEY=VALUE [KEY=VALUE...] | --reset KEY[,KEY...])", run: cmdDealerSet},
		{name: "dealer workshop", summary: "set a dealer's workshop hours, which appointments are checked against (--dealer C --hours 08:30-17:30 [--days 1-7])", run: cmdDealerWorkshop},
		{name: "dealer window", summary: "set a dealer's calling window (--dealer C --hours 09:00-20:30 [--same-day-end 21:00])", run: cmdDealerWindow},
		{name: "dealer holiday add", summary: "list a day as a dealer's holiday: no calls (--dealer C --day 2026-10-01 [--name 国庆])", run: cmdDealerHolidayAdd},
		{name: "dealer holiday remove", summary: "take a day off a dealer's holidays (--dealer C --day 2026-10-01)", run: cmdDealerHolidayRemove},
		{name: "dealer holiday list", summary: "print a dealer's holidays (--dealer C [--json])", run: cmdDealerHolidayList},
		{name: "user add", summary: "add a console user (--dealer C --username U --name N --role agent|director|admin [--password-file F])", run: cmdUserAdd},
		{name: "user passwd", summary: "set a user's login password (--dealer C --username U [--password-file F])", run: cmdUserPasswd},
		{name: "user sip-secret", summary: "issue an agent a new random SIP secret for the softphone, printed once (--dealer C --username U)", run: cmdUserSIPSecret},
		{name: "user disable", summary: "disable a user: no login, no phone, sessions ended (--dealer C --username U)", run: cmdUserDisable},
		{name: "user enable", summary: "enable a disabled user again (--dealer C --username U)", run: cmdUserEnable},
		{name: "user list", summary: "print a dealer's users, without secrets (--dealer C [--json])", run: cmdUserList},
		{name: "demo", summary: "make a realistic demo dealer with users and histories", run: cmdDemo},
		{name: "dial", summary: "place one call through a SIP trunk and report its outcome (trunk test)", run: cmdDial},
		{name: "sim-carrier", summary: "run the simulated SIP carrier alone", run: cmdSimCarrier},
		{name: "version", summary: "print the version", run: cmdVersion},
		{name: "webhook add", summary: "send a dealer's events to a URL, signed; prints the secret once (--dealer CODE --url URL --events E1,E2 [--json])", run: cmdWebhookAdd},
		{name: "webhook list", summary: "print a dealer's webhooks, never their secrets (--dealer CODE [--json])", run: cmdWebhookList},
		{name: "webhook remove", summary: "stop a dealer's webhook (--dealer CODE --id N)", run: cmdWebhookRemove},
		{name: "worker", summary: "run the queue's background work only (Asynq worker, daily scheduler, outbox relay)", run: cmdWorker},
	}
}

// errUsage marks an error caused by bad arguments (exit status 2).
var errUsage = errors.New("usage")

// exitError carries an exit status chosen by a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func run(ctx context.Context, args []string) int {
	env := &cliEnv{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, stdin: os.Stdin}
	return runWith(ctx, env, args)
}

func runWith(ctx context.Context, env *cliEnv, args []string) int {
	cmds := commands()
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	// Longest match first: "queue build" before "queue".
	var match *command
	var rest []string
	matched := 0
	for i := range cmds {
		for _, name := range append([]string{cmds[i].name}, cmds[i].aliases...) {
			words := strings.Fields(name)
			if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == name && len(words) > matched {
				match, matched = &cmds[i], len(words)
				rest = args[len(words):]
			}
		}
	}
	if match == nil {
		fmt.Fprintf(env.stderr, "huifang: unknown command %q\n\n", strings.Join(args, " "))
		usage(env.stderr, cmds)
		return 2
	}
	err := match.run(ctx, env, rest)
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(env.stderr, "huifang %s: %v\n", match.name, ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(env.stderr, "huifang %s: %v\n", match.name, err)
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

func usage(w io.Writer, cmds []command) {
	fmt.Fprintln(w, "huifang: the dealer follow-up call center (回访)")
	fmt.Fprintln(w, "\nUsage: huifang COMMAND [flags]\n\nCommands:")
	width := 0
	for _, c := range cmds {
		width = max(width, len(c.name))
	}
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-*s %s\n", width, c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun huifang COMMAND -h for a command's flags. Configuration comes from the environment; see README.md.")
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(env *cliEnv, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("huifang "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	return fs
}

// parseFlags parses args and turns flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}
