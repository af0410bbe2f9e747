package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/store"
)

// cliActor is who the audit log names for changes made with the command line.
var cliActor = store.Actor{Source: "cli"}

// adminError turns store's refusals of bad input into usage errors (exit status 2).
func adminError(err error) error {
	if errors.Is(err, store.ErrInvalidUser) || errors.Is(err, store.ErrInvalidDealer) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return err
}

// flagGiven reports whether the flag was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// cmdDealerAdd creates a dealer, or with --update changes an existing dealer's name and
// time zone.
func cmdDealerAdd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "dealer add")
	code := fs.String("code", "", "dealer code, 1 to 32 of A-Z a-z 0-9 _ - (required)")
	name := fs.String("name", "", "the dealer's name, such as 广州某某汽车销售服务有限公司 (required unless --update)")
	tz := fs.String("tz", "Asia/Shanghai", "the dealer's time zone")
	update := fs.Bool("update", false, "change the name and time zone of an existing dealer")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *code == "" || (*name == "" && !*update) {
		return fmt.Errorf("%w: --code and --name are required", errUsage)
	}
	pool, err := cliDB(ctx, env)
	if err != nil {
		return err
	}
	defer pool.Close()
	zone := ""
	if !*update || flagGiven(fs, "tz") {
		zone = *tz
	}
	d, created, err := store.SaveDealer(ctx, pool, store.SaveDealerParams{Code: *code, Name: *name, TimeZone: zone, Update: *update},
		store.Actor{Source: "cli"})
	switch {
	case errors.Is(err, store.ErrDealerExists):
		return fmt.Errorf("dealer %q already exists (use --update to change its name or time zone)", *code)
	case errors.Is(err, store.ErrNoDealer):
		return fmt.Errorf("%w: no dealer %q to update; --name is required to create it", errUsage, *code)
	case err != nil:
		return adminError(err)
	}
	verb := "updated"
	if created {
		verb = "created"
	}
	fmt.Fprintf(env.stdout, "dealer %s %s: %s, time zone %s\n", d.Code, verb, d.Name, d.TimeZone)
	return nil
}

// cmdDealerList prints the dealers.
func cmdDealerList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "dealer list")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pool, err := cliDB(ctx, env)
	if err != nil {
		return err
	}
	defer pool.Close()
	ds, err := store.New(pool).ListDealers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tNAME\tTIME ZONE\tCREATED")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Code, d.Name, d.TimeZone, d.CreatedAt.Format(time.DateOnly))
	}
	return tw.Flush()
}

// userTarget holds the flags naming one user and opens what a user command needs.
type userTarget struct {
	dealer, username *string
}

func userFlags(fs *flag.FlagSet) userTarget {
	return userTarget{dealer: fs.String("dealer", "", "dealer code (required)"),
		username: fs.String("username", "", "the user's login name (required)")}
}

// open checks the flags, opens the database and finds the dealer and, when wantUser, the user.
func (t userTarget) open(ctx context.Context, env *cliEnv, wantUser bool) (*pgxpool.Pool, store.Dealer, store.User, error) {
	if *t.dealer == "" || *t.username == "" {
		return nil, store.Dealer{}, store.User{}, fmt.Errorf("%w: --dealer and --username are required", errUsage)
	}
	pool, err := cliDB(ctx, env)
	if err != nil {
		return nil, store.Dealer{}, store.User{}, err
	}
	d, err := cliDealer(ctx, pool, *t.dealer)
	if err != nil {
		pool.Close()
		return nil, store.Dealer{}, store.User{}, err
	}
	if !wantUser {
		return pool, d, store.User{}, nil
	}
	u, err := store.New(pool).GetUserByUsername(ctx, store.GetUserByUsernameParams{DealerID: d.ID, Username: *t.username})
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("dealer %s has no user %q", d.Code, *t.username)
	}
	if err != nil {
		pool.Close()
		return nil, store.Dealer{}, store.User{}, err
	}
	return pool, d, u, nil
}

