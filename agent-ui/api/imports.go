package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/importer"
	phonenum "github.com/huifang/huifang/store/phone"
)

// importSpec is a kind of record written through store/importer, the code the file
// import runs: the same validation, the same set-based writes.
type importSpec struct {
	// kind names the records in api_external_ids.
	kind string
	// file is the importer's kind of file.
	file importer.Kind
	// header is the header row handed to the importer; fields names the API field of
	// each header cell, for errors.
	header, fields []string
	// rekey moves a known record (existing is its id) to the natural key of rec before
	// the import, so the import changes it instead of adding another.
	rekey func(ctx context.Context, q *store.Queries, c *caller, existing int64, rec *impRecord) error
	// ids finds the id of each written record after the import.
	ids func(ctx context.Context, q *store.Queries, c *caller, recs []*impRecord) error
}

// impRecord is one record of a write or of a batch line.
type impRecord struct {
	line int
	ext  string
	hash string
	// rows are the importer rows of the record (a customer has one per vehicle), and
	// prefixes the place of each row's fields that start with a dot ("vehicles[1]").
	rows     [][]string
	prefixes []string
	// key holds the normalised natural key the kind needs (phone, VIN, day...).
	key map[string]string
	// existing is the id the external id already maps to, 0 when new.
	existing int64
	res      written
	err      error
}

// importWrite writes recs through the importer in one transaction. A record whose body
// is the one last applied is unchanged. With atomic, any bad record fails the whole
// write with its error and nothing is stored; otherwise bad records get their error and
// the others are written. One rebuild of the dealer's queue is asked for.
func (s *Server) importWrite(ctx context.Context, c *caller, sp *importSpec, recs []*impRecord, atomic bool) error {
	live := make([]*impRecord, 0, len(recs))
	for _, r := range recs {
		if r.err == nil {
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return nil
	}
	return store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		ids := make([]string, len(live))
		for i, r := range live {
			ids[i] = r.ext
		}
		if err := lockExternalIDs(ctx, tx, c.DealerID, sp.kind, ids); err != nil {
			return err
		}
		q := store.New(tx)
		known, err := q.GetExternalIDs(ctx, store.GetExternalIDsParams{DealerID: c.DealerID, Kind: sp.kind, ExternalIds: ids})
		if err != nil {
			return fmt.Errorf("external ids: %w", err)
		}
		byExt := make(map[string]store.GetExternalIDsRow, len(known))
		for _, k := range known {
			byExt[k.ExternalID] = k
		}
		var todo []*impRecord
		for _, r := range live {
			r.res.ExternalID = r.ext
			k, ok := byExt[r.ext]
			switch {
			case ok && k.BodyHash == r.hash:
				r.res.ID, r.res.Result = k.RecordID, "unchanged"
				continue
			case ok:
				r.existing, r.res.Result = k.RecordID, "updated"
				if err := sp.rekey(ctx, q, c, k.RecordID, r); err != nil {
					return err
				}
			default:
				r.res.Result = "created"
			}
			todo = append(todo, r)
		}
		if len(todo) == 0 {
			return nil
		}
		written, err := s.importRows(ctx, tx, c, sp, todo)
		if err != nil {
			return err
		}
		if atomic {
			for _, r := range todo {
				if r.err != nil {
					return r.err
				}
			}
		}
		if len(written) == 0 {
			return nil
		}
		if err := sp.ids(ctx, q, c, written); err != nil {
			return err
		}
		p := store.PutExternalIDsParams{DealerID: c.DealerID, Kind: sp.kind}
		for _, r := range written {
			p.ExternalIds = append(p.ExternalIds, r.ext)
			p.RecordIds = append(p.RecordIds, r.res.ID)
			p.BodyHashes = append(p.BodyHashes, r.hash)
		}
		if err := q.PutExternalIDs(ctx, p); err != nil {
			return fmt.Errorf("external ids: %w", err)
		}
		return s.requestBuild(ctx, tx, c)
	})
}

// importRows runs the importer over the records' rows in a savepoint. When some records
// have invalid rows, the savepoint is rolled back and the import runs again without them,
// so a record is written whole or not at all. It returns the records written.
func (s *Server) importRows(ctx context.Context, tx pgx.Tx, c *caller, sp *importSpec, todo []*impRecord) ([]*impRecord, error) {
	for {
		recs := importer.Records{Name: "api " + sp.kind, Header: sp.header}
		type owner struct {
			r      *impRecord
			prefix string
		}
		var owners []owner
		for _, r := range todo {
			for i, row := range r.rows {
				recs.Rows = append(recs.Rows, row)
				owners = append(owners, owner{r, r.prefixes[i]})
			}
		}
		if len(recs.Rows) == 0 {
			return nil, nil
		}
		save, err := tx.Begin(ctx)
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", sp.kind, err)
		}
		res, err := importer.ImportRecords(ctx, save, importer.Options{DealerCode: c.DealerCode, SkipInvalid: true, Now: s.cfg.Now}, sp.file, recs)
		if err != nil {
			_ = save.Rollback(ctx)
			return nil, err
		}
		bad := false
		for _, e := range res.Errors {
			i := e.Row - 2
			if i < 0 || i >= len(owners) {
				// A problem with the whole set of rows: every record fails.
				_ = save.Rollback(ctx)
				for _, r := range todo {
					r.err = invalid("", "%s", e.Reason)
				}
				return nil, nil
			}
			o := owners[i]
			if o.r.err == nil {
				field := s.fieldOf(sp, e.Column)
				if strings.HasPrefix(field, ".") {
					field = o.prefix + field
				}
				o.r.err = invalid(field, "%s", rowReason(e))
				bad = true
			}
		}
		if !bad {
			if err := save.Commit(ctx); err != nil {
				return nil, fmt.Errorf("import %s: %w", sp.kind, err)
			}
			return todo, nil
		}
		if err := save.Rollback(ctx); err != nil {
			return nil, fmt.Errorf("import %s: %w", sp.kind, err)
		}
		var ok []*impRecord
		for _, r := range todo {
			if r.err == nil {
				ok = append(ok, r)
			}
		}
		todo = ok
		if len(todo) == 0 {
			return nil, nil
		}
	}
}

// fieldOf maps an importer error's column (a header cell we gave) to its API field.
func (s *Server) fieldOf(sp *importSpec, column string) string {
	for i, h := range sp.header {
		if h == column {
			return sp.fields[i]
		}
	}
	return ""
}

// rowReason is an importer error as the API says it: the reason and the value.
func rowReason(e importer.RowError) string {
	if e.Value != "" {
		return fmt.Sprintf("%s (value %q)", e.Reason, e.Value)
	}
	return e.Reason
}

// cells turns optional values into importer cells ("" for none).
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case *string:
		if x == nil {
			return ""
		}
		return *x
	case *int64:
		if x == nil {
			return ""
		}
		return fmt.Sprint(*x)
	case *float64:
		if x == nil {
			return ""
		}
		return fmt.Sprint(*x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// normPhone is the importer's normalised phone, or "" when it is not a phone (the
// import then reports it).
func normPhone(s string) string {
	p, err := phonenum.Normalize(s)
	if err != nil {
		return ""
	}
	return p
}

// normVIN is the importer's normalised VIN, or "" when it is not valid.
func normVIN(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	v := importer.NormalizeVIN(s)
	if importer.CheckVIN(v) != nil {
		return ""
	}
	return v
}
