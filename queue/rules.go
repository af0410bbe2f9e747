package queue

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
)

// Campaign codes, as docs/domain.md names them.
const (
	CampaignComplaint        = "complaint"
	CampaignSameDayVisit     = "same_day_visit"
	CampaignRecall           = "recall"
	CampaignLostProspect     = "lost_prospect"
	CampaignKeyProspect      = "key_prospect"
	CampaignFirstMaintenance = "first_maintenance"
	CampaignDelivery3Day     = "delivery_3day"
	CampaignCare15Day        = "care_15day"
	CampaignPostService      = "post_service"
	CampaignSalesFollowup    = "sales_followup"
	CampaignMaintenance      = "maintenance"
	CampaignWarranty         = "warranty"
	CampaignInsurance        = "insurance"
	CampaignInspection       = "inspection"
	CampaignDueNotCome       = "due_not_come"
	CampaignLapsed3m         = "lapsed_3m"
	CampaignLapsed6m         = "lapsed_6m"
	CampaignLapsed12m        = "lapsed_12m"
	CampaignLapsed24m        = "lapsed_24m"
	CampaignBaseCare         = "base_care"
	CampaignBirthday         = "birthday"
	CampaignProspectFollowup = "prospect_followup"
	CampaignNoShow           = "no_show"
)

// Campaigns returns every campaign code in the order of docs/domain.md's campaign table.
func Campaigns() []string {
	return []string{
		CampaignComplaint, CampaignSameDayVisit, CampaignRecall, CampaignLostProspect,
		CampaignKeyProspect, CampaignFirstMaintenance, CampaignNoShow, CampaignDelivery3Day, CampaignCare15Day,
		CampaignPostService, CampaignSalesFollowup, CampaignMaintenance, CampaignWarranty,
		CampaignInsurance, CampaignInspection, CampaignDueNotCome, CampaignLapsed3m,
		CampaignLapsed6m, CampaignLapsed12m, CampaignLapsed24m, CampaignBaseCare, CampaignBirthday,
		CampaignProspectFollowup,
	}
}

// IsCampaign reports whether code is one of the campaign codes.
func IsCampaign(code string) bool {
	for _, c := range Campaigns() {
		if c == code {
			return true
		}
	}
	return false
}

// ConsultantCampaigns are the campaigns whose calls belong to the owning sales consultant.
func ConsultantCampaigns() []string {
	return []string{CampaignSalesFollowup, CampaignKeyProspect, CampaignProspectFollowup}
}

// Setting is one number of the rules: its key, its value for a dealer, its default and what it means.
type Setting struct {
	// Key names the setting, such as "first_maintenance_months".
	Key string `json:"key"`
	// Value is the dealer's value (the default unless overridden).
	Value int `json:"value"`
	// Default is the default value (docs/domain.md, "Settings and their defaults").
	Default int `json:"default"`
	// Doc says what the number means.
	Doc string `json:"doc"`
}

