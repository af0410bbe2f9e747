package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/huifang/huifang/store"
)

// The rule editors (the dealer rules/set/window/holiday commands and the director's
// /director/rules page) change a dealer's rules through the functions of this file: each
// checks its input first, changes the database in one transaction with an audit_log row,
// and stores nothing when anything is wrong.

// ErrRuleInput marks input the rule editors refuse: an unknown setting, a value out of
// range, a malformed time of day or day. The error's text names the problem.
var ErrRuleInput = errors.New("bad rule input")

// ruleInputError is a refused input: it reads as its own message and matches
// ErrRuleInput (and whatever its message wraps) with errors.Is. zh says the same in
// Chinese for the director's pages (see RuleInputChinese).
type ruleInputError struct {
	err error
	zh  string
}

func (e *ruleInputError) Error() string        { return e.err.Error() }
func (e *ruleInputError) Unwrap() error        { return e.err }
func (e *ruleInputError) Is(target error) bool { return target == ErrRuleInput }

// badInput returns a refusal of input with the message format makes (fmt.Errorf, %w
// allowed) and zh, the same in Chinese.
func badInput(zh, format string, args ...any) error {
	return &ruleInputError{err: fmt.Errorf(format, args...), zh: zh}
}

// RuleInputChinese returns the Chinese words of a refused rule input (ErrRuleInput), or
// "" when err is not one.
func RuleInputChinese(err error) string {
	var e *ruleInputError
	if errors.As(err, &e) {
		return e.zh
	}
	return ""
}

// clockNamesZH are the calling window's times in Chinese.
var clockNamesZH = map[string]string{"start": "开始时间", "end": "结束时间", "same-day end": "当天回访截止时间"}

// RuleSetting is one setting as the rule editors show it.
type RuleSetting struct {
	Setting
	// Overridden is true when the dealer has its own value (otherwise the default holds).
	Overridden bool `json:"overridden"`
}

// CallWindow is a dealer's calling window, times of day as HH:MM.
type CallWindow struct {
	// Start and End bound the calls of every campaign.
	Start string `json:"start"`
	End   string `json:"end"`
	// SameDayEnd is how late the same-day return visit may still be called.
	SameDayEnd string `json:"same_day_end"`
}

// Holiday is a day the dealer places no calls.
type Holiday struct {
	// Day is YYYY-MM-DD in the dealer's zone.
	Day string `json:"day"`
	// Name says which holiday it is, such as 国庆.
	Name string `json:"name"`
}

// DealerRules is everything of a dealer's rules the editors show.
type DealerRules struct {
	// Settings are every rule number in the order of docs/domain.md's campaign table.
	Settings []RuleSetting `json:"settings"`
	// Window is the calling window.
	Window CallWindow `json:"window"`
	// Holidays are the dealer's listed holidays, earliest first.
	Holidays []Holiday `json:"holidays"`
}

// LoadDealerRules returns dealerID's settings (marking its overrides), calling window and
// holidays.
func LoadDealerRules(ctx context.Context, db store.DBTX, dealerID int64) (*DealerRules, error) {
	q := store.New(db)
	d, err := q.GetDealer(ctx, dealerID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("dealer rules: no dealer %d", dealerID)
	}
	if err != nil {
		return nil, fmt.Errorf("dealer rules: %w", err)
	}
	r, err := LoadRules(ctx, db, dealerID)
	if err != nil {
		return nil, err
	}
	over, err := q.ListCampaignSettingOverrides(ctx, dealerID)
	if err != nil {
		return nil, fmt.Errorf("dealer rules: %w", err)
	}
	own := map[string]bool{}
	for _, o := range over {
		own[o.Key] = true
	}
	out := &DealerRules{Window: CallWindow{Start: FormatClock(Clock(d.CallWindowStart)), End: FormatClock(Clock(d.CallWindowEnd)),
		SameDayEnd: FormatClock(Clock(d.SameDayWindowEnd))}, Holidays: []Holiday{}}
	for _, s := range r.Settings() {
		out.Settings = append(out.Settings, RuleSetting{Setting: s, Overridden: own[s.Key]})
	}
	hols, err := q.ListHolidays(ctx, dealerID)
	if err != nil {
		return nil, fmt.Errorf("dealer rules: holidays: %w", err)
	}
	for _, h := range hols {
		out.Holidays = append(out.Holidays, Holiday{Day: h.Day.Format(time.DateOnly), Name: h.Name})
	}
	return out, nil
}

// SettingKeys returns every setting key in the order of docs/domain.md's campaign table.
func SettingKeys() []string {
	var keys []string
	for _, s := range defaultSettings() {
		keys = append(keys, s.Key)
	}
	return keys
}

