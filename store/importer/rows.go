package importer

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/huifang/huifang/store/phone"
)

// rowCtx is one data row being validated.
type rowCtx struct {
	cells []string
	row   int
	h     *header
	loc   *time.Location
	errs  []RowError
}

// get returns the trimmed cell of field f, or "" when the file has no such column.
func (r *rowCtx) get(f field) string {
	i := r.h.cols[f]
	if i < 0 || i >= len(r.cells) {
		return ""
	}
	s := r.cells[i]
	if len(s) > 0 && (s[0] == ' ' || s[len(s)-1] == ' ' || s[0] >= 0x80 || s[len(s)-1] >= 0x80 || s[0] == '\t' || s[len(s)-1] == '\t') {
		s = strings.TrimSpace(s)
	}
	return s
}

func (r *rowCtx) fail(f field, value, reason string) {
	col := r.h.names[f]
	if col == "" {
		col = fieldNames[f]
	}
	r.errs = append(r.errs, RowError{Row: r.row, Column: col, Value: value, Reason: reason})
}

func (r *rowCtx) text(f field) string { return r.get(f) }

func (r *rowCtx) required(f field) string {
	v := r.get(f)
	if v == "" {
		r.fail(f, "", "required value is empty")
	}
	return v
}

func (r *rowCtx) phone(f field) string {
	v := r.get(f)
	if v == "" {
		r.fail(f, "", "required value is empty")
		return ""
	}
	p, err := phone.Normalize(v)
	if err != nil {
		r.fail(f, v, err.Error())
	}
	return p
}

// vin returns the normalised VIN, failing the row when it is invalid; an empty cell is
// an error only when required.
func (r *rowCtx) vin(f field, required bool) string {
	raw := r.get(f)
	if raw == "" {
		if required {
			r.fail(f, "", "required value is empty")
		}
		return ""
	}
	v := NormalizeVIN(raw)
	if err := CheckVIN(v); err != nil {
		r.fail(f, raw, err.Error())
		return ""
	}
	return v
}

// day returns an optional calendar day as a value for COPY: nil when empty.
func (r *rowCtx) day(f field, required bool) any {
	raw := r.get(f)
	if raw == "" {
		if required {
			r.fail(f, "", "required value is empty")
		}
		return nil
	}
	d, err := ParseDay(raw)
	if err != nil {
		r.fail(f, raw, err.Error())
		return nil
	}
	return d
}

// number parses a mileage or amount: "12,345", "12345 km", "¥1,234.50", "12345公里".
func parseNumber(s string) (float64, error) {
	s = toHalfWidth(s)
	s = strings.Map(func(c rune) rune {
		switch c {
		case ',', ' ', '¥', '￥', '$':
			return -1
		}
		return c
	}, s)
	for _, suf := range []string{"公里", "千米", "km", "KM", "Km", "元", "RMB"} {
		s = strings.TrimSuffix(s, suf)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("not a number")
	}
	return f, nil
}

func (r *rowCtx) mileage(f field) any {
	raw := r.get(f)
	if raw == "" {
		return nil
	}
	v, err := parseNumber(raw)
	switch {
	case err != nil:
		r.fail(f, raw, "mileage is not a number of km")
		return nil
	case v < 0 || v > 2000000:
		r.fail(f, raw, "mileage must be between 0 and 2,000,000 km")
		return nil
	}
	return int32(math.Round(v))
}

func (r *rowCtx) amount(f field) any {
	raw := r.get(f)
	if raw == "" {
		return nil
	}
	v, err := parseNumber(raw)
	switch {
	case err != nil:
		r.fail(f, raw, "amount is not a number")
		return nil
	case v < 0 || v >= 1e10:
		r.fail(f, raw, "amount must be between 0 and 9,999,999,999")
		return nil
	}
	return math.Round(v*100) / 100
}

// title maps a gender or title cell to the store's 先生/女士 (empty when unknown).
func title(s string) string {
	switch strings.ToLower(s) {
	case "男", "先生", "m", "male", "mr", "mr.":
		return "先生"
	case "女", "女士", "小姐", "f", "female", "ms", "ms.", "mrs", "mrs.", "miss":
		return "女士"
	}
	return ""
}

// grade maps a base-customer grade (基盘客户分级) cell; ok is false for an unknown grade.
func grade(s string) (any, bool) {
	switch strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(s, "客户"), "级")) {
	case "":
		return nil, true
	case "优质", "优", "a", "premium", "vip":
		return "premium", true
	case "潜力", "b", "potential":
		return "potential", true
	case "一般", "普通", "c", "general":
		return "general", true
	}
	return nil, false
}

