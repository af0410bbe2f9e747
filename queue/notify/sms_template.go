package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
)

// templateVars are the variables a template may use (TemplateVars).
var templateVars = []string{"customer", "name", "title", "dealer", "plate", "model", "due_day", "date"}

// TemplateVars returns the variables a template may use, in braces: {customer} is the
// name and title ("王先生") or 尊敬的客户 when the name is unknown.
func TemplateVars() []string { return slices.Clone(templateVars) }

// SMSTemplate is a dealer's SMS text.
type SMSTemplate struct {
	// Code names it ("birthday", "maintenance"...).
	Code string
	// Kind is 'service' (transactional) or 'marketing' (opt-out and quiet hours apply).
	Kind string
	// Title describes it for the director.
	Title string
	// Body is the text with {variables}, without the signature.
	Body string
	// ProviderCode is the template's id at the cloud SMS provider (Aliyun SMS_123456789,
	// Tencent 1234567), approved there with the same text; empty for Kannel only.
	ProviderCode string
}

// defaultSMSTemplates are the texts a dealer starts with (DefaultSMSTemplates).
var defaultSMSTemplates = map[string]SMSTemplate{
	"leave_store_care": {Code: "leave_store_care", Kind: "service", Title: "离店关怀短信",
		Body: "{customer}您好，感谢您今天光临{dealer}！如有任何疑问，欢迎随时联系我们，祝您生活愉快。"},
	"appointment_reminder": {Code: "appointment_reminder", Kind: "service", Title: "预约到店提醒",
		Body: "{customer}您好，提醒您已预约{date}到{dealer}，届时恭候您的光临。如需改期请来电。"},
	"thank_you": {Code: "thank_you", Kind: "service", Title: "进厂感谢短信",
		Body: "{customer}您好，感谢您今天光临{dealer}售后服务中心，祝您用车愉快！如有任何问题，欢迎随时联系我们。"},
	"birthday": {Code: "birthday", Kind: "marketing", Title: "生日祝福",
		Body: "{customer}，{dealer}全体员工祝您生日快乐，万事如意！"},
	"holiday": {Code: "holiday", Kind: "marketing", Title: "节日问候",
		Body: "{customer}，{dealer}祝您节日快乐，出行平安！"},
	"maintenance": {Code: "maintenance", Kind: "marketing", Title: "保养提醒",
		Body: "{customer}，您的爱车{plate}将于{due_day}到期保养，欢迎提前预约，{dealer}恭候您的光临。"},
	"insurance": {Code: "insurance", Kind: "marketing", Title: "保险到期提醒",
		Body: "{customer}，您的爱车{plate}的保险将于{due_day}到期，续保请联系{dealer}。"},
	"inspection": {Code: "inspection", Kind: "marketing", Title: "年检提醒",
		Body: "{customer}，您的爱车{plate}将于{due_day}到期年检，{dealer}可为您提供年检前检测。"},
}

// DefaultSMSTemplates returns the texts a dealer starts with, by code; a director's saved
// template of the same code replaces one. Reminders and greetings are marketing: an
// opted-out number does not get them.
func DefaultSMSTemplates() []SMSTemplate {
	out := make([]SMSTemplate, 0, len(defaultSMSTemplates))
	for _, t := range defaultSMSTemplates {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b SMSTemplate) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// DefaultSMSTemplate returns the default template of code, if there is one.
func DefaultSMSTemplate(code string) (SMSTemplate, bool) {
	t, ok := defaultSMSTemplates[code]
	return t, ok
}

var varPattern = regexp.MustCompile(`\{([^{}]*)\}`)

// providerCodePattern is what a cloud provider's template id looks like (SMS_123456789, 1234567).
var providerCodePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{0,64}$`)

// ValidateTemplate checks a template body: not empty, braces balanced, only known
// variables, no signature brackets (the signature is the dealer's and added on sending).
func ValidateTemplate(body string) error {
	if strings.TrimSpace(body) == "" {
		return errors.New("sms template: the text is empty")
	}
	if strings.ContainsAny(body, "【】") {
		return errors.New("sms template: leave out the signature 【...】, it is added from the dealer's settings")
	}
	known := map[string]bool{}
	for _, v := range templateVars {
		known[v] = true
	}
	for _, m := range varPattern.FindAllStringSubmatch(body, -1) {
		if !known[m[1]] {
			return fmt.Errorf("sms template: unknown variable {%s} (known: %s)", m[1], strings.Join(templateVars, ", "))
		}
	}
	if rest := varPattern.ReplaceAllString(body, ""); strings.ContainsAny(rest, "{}") {
		return errors.New("sms template: unbalanced { or }")
	}
	return nil
}

// RenderSMS fills body's variables from vars, puts the dealer's signature 【signature】 in
// front and, for marketing, the opt-out instruction 回TD退订 at the end (unless the text
// already says how to unsubscribe). A variable with no value is an error naming it.
func RenderSMS(body, kind, signature string, vars map[string]string) (string, error) {
	if err := ValidateTemplate(body); err != nil {
		return "", err
	}
	var missing []string
	out := varPattern.ReplaceAllStringFunc(body, func(m string) string {
		name := m[1 : len(m)-1]
		v, ok := vars[name]
		if !ok || v == "" {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("sms template: no value for {%s}", strings.Join(missing, "}, {"))
	}
	if signature = strings.Trim(strings.TrimSpace(signature), "【】"); signature == "" {
		return "", errors.New("sms template: the dealer's signature is empty")
	}
	out = "【" + signature + "】" + out
	if kind == "marketing" && !strings.Contains(out, "退订") {
		out += "回TD退订"
	}
	return out, nil
}

// ValidateProviderCode checks a template's code at the cloud SMS provider: empty, or up
// to 64 letters, digits, _ and - (SMS_123456789, 1234567).
func ValidateProviderCode(code string) error {
	if !providerCodePattern.MatchString(code) {
		return fmt.Errorf("provider template code %q may hold only letters, digits, _ and - (at most 64)", code)
	}
	return nil
}

// SMSSegments counts the characters of an SMS as the network does and the parts it is
// sent in: UCS-2 text (any Chinese) fits 70 characters in one message and 67 per part
// when longer; plain GSM text fits 160, and 153 per part. Characters outside the BMP
// count twice in UCS-2.
func SMSSegments(text string) (chars, parts int) {
	one, each := 160, 153
	if !isGSM(text) {
		one, each = 70, 67
		chars = len(utf16.Encode([]rune(text)))
	} else {
		chars = gsmLen(text)
	}
	switch {
	case chars == 0:
		return 0, 0
	case chars <= one:
		return chars, 1
	default:
		return chars, (chars + each - 1) / each
	}
}

// gsmExtended are the GSM 03.38 characters sent with an escape (two septets).
const gsmExtended = "^{}\\[~]|€"

// isGSM reports whether text uses only the GSM 03.38 default alphabet (printable ASCII
// except a few, plus newline); anything else goes as UCS-2.
func isGSM(s string) bool {
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
		case r == '`':
			return false
		case r >= 0x20 && r < 0x7f:
		case strings.ContainsRune("£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà€", r):
		default:
			return false
		}
	}
	return true
}