// checkSettingKey refuses a key the rules do not have, listing the keys they have.
func checkSettingKey(key string) error {
	if _, ok := DefaultRules().values[key]; ok {
		return nil
	}
	return badInput(fmt.Sprintf("没有 %q 这项设置", key), "%w %q; the settings are: %s", ErrUnknownSetting, key, strings.Join(SettingKeys(), ", "))
}

// maxSettingValue is the largest number a setting takes (the largest default is 10,000 km).
const maxSettingValue = 1_000_000

// checkSettingValue refuses a value out of range for key.
func checkSettingValue(key string, v int) error {
	if v > maxSettingValue {
		return badInput(fmt.Sprintf("设置 %s 最大是 %d，填的是 %d", key, maxSettingValue, v), "campaign setting %s must be at most %d, got %d", key, maxSettingValue, v)
	}
	if err := validateSetting(key, v); err != nil {
		return badInput(fmt.Sprintf("设置 %s 不能是 %d：开关只能填 0 或 1，天数和公里数不能是负数，月数至少为 1", key, v), "%w", err)
	}
	return nil
}

// dueExpiresPairs are the settings of one occurrence's due and expiry offsets: the call
// must be due no later than it expires.
var dueExpiresPairs = [][2]string{
	{"complaint_closed_due", "complaint_closed_expires"}, {"lost_prospect_due", "lost_prospect_expires"},
	{"delivery_3day_due", "delivery_3day_expires"}, {"care_15day_due", "care_15day_expires"},
	{"post_service_due", "post_service_expires"},
}

// checkDueExpires refuses rules where a call would expire before it is due.
func checkDueExpires(r Rules) error {
	for _, p := range dueExpiresPairs {
		if d, e := r.Get(p[0]), r.Get(p[1]); d > e {
			return badInput(fmt.Sprintf("%s 是 %d 天，晚于 %s 的 %d 天：回访还没开始拨打就过期了", p[0], d, p[1], e),
				"%s %d is after %s %d: the call would expire before it is due", p[0], d, p[1], e)
		}
	}
	return nil
}

// ParseSettingValue checks key and parses its value written as a whole number.
func ParseSettingValue(key, value string) (int, error) {
	if err := checkSettingKey(key); err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(strings.TrimSpace(value))
	if err != nil {
		return 0, badInput(fmt.Sprintf("设置 %s 要填整数，填的是 %q", key, value), "campaign setting %s: %q is not a whole number", key, value)
	}
	if err := checkSettingValue(key, v); err != nil {
		return 0, err
	}
	return v, nil
}

// SaveSettings stores several of dealerID's settings at once (key -> value), all or
// nothing: an unknown key, a bad value, or a call that would expire before it is due
// (care_15day_due above care_15day_expires) refuses the whole change with an error naming it
// (errors.Is ErrRuleInput). In the same transaction it writes an audit_log row
// (campaign_settings.save, with each old and new value) by userID (zero: none, the
// command line) and a queue:build outbox row for the dealer's today, so the queue is
// rebuilt with the new numbers.
func SaveSettings(ctx context.Context, db store.TxBeginner, dealerID int64, values map[string]int, userID int64) error {
	if len(values) == 0 {
		return badInput("没有要保存的设置", "no setting to save")
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := checkSettingKey(k); err != nil {
			return err
		}
		if err := checkSettingValue(k, values[k]); err != nil {
			return err
		}
	}
	return store.WithTx(ctx, db, func(tx pgx.Tx) error {
		old, err := LoadRules(ctx, tx, dealerID)
		if err != nil {
			return err
		}
		next := old.clone()
		for _, k := range keys {
			next.values[k] = values[k]
		}
		if err := checkDueExpires(next); err != nil {
			return err
		}
		change := map[string]any{}
		for _, k := range keys {
			if err := SaveSetting(ctx, tx, dealerID, k, values[k]); err != nil {
				return err
			}
			change[k] = map[string]int{"from": old.Get(k), "to": values[k]}
		}
		return ruleChanged(ctx, tx, dealerID, userID, "campaign_settings.save", map[string]any{"settings": change}, true)
	})
}

// ResetSettings puts dealerID's keys back to their defaults (it deletes the overrides),
// all or nothing, audited (campaign_settings.reset) by userID (zero: none), with a
// queue:build outbox row for the dealer's today. A key without an override is harmless.
func ResetSettings(ctx context.Context, db store.TxBeginner, dealerID int64, keys []string, userID int64) error {
	if len(keys) == 0 {
		return badInput("没有要恢复默认的设置", "no setting to reset")
	}
	for _, k := range keys {
		if err := checkSettingKey(k); err != nil {
			return err
		}
	}
	return store.WithTx(ctx, db, func(tx pgx.Tx) error {
		old, err := LoadRules(ctx, tx, dealerID)
		if err != nil {
			return err
		}
		next := old.clone()
		defaults := DefaultRules()
		for _, k := range keys {
			next.values[k] = defaults.Get(k)
		}
		if err := checkDueExpires(next); err != nil {
			return err
		}
		change := map[string]any{}
		for _, k := range keys {
			if err := ResetSetting(ctx, tx, dealerID, k); err != nil {
				return err
			}
			change[k] = map[string]int{"from": old.Get(k), "to": DefaultRules().Get(k)}
		}
		return ruleChanged(ctx, tx, dealerID, userID, "campaign_settings.reset", map[string]any{"settings": change}, true)
	})
}

