package importer

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
)

// Options says how to import.
type Options struct {
	// DealerCode is the dealer the files belong to; the dealer is created by its first import.
	DealerCode string
	// DryRun validates and counts but writes nothing: the whole run happens in one
	// transaction that is rolled back, so later files see earlier ones (visits find the
	// vehicles of an owners file of the same run).
	DryRun bool
	// SkipInvalid writes the valid rows of a file that has invalid rows (which are still
	// reported); without it such a file is refused whole.
	SkipInvalid bool
	// RecallCode is the recall code of recall lists that have no code column; when empty,
	// the file name without extension (and without a "recall_" prefix) is used.
	RecallCode string
	// Now is the clock (the import day in the dealer's zone); nil means time.Now.
	Now func() time.Time
	// Progress, when set, is called from time to time while a file is read.
	Progress func(Progress)
	// Logger, when set, gets the duration of each step at debug level.
	Logger *slog.Logger
	// Changed, when set, is called in the transaction of each file that inserted or
	// updated rows, just before it commits, with the dealer and the import day in the
	// dealer's zone (00:00 UTC); its error rolls the file back. The command line asks
	// for the rebuild of the dealer's queue here (an outbox row, committed with the
	// data), so a build is never lost between the import and Redis. Not called in a dry
	// run.
	Changed func(ctx context.Context, tx pgx.Tx, dealerID int64, day time.Time) error
}

// Progress reports how far the import of one file is.
type Progress struct {
	// File is the path being imported.
	File string
	// Rows is the number of data rows read so far.
	Rows int
	// Bytes and Total are the bytes read and the file size; Total is 0 when unknown (XLSX).
	Bytes, Total int64
	// Done is true on the last report of a file.
	Done bool
}

// RowError is one problem with one cell of a file. A problem with the whole file (it
// cannot be read, its kind is unknown) has Row 0 and an empty Column.
type RowError struct {
	// Row is the row number as a spreadsheet shows it: the header is row 1.
	Row int `json:"row"`
	// Column is the header text as it is in the file (or the expected name of a missing column).
	Column string `json:"column"`
	// Value is the cell as it is in the file.
	Value string `json:"value"`
	// Reason says what is wrong.
	Reason string `json:"reason"`
	// File is the file's path; set in Result.Errors, empty in FileResult.Errors.
	File string `json:"file,omitempty"`
}

// Counts are the figures of an import. Read = Inserted + Updated + Unchanged + Invalid for
// a file that was written; a refused file has only Read and Invalid.
type Counts struct {
	// Read is the number of data rows read (empty rows are skipped).
	Read int `json:"read"`
	// Inserted counts new vehicles for an owners file, new rows for the other kinds.
	Inserted int `json:"inserted"`
	// Updated counts rows that changed something already stored.
	Updated int `json:"updated"`
	// Unchanged counts valid rows that changed nothing (including exact duplicate rows).
	Unchanged int `json:"unchanged"`
	// Invalid counts rows refused for bad values.
	Invalid int `json:"invalid"`
}

func (c *Counts) add(o Counts) {
	c.Read += o.Read
	c.Inserted += o.Inserted
	c.Updated += o.Updated
	c.Unchanged += o.Unchanged
	c.Invalid += o.Invalid
}

// FileResult is the outcome of one file.
type FileResult struct {
	// File is the path as given.
	File string `json:"file"`
	// Kind is the recognised kind of file ("" when it could not be recognised).
	Kind Kind `json:"kind"`
	// Encoding is what was detected: utf-8, utf-8-bom, gbk, utf-16 or xlsx.
	Encoding string `json:"encoding"`
	Counts
	// Errors lists every invalid row and cell.
	Errors []RowError `json:"errors"`
	// Written is true when the file's rows were committed (never in a dry run).
	Written bool `json:"written"`
	// Refused is true when nothing of the file was (or, in a dry run, would be) written.
	Refused bool `json:"refused"`
	// Problem says why a file was refused as a whole (unreadable, unknown kind, missing
	// columns, invalid rows).
	Problem string `json:"problem,omitempty"`
}

// Result is the outcome of an import run.
type Result struct {
	// DealerID is the dealer's id (0 when no file got as far as the database).
	DealerID int64
	// Files holds one result per file, in the order they were imported (owners files first).
	Files []FileResult
	// Total adds up the files' counts.
	Total Counts
	// DryRun repeats Options.DryRun.
	DryRun bool
}

// Refused reports whether any file was refused.
func (r *Result) Refused() bool {
	for _, f := range r.Files {
		if f.Refused {
			return true
		}
	}
	return false
}

