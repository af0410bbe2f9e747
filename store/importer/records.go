package importer

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/huifang/huifang/store"
)

// Records are rows handed over by a program (the JSON API) instead of a file: a header
// row and data rows of cells, read exactly as a CSV file with the same cells would be.
// Errors name the header cell as given, and row numbers count the header as row 1, so
// data row i (0-based) is row i+2.
type Records struct {
	// Name names the records in results (as a file's path would).
	Name string
	// Header is the header row; any header the file import accepts may be used.
	Header []string
	// Rows are the data rows, each with a cell per header cell.
	Rows [][]string
}

// ImportRecords imports recs for the dealer as one file of the kind their header says,
// with the same validation, the same set-based writes and the same transaction rules as
// Import; kind must be the kind the header is recognised as, so a caller cannot load one
// kind of record as another. It returns the file's result.
func ImportRecords(ctx context.Context, db store.TxBeginner, opts Options, kind Kind, recs Records) (*FileResult, error) {
	if !validDealerCode(opts.DealerCode) {
		return nil, fmt.Errorf("import: dealer code %q must be 1-32 letters, digits, - or _", opts.DealerCode)
	}
	if opts.Now == nil {
		return nil, errors.New("import records: Options.Now is required")
	}
	if opts.DryRun {
		return nil, errors.New("import records: a dry run is not supported")
	}
	pl := prescanTable(recs.Name, func(string) (table, error) { return &memTable{recs: recs}, nil })
	if !pl.res.Refused && pl.kind != kind {
		return nil, fmt.Errorf("import records: the header makes %s records, not %s", pl.kind, kind)
	}
	if pl.res.Refused {
		return &pl.res, nil
	}
	if _, err := importFile(ctx, db, opts, pl); err != nil {
		return nil, fmt.Errorf("import %s: %w", recs.Name, err)
	}
	return &pl.res, nil
}

// memTable is Records read as a table.
type memTable struct {
	recs  Records
	next_ int
}

func (m *memTable) next() ([]string, int, error) {
	i := m.next_
	m.next_++
	switch {
	case i == 0:
		return m.recs.Header, 1, nil
	case i-1 < len(m.recs.Rows):
		return m.recs.Rows[i-1], i + 1, nil
	}
	return nil, 0, io.EOF
}

func (m *memTable) progress() (done, total int64) { return 0, 0 }
func (m *memTable) encoding() string              { return "records" }
func (m *memTable) close() error                  { return nil }