func gsmLen(s string) int {
	n := 0
	for _, r := range s {
		n++
		if strings.ContainsRune(gsmExtended, r) {
			n++
		}
	}
	return n
}

// ValidateSMSTemplate checks a template as a director writes it: its code (1-32 of a-z,
// 0-9 and _), its kind (service or marketing), its text (ValidateTemplate) and its code at
// the cloud provider (ValidateProviderCode); each fault is a *FieldError naming the field
// (code, kind, body, provider_code).
func ValidateSMSTemplate(t SMSTemplate) error {
	if !templateCodeRe.MatchString(t.Code) {
		return fieldErr("code", "sms template code %q must be 1-32 of a-z, 0-9 and _", t.Code)
	}
	if t.Kind != "service" && t.Kind != "marketing" {
		return fieldErr("kind", "sms template %s: kind %q is not service or marketing", t.Code, t.Kind)
	}
	if err := ValidateTemplate(t.Body); err != nil {
		return fieldErr("body", "sms template %s: %v", t.Code, err)
	}
	if err := ValidateProviderCode(strings.TrimSpace(t.ProviderCode)); err != nil {
		return fieldErr("provider_code", "sms template %s: %v", t.Code, err)
	}
	return nil
}

// SaveSMSTemplate checks a dealer's template (ValidateSMSTemplate) and stores it with an
// audit row (sms_template.save, by userID; zero is the operator at the command line), in
// one transaction (a savepoint when db is a transaction).
func SaveSMSTemplate(ctx context.Context, db txStarter, dealerID int64, t SMSTemplate, userID int64) error {
	t.Code, t.Title, t.Body = strings.TrimSpace(t.Code), strings.TrimSpace(t.Title), strings.TrimSpace(t.Body)
	t.ProviderCode = strings.TrimSpace(t.ProviderCode)
	if err := ValidateSMSTemplate(t); err != nil {
		return err
	}
	var by *int64
	if userID > 0 {
		by = &userID
	}
	detail, _ := json.Marshal(map[string]string{"code": t.Code, "kind": t.Kind, "title": t.Title, "body": t.Body, "provider_code": t.ProviderCode})
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		q := store.New(tx)
		if _, err := q.UpsertSMSTemplate(ctx, store.UpsertSMSTemplateParams{
			DealerID: dealerID, Code: t.Code, Kind: t.Kind, Title: t.Title, Body: t.Body, ProviderCode: t.ProviderCode, UpdatedBy: by,
		}); err != nil {
			return fmt.Errorf("sms template %s: %w", t.Code, err)
		}
		return audit(ctx, q, dealerID, userID, "sms_template.save", "sms_template", nil, detail)
	})
}

// LoadSMSTemplate returns the dealer's template code, or the default one.
func LoadSMSTemplate(ctx context.Context, db store.DBTX, dealerID int64, code string) (SMSTemplate, error) {
	t, err := store.New(db).GetSMSTemplate(ctx, store.GetSMSTemplateParams{DealerID: dealerID, Code: code})
	if errors.Is(err, pgx.ErrNoRows) {
		d, ok := DefaultSMSTemplate(code)
		if !ok {
			return SMSTemplate{}, fmt.Errorf("sms template %q: the dealer has none and there is no default", code)
		}
		return d, nil
	}
	if err != nil {
		return SMSTemplate{}, fmt.Errorf("sms template %s: %w", code, err)
	}
	return SMSTemplate{Code: t.Code, Kind: t.Kind, Title: t.Title, Body: t.Body, ProviderCode: t.ProviderCode}, nil
}
