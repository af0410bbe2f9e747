package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// maxBatchLines is the most lines one batch may hold, and maxBatchBody its largest body.
const (
	maxBatchLines = 10000
	maxBatchBody  = 64 << 20
)

// batchResult is one line of a batch's answer: the input line's number and either the
// record written or the error.
type batchResult struct {
	Line       int          `json:"line"`
	ID         int64        `json:"id,omitempty"`
	ExternalID string       `json:"external_id,omitempty"`
	Result     string       `json:"result,omitempty"`
	Error      *errorDetail `json:"error,omitempty"`
}

// batchKinds are the kinds POST /api/v1/batch/{kind} takes, each as its single write.
var batchKinds = []string{"showroom-visits", "appointments", "workshop-visits", "customers", "odometer-readings", "complaints", "prospects"}

// postBatch takes NDJSON, one record a line (up to 10,000; blank lines are skipped), of
// the kind the path names, and answers NDJSON: one result a line, in input order. A bad
// line gets its error and does not stop the others. Customers, workshop visits and
// complaints are written set-based through the importer in one transaction (a record
// whole or not at all); the other kinds line by line.
func (s *Server) postBatch(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("kind")
	known := false
	for _, k := range batchKinds {
		known = known || k == kind
	}
	if !known {
		s.fail(w, r, &Error{Status: http.StatusNotFound, Code: "not_found", Field: "kind",
			Message: fmt.Sprintf("no batch kind %q (one of showroom-visits, appointments, workshop-visits, customers, odometer-readings, complaints, prospects)", kind)})
		return
	}
	body, err := readBody(w, r, maxBatchBody)
	if errors.Is(err, errTooLarge) {
		s.fail(w, r, &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "a batch body is at most 64 MiB"})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type line struct {
		n    int
		data []byte
	}
	var lines []line
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), maxBody+1)
	n := 0
	for sc.Scan() {
		n++
		if b := bytes.TrimSpace(sc.Bytes()); len(b) > 0 {
			lines = append(lines, line{n, append([]byte(nil), b...)})
		}
		if len(lines) > maxBatchLines {
			s.fail(w, r, &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "a batch holds at most 10,000 lines"})
			return
		}
	}
	if err := sc.Err(); err != nil {
		s.fail(w, r, &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "a batch line is over 1 MiB"})
		return
	}
	if len(lines) == 0 {
		s.fail(w, r, invalid("", "the batch is empty: send one JSON object a line (NDJSON)"))
		return
	}
	ctx, c := r.Context(), callerFrom(r)
	results := make([]batchResult, len(lines))
	for i, l := range lines {
		results[i].Line = l.n
	}
	setErr := func(i int, err error) bool {
		var e *Error
		if !errors.As(err, &e) {
			return false
		}
		results[i].Error = &errorDetail{Code: e.Code, Field: e.Field, Message: e.Message}
		return true
	}
	setOK := func(i int, wr written) {
		results[i].ID, results[i].ExternalID, results[i].Result = wr.ID, wr.ExternalID, wr.Result
	}
	switch kind {
	case "customers", "workshop-visits", "complaints":
		sp, recs := map[string]*importSpec{"customers": customerSpec, "workshop-visits": workshopSpec, "complaints": complaintSpec}[kind], make([]*impRecord, len(lines))
		seen := map[string]int{}
		for i, l := range lines {
			rec, err := batchRecord(kind, l.data)
			if err == nil {
				if prev, dup := seen[rec.ext]; dup {
					err = invalid("external_id", "external_id %q is also on line %d of this batch", rec.ext, prev)
				} else {
					seen[rec.ext] = l.n
				}
			}
			if err != nil {
				rec = &impRecord{err: err}
			}
			rec.line = l.n
			recs[i] = rec
		}
		if err := s.importWrite(ctx, c, sp, recs, false); err != nil {
			s.fail(w, r, err)
			return
		}
		for i, rec := range recs {
			if rec.err != nil {
				if !setErr(i, rec.err) {
					s.fail(w, r, rec.err)
					return
				}
				continue
			}
			setOK(i, rec.res)
		}
	default:
		for i, l := range lines {
			wr, err := s.batchSingle(ctx, c, kind, l.data)
			if err != nil {
				if !setErr(i, err) {
					s.fail(w, r, err)
					return
				}
				continue
			}
			setOK(i, wr)
		}
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, res := range results {
		_ = enc.Encode(res)
	}
}

// batchRecord decodes one line of an importer-backed kind.
func batchRecord(kind string, data []byte) (*impRecord, error) {
	switch kind {
	case "customers":
		var in customerIn
		if err := decodeStrict(data, &in); err != nil {
			return nil, err
		}
		return customerRecord(in)
	case "workshop-visits":
		var in workshopVisitIn
		if err := decodeStrict(data, &in); err != nil {
			return nil, err
		}
		return workshopRecord(in)
	default:
		var in complaintIn
		if err := decodeStrict(data, &in); err != nil {
			return nil, err
		}
		return complaintRecord(in)
	}
}

// batchSingle writes one line of a kind written record by record.
func (s *Server) batchSingle(ctx context.Context, c *caller, kind string, data []byte) (written, error) {
	switch kind {
	case "showroom-visits":
		var in showroomVisitIn
		if err := decodeStrict(data, &in); err != nil {
			return written{}, err
		}
		out, err := s.showroomVisit(ctx, c, in)
		return out.written, err
	case "appointments":
		var in appointmentIn
		if err := decodeStrict(data, &in); err != nil {
			return written{}, err
		}
		out, err := s.appointment(ctx, c, in)
		return out.written, err
	case "odometer-readings":
		var in odometerIn
		if err := decodeStrict(data, &in); err != nil {
			return written{}, err
		}
		return s.odometerReading(ctx, c, in)
	default:
		var in prospectIn
		if err := decodeStrict(data, &in); err != nil {
			return written{}, err
		}
		return s.prospect(ctx, c, in)
	}
}