// cliDealer finds a dealer by code with an error saying how to create it.
func cliDealer(ctx context.Context, pool *pgxpool.Pool, code string) (store.Dealer, error) {
	d, err := store.New(pool).GetDealerByCode(ctx, code)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("no dealer %q (create it with huifang dealer add)", code)
	}
	return d, err
}

// readSecret reads a password: from file when given, else from stdin when it is not a
// terminal. It returns "" when there is neither (the caller generates one). Only the
// first line counts, without its line break.
func readSecret(env *cliEnv, file, what string) (string, error) {
	var r io.Reader
	switch {
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("%w: %s file: %v", errUsage, what, err)
		}
		defer f.Close()
		r = f
	case env.stdin == nil:
		return "", nil
	default:
		if f, ok := env.stdin.(*os.File); ok {
			if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice != 0 {
				return "", nil // a terminal (or /dev/null): nothing piped in
			}
		}
		r = env.stdin
	}
	b, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", what, err)
	}
	s, _, _ := strings.Cut(string(b), "\n")
	s = strings.TrimSuffix(s, "\r")
	if s == "" {
		return "", fmt.Errorf("%w: the %s given is empty", errUsage, what)
	}
	return s, nil
}

// generatePassword makes a random 16-character password (A-Z, 2-7: 80 bits).
func generatePassword() string { return rand.Text()[:16] }

// loginPassword reads the password from --password-file or stdin, or generates one
// (generated reports that it must be shown).
func loginPassword(env *cliEnv, file string) (pw string, generated bool, err error) {
	pw, err = readSecret(env, file, "password")
	if err != nil || pw != "" {
		return pw, false, err
	}
	return generatePassword(), true, nil
}

// cmdUserAdd adds a console user to a dealer.
func cmdUserAdd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "user add")
	t := userFlags(fs)
	name := fs.String("name", "", "display name, such as 客服 王芳 (agents who are sales consultants: the name in the vehicles' consultant column)")
	role := fs.String("role", "", "agent, director, admin or service_desk (服务前台) (required)")
	pwFile := fs.String("password-file", "", "read the login password from this file (default: stdin when piped, else generated and printed once)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *t.dealer == "" || *t.username == "" || *role == "" {
		return fmt.Errorf("%w: --dealer, --username and --role are required", errUsage)
	}
	// Check what needs no database first, so bad input never half-happens.
	if err := store.ValidateUsername(*t.username); err != nil {
		return adminError(err)
	}
	if err := store.ValidateRole(*role); err != nil {
		return adminError(err)
	}
	pw, generated, err := loginPassword(env, *pwFile)
	if err != nil {
		return err
	}
	pool, d, _, err := t.open(ctx, env, false)
	if err != nil {
		return err
	}
	defer pool.Close()
	u, secret, err := store.AddUser(ctx, pool, store.NewUser{DealerID: d.ID, Username: *t.username, DisplayName: *name,
		Role: *role, Password: pw}, cliActor)
	if err != nil {
		return adminError(err)
	}
	fmt.Fprintf(env.stdout, "user %s (%s, %s) added to dealer %s\n", u.Username, u.DisplayName, u.Role, d.Code)
	if generated {
		fmt.Fprintf(env.stdout, "password: %s\n(shown once)\n", pw)
	}
	if secret != "" {
		printSIPSecret(env, u.Username, secret)
	}
	return nil
}

// printSIPSecret shows an agent's new SIP secret, once, with what the softphone needs.
func printSIPSecret(env *cliEnv, username, secret string) {
	fmt.Fprintf(env.stdout, "SIP secret: %s\n(shown once; the softphone registers as %s, realm %s, with this secret; huifang user sip-secret issues a new one)\n",
		secret, username, store.SIPRealm)
}