// defaultSettings is every rule number with its default (docs/domain.md, "Settings and their defaults"). Every campaign has
// <campaign>_enabled (1 on, 0 off) and <campaign>_priority; offsets are in days unless the
// key says months or km.
func defaultSettings() []Setting {
	s := []Setting{
		{Key: "complaint_priority", Default: 100, Doc: "抱怨回访 priority"},
		{Key: "complaint_closed_due", Default: 3, Doc: "satisfaction call after a complaint is closed on D: due D+N"},
		{Key: "complaint_closed_expires", Default: 7, Doc: "satisfaction call after closing on D: expires D+N"},
		{Key: "complaint_respond_hours", Default: 24, Doc: "a complaint's first response is due N hours after it opens"},
		{Key: "complaint_resolve_hours", Default: 72, Doc: "a complaint is to be resolved N hours after it opens"},
		{Key: "complaint_serious_respond_hours", Default: 4, Doc: "a serious complaint's first response is due N hours after it opens"},
		{Key: "complaint_serious_resolve_hours", Default: 24, Doc: "a serious complaint is to be resolved N hours after it opens"},
		{Key: "complaint_repeat_days", Default: 90, Doc: "a customer's second complaint within N days is serious"},
		{Key: "complaint_owner", Default: 0, Doc: "user id of the director who owns new complaints; 0: the dealer's first director"},
		{Key: "complaint_sms", Default: 0, Doc: "1 also tells directors by SMS to their mobile when a complaint opens or falls overdue"},
		{Key: "spot_check_percent", Default: 5, Doc: "the morning sample draws N % of each agent's reached calls of the day before"},
		{Key: "spot_check_min", Default: 2, Doc: "the morning sample draws at least N calls of each agent (fewer when they made fewer)"},
		{Key: "spot_check_max", Default: 10, Doc: "the morning sample draws at most N random calls of each agent (low scores and complaints come on top)"},
		{Key: "same_day_visit_priority", Default: 90, Doc: "当天回访 priority"},
		{Key: "same_day_visit_expires", Default: 1, Doc: "same-day return visit for a showroom visit on D expires at the end of D+N"},
		{Key: "recall_priority", Default: 80, Doc: "召回 priority"},
		{Key: "lost_prospect_priority", Default: 70, Doc: "战败回访 priority"},
		{Key: "lost_prospect_due", Default: 7, Doc: "lost on D: due D+N"},
		{Key: "lost_prospect_expires", Default: 14, Doc: "lost on D: expires D+N"},
		{Key: "key_prospect_priority", Default: 70, Doc: "重点客户 priority (weekly, Monday to Sunday)"},
		{Key: "first_maintenance_priority", Default: 60, Doc: "首保 priority"},
		{Key: "first_maintenance_months", Default: 6, Doc: "first maintenance due this many months after delivery"},
		{Key: "first_maintenance_km", Default: 5000, Doc: "first maintenance due when the projected mileage reaches this many km"},
		{Key: "first_maintenance_lead", Default: 30, Doc: "first maintenance call due this many days before the due day (never before delivery)"},
		{Key: "first_maintenance_grace", Default: 30, Doc: "first maintenance call expires this many days after the due day"},
		{Key: "no_show_priority", Default: 55, Doc: "预约未到 priority"},
		{Key: "no_show_due", Default: 1, Doc: "appointment on A not arrived: due A+N"},
		{Key: "no_show_expires", Default: 3, Doc: "appointment on A not arrived: expires A+N"},
		{Key: "appointment_reminder_minute", Default: 600, Doc: "appointment reminder SMS at this minute of the day before (600 = 10:00 local)"},
		{Key: "service_sms_until_minute", Default: 1260, Doc: "a reminder or thank-you SMS due later in the day goes at once until this minute (1260 = 21:00), else not that day"},
		{Key: "thank_you_minute", Default: 1080, Doc: "thank-you SMS after a workshop visit on D at this minute of D (1080 = 18:00)"},
		{Key: "thank_you_next_day_minute", Default: 540, Doc: "a thank-you SMS too late for D goes at this minute of D+1 (540 = 09:00)"},
		{Key: "delivery_3day_priority", Default: 50, Doc: "交车后三日 priority"},
		{Key: "delivery_3day_due", Default: 3, Doc: "delivery on D: due D+N"},
		{Key: "delivery_3day_expires", Default: 7, Doc: "delivery on D: expires D+N"},
		{Key: "care_15day_priority", Default: 50, Doc: "15天关怀 priority"},
		{Key: "care_15day_due", Default: 15, Doc: "delivery on D: due D+N"},
		{Key: "care_15day_expires", Default: 20, Doc: "delivery on D: expires D+N"},
		{Key: "post_service_priority", Default: 50, Doc: "服务后回访 priority"},
		{Key: "post_service_due", Default: 3, Doc: "service visit on D: due D+N"},
		{Key: "post_service_expires", Default: 7, Doc: "service visit on D: expires D+N"},
		{Key: "sales_followup_priority", Default: 45, Doc: "1-3个月回访 priority"},
		{Key: "sales_followup_due_1", Default: 30, Doc: "first sales touch: delivery + N days"},
		{Key: "sales_followup_due_2", Default: 60, Doc: "second sales touch: delivery + N days"},
		{Key: "sales_followup_due_3", Default: 90, Doc: "third sales touch: delivery + N days"},
		{Key: "sales_followup_window", Default: 10, Doc: "each sales touch expires N days after it is due"},
		{Key: "maintenance_priority", Default: 40, Doc: "二保/三保/定保 priority"},
		{Key: "maintenance_months", Default: 12, Doc: "next maintenance due this many months after the previous maintenance visit"},
		{Key: "maintenance_km", Default: 10000, Doc: "next maintenance due this many km after the previous maintenance visit"},
		{Key: "maintenance_lead", Default: 14, Doc: "maintenance call due this many days before the due day"},
		{Key: "maintenance_grace", Default: 30, Doc: "maintenance call expires this many days after the due day"},
		{Key: "warranty_priority", Default: 40, Doc: "出保前检查 priority"},
		{Key: "warranty_lead", Default: 60, Doc: "warranty end W: due W-N, expires W"},
		{Key: "insurance_priority", Default: 40, Doc: "保险到期 priority"},
		{Key: "insurance_lead", Default: 45, Doc: "policy end P: due P-N, expires P"},
		{Key: "inspection_priority", Default: 40, Doc: "年检 priority"},
		{Key: "inspection_lead", Default: 30, Doc: "inspection due I: due I-N, expires I"},
		{Key: "due_not_come_priority", Default: 35, Doc: "应进未进 priority (due the 1st of the month, expires at its end)"},
		{Key: "lapsed_3m_priority", Default: 30, Doc: "拟流失 priority"},
		{Key: "lapsed_3m_days", Default: 90, Doc: "lapsed 3 months: last service visit this many days old"},
		{Key: "lapsed_6m_priority", Default: 30, Doc: "准流失 priority"},
		{Key: "lapsed_6m_days", Default: 180, Doc: "lapsed 6 months: last service visit this many days old"},
		{Key: "lapsed_12m_priority", Default: 30, Doc: "一年不回厂 priority"},
		{Key: "lapsed_12m_days", Default: 365, Doc: "lapsed 12 months: last service visit this many days old"},
		{Key: "lapsed_24m_priority", Default: 30, Doc: "两年不回厂 priority"},
		{Key: "lapsed_24m_days", Default: 730, Doc: "lapsed 24 months: last service visit this many days old"},
		{Key: "lapsed_window", Default: 30, Doc: "a lapsed call expires N days after it is due"},
		{Key: "base_care_priority", Default: 20, Doc: "基盘客户关怀 priority"},
		{Key: "base_care_premium_days", Default: 30, Doc: "优质 owners: called when not contacted for N days"},
		{Key: "base_care_potential_days", Default: 60, Doc: "潜力 owners: called when not contacted for N days"},
		{Key: "base_care_general_days", Default: 90, Doc: "一般 owners: called when not contacted for N days"},
		{Key: "base_care_window", Default: 14, Doc: "a base care call expires N days after it is due"},
		{Key: "birthday_priority", Default: 20, Doc: "生日问候 priority (call task for 优质 owners on the day)"},
		{Key: "prospect_followup_priority", Default: 65, Doc: "意向客户跟进 priority"},
		{Key: "prospect_followup_a_days", Default: 3, Doc: "open prospects of intent level A (and H) are called every N days from the last contact"},
		{Key: "prospect_followup_b_days", Default: 7, Doc: "open prospects of intent level B are called every N days from the last contact"},
		{Key: "prospect_followup_c_days", Default: 14, Doc: "open prospects of intent level C are called every N days from the last contact"},
		{Key: "prospect_followup_other_days", Default: 14, Doc: "open prospects without an intent level are called every N days from the last contact"},
		// Undo (the console): how long after saving an agent may undo an outcome.
		{Key: "outcome_undo_seconds", Default: 60, Doc: "an agent may undo the last outcome they saved for N seconds (0: no undo)"},
		// Attempt policy (the engine's take and outcome code reads these).
		{Key: "attempts_per_day", Default: 3, Doc: "at most N attempts a day per task"},
		{Key: "attempts_per_task", Default: 5, Doc: "at most N attempts in a task's life, then it closes as unreachable"},
		{Key: "retry_no_answer_minutes", Default: 120, Doc: "no answer is retried after N minutes"},
		{Key: "retry_busy_minutes", Default: 30, Doc: "busy is retried after N minutes"},
		{Key: "retry_unreachable_minutes", Default: 240, Doc: "switched off or unreachable is retried after N minutes"},
	}
	for _, c := range Campaigns() {
		s = append(s, Setting{Key: c + "_enabled", Default: 1, Doc: "1 builds the " + c + " campaign, 0 turns it off"})
	}
	for i := range s {
		s[i].Value = s[i].Default
	}
	return s
}