// windowClockRe is a time of day as HH:MM (or H:MM), 00:00 to 23:59.
var windowClockRe = regexp.MustCompile(`^([01]?[0-9]|2[0-3]):([0-5][0-9])$`)

// parseWindowClock parses one time of the calling window.
func parseWindowClock(what, s string) (time.Duration, error) {
	m := windowClockRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, badInput(fmt.Sprintf("外呼时段的%s %q 格式不对：请写成 09:00 这样（00:00 到 23:59）", clockNamesZH[what], s),
			"calling window %s %q: give a time of day as HH:MM between 00:00 and 23:59, such as 09:00", what, s)
	}
	hh, _ := strconv.Atoi(m[1])
	mm, _ := strconv.Atoi(m[2])
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// ParseCallWindow checks a calling window: three times of day as HH:MM with
// start < end <= sameDayEnd. An empty sameDayEnd means 30 minutes after end (docs/domain.md's
// 20:30 and 21:00), capped at 23:59.
func ParseCallWindow(start, end, sameDayEnd string) (CallWindow, error) {
	s, err := parseWindowClock("start", start)
	if err != nil {
		return CallWindow{}, err
	}
	e, err := parseWindowClock("end", end)
	if err != nil {
		return CallWindow{}, err
	}
	sd := min(e+30*time.Minute, 23*time.Hour+59*time.Minute)
	if strings.TrimSpace(sameDayEnd) != "" {
		if sd, err = parseWindowClock("same-day end", sameDayEnd); err != nil {
			return CallWindow{}, err
		}
	}
	switch {
	case e <= s:
		return CallWindow{}, badInput(fmt.Sprintf("外呼时段 %s-%s 的结束时间早于开始时间：结束时间要晚于开始时间", FormatClock(s), FormatClock(e)),
			"calling window %s-%s ends before it starts: the end must be after the start", FormatClock(s), FormatClock(e))
	case sd < e:
		return CallWindow{}, badInput(fmt.Sprintf("当天回访截止时间 %s 早于外呼结束时间 %s：要相同或更晚", FormatClock(sd), FormatClock(e)),
			"the same-day visit window end %s is before the calling window end %s: it must be the same or later", FormatClock(sd), FormatClock(e))
	}
	return CallWindow{Start: FormatClock(s), End: FormatClock(e), SameDayEnd: FormatClock(sd)}, nil
}

// ParseWindowRange parses a calling window written "09:00-20:30", with sameDayEnd as
// ParseCallWindow takes it.
func ParseWindowRange(hours, sameDayEnd string) (CallWindow, error) {
	start, end, ok := strings.Cut(strings.TrimSpace(hours), "-")
	if !ok {
		return CallWindow{}, badInput(fmt.Sprintf("外呼时段 %q 格式不对：请写成 09:00-20:30 这样", hours), "calling window %q: give start-end as HH:MM-HH:MM, such as 09:00-20:30", hours)
	}
	return ParseCallWindow(start, end, sameDayEnd)
}

// pgClock turns a checked HH:MM into the store's time of day.
func pgClock(s string) pgtype.Time {
	d, _ := parseWindowClock("", s)
	return pgtype.Time{Microseconds: d.Microseconds(), Valid: true}
}

// SaveCallWindow checks (ParseCallWindow) and stores dealerID's calling window, audited
// (call_window.save) by userID (zero: none). Take reads the window at every take, so no
// rebuild is needed. Bad input stores nothing.
func SaveCallWindow(ctx context.Context, db store.TxBeginner, dealerID int64, start, end, sameDayEnd string, userID int64) error {
	w, err := ParseCallWindow(start, end, sameDayEnd)
	if err != nil {
		return err
	}
	return store.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := store.New(tx)
		d, err := q.GetDealer(ctx, dealerID)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("save calling window: no dealer %d", dealerID)
		}
		if err != nil {
			return fmt.Errorf("save calling window: %w", err)
		}
		if _, err := q.SetDealerCallWindow(ctx, store.SetDealerCallWindowParams{Start: pgClock(w.Start), EndAt: pgClock(w.End),
			SameDayEnd: pgClock(w.SameDayEnd), ID: dealerID}); err != nil {
			return fmt.Errorf("save calling window: %w", err)
		}
		from := CallWindow{Start: FormatClock(Clock(d.CallWindowStart)), End: FormatClock(Clock(d.CallWindowEnd)),
			SameDayEnd: FormatClock(Clock(d.SameDayWindowEnd))}
		return ruleChanged(ctx, tx, dealerID, userID, "call_window.save", map[string]any{"from": from, "to": w}, false)
	})
}