// cmdUserPasswd sets a user's login password (the SIP secret is not touched).
func cmdUserPasswd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "user passwd")
	t := userFlags(fs)
	pwFile := fs.String("password-file", "", "read the new password from this file (default: stdin when piped, else generated and printed once)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pw, generated, err := loginPassword(env, *pwFile)
	if err != nil {
		return err
	}
	pool, d, u, err := t.open(ctx, env, true)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := store.SetUserPassword(ctx, pool, d.ID, u.ID, pw, cliActor); err != nil {
		return adminError(err)
	}
	fmt.Fprintf(env.stdout, "user %s of dealer %s: password set\n", u.Username, d.Code)
	if generated {
		fmt.Fprintf(env.stdout, "password: %s\n(shown once)\n", pw)
	}
	return nil
}

// cmdUserSIPSecret issues an agent a new random SIP secret and prints it once; the old
// one stops working.
func cmdUserSIPSecret(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "user sip-secret")
	t := userFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pool, d, u, err := t.open(ctx, env, true)
	if err != nil {
		return err
	}
	defer pool.Close()
	secret, err := store.IssueSIPSecret(ctx, pool, d.ID, u.ID, cliActor)
	if err != nil {
		return adminError(err)
	}
	fmt.Fprintf(env.stdout, "user %s of dealer %s: new SIP secret issued; the old one no longer registers\n", u.Username, d.Code)
	printSIPSecret(env, u.Username, secret)
	return nil
}

// cmdUserDisable disables a user: no login, no phone registration, sessions ended.
func cmdUserDisable(ctx context.Context, env *cliEnv, args []string) error {
	return userActive(ctx, env, "user disable", args, false)
}

// cmdUserEnable enables a disabled user again.
func cmdUserEnable(ctx context.Context, env *cliEnv, args []string) error {
	return userActive(ctx, env, "user enable", args, true)
}

func userActive(ctx context.Context, env *cliEnv, name string, args []string, active bool) error {
	fs := newFlagSet(env, name)
	t := userFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pool, d, u, err := t.open(ctx, env, true)
	if err != nil {
		return err
	}
	defer pool.Close()
	ended, err := store.SetUserActive(ctx, pool, d.ID, u.ID, active, cliActor)
	if err != nil {
		return adminError(err)
	}
	if active {
		fmt.Fprintf(env.stdout, "user %s of dealer %s enabled\n", u.Username, d.Code)
		return nil
	}
	fmt.Fprintf(env.stdout, "user %s of dealer %s disabled; %d console sessions ended (a console page already open keeps its live connection until it reconnects; disabling at /admin/users closes it at once)\n",
		u.Username, d.Code, len(ended))
	return nil
}

// userLine is one user as huifang user list prints it: never a hash or a password.
type userLine struct {
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        string    `json:"role"`
	Active      bool      `json:"active"`
	SIPSet      bool      `json:"sip_secret_set"`
	CreatedAt   time.Time `json:"created_at"`
}

// cmdUserList prints a dealer's users.
func cmdUserList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "user list")
	dealer := fs.String("dealer", "", "dealer code (required)")
	asJSON := fs.Bool("json", false, "print the users as a JSON array")
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
	d, err := cliDealer(ctx, pool, *dealer)
	if err != nil {
		return err
	}
	users, err := store.New(pool).ListUsers(ctx, d.ID)
	if err != nil {
		return err
	}
	lines := make([]userLine, 0, len(users))
	for _, u := range users {
		lines = append(lines, userLine{Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, Active: u.Active,
			SIPSet: u.SipHa1 != "", CreatedAt: u.CreatedAt})
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(lines)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tNAME\tROLE\tACTIVE\tSIP\tCREATED")
	yes := map[bool]string{true: "yes", false: "no"}
	sip := map[bool]string{true: "set", false: "none"}
	for _, l := range lines {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", l.Username, l.DisplayName, l.Role, yes[l.Active], sip[l.SIPSet], l.CreatedAt.Format(time.DateOnly))
	}
	return tw.Flush()
}