// visitKind says whether a workshop visit type label is maintenance or repair.
func visitKind(label string) string {
	l := strings.ToLower(label)
	for _, m := range []string{"保养", "首保", "二保", "三保", "四保", "定保", "免保", "maintenance"} {
		if strings.Contains(l, m) {
			return "maintenance"
		}
	}
	return "repair"
}

// prospectStatus maps a 状态 cell; ok is false for an unknown status.
func prospectStatus(s string) (string, bool) {
	l := strings.ToLower(strings.TrimSpace(s))
	switch l {
	case "":
		return "", true
	case "won", "deal", "sold", "closed won":
		return "won", true
	case "lost", "defeated":
		return "lost", true
	case "pre_lost", "pre-lost", "prelost":
		return "pre_lost", true
	case "key", "hot":
		return "key", true
	case "open", "active", "new", "following", "跟进", "跟进中", "潜在", "潜客", "意向", "新建", "有效", "未成交", "待跟进", "在跟进":
		return "open", true
	}
	switch {
	case strings.Contains(l, "准战败"), strings.Contains(l, "疑似战败"):
		return "pre_lost", true
	case strings.Contains(l, "战败"), strings.Contains(l, "流失"):
		return "lost", true
	case strings.Contains(l, "成交"), strings.Contains(l, "订车"), strings.Contains(l, "交车"), strings.Contains(l, "购车"):
		return "won", true
	case strings.Contains(l, "重点"):
		return "key", true
	}
	return "", false
}

// intentStatus derives a prospect status from a DMS intent level when there is no status:
// H (buying within 7 days) is a key prospect, O (ordered) won, F (failed) lost.
func intentStatus(level string) string {
	l := strings.ToUpper(strings.TrimSuffix(strings.TrimSpace(level), "级"))
	switch {
	case l == "":
		return ""
	case l == "H" || strings.Contains(l, "重点"):
		return "key"
	case l == "O" || strings.Contains(l, "订单") || strings.Contains(l, "成交"):
		return "won"
	case l == "F" || strings.Contains(l, "战败"):
		return "lost"
	}
	return "open"
}

// normPlate upper-cases a plate and removes spaces, dots and dashes (京A·12345 -> 京A12345).
func normPlate(s string) string {
	s = toHalfWidth(s)
	return strings.ToUpper(strings.Map(func(r rune) rune {
		switch r {
		case ' ', '·', '.', '-', '\t', '•':
			return -1
		}
		return r
	}, s))
}

// spec describes one kind of file: how a row becomes staging values.
type spec struct {
	kind Kind
	// columns of the staging table, in COPY order; the first is always row_no.
	columns []string
	// keyField is the column named when two rows with one key disagree.
	keyField field
	// parse validates a row and returns its staging values (row_no first) and its
	// duplicate key: two rows with the same key are the same record.
	parse func(r *rowCtx, o *fileOpts) (vals []any, key string)
}

// fileOpts is what a row parser needs beyond the row.
type fileOpts struct {
	recallCode string
}

// recallCodeFromName derives a recall code from a file name: recall_R2026-01.csv -> R2026-01.
func recallCodeFromName(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	for _, p := range []string{"recall_", "recall-", "召回_", "召回-", "召回"} {
		base = strings.TrimPrefix(base, p)
	}
	return strings.TrimSpace(base)
}