// Rules are a dealer's campaign settings: every number of the rules in docs/domain.md.
// The zero value is empty; use DefaultRules or LoadRules.
type Rules struct {
	values map[string]int
}

// DefaultRules returns the rules with the defaults of docs/domain.md.
func DefaultRules() Rules {
	r := Rules{values: map[string]int{}}
	for _, s := range defaultSettings() {
		r.values[s.Key] = s.Default
	}
	return r
}

// ErrUnknownSetting is returned for a setting key the rules do not have.
var ErrUnknownSetting = errors.New("unknown campaign setting")

// Get returns the value of key, or 0 when the key is unknown.
func (r Rules) Get(key string) int {
	return r.values[key]
}

// Set changes the value of key in r (not in the database; see SaveSetting).
func (r Rules) Set(key string, value int) error {
	if _, ok := r.values[key]; !ok {
		return fmt.Errorf("%w %q", ErrUnknownSetting, key)
	}
	if err := validateSetting(key, value); err != nil {
		return err
	}
	r.values[key] = value
	return nil
}

// clone returns a copy of r that can be changed without changing r.
func (r Rules) clone() Rules {
	return Rules{values: maps.Clone(r.values)}
}

// Enabled reports whether campaign is built.
func (r Rules) Enabled(campaign string) bool {
	return r.values[campaign+"_enabled"] != 0
}

