package importer

import (
	"errors"
	"fmt"
	"strings"
)

// The value rules of the import, for callers that get single values instead of files
// (the JSON API): the same words, the same ranges.

// ProspectStatus returns the store's prospect status for a status written as the DMS
// writes it (跟进, 重点, 战败, won...), or, when status is empty, the one an intent level
// implies (H key, O won, F lost, others open); empty when both are empty.
func ProspectStatus(status, intent string) (string, error) {
	st, ok := prospectStatus(status)
	if !ok {
		return "", errors.New("unknown status (use 跟进/重点/准战败/战败/成交 or open/key/pre_lost/lost/won)")
	}
	if st == "" {
		st = intentStatus(intent)
	}
	return st, nil
}

// Title returns 先生 or 女士 for a title or gender (男, 女, Mr, Ms...), empty for empty.
func Title(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if t := title(s); t != "" {
		return t, nil
	}
	return "", fmt.Errorf("unknown title (use 先生 or 女士)")
}

// ParseMileage reads a mileage in km ("12,345", "12345 km") within 0..2,000,000.
func ParseMileage(s string) (int32, error) {
	r := &rowCtx{cells: []string{s}, h: &header{}}
	r.h.cols[fMileage] = 0
	v := r.mileage(fMileage)
	if len(r.errs) > 0 {
		return 0, errors.New(r.errs[0].Reason)
	}
	if v == nil {
		return 0, errors.New("mileage is empty")
	}
	return v.(int32), nil
}

// KnownHeader reports whether a header cell names a column the import understands.
func KnownHeader(cell string) bool {
	_, ok := aliases[normHeader(cell)]
	return ok
}
