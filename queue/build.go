package queue

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/store"
)

//go:embed sql/*.sql
var sqlFS embed.FS

// OpenEnded returns the expiry stored for an occurrence with no last day yet (a recall whose work
// is not recorded). List shows it as no expiry.
func OpenEnded() time.Time { return time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC) }

// BuildParams says which dealer's queue to build and as of which day.
type BuildParams struct {
	// DealerID is the dealer.
	DealerID int64
	// Day is the calendar day in the dealer's zone, as a time.Time at 00:00 UTC.
	Day time.Time
	// UnlessBuiltSince, when set, skips the build when a build of the same dealer and day
	// began at or after that instant (database clock): that build saw every fact
	// committed before it, so a burst of requests (a DMS pushing visits) makes a few
	// builds, not one each.
	UnlessBuiltSince time.Time
	// stepByStep sends the statements one at a time and times them (the benchmark's
	// profile) instead of in one pipelined batch.
	stepByStep bool
}

// BuildResult counts what a build did.
type BuildResult struct {
	// DealerID and Day echo the parameters.
	DealerID int64     `json:"dealer_id"`
	Day      time.Time `json:"day"`
	// Skipped is true when UnlessBuiltSince found a newer build; nothing was done.
	Skipped bool `json:"skipped,omitempty"`
	// Held is the number of rule occurrences held on Day (new or already present).
	Held int64 `json:"held"`
	// AlreadyPresent is the number of held occurrences that existed before (in any status).
	AlreadyPresent int64 `json:"already_present"`
	// ReasonsAdded is the number of new reasons (occurrences) stored.
	ReasonsAdded int64 `json:"reasons_added"`
	// TasksCreated is the number of new open tasks.
	TasksCreated int64 `json:"tasks_created"`
	// TasksMerged is the number of open tasks that were already there and got new reasons.
	TasksMerged int64 `json:"tasks_merged"`
	// ReasonsCut is the number of reasons whose last day moved earlier because the customer
	// came in (maintenance, lapsed) or the recall work was recorded.
	ReasonsCut int64 `json:"reasons_cut"`
	// ReasonsExpired is the number of reasons whose last day was before Day.
	ReasonsExpired int64 `json:"reasons_expired"`
	// ReasonsSuppressed is the number of open reasons of do-not-call or invalid numbers.
	ReasonsSuppressed int64 `json:"reasons_suppressed"`
	// TasksCancelled is the number of open tasks cancelled for a do-not-call or invalid number.
	TasksCancelled int64 `json:"tasks_cancelled"`
	// TasksUpdated is the number of open tasks whose merged priority, due day, expiry,
	// campaigns or consultant changed.
	TasksUpdated int64 `json:"tasks_updated"`
	// TasksExpired is the number of open tasks left without an open reason.
	TasksExpired int64 `json:"tasks_expired"`
	// Duration is how long the build took.
	Duration time.Duration `json:"duration"`
	// Steps is how long each step took (the statements of a rule file together) in a
	// profile run (the statements sent one at a time instead of in one batch); empty
	// otherwise. Not stored.
	Steps []BuildStep `json:"-"`
}

// BuildStep is the time one step of a build took.
type BuildStep struct {
	// Step is the rule file or the statement ("analyze q_cand").
	Step string
	// Took is its share of the build's wall clock.
	Took time.Duration
}

// ErrBadDay is returned for a zero build or list day.
var ErrBadDay = errors.New("queue: no day given")