var specs = map[Kind]*spec{
	KindOwners: {
		kind:     KindOwners,
		keyField: fVIN,
		columns: []string{"row_no", "phone", "name", "title", "birthday", "grade", "consultant", "vin", "plate",
			"brand", "model", "delivery_day", "warranty_end", "insurance_end", "inspection_due", "km", "km_day",
			"first_of_phone"},
		parse: func(r *rowCtx, _ *fileOpts) ([]any, string) {
			phone := r.phone(fPhone)
			name := r.required(fName)
			vin := r.vin(fVIN, true)
			g, ok := grade(r.get(fGrade))
			if !ok {
				r.fail(fGrade, r.get(fGrade), "unknown grade (use 优质/潜力/一般 or A/B/C)")
			}
			vals := []any{int32(r.row), phone, name, title(r.get(fGender)), r.day(fBirthday, false), g, r.text(fConsultant), vin,
				normPlate(r.get(fPlate)), r.text(fBrand), r.text(fModel), r.day(fDelivery, false),
				r.day(fWarrantyEnd, false), r.day(fInsuranceEnd, false), r.day(fInspectionDue, false),
				r.mileage(fMileage), r.day(fMileageDay, false), false}
			return vals, vin
		},
	},
	KindWorkshop: {
		kind:     KindWorkshop,
		keyField: fVisitDay,
		columns:  []string{"row_no", "vin", "plate", "day", "kind", "type_label", "amount", "mileage", "advisor"},
		parse: func(r *rowCtx, _ *fileOpts) ([]any, string) {
			vin := r.vin(fVIN, false)
			plate := normPlate(r.get(fPlate))
			if r.get(fVIN) == "" && plate == "" {
				f := fVIN
				if !r.h.has(fVIN) {
					f = fPlate
				}
				r.fail(f, "", "a visit needs a VIN or a plate")
			}
			day := r.day(fVisitDay, true)
			label := r.required(fVisitType)
			vals := []any{int32(r.row), vin, plate, day, visitKind(label), label, r.amount(fAmount), r.mileage(fMileage), r.text(fAdvisor)}
			id := vin
			if id == "" {
				id = "plate:" + plate
			}
			return vals, fmt.Sprint(id, "|", day, "|", label)
		},
	},
	KindShowroom: {
		kind:     KindShowroom,
		keyField: fArrivedAt,
		columns: []string{"row_no", "phone", "name", "title", "arrived_at", "left_at", "consultant",
			"intent_level", "status", "lost_reason", "note"},
		parse: func(r *rowCtx, _ *fileOpts) ([]any, string) {
			phone := r.phone(fPhone)
			var arrived, left any
			raw := r.get(fArrivedAt)
			var at time.Time
			if raw == "" {
				r.fail(fArrivedAt, "", "required value is empty")
			} else if t, err := ParseTime(raw, r.loc); err != nil {
				r.fail(fArrivedAt, raw, err.Error())
			} else {
				arrived, at = t, t
			}
			if raw := r.get(fLeftAt); raw != "" && arrived != nil {
				if hh, mm, ss, ok := parseClock(raw); ok {
					left = time.Date(at.Year(), at.Month(), at.Day(), hh, mm, ss, 0, r.loc)
				} else if t, err := ParseTime(raw, r.loc); err != nil {
					r.fail(fLeftAt, raw, err.Error())
				} else {
					left = t
				}
				if l, ok := left.(time.Time); ok && l.Before(at) {
					r.fail(fLeftAt, raw, "leave time is before the arrival time")
					left = nil
				}
			}
			intent := r.text(fIntent)
			st, ok := prospectStatus(r.get(fStatus))
			if !ok {
				r.fail(fStatus, r.get(fStatus), "unknown status (use 跟进/重点/准战败/战败/成交)")
			}
			if st == "" {
				st = intentStatus(intent)
			}
			note := r.text(fNote)
			vals := []any{int32(r.row), phone, r.text(fName), title(r.get(fGender)), arrived, left, r.text(fConsultant),
				intent, st, r.text(fLostReason), note}
			return vals, fmt.Sprint(phone, "|", at.Unix())
		},
	},
	KindComplaint: {
		kind:     KindComplaint,
		keyField: fComplaintDay,
		columns:  []string{"row_no", "phone", "name", "vin", "opened_on", "closed_on", "category", "description"},
		parse: func(r *rowCtx, _ *fileOpts) ([]any, string) {
			phone := r.phone(fPhone)
			vin := r.vin(fVIN, false)
			opened := r.day(fComplaintDay, true)
			closed := r.day(fClosedDay, false)
			if o, ok := opened.(time.Time); ok {
				if c, ok := closed.(time.Time); ok && c.Before(o) {
					r.fail(fClosedDay, r.get(fClosedDay), "closed before it was opened")
				}
			}
			cat, desc := r.text(fCategory), r.text(fDescription)
			vals := []any{int32(r.row), phone, r.text(fName), vin, opened, closed, cat, desc}
			return vals, fmt.Sprint(phone, "|", opened, "|", cat, "|", desc)
		},
	},
	KindRecall: {
		kind:     KindRecall,
		keyField: fVIN,
		columns:  []string{"row_no", "code", "title", "vin"},
		parse: func(r *rowCtx, o *fileOpts) ([]any, string) {
			code := r.get(fRecallCode)
			if code == "" {
				code = o.recallCode
			}
			if code == "" {
				r.fail(fRecallCode, "", "no recall code: add a 召回编号 column or pass --recall CODE")
			} else if len(code) > 64 {
				r.fail(fRecallCode, code, "recall code is longer than 64 characters")
			}
			vin := r.vin(fVIN, true)
			return []any{int32(r.row), code, r.text(fRecallTitle), vin}, code + "|" + vin
		},
	},
	KindDNC: {
		kind:     KindDNC,
		keyField: fPhone,
		columns:  []string{"row_no", "phone", "reason"},
		parse: func(r *rowCtx, _ *fileOpts) ([]any, string) {
			f := fDNCPhone
			if !r.h.has(fDNCPhone) {
				f = fPhone
			}
			phone := r.phone(f)
			reason := r.text(fReason)
			if reason == "" {
				reason = r.text(fNote)
			}
			return []any{int32(r.row), phone, reason}, phone
		},
	},
}
