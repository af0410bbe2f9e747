package importer

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// errNotDate is the error for text that is no date at all.
var errNotDate = errors.New("not a date (use 2026-03-01, 2026/3/1 or 2026年3月1日)")

// excelEpoch is day 0 of Excel's 1900 date system as it behaves after its fake 1900-02-29.
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// dateTime is a parsed cell: a calendar day and, when the cell had one, a time of day.
type dateTime struct {
	y, m, d    int
	hh, mm, ss int
	hasTime    bool
	fromSerial bool
	serialFrac float64
}

// ParseDay reads a calendar day written as 2026-03-01, 2026/3/1, 2026.3.1, 2026年3月1日,
// 20260301 or an Excel serial number (46082), with or without a time part, and returns it
// as 00:00 UTC of that day (the store's convention for days).
func ParseDay(s string) (time.Time, error) {
	dt, err := parseDateTime(s)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(dt.y, time.Month(dt.m), dt.d, 0, 0, 0, 0, time.UTC), nil
}

// ParseTime reads a date and time such as "2026-03-01 15:04" (any date form ParseDay
// accepts, a time part H:MM, H:MM:SS or 15时04分) as a wall-clock time in loc. A date
// without a time is midnight.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	dt, err := parseDateTime(s)
	if err != nil {
		return time.Time{}, err
	}
	return dt.in(loc), nil
}

func (dt dateTime) in(loc *time.Location) time.Time {
	return time.Date(dt.y, time.Month(dt.m), dt.d, dt.hh, dt.mm, dt.ss, 0, loc)
}

// parseClock reads a time of day alone ("15:04", "15:04:05"), as a left-store time often is.
func parseClock(s string) (hh, mm, ss int, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || !strings.ContainsAny(s, ":时") || strings.ContainsAny(s, "-/年.") {
		return 0, 0, 0, false
	}
	var dt dateTime
	if err := parseClockInto(s, &dt); err != nil {
		return 0, 0, 0, false
	}
	return dt.hh, dt.mm, dt.ss, true
}

func parseDateTime(s string) (dateTime, error) {
	var dt dateTime
	s = strings.TrimSpace(s)
	if s == "" {
		return dt, errors.New("date is empty")
	}
	if s[0] >= 0x80 || strings.ContainsRune(s, '\uff0d') {
		s = toHalfWidth(s)
	}
	// The common case first: 2026-03-01.
	if len(s) == 10 && s[4] == '-' && s[7] == '-' && isDigits(s[:4]) && isDigits(s[5:7]) && isDigits(s[8:]) {
		dt.y = int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
		dt.m = int(s[5]-'0')*10 + int(s[6]-'0')
		dt.d = int(s[8]-'0')*10 + int(s[9]-'0')
		return dt, dt.check()
	}
	// A bare number: YYYYMMDD or an Excel serial (days since 1899-12-30, fraction = time).
	if !isNumber(s) {
		// not a number: a date with separators, below
	} else if f, err := strconv.ParseFloat(s, 64); err == nil {
		if len(s) == 8 && isDigits(s) && s[0] != '0' {
			dt.y, _ = strconv.Atoi(s[:4])
			dt.m, _ = strconv.Atoi(s[4:6])
			dt.d, _ = strconv.Atoi(s[6:])
			return dt, dt.check()
		}
		if f < 1 || f >= 100000 {
			return dt, errors.New("neither a date nor an Excel date number")
		}
		days := math.Floor(f)
		t := excelEpoch.AddDate(0, 0, int(days))
		secs := int(math.Round((f - days) * 86400))
		if secs >= 86400 {
			secs = 86399
		}
		dt.y, dt.m, dt.d = t.Year(), int(t.Month()), t.Day()
		dt.hh, dt.mm, dt.ss = secs/3600, secs/60%60, secs%60
		dt.hasTime = secs > 0
		dt.fromSerial = true
		return dt, dt.check()
	}
	// Date part: three numbers separated by - / . or 年 月 日.
	i := 0
	nums := [3]int{}
	for k := 0; k < 3; k++ {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start || i-start > 4 {
			return dt, errNotDate
		}
		nums[k], _ = strconv.Atoi(s[start:i])
		if k == 0 && i-start != 4 {
			return dt, errors.New("not a date: the year must come first, with 4 digits (2026-03-01)")
		}
		// separator
		switch {
		case k < 2 && i < len(s) && (s[i] == '-' || s[i] == '/' || s[i] == '.'):
			i++
		case k == 0 && strings.HasPrefix(s[i:], "年"):
			i += len("年")
		case k == 1 && strings.HasPrefix(s[i:], "月"):
			i += len("月")
		case k == 2:
			if strings.HasPrefix(s[i:], "日") {
				i += len("日")
			} else if strings.HasPrefix(s[i:], "号") {
				i += len("号")
			}
		default:
			return dt, errNotDate
		}
	}
	dt.y, dt.m, dt.d = nums[0], nums[1], nums[2]
	if err := dt.check(); err != nil {
		return dt, err
	}
	rest := strings.TrimSpace(s[i:])
	rest = strings.TrimPrefix(rest, "T")
	if rest == "" {
		return dt, nil
	}
	if err := parseClockInto(rest, &dt); err != nil {
		return dt, fmt.Errorf("bad time part: %v", err)
	}
	return dt, nil
}

// isNumber reports whether s is digits with at most one decimal point.
func isNumber(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' && !dot:
			dot = true
		case c < '0' || c > '9':
			return false
		}
	}
	return len(s) > 0 && s != "."
}

func parseClockInto(s string, dt *dateTime) error {
	s = strings.TrimSpace(s)
	// Drop a trailing zone-less fraction or Z: 15:04:05.000, 15:04:05Z.
	s = strings.TrimSuffix(s, "Z")
	if j := strings.IndexByte(s, '.'); j >= 0 {
		s = s[:j]
	}
	s = strings.NewReplacer("时", ":", "分", ":", "秒", "", "点", ":").Replace(s)
	s = strings.TrimSuffix(s, ":")
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return errors.New("expected H:MM or H:MM:SS")
	}
	v := [3]int{}
	for k, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || len(p) > 2 {
			return errors.New("expected H:MM or H:MM:SS")
		}
		v[k] = n
	}
	if v[0] > 23 || v[1] > 59 || v[2] > 59 {
		return errors.New("time out of range")
	}
	dt.hh, dt.mm, dt.ss, dt.hasTime = v[0], v[1], v[2], true
	return nil
}

func (dt dateTime) check() error {
	if dt.y < 1900 || dt.y > 2200 {
		return fmt.Errorf("year %d is out of range", dt.y)
	}
	if dt.m < 1 || dt.m > 12 {
		return fmt.Errorf("month %d does not exist", dt.m)
	}
	t := time.Date(dt.y, time.Month(dt.m), dt.d, 0, 0, 0, 0, time.UTC)
	if dt.d < 1 || t.Day() != dt.d {
		return fmt.Errorf("day %d does not exist in %d-%02d", dt.d, dt.y, dt.m)
	}
	return nil
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