// Settings lists every setting with its value and default, in the order of docs/domain.md's campaign table.
func (r Rules) Settings() []Setting {
	s := defaultSettings()
	for i := range s {
		s[i].Value = r.values[s[i].Key]
	}
	return s
}

// namedArgs returns the settings as pgx named arguments (@first_maintenance_months ...).
func (r Rules) namedArgs() pgx.NamedArgs {
	a := pgx.NamedArgs{}
	for k, v := range r.values {
		a[k] = v
	}
	return a
}

func validateSetting(key string, value int) error {
	switch {
	case len(key) > 8 && key[len(key)-8:] == "_enabled":
		if value != 0 && value != 1 {
			return fmt.Errorf("campaign setting %s must be 0 or 1, got %d", key, value)
		}
	case value < 0:
		return fmt.Errorf("campaign setting %s must not be negative, got %d", key, value)
	}
	switch {
	case key == "complaint_sms" && value > 1:
		return fmt.Errorf("campaign setting %s must be 0 or 1, got %d", key, value)
	case key == "spot_check_percent" && value > 100:
		return fmt.Errorf("campaign setting %s must be at most 100, got %d", key, value)
	}
	for _, k := range []string{"base_care_premium_days", "base_care_potential_days", "base_care_general_days", "first_maintenance_months", "maintenance_months",
		"prospect_followup_a_days", "prospect_followup_b_days", "prospect_followup_c_days", "prospect_followup_other_days",
		"complaint_respond_hours", "complaint_resolve_hours", "complaint_serious_respond_hours", "complaint_serious_resolve_hours"} {
		if key == k && value < 1 {
			return fmt.Errorf("campaign setting %s must be at least 1, got %d", key, value)
		}
	}
	return nil
}

// LoadRules returns dealerID's rules: the defaults with the dealer's overrides from
// campaign_settings applied.
func LoadRules(ctx context.Context, db store.DBTX, dealerID int64) (Rules, error) {
	r := DefaultRules()
	rows, err := db.Query(ctx, `SELECT key, value FROM campaign_settings WHERE dealer_id = $1 ORDER BY key`, dealerID)
	if err != nil {
		return Rules{}, fmt.Errorf("load campaign settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var value int
		if err := rows.Scan(&key, &value); err != nil {
			return Rules{}, fmt.Errorf("load campaign settings: %w", err)
		}
		if err := r.Set(key, value); err != nil {
			return Rules{}, fmt.Errorf("dealer %d: %w", dealerID, err)
		}
	}
	if err := rows.Err(); err != nil {
		return Rules{}, fmt.Errorf("load campaign settings: %w", err)
	}
	return r, nil
}

// SaveSetting stores dealerID's override of one setting (the console's rule editor).
func SaveSetting(ctx context.Context, db store.DBTX, dealerID int64, key string, value int) error {
	if err := DefaultRules().Set(key, value); err != nil {
		return err
	}
	_, err := db.Exec(ctx, `INSERT INTO campaign_settings (dealer_id, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (dealer_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`, dealerID, key, value)
	if err != nil {
		return fmt.Errorf("save campaign setting %s: %w", key, err)
	}
	return nil
}

// ResetSetting removes dealerID's override of key, so the default applies again.
func ResetSetting(ctx context.Context, db store.DBTX, dealerID int64, key string) error {
	if _, ok := DefaultRules().values[key]; !ok {
		return fmt.Errorf("%w %q", ErrUnknownSetting, key)
	}
	if _, err := db.Exec(ctx, `DELETE FROM campaign_settings WHERE dealer_id = $1 AND key = $2`, dealerID, key); err != nil {
		return fmt.Errorf("reset campaign setting %s: %w", key, err)
	}
	return nil
}