// parseHolidayDay parses a holiday's day, YYYY-MM-DD.
func parseHolidayDay(day string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(day))
	if err != nil {
		return time.Time{}, badInput(fmt.Sprintf("休息日 %q 格式不对：请写成 2026-10-01 这样", day), "holiday day %q: give a day as YYYY-MM-DD, such as 2026-10-01", day)
	}
	if d.Year() < 2000 || d.Year() > 2100 {
		return time.Time{}, badInput(fmt.Sprintf("休息日 %s 不在 2000 到 2100 年之间", day), "holiday day %s is not between 2000 and 2100", day)
	}
	return d, nil
}

// AddHoliday lists day (YYYY-MM-DD) as one of dealerID's holidays named name (at most
// 40 characters), audited (holiday.add) by userID (zero: none): no call is placed that
// day. Adding a listed day again only renames it; added is false then. Take reads the
// holidays at every take, so no rebuild is needed.
func AddHoliday(ctx context.Context, db store.TxBeginner, dealerID int64, day, name string, userID int64) (added bool, err error) {
	d, err := parseHolidayDay(day)
	if err != nil {
		return false, err
	}
	name = strings.TrimSpace(name)
	if n := len([]rune(name)); n > 40 {
		return false, badInput(fmt.Sprintf("休息日名称有 %d 个字，最多 40 个字", n), "holiday name is %d characters long; give at most 40", n)
	}
	err = store.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := store.New(tx)
		if _, err := q.GetDealer(ctx, dealerID); errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("add holiday: no dealer %d", dealerID)
		}
		added, err = q.PutHoliday(ctx, store.PutHolidayParams{DealerID: dealerID, Day: d, Name: name})
		if err != nil {
			return fmt.Errorf("add holiday %s: %w", d.Format(time.DateOnly), err)
		}
		return ruleChanged(ctx, tx, dealerID, userID, "holiday.add", map[string]any{"day": d.Format(time.DateOnly), "name": name, "new": added}, false)
	})
	return added, err
}

// RemoveHoliday takes day (YYYY-MM-DD) off dealerID's holidays, audited (holiday.remove)
// by userID (zero: none). A day that is not listed is refused (ErrRuleInput).
func RemoveHoliday(ctx context.Context, db store.TxBeginner, dealerID int64, day string, userID int64) error {
	d, err := parseHolidayDay(day)
	if err != nil {
		return err
	}
	return store.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := store.New(tx)
		n, err := q.RemoveHoliday(ctx, store.RemoveHolidayParams{DealerID: dealerID, Day: d})
		if err != nil {
			return fmt.Errorf("remove holiday %s: %w", d.Format(time.DateOnly), err)
		}
		if n == 0 {
			return badInput(fmt.Sprintf("%s 不是本店的休息日", d.Format(time.DateOnly)), "%s is not one of the dealer's holidays", d.Format(time.DateOnly))
		}
		return ruleChanged(ctx, tx, dealerID, userID, "holiday.remove", map[string]any{"day": d.Format(time.DateOnly)}, false)
	})
}

// ruleChanged writes the audit_log row of a rule change and, when rebuild, a queue:build
// outbox row for the dealer's today, in the caller's transaction.
func ruleChanged(ctx context.Context, tx pgx.Tx, dealerID, userID int64, action string, detail map[string]any, rebuild bool) error {
	q := store.New(tx)
	var by *int64
	detail["source"] = "cli"
	if userID > 0 {
		by = &userID
		detail["source"] = "console"
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if err := q.InsertAudit(ctx, store.InsertAuditParams{DealerID: &dealerID, UserID: by, Action: action,
		SubjectType: "dealer", SubjectID: &dealerID, Detail: b}); err != nil {
		return fmt.Errorf("%s: audit: %w", action, err)
	}
	if !rebuild {
		return nil
	}
	today, err := q.LocalDay(ctx, store.LocalDayParams{At: time.Now(), DealerID: dealerID})
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: no dealer %d", action, dealerID)
	}
	if err != nil {
		return fmt.Errorf("%s: local day: %w", action, err)
	}
	if err := insertOutbox(ctx, q, dealerID, TypeBuild, BuildPayload{DealerID: dealerID, Day: today.Format(time.DateOnly)}); err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	return nil
}