// Written reports whether any file was committed.
func (r *Result) Written() bool {
	for _, f := range r.Files {
		if f.Written {
			return true
		}
	}
	return false
}

// Errors returns the errors of every file, each naming its file.
func (r *Result) Errors() []RowError {
	out := []RowError{}
	for _, f := range r.Files {
		for _, e := range f.Errors {
			e.File = f.File
			out = append(out, e)
		}
	}
	return out
}

// bulkRows is the file size from which joins use hashes only (see importFile).
const bulkRows = 5000

// errRefused rolls back a file's transaction when the file is refused.
var errRefused = errors.New("file refused")

// plan is a file whose header has been read.
type plan struct {
	path string
	// open opens the table again (a file by path, or records in memory).
	open      func(enc string) (table, error)
	kind      Kind
	h         header
	headerRow int
	res       FileResult
}

// Import reads each file, recognises its kind from its headers and imports it for the
// dealer, each file in its own transaction (a savepoint of the one rolled-back transaction
// in a dry run). Files are imported owners first. A file-level problem or invalid rows
// make the file refused (see FileResult); the returned error is only for failures of the
// database or the context, after which nothing more is imported.
func Import(ctx context.Context, db store.TxBeginner, opts Options, paths ...string) (*Result, error) {
	if !validDealerCode(opts.DealerCode) {
		return nil, fmt.Errorf("import: dealer code %q must be 1-32 letters, digits, - or _", opts.DealerCode)
	}
	if len(paths) == 0 {
		return nil, errors.New("import: no file given")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	plans := make([]*plan, 0, len(paths))
	for _, p := range paths {
		plans = append(plans, prescan(p))
	}
	sort.SliceStable(plans, func(i, j int) bool { return kindRank(plans[i].kind) < kindRank(plans[j].kind) })

	res := &Result{DryRun: opts.DryRun}
	run := func(db store.TxBeginner) error {
		for _, pl := range plans {
			if !pl.res.Refused {
				id, err := importFile(ctx, db, opts, pl)
				if err != nil {
					return fmt.Errorf("import %s: %w", pl.path, err)
				}
				if id != 0 {
					res.DealerID = id
				}
			}
			res.Files = append(res.Files, pl.res)
			res.Total.add(pl.res.Counts)
		}
		return nil
	}
	if !opts.DryRun {
		err := run(db)
		return res, err
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("import: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	err = run(tx)
	return res, err
}

// validDealerCode mirrors the dealers.code check constraint.
func validDealerCode(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func kindRank(k Kind) int {
	if r, ok := kindOrder[k]; ok {
		return r
	}
	return len(kindOrder)
}

// prescan reads a file's header and recognises its kind; problems make the plan refused.
func prescan(path string) *plan {
	return prescanTable(path, func(enc string) (table, error) { return openTable(path, enc) })
}

// prescanTable is prescan of a table opened by open; path names it in results.
func prescanTable(path string, open func(enc string) (table, error)) *plan {
	pl := &plan{path: path, open: open, res: FileResult{File: path, Errors: []RowError{}}}
	refuse := func(problem string) *plan {
		pl.res.Refused, pl.res.Problem = true, problem
		if len(pl.res.Errors) == 0 {
			pl.res.Errors = append(pl.res.Errors, RowError{Reason: problem})
		}
		return pl
	}
	t, err := open("")
	if err != nil {
		return refuse(err.Error())
	}
	defer t.close()
	pl.res.Encoding = t.encoding()
	h, row, err := findHeader(t)
	if err != nil {
		return refuse(err.Error())
	}
	pl.h, pl.headerRow = h, row
	k, err := h.kind()
	if err != nil {
		return refuse(err.Error())
	}
	pl.kind, pl.res.Kind = k, k
	if miss := h.missing(k); len(miss) > 0 {
		for _, m := range miss {
			pl.res.Errors = append(pl.res.Errors, RowError{Row: row, Column: m, Reason: "required column is missing"})
		}
		return refuse(fmt.Sprintf("%s file is missing required column(s): %s", k, strings.Join(miss, ", ")))
	}
	return pl
}

// findHeader returns the header row: the first of the first ten non-empty rows with at
// least two known columns (DMS exports sometimes put a title row above the header).
func findHeader(t table) (header, int, error) {
	var firstCells []string
	firstRow := 0
	for tries := 0; tries < 10; {
		cells, row, err := t.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return header{}, 0, err
		}
		if emptyRow(cells) {
			continue
		}
		tries++
		h := mapHeader(cells)
		if h.known >= 2 {
			return h, row, nil
		}
		if firstCells == nil {
			firstCells, firstRow = append([]string(nil), cells...), row
		}
	}
	if firstCells == nil {
		return header{}, 0, errors.New("the file has no header row (it is empty)")
	}
	h := mapHeader(firstCells)
	if h.known == 1 {
		return h, firstRow, nil // a one-column list, such as a do-not-call or VIN list
	}
	return header{}, 0, fmt.Errorf("no known column in the header row (row %d: %s)", firstRow,
		strings.Join(firstCells, ", "))
}

func emptyRow(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// dayIn is the calendar day of t in loc, as 00:00 UTC.
func dayIn(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// importFile imports one file in its own transaction and fills pl.res. It returns the
// dealer id, and an error only for database or context failures.
func importFile(ctx context.Context, db store.TxBeginner, opts Options, pl *plan) (int64, error) {
	sp := specs[pl.kind]
	blocks, err := loadBlocks(pl.kind)
	if err != nil {
		return 0, err
	}
	var dealerID int64
	res := &pl.res
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	err = store.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := store.New(tx)
		d, err := q.GetDealerByCode(ctx, opts.DealerCode)
		if errors.Is(err, pgx.ErrNoRows) {
			d, err = q.EnsureDealer(ctx, store.EnsureDealerParams{Code: opts.DealerCode, Name: opts.DealerCode})
		}
		if err != nil {
			return fmt.Errorf("dealer %s: %w", opts.DealerCode, err)
		}
		dealerID = d.ID
		loc, err := time.LoadLocation(d.TimeZone)
		if err != nil {
			return fmt.Errorf("dealer %s time zone %q: %w", d.Code, d.TimeZone, err)
		}
		today := dayIn(opts.Now(), loc)
		args := pgx.NamedArgs{"dealer": d.ID, "today": today, "zone": d.TimeZone,
			"source": "import " + filepath.Base(pl.path)}
		// Imports of one dealer run one at a time, so rows found missing stay missing.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(20260, @dealer::int4)", args); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		// Big sorts and hashes stay in memory; JIT compilation costs more than it saves here.
		if _, err := tx.Exec(ctx, "SET LOCAL work_mem = '128MB'"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "SET LOCAL jit = off"); err != nil {
			return err
		}
		for _, b := range blocks {
			if b.role != "stage" {
				continue
			}
			for _, st := range b.statements() {
				if _, err := tx.Exec(ctx, st); err != nil {
					return fmt.Errorf("stage: %w", err)
				}
			}
		}
		fo := &fileOpts{recallCode: opts.RecallCode}
		if fo.recallCode == "" {
			fo.recallCode = recallCodeFromName(pl.path)
		}
		t0 := time.Now()
		if err := copyRows(ctx, tx, sp, pl, opts, fo, loc); err != nil {
			return err
		}
		log.Debug("import step", "file", pl.path, "step", "copy", "rows", res.Read, "took", time.Since(t0))
		if res.Invalid > 0 && !opts.SkipInvalid {
			return errRefused
		}
		if _, err := tx.Exec(ctx, "ANALYZE imp_stage"); err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
		// A large file must not be joined by nested loops: the statistics of the tables it
		// fills are those of before the import, and a nested loop that rescans a table the
		// same statement is filling is quadratic. Small files keep the planner's choice.
		nestloop := "SET LOCAL enable_nestloop = on"
		if res.Read >= bulkRows {
			nestloop = "SET LOCAL enable_nestloop = off"
		}
		if _, err := tx.Exec(ctx, nestloop); err != nil {
			return err
		}
		for _, b := range blocks {
			t0 := time.Now()
			switch b.role {
			case "stage":
			case "check":
				if err := checkRows(ctx, tx, b.sql, args, pl); err != nil {
					return err
				}
				if res.Invalid > 0 && !opts.SkipInvalid {
					return errRefused
				}
			case "counts":
				var ins, upd int64
				if err := tx.QueryRow(ctx, b.sql, args).Scan(&ins, &upd); err != nil {
					return fmt.Errorf("%s: %w", b.name, err)
				}
				res.Inserted, res.Updated = int(ins), int(upd)
			case "updated":
				var upd int64
				if err := tx.QueryRow(ctx, b.sql, args).Scan(&upd); err != nil {
					return fmt.Errorf("%s: %w", b.name, err)
				}
				res.Updated = int(upd)
			default:
				tag, err := tx.Exec(ctx, b.sql, args)
				if err != nil {
					return fmt.Errorf("%s: %w", b.name, err)
				}
				if b.role == "inserted" {
					res.Inserted += int(tag.RowsAffected())
				}
			}
			log.Debug("import step", "file", pl.path, "step", b.name, "took", time.Since(t0))
		}
		res.Unchanged = res.Read - res.Invalid - res.Inserted - res.Updated
		if opts.Changed != nil && !opts.DryRun && res.Inserted+res.Updated > 0 {
			if err := opts.Changed(ctx, tx, d.ID, today); err != nil {
				return fmt.Errorf("after the import: %w", err)
			}
		}
		return nil
	})
	var fp *fileProblem
	switch {
	case errors.Is(err, errRefused):
		res.Refused = true
		res.Inserted, res.Updated, res.Unchanged = 0, 0, 0
		res.Problem = fmt.Sprintf("%d invalid row(s); nothing of the file was written", res.Invalid)
		return dealerID, nil
	case errors.As(err, &fp):
		res.Refused = true
		res.Inserted, res.Updated, res.Unchanged = 0, 0, 0
		res.Problem = fp.msg
		res.Errors = append(res.Errors, RowError{Reason: fp.msg})
		return dealerID, nil
	case err != nil:
		return dealerID, err
	}
	res.Written = !opts.DryRun
	return dealerID, nil
}

// fileProblem is a file that cannot be read to its end; the file is refused.
type fileProblem struct{ msg string }

func (e *fileProblem) Error() string { return e.msg }

// checkRows runs a kind's check query (rows the database cannot place) and records them.
func checkRows(ctx context.Context, tx pgx.Tx, sql string, args pgx.NamedArgs, pl *plan) error {
	rows, err := tx.Query(ctx, sql, args)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	defer rows.Close()
	bad := map[int32]bool{}
	for rows.Next() {
		var row int32
		var vin, plate, problem string
		if err := rows.Scan(&row, &vin, &plate, &problem); err != nil {
			return fmt.Errorf("check: %w", err)
		}
		e := RowError{Row: int(row), Column: colName(&pl.h, fVIN), Value: vin}
		switch problem {
		case "unknown_vin":
			e.Reason = "unknown VIN: no vehicle of this dealer has it (import the owners file first)"
		case "unknown_plate":
			e.Column, e.Value, e.Reason = colName(&pl.h, fPlate), plate, "no VIN, and no vehicle of this dealer has this plate"
		default:
			e.Column, e.Value, e.Reason = colName(&pl.h, fPlate), plate, "no VIN, and several vehicles have this plate"
		}
		pl.res.Errors = append(pl.res.Errors, e)
		if !bad[row] {
			bad[row] = true
			pl.res.Invalid++
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	sort.SliceStable(pl.res.Errors, func(i, j int) bool { return pl.res.Errors[i].Row < pl.res.Errors[j].Row })
	return nil
}

func colName(h *header, f field) string {
	if h.names[f] != "" {
		return h.names[f]
	}
	return fieldNames[f]
}

// dupEntry remembers the first row of a key and a hash of its values.
type dupEntry struct {
	row int32
	sig uint64
}

// copyRows streams the file's data rows into imp_stage: one goroutine reads and validates,
// COPY writes, so parsing and the database work at the same time.
func copyRows(ctx context.Context, tx pgx.Tx, sp *spec, pl *plan, opts Options, fo *fileOpts, loc *time.Location) error {
	t, err := pl.open(pl.res.Encoding)
	if err != nil {
		return &fileProblem{msg: err.Error()}
	}
	defer t.close()
	// Skip to the header found by prescan.
	for {
		_, row, err := t.next()
		if err != nil {
			return &fileProblem{msg: fmt.Sprintf("re-reading the header: %v", err)}
		}
		if row >= pl.headerRow {
			break
		}
	}

	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan [][]any, 8)
	var (
		wg      sync.WaitGroup
		readErr error
		res     = &pl.res
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(batches)
		readErr = readRows(pctx, t, sp, pl, opts, fo, loc, batches)
	}()

	src := &chanSource{ch: batches}
	_, copyErr := tx.CopyFrom(ctx, pgx.Identifier{"imp_stage"}, sp.columns, src)
	cancel()
	for range batches { // let the reader finish if COPY stopped early
	}
	wg.Wait()
	if opts.Progress != nil {
		done, total := t.progress()
		opts.Progress(Progress{File: pl.path, Rows: res.Read, Bytes: done, Total: total, Done: true})
	}
	if readErr != nil {
		return &fileProblem{msg: fmt.Sprintf("after row %d: %v", res.Read+pl.headerRow, readErr)}
	}
	if copyErr != nil {
		return fmt.Errorf("copy: %w", copyErr)
	}
	return ctx.Err()
}

// readRows reads the data rows of t, validates them, records errors and counts in pl.res
// and sends the valid rows, in batches, to out. Once a row is invalid and invalid rows are
// not skipped, it only validates the rest. It returns an error when the file cannot be read.
func readRows(pctx context.Context, t table, sp *spec, pl *plan, opts Options, fo *fileOpts, loc *time.Location, out chan<- [][]any) error {
	var (
		res     = &pl.res
		skip    = opts.SkipInvalid
		seed    = maphash.MakeSeed()
		batches = out
	)
	// Size the duplicate maps from the file size (about 100 bytes a row) to avoid regrowing.
	_, size := t.progress()
	hint := min(int(size/100), 2_000_000)
	seen := make(map[string]dupEntry, hint)
	phoneOwn := map[string]nameEntry{}
	if sp.kind == KindOwners {
		phoneOwn = make(map[string]nameEntry, hint)
	}
	const batchSize = 2000
	batch := make([][]any, 0, batchSize)
	send := func() bool {
		if len(batch) == 0 {
			return true
		}
		select {
		case batches <- batch:
			batch = make([][]any, 0, batchSize)
			return true
		case <-pctx.Done():
			return false
		}
	}
	rc := &rowCtx{h: &pl.h, loc: loc}
	for {
		cells, row, err := t.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if emptyRow(cells) {
			continue
		}
		res.Read++
		if opts.Progress != nil && res.Read%10000 == 0 {
			done, total := t.progress()
			opts.Progress(Progress{File: pl.path, Rows: res.Read, Bytes: done, Total: total})
		}
		rc.cells, rc.row, rc.errs = cells, row, rc.errs[:0]
		vals, key := sp.parse(rc, fo)
		if len(rc.errs) == 0 {
			sig := signature(seed, vals)
			if prev, ok := seen[key]; ok {
				if prev.sig == sig {
					continue // the same record twice: counted as unchanged
				}
				rc.fail(sp.keyField, rc.get(sp.keyField),
					fmt.Sprintf("duplicate: row %d has the same %s with different data", prev.row, keyName(sp.kind)))
			} else if sp.kind == KindOwners {
				phone, name := vals[1].(string), vals[2].(string)
				if prev, ok := phoneOwn[phone]; ok && prev.name != name {
					rc.fail(fName, name, fmt.Sprintf("phone %s is also in row %d with the name %s", phone, prev.row, prev.name))
				} else if !ok {
					phoneOwn[phone] = nameEntry{row: int32(row), name: name}
					vals[len(vals)-1] = true // first_of_phone
				}
			}
			if len(rc.errs) == 0 {
				seen[key] = dupEntry{row: int32(row), sig: sig}
			}
		}
		if len(rc.errs) > 0 {
			res.Invalid++
			res.Errors = append(res.Errors, rc.errs...)
			continue
		}
		if res.Invalid > 0 && !skip {
			continue // the file will be refused: only validate the rest
		}
		batch = append(batch, vals)
		if len(batch) == batchSize {
			if !send() {
				return pctx.Err()
			}
		}
	}
	send()
	return nil
}

// nameEntry remembers the name a phone first had in an owners file.
type nameEntry struct {
	row  int32
	name string
}

func keyName(k Kind) string {
	switch k {
	case KindOwners:
		return "VIN"
	case KindWorkshop:
		return "vehicle, day and visit type"
	case KindShowroom:
		return "phone and arrival time"
	case KindComplaint:
		return "phone, day, category and description"
	case KindRecall:
		return "recall code and VIN"
	}
	return "phone"
}

// signature hashes a row's staging values (without row_no) to compare duplicate rows.
func signature(seed maphash.Seed, vals []any) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	var buf [32]byte
	for _, v := range vals[1:] {
		switch x := v.(type) {
		case nil:
			h.WriteByte(0)
		case string:
			h.WriteString(x)
		case time.Time:
			h.Write(strconv.AppendInt(buf[:0], x.UnixNano(), 10))
		case int32:
			h.Write(strconv.AppendInt(buf[:0], int64(x), 10))
		case float64:
			h.Write(strconv.AppendUint(buf[:0], math.Float64bits(x), 16))
		default:
			h.WriteString(fmt.Sprint(x))
		}
		h.WriteByte(0x1f)
	}
	return h.Sum64()
}

// chanSource is a pgx.CopyFromSource over batches of rows from a channel.
type chanSource struct {
	ch    <-chan [][]any
	batch [][]any
	i     int
}

func (s *chanSource) Next() bool {
	s.i++
	for s.i >= len(s.batch) {
		b, ok := <-s.ch
		if !ok {
			return false
		}
		s.batch, s.i = b, 0
	}
	return true
}

func (s *chanSource) Values() ([]any, error) { return s.batch[s.i], nil }
func (s *chanSource) Err() error             { return nil }