// Build builds dealer p.DealerID's queue as of p.Day with the dealer's rules, in one
// transaction. It is safe to run twice and concurrently: builds of one dealer take turns on
// an advisory lock and an occurrence is never created twice.
func Build(ctx context.Context, db *pgxpool.Pool, p BuildParams) (*BuildResult, error) {
	conn, err := db.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("build queue: %w", err)
	}
	defer conn.Release()
	// The scratch tables of a big dealer outgrow the default 8 MB of local buffers; the
	// setting can only change before the session first uses a temporary table, so a
	// connection that already built keeps what it has (the error is expected then).
	_, _ = conn.Exec(ctx, `SET temp_buffers = '512MB'`)
	var res *BuildResult
	err = store.WithTx(ctx, conn, func(tx pgx.Tx) error {
		var err error
		res, err = BuildTx(ctx, tx, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// BuildTx is Build inside the caller's transaction.
func BuildTx(ctx context.Context, tx pgx.Tx, p BuildParams) (*BuildResult, error) {
	start := time.Now()
	if p.Day.IsZero() {
		return nil, ErrBadDay
	}
	day := dayOf(p.Day)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('huifang.queue.build:' || current_schema() || ':' || $1::bigint, 0))`, p.DealerID); err != nil {
		return nil, fmt.Errorf("build queue: lock dealer %d: %w", p.DealerID, err)
	}
	if !p.UnlessBuiltSince.IsZero() {
		// queue_builds.built_at is the start of its build's transaction.
		var newer bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM queue_builds WHERE dealer_id = $1 AND day = $2 AND built_at >= $3)`,
			p.DealerID, day, p.UnlessBuiltSince).Scan(&newer); err != nil {
			return nil, fmt.Errorf("build queue: %w", err)
		}
		if newer {
			return &BuildResult{DealerID: p.DealerID, Day: day, Skipped: true}, nil
		}
	}
	// Sorts and hashes over a dealer's whole history want more than the default 4 MB.
	if _, err := tx.Exec(ctx, `SELECT set_config('work_mem', '256MB', true), set_config('jit', 'off', true)`); err != nil {
		return nil, fmt.Errorf("build queue: settings: %w", err)
	}
	dealer, err := store.New(tx).GetDealer(ctx, p.DealerID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("build queue: no dealer with id %d", p.DealerID)
	}
	if err != nil {
		return nil, fmt.Errorf("build queue: dealer %d: %w", p.DealerID, err)
	}
	rules, err := LoadRules(ctx, tx, p.DealerID)
	if err != nil {
		return nil, fmt.Errorf("build queue: %w", err)
	}
	args := rules.namedArgs()
	args["dealer"] = p.DealerID
	args["day"] = day
	args["tz"] = dealer.TimeZone
	args["first_only"] = 0
	// lock is the last day of the previous month: the day due_not_come's list is made.
	lock := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	args["lock"] = lock

	res := &BuildResult{DealerID: p.DealerID, Day: day}
	// The scratch tables first, then every step in one pipelined batch (a round trip per
	// statement would cost more than most statements).
	if _, err := execFile(ctx, tx, "00_tables.sql", args); err != nil {
		return nil, fmt.Errorf("build queue: scratch tables: %w", err)
	}
	var discard, cut1, cut2, cut3, cut4, cut5, cut6, cut7 int64
	steps := []struct {
		file  string
		count *int64
	}{
		// The steps join whole tables of the dealer. Right after an import or a first build
		// the planner may not have statistics yet and would pick nested loops over
		// aggregates (minutes instead of a second); hash joins are always right here, so
		// nested loops are off. Small lookups use = ANY (ARRAY(...)) and indexes instead.
		// (JIT is off for the whole build: the penalty cost of a nested loop that cannot be
		// avoided would otherwise switch it on for half a second of compiling.)
		{"nestloop off", &discard},
		{"10_bad.sql", &discard},
		{"11_complaints.sql", &discard},
		{"12_vehicles.sql", &discard},
		{"13_owners.sql", &discard},
		{"analyze q_veh", &discard},
		{"analyze q_owner", &discard},
		{"20_complaint.sql", &discard},
		{"21_same_day_visit.sql", &discard},
		{"22_recall.sql", &discard},
		{"23_prospects.sql", &discard},
		{"24_delivery.sql", &discard},
		{"25_post_service.sql", &discard},
		{"26_dates.sql", &discard},
		{"27_maintenance.sql", &discard},
		{"28_due_not_come.sql", &discard},
		{"29_lapsed.sql", &discard},
		{"30_base_care.sql", &discard},
		{"31_birthday.sql", &discard},
		{"32_prospect_followup.sql", &discard},
		{"33_no_show.sql", &discard},
		{"40_filter.sql", &discard},
		{"analyze q_cand", &discard},
		{"count held", &res.Held},
		{"41_existing.sql", &res.AlreadyPresent},
		{"42_tasks.sql", &discard},
		{"43_reasons.sql", &res.ReasonsAdded},
		{"44_touched.sql", &res.TasksMerged},
		{"50_cut_recall.sql", &cut1},
		{"51_cut_maint.sql", &cut2},
		{"52_cut_service.sql", &cut3},
		{"53_cut_outcome.sql", &cut4},
		{"54_cut_prospect.sql", &cut5},
		{"55_cut_no_show.sql", &cut6},
		{"56_cut_prospect_status.sql", &cut7},
		{"60_expire.sql", &res.ReasonsExpired},
		{"61_suppress.sql", &res.ReasonsSuppressed},
		{"62_cancel.sql", &res.TasksCancelled},
		{"63_callbacks.sql", &discard},
		{"70_recompute.sql", &res.TasksUpdated},
		{"71_expire_tasks.sql", &res.TasksExpired},
		{"count created", &res.TasksCreated},
	}
	type queued struct {
		step  string
		count *int64
		query bool
		sql   string
		args  []any
	}
	var batch pgx.Batch
	var order []queued
	add := func(q queued) {
		batch.Queue(q.sql, q.args...)
		order = append(order, q)
	}
	for _, s := range steps {
		switch s.file {
		case "analyze q_veh", "analyze q_owner", "analyze q_cand":
			add(queued{step: s.file, count: s.count, sql: strings.ToUpper(s.file[:7]) + s.file[7:]})
		case "nestloop off":
			add(queued{step: s.file, count: s.count, sql: `SET LOCAL enable_nestloop = off`})
		case "count held":
			add(queued{step: s.file, count: s.count, query: true, sql: `SELECT count(*) FROM q_cand`})
		case "count created":
			add(queued{step: s.file, count: s.count, query: true, sql: `SELECT count(*) FILTER (WHERE created) FROM q_task`})
		default:
			stmts, err := statements(s.file)
			if err != nil {
				return nil, err
			}
			for _, st := range stmts {
				add(queued{step: s.file, count: s.count, sql: st, args: []any{args}})
			}
		}
	}
	if p.stepByStep {
		// A profile: each statement on its own round trip, timed.
		for _, q := range order {
			t0 := time.Now()
			var n int64
			var err error
			if q.query {
				err = tx.QueryRow(ctx, q.sql, q.args...).Scan(&n)
			} else {
				var tag pgconn.CommandTag
				tag, err = tx.Exec(ctx, q.sql, q.args...)
				n = tag.RowsAffected()
			}
			if err != nil {
				return nil, fmt.Errorf("build queue for dealer %d as of %s: %s: %w", p.DealerID, day.Format(time.DateOnly), q.step, err)
			}
			*q.count += n
			if k := len(res.Steps); k > 0 && res.Steps[k-1].Step == q.step {
				res.Steps[k-1].Took += time.Since(t0)
			} else {
				res.Steps = append(res.Steps, BuildStep{Step: q.step, Took: time.Since(t0)})
			}
		}
		batch = pgx.Batch{}
		order = nil
	}
	br := tx.SendBatch(ctx, &batch)
	for _, q := range order {
		var n int64
		var err error
		if q.query {
			err = br.QueryRow().Scan(&n)
		} else {
			var tag pgconn.CommandTag
			tag, err = br.Exec()
			n = tag.RowsAffected()
		}
		if err != nil {
			_ = br.Close()
			return nil, fmt.Errorf("build queue for dealer %d as of %s: %s: %w", p.DealerID, day.Format(time.DateOnly), q.step, err)
		}
		*q.count += n
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("build queue for dealer %d as of %s: %w", p.DealerID, day.Format(time.DateOnly), err)
	}
	res.ReasonsCut = cut1 + cut2 + cut3 + cut4 + cut5 + cut6 + cut7
	res.Duration = time.Since(start)
	counts, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("build queue: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO queue_builds (dealer_id, day, duration_ms, counts) VALUES ($1, $2, $3, $4)`,
		p.DealerID, day, res.Duration.Milliseconds(), counts); err != nil {
		return nil, fmt.Errorf("build queue: log build: %w", err)
	}
	return res, nil
}

// execFile runs each statement of an embedded SQL file with the named arguments and
// returns the rows they affected.
func execFile(ctx context.Context, tx pgx.Tx, file string, args pgx.NamedArgs) (int64, error) {
	stmts, err := statements(file)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, s := range stmts {
		tag, err := tx.Exec(ctx, s, args)
		if err != nil {
			return 0, err
		}
		n += tag.RowsAffected()
	}
	return n, nil
}

// statements splits an embedded SQL file into its statements (each ends with ";" at the
// end of a line).
func statements(file string) ([]string, error) {
	b, err := sqlFS.ReadFile("sql/" + file)
	if err != nil {
		return nil, fmt.Errorf("queue: embedded %s: %w", file, err)
	}
	var out []string
	for _, chunk := range strings.Split(string(b), ";\n") {
		if hasCode(chunk) {
			out = append(out, chunk)
		}
	}
	return out, nil
}

// hasCode reports whether a chunk of SQL holds more than comments and blanks.
func hasCode(chunk string) bool {
	for _, line := range strings.Split(chunk, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "--") {
			return true
		}
	}
	return false
}

// dayOf returns t's calendar day as a time.Time at 00:00 UTC.
func dayOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
