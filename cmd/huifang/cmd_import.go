package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	_ "time/tzdata" // dealers' time zones must load on hosts without zoneinfo

	"golang.org/x/term"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store/importer"
)

// importSummary is the last line of `huifang import --json`.
type importSummary struct {
	importer.Counts
	Errors []importer.RowError `json:"errors"`
}

// maxPrintedErrors caps the error lines per file in the human report (--json has them all).
const maxPrintedErrors = 50

func cmdImport(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "import")
	dealer := fs.String("dealer", "", "dealer code; the dealer is created by its first import (required)")
	dryRun := fs.Bool("dry-run", false, "validate and count, write nothing")
	skip := fs.Bool("skip-invalid", false, "write the valid rows of files with invalid rows (exit status 0); invalid rows are still reported")
	asJSON := fs.Bool("json", false, "print the summary as JSON; the last line of stdout is one JSON object")
	recall := fs.String("recall", "", "recall code for recall lists without a 召回编号 column (default: the file name)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "Usage: huifang import --dealer CODE [--dry-run] [--skip-invalid] [--json] [--recall CODE] FILE...")
		fmt.Fprintln(env.stderr, "\nImports CSV/XLSX exports (owners and vehicles, workshop visits, showroom visits,")
		fmt.Fprintln(env.stderr, "complaints, recall VIN lists, do-not-call lists), recognised from their headers.")
		fmt.Fprintln(env.stderr, "A file with an invalid row is refused whole (exit status 1) unless --skip-invalid.")
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *dealer == "" {
		return fmt.Errorf("%w: --dealer is required", errUsage)
	}
	if len(files) == 0 {
		return fmt.Errorf("%w: give at least one FILE", errUsage)
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

	// Each file that changed data asks for the rebuild of the dealer's queue of the day
	// in its own transaction (an outbox row the relay hands to a worker), so new
	// deliveries, visits, complaints and recalls reach the queue within a minute, and a
	// Redis that is down or loses the task delays the build but never drops it.
	opts := importer.Options{DealerCode: *dealer, DryRun: *dryRun, SkipInvalid: *skip, RecallCode: *recall,
		Changed: queue.RequestBuild}
	if f, ok := env.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opts.Progress = progressPrinter(env.stderr)
	}
	res, err := importer.Import(ctx, pool, opts, files...)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := printImportJSON(env.stdout, res); err != nil {
			return err
		}
	} else {
		printImportReport(env.stdout, res)
	}
	if res.Refused() {
		n := 0
		for _, f := range res.Files {
			if f.Refused {
				n++
			}
		}
		return &exitError{code: 1, err: fmt.Errorf("%d of %d file(s) refused", n, len(res.Files))}
	}
	return nil
}

// parseInterspersed parses flags that may come before, between or after the file names.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return files, nil
		}
		files = append(files, rest[0])
		args = rest[1:]
	}
}

func printImportJSON(w io.Writer, res *importer.Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if len(res.Files) > 1 {
		for _, f := range res.Files {
			if err := enc.Encode(f); err != nil {
				return err
			}
		}
	}
	return enc.Encode(importSummary{Counts: res.Total, Errors: res.Errors()})
}

func printImportReport(w io.Writer, res *importer.Result) {
	for _, f := range res.Files {
		kind := string(f.Kind)
		if kind == "" {
			kind = "unknown kind"
		}
		fmt.Fprintf(w, "%s (%s, %s): %s\n", f.File, kind, f.Encoding, countsText(f.Counts))
		for i, e := range f.Errors {
			if i == maxPrintedErrors {
				fmt.Fprintf(w, "  ... and %d more (use --json to see them all)\n", len(f.Errors)-i)
				break
			}
			if e.Row == 0 {
				continue
			}
			fmt.Fprintf(w, "  row %d, %s %q: %s\n", e.Row, e.Column, e.Value, e.Reason)
		}
		switch {
		case f.Refused:
			fmt.Fprintf(w, "  refused: %s\n", f.Problem)
		case f.Invalid > 0:
			fmt.Fprintf(w, "  %d invalid row(s) skipped\n", f.Invalid)
		}
	}
	if len(res.Files) > 1 {
		fmt.Fprintf(w, "total: %s\n", countsText(res.Total))
	}
	if res.DryRun {
		fmt.Fprintln(w, "dry run: nothing was written")
	}
}

func countsText(c importer.Counts) string {
	return fmt.Sprintf("read %d, inserted %d, updated %d, unchanged %d, invalid %d",
		c.Read, c.Inserted, c.Updated, c.Unchanged, c.Invalid)
}

// progressPrinter draws a one-line progress bar on a terminal.
func progressPrinter(w io.Writer) func(importer.Progress) {
	return func(p importer.Progress) {
		name := filepath.Base(p.File)
		if p.Done {
			fmt.Fprintf(w, "\r\033[K")
			return
		}
		if p.Total <= 0 {
			fmt.Fprintf(w, "\r\033[K%s: %d rows", name, p.Rows)
			return
		}
		const width = 30
		frac := float64(p.Bytes) / float64(p.Total)
		if frac > 1 {
			frac = 1
		}
		n := int(frac * width)
		fmt.Fprintf(w, "\r\033[K%s [%s%s] %3.0f%% %d rows", name,
			strings.Repeat("#", n), strings.Repeat(" ", width-n), frac*100, p.Rows)
	}
}
