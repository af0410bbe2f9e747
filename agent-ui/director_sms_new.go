package agentui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/phone"
)

// campaignCodeRe is what a campaign run code typed by a director may be.
var campaignCodeRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_:.\-]{0,63}$`)

// maxPromptChars bounds a message-call prompt's text.
const maxPromptChars = 500

// campaignForm is what the director typed on /director/sms/new.
type campaignForm struct {
	// What is "sms" or "calls".
	What     string
	Code     string
	Template string
	// Audience is "reasons", "birthdays" or "customers".
	Audience  string
	Reasons   []string
	Customers string
	SendAt    string
	Prompt    string
	// Preview asks to check the form and count the audience without starting.
	Preview bool
}

// campaignAudience is a form's audience resolved against the dealer's customers.
type campaignAudience struct {
	// IDs are the customers, for an audience of customers (pasted ids and phones).
	IDs []int64
	// Count is how many customers the audience holds.
	Count int
	// Unknown are pasted ids and phones that are not the dealer's customers.
	Unknown []string
}

// campaignResult is what the page shows after a start.
type campaignResult struct {
	Code                                        string
	Calls                                       bool
	Queued, Held, Suppressed, Existing, Skipped int
	Added                                       int
	PromptKept                                  bool
	Errors, Unknown                             []string
	// Preview is a check only (nothing stored): Audience customers would get it, as Sample.
	Preview  bool
	Audience int
	Sample   string
}

// smsTemplateSample is a template as the start form offers it, with a sample message.
type smsTemplateSample struct {
	smsTemplateLine
	Sample string
}

// errCampaignInput marks a director's input the start page refuses (400).
var errCampaignInput = errors.New("campaign")

func badCampaign(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errCampaignInput, fmt.Sprintf(format, args...))
}

// directorSMSNew shows the forms that start an SMS or a message-call campaign.
func (h *handler) directorSMSNew(w http.ResponseWriter, r *http.Request) {
	h.smsNewPage(w, r, http.StatusOK, "", campaignForm{}, nil)
}

// audienceView is one start form's audience part: what was typed and today's reasons.
type audienceView struct {
	D       map[string]string
	Form    campaignForm
	Reasons []reasonOption
	Today   string
}

// reasonOption is a campaign offered as an audience, with its customers due today.
type reasonOption struct {
	Code, Name string
	Due        int64
	On         bool
}

// maxShownUnknown bounds the unknown ids and phones listed after a start.
const maxShownUnknown = 50

// smsNewPage renders the start page; msg is a refusal of f, res the counts of a start.
func (h *handler) smsNewPage(w http.ResponseWriter, r *http.Request, status int, msg string, f campaignForm, res *campaignResult) {
	u := userFrom(r)
	ctx := r.Context()
	tmpls, err := h.smsTemplateSamples(ctx, u.DealerID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	today := h.today(u)
	due, err := h.q().ReasonsDueCounts(ctx, store.ReasonsDueCountsParams{DealerID: u.DealerID, Day: queueDay(today)})
	if err != nil {
		h.fail(w, r, fmt.Errorf("director sms new: %w", err))
		return
	}
	dueBy := map[string]int64{}
	for _, d := range due {
		dueBy[d.Campaign] = d.Customers
	}
	stamp := h.deps.Now().In(u.location()).Format("20060102")
	smsForm := campaignForm{What: "sms", Code: "offer-" + stamp, Template: "holiday", Audience: "customers"}
	callForm := campaignForm{What: "calls", Code: "call-" + stamp, Audience: "customers"}
	if f.What == "calls" {
		callForm = f
	} else if f.What == "sms" {
		smsForm = f
	}
	view := func(f campaignForm) audienceView {
		v := audienceView{D: directorWords(langFrom(r)), Form: f, Today: today.Format(dayLayout)}
		for _, c := range campaignCodes {
			on := false
			for _, x := range f.Reasons {
				on = on || x == c
			}
			v.Reasons = append(v.Reasons, reasonOption{Code: c, Name: campaignName(r, c), Due: dueBy[c], On: on})
		}
		return v
	}
	if res != nil && len(res.Unknown) > maxShownUnknown {
		res.Unknown = append(res.Unknown[:maxShownUnknown:maxShownUnknown], fmt.Sprintf("… +%d", len(res.Unknown)-maxShownUnknown))
	}
	if status != http.StatusOK {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
	}
	h.renderDirector(w, r, "director_sms_new.html", map[string]any{"Templates": tmpls, "SMS": view(smsForm), "Call": view(callForm),
		"Error": msg, "Result": res, "CanCall": h.deps.RenderPrompt != nil && h.cfg.PromptsDir != ""})
}

// smsTemplateSamples lists the dealer's templates and the defaults (the dealer's own
// replacing a default of the same code), sorted by code, each with a sample message and
// its length; the templates page and the new-campaign page show them.
func (h *handler) smsTemplateSamples(ctx context.Context, dealerID int64) ([]smsTemplateSample, error) {
	q := h.q()
	d, err := q.GetDealerSMS(ctx, dealerID)
	if err != nil {
		return nil, fmt.Errorf("sms templates: %w", err)
	}
	own, err := q.ListSMSTemplates(ctx, dealerID)
	if err != nil {
		return nil, fmt.Errorf("sms templates: %w", err)
	}
	byCode := map[string]smsTemplateLine{}
	for code, t := range notify.DefaultSMSTemplates {
		byCode[code] = smsTemplateLine{SMSTemplate: t}
	}
	for _, t := range own {
		byCode[t.Code] = smsTemplateLine{SMSTemplate: notify.SMSTemplate{Code: t.Code, Kind: t.Kind, Title: t.Title, Body: t.Body, ProviderCode: t.ProviderCode}, Own: true}
	}
	vars := map[string]string{"dealer": d.Name}
	for k, v := range smsSample {
		vars[k] = v
	}
	out := make([]smsTemplateSample, 0, len(byCode))
	for _, l := range byCode {
		s := smsTemplateSample{smsTemplateLine: l}
		if text, err := notify.RenderSMS(l.Body, l.Kind, d.Signature, vars); err == nil {
			s.Sample = text
			s.Chars, s.Parts = notify.SMSSegments(text)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// readCampaignForm reads the posted form.
func readCampaignForm(r *http.Request) campaignForm {
	f := campaignForm{What: r.PostForm.Get("what"), Code: strings.TrimSpace(r.PostForm.Get("code")),
		Template: strings.TrimSpace(r.PostForm.Get("template")), Audience: r.PostForm.Get("audience"),
		Customers: r.PostForm.Get("customers"), SendAt: strings.TrimSpace(r.PostForm.Get("send_at")),
		Prompt: strings.TrimSpace(r.PostForm.Get("prompt")), Preview: r.PostForm.Get("preview") != ""}
	for _, c := range r.PostForm["reason"] {
		if c = strings.TrimSpace(c); c != "" {
			f.Reasons = append(f.Reasons, c)
		}
	}
	return f
}

// directorSMSNewStart starts the posted campaign (what=sms or what=calls) as the director
// (audited), and shows what it did. Bad input shows the form again with the problem at
// 400 and stores nothing.
func (h *handler) directorSMSNewStart(w http.ResponseWriter, r *http.Request) {
	f := readCampaignForm(r)
	var res *campaignResult
	var err error
	switch f.What {
	case "sms":
		res, err = h.startSMSCampaign(r, f)
	case "calls":
		res, err = h.startCallCampaign(r, f)
	default:
		err = badCampaign("what must be sms or calls, got %q", f.What)
	}
	var pe *promptError
	switch {
	case errors.Is(err, errCampaignInput):
		h.smsNewPage(w, r, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "campaign: "), f, nil)
	case errors.As(err, &pe):
		h.log.ErrorContext(r.Context(), "render prompt", "user", userFrom(r).Username, "err", err)
		h.smsNewPage(w, r, http.StatusInternalServerError, err.Error(), f, nil)
	case err != nil:
		h.fail(w, r, err)
	default:
		h.smsNewPage(w, r, http.StatusOK, "", f, res)
	}
}

// promptError is a failure to render a message call's prompt (espeak-ng missing...).
type promptError struct{ err error }

func (e *promptError) Error() string { return "render prompt: " + e.err.Error() }
func (e *promptError) Unwrap() error { return e.err }

// checkCampaignCode refuses a malformed code and one already used by the other channel,
// and returns the existing campaign of that code (nil when new).
func (h *handler) checkCampaignCode(ctx context.Context, dealerID int64, code, channel string) (*store.SmsCampaign, error) {
	if !campaignCodeRe.MatchString(code) {
		return nil, badCampaign("campaign code %q must be 1-64 of letters, digits and _ : . - (starting with a letter or digit)", code)
	}
	c, err := h.q().GetSMSCampaignByCode(ctx, store.GetSMSCampaignByCodeParams{DealerID: dealerID, Code: code})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("campaign %s: %w", code, err)
	}
	if c.Channel != channel {
		other := "an SMS campaign"
		if c.Channel == "message_call" {
			other = "a message-call campaign"
		}
		return nil, badCampaign("campaign code %q is already used by %s; choose another code", code, other)
	}
	return &c, nil
}

// resolveAudience checks the form's audience and counts its customers: a day's reasons
// of campaigns, the day's birthdays, or pasted customer ids and phones (one or more a
// line, separated by commas or spaces) resolved to the dealer's customers.
func (h *handler) resolveAudience(ctx context.Context, dealerID int64, day time.Time, f campaignForm) (*campaignAudience, error) {
	q := h.q()
	a := &campaignAudience{}
	switch f.Audience {
	case "reasons":
		if len(f.Reasons) == 0 {
			return nil, badCampaign("choose at least one campaign whose customers due today get it")
		}
		seen := map[int64]bool{}
		for _, c := range f.Reasons {
			if !knownCampaign(c) {
				return nil, badCampaign("unknown campaign %q", c)
			}
			rows, err := q.AudienceReasons(ctx, store.AudienceReasonsParams{DealerID: dealerID, Campaign: c, Day: day})
			if err != nil {
				return nil, fmt.Errorf("campaign audience: %w", err)
			}
			for _, r := range rows {
				if !seen[r.ID] {
					seen[r.ID] = true
					a.IDs = append(a.IDs, r.ID)
				}
			}
		}
		if len(a.IDs) == 0 {
			return nil, badCampaign("no customer has a reason of %s due today", strings.Join(f.Reasons, ", "))
		}
	case "birthdays":
		rows, err := q.AudienceBirthdays(ctx, store.AudienceBirthdaysParams{DealerID: dealerID, Day: day})
		if err != nil {
			return nil, fmt.Errorf("campaign audience: %w", err)
		}
		for _, r := range rows {
			a.IDs = append(a.IDs, r.ID)
		}
		if len(a.IDs) == 0 {
			return nil, badCampaign("no customer has a birthday today")
		}
	case "customers":
		ids, phones, err := parseCustomerList(f.Customers)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 && len(phones) == 0 {
			return nil, badCampaign("paste at least one customer id or phone")
		}
		seen := map[int64]bool{}
		if len(ids) > 0 {
			found, err := q.CustomersByIDs(ctx, store.CustomersByIDsParams{DealerID: dealerID, Ids: ids})
			if err != nil {
				return nil, fmt.Errorf("campaign audience: %w", err)
			}
			ok := map[int64]bool{}
			for _, id := range found {
				ok[id] = true
			}
			for _, id := range ids {
				if !ok[id] {
					a.Unknown = append(a.Unknown, strconv.FormatInt(id, 10))
				} else if !seen[id] {
					seen[id] = true
					a.IDs = append(a.IDs, id)
				}
			}
		}
		if len(phones) > 0 {
			found, err := q.CustomersByPhones(ctx, store.CustomersByPhonesParams{DealerID: dealerID, Phones: phones})
			if err != nil {
				return nil, fmt.Errorf("campaign audience: %w", err)
			}
			byPhone := map[string]int64{}
			for _, c := range found {
				byPhone[c.Phone] = c.ID
			}
			for _, p := range phones {
				id, ok := byPhone[p]
				if !ok {
					a.Unknown = append(a.Unknown, p)
				} else if !seen[id] {
					seen[id] = true
					a.IDs = append(a.IDs, id)
				}
			}
		}
		if len(a.IDs) == 0 {
			return nil, badCampaign("none of the pasted ids or phones is a customer of this dealer: %s", strings.Join(a.Unknown, ", "))
		}
	default:
		return nil, badCampaign("choose an audience: reasons, birthdays or customers")
	}
	a.Count = len(a.IDs)
	return a, nil
}

// knownCampaign says whether c is a queue campaign code.
func knownCampaign(c string) bool {
	for _, k := range campaignCodes {
		if k == c {
			return true
		}
	}
	return false
}

// maxPasted bounds how many ids and phones one paste may hold.
const maxPasted = 20000

// parseCustomerList reads pasted customer ids and phones: a token of up to 6 digits is a
// customer id, anything else a phone (normalised as the importer does).
func parseCustomerList(s string) (ids []int64, phones []string, err error) {
	var bad []string
	n := 0
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("\n\r,，;；、", r) }) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		// A phone written with spaces ("139 0000 0001") is one phone.
		if p, perr := phone.Normalize(line); perr == nil && len(p) >= 7 {
			phones = append(phones, p)
			n++
			continue
		}
		for _, tok := range strings.Fields(line) {
			n++
			if len(tok) <= 6 && isDigits(tok) {
				id, _ := strconv.ParseInt(tok, 10, 64)
				if id <= 0 {
					bad = append(bad, tok)
					continue
				}
				ids = append(ids, id)
				continue
			}
			p, perr := phone.Normalize(tok)
			if perr != nil {
				bad = append(bad, fmt.Sprintf("%s (%v)", tok, perr))
				continue
			}
			phones = append(phones, p)
		}
	}
	if n > maxPasted {
		return nil, nil, badCampaign("paste at most %d customers, got %d", maxPasted, n)
	}
	if len(bad) > 0 {
		if len(bad) > 5 {
			bad = append(bad[:5], fmt.Sprintf("and %d more", len(bad)-5))
		}
		return nil, nil, badCampaign("not a customer id or a phone: %s", strings.Join(bad, "; "))
	}
	return ids, phones, nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// queueDay is the dealer's calendar day at 00:00 UTC, as the queue keeps days.
func queueDay(local time.Time) time.Time {
	return time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
}

// startSMSCampaign validates the SMS form and starts the campaign.
func (h *handler) startSMSCampaign(r *http.Request, f campaignForm) (*campaignResult, error) {
	u := userFrom(r)
	ctx := r.Context()
	existing, err := h.checkCampaignCode(ctx, u.DealerID, f.Code, "sms")
	if err != nil {
		return nil, err
	}
	if f.Template == "" {
		return nil, badCampaign("choose a template")
	}
	tmpl, err := notify.LoadSMSTemplate(ctx, h.deps.DB, u.DealerID, f.Template)
	if err != nil {
		return nil, badCampaign("template %q: %v", f.Template, err)
	}
	if existing != nil && existing.Template != tmpl.Code {
		return nil, badCampaign("campaign %q was started with template %s; start it again with that template or choose another code", f.Code, existing.Template)
	}
	now := h.deps.Now()
	var sendAt time.Time
	if f.SendAt != "" {
		sendAt, err = time.ParseInLocation("2006-01-02T15:04", f.SendAt, u.location())
		if err != nil {
			return nil, badCampaign("send time %q: want YYYY-MM-DDTHH:MM", f.SendAt)
		}
		if !sendAt.After(now) {
			return nil, badCampaign("send time %s is past; leave it empty to send now", f.SendAt)
		}
		if sendAt.After(now.AddDate(0, 0, 60)) {
			return nil, badCampaign("send time %s is more than 60 days ahead", f.SendAt)
		}
	}
	day := queueDay(h.today(u))
	aud, err := h.resolveAudience(ctx, u.DealerID, day, f)
	if err != nil {
		return nil, err
	}
	if f.Preview {
		out := &campaignResult{Code: f.Code, Preview: true, Audience: aud.Count, Unknown: aud.Unknown}
		d, err := h.q().GetDealerSMS(ctx, u.DealerID)
		if err != nil {
			return nil, fmt.Errorf("director: sms preview: %w", err)
		}
		vars := map[string]string{"dealer": d.Name}
		for k, v := range smsSample {
			vars[k] = v
		}
		if text, err := notify.RenderSMS(tmpl.Body, tmpl.Kind, d.Signature, vars); err == nil {
			out.Sample = text
		}
		return out, nil
	}
	var sa notify.SMSAudience
	switch f.Audience {
	case "reasons":
		sa.Reasons = f.Reasons
	case "birthdays":
		sa.Birthdays = true
	default:
		sa.CustomerIDs = aud.IDs
	}
	res, err := notify.StartSMSBroadcast(ctx, h.deps.DB, notify.SMSBroadcastParams{DealerID: u.DealerID, Code: f.Code, Template: tmpl.Code,
		Audience: sa, Day: day, SendAt: sendAt, Now: now, CreatedBy: u.ID})
	if err != nil {
		return nil, fmt.Errorf("director: start sms campaign: %w", err)
	}
	out := &campaignResult{Code: f.Code, Queued: res.Queued, Held: res.Held, Suppressed: res.Suppressed, Existing: res.Existing,
		Skipped: res.Skipped, Errors: res.Errors, Unknown: aud.Unknown}
	detail, _ := json.Marshal(map[string]any{"code": f.Code, "template": tmpl.Code, "audience": f.Audience, "reasons": f.Reasons,
		"customers": aud.Count, "unknown": aud.Unknown, "send_at": f.SendAt, "queued": res.Queued, "held": res.Held,
		"suppressed": res.Suppressed, "existing": res.Existing, "skipped": res.Skipped})
	err = store.New(h.deps.DB).InsertAudit(ctx, store.InsertAuditParams{DealerID: &u.DealerID, UserID: &u.ID, Action: "sms_campaign.start",
		SubjectType: "sms_campaign", SubjectID: &res.CampaignID, Detail: detail})
	if err != nil {
		return nil, fmt.Errorf("director: audit sms campaign: %w", err)
	}
	return out, nil
}

// promptFile is where a campaign's prompt is written: <PromptsDir>/<dealer id>/<code>.wav.
func (h *handler) promptFile(dealerID int64, code string) string {
	name := strings.NewReplacer(":", "_", "/", "_").Replace(code) + ".wav"
	return filepath.Join(h.cfg.PromptsDir, strconv.FormatInt(dealerID, 10), name)
}

// startCallCampaign validates the message-call form, renders the prompt (unless the
// campaign exists: its prompt is kept) and adds the targets.
func (h *handler) startCallCampaign(r *http.Request, f campaignForm) (*campaignResult, error) {
	u := userFrom(r)
	ctx := r.Context()
	if h.deps.RenderPrompt == nil || h.cfg.PromptsDir == "" {
		return nil, &promptError{errors.New("this console has no prompt renderer or prompts directory; message-call campaigns are started with huifang campaign calls")}
	}
	existing, err := h.checkCampaignCode(ctx, u.DealerID, f.Code, "message_call")
	if err != nil {
		return nil, err
	}
	if existing == nil && f.Prompt == "" {
		return nil, badCampaign("write the prompt the customers hear")
	}
	if n := len([]rune(f.Prompt)); n > maxPromptChars {
		return nil, badCampaign("the prompt has %d characters; at most %d", n, maxPromptChars)
	}
	aud, err := h.resolveAudience(ctx, u.DealerID, queueDay(h.today(u)), f)
	if err != nil {
		return nil, err
	}
	if f.Preview {
		return &campaignResult{Code: f.Code, Calls: true, Preview: true, Audience: aud.Count, Unknown: aud.Unknown, Sample: f.Prompt,
			PromptKept: existing != nil}, nil
	}
	path, kept := h.promptFile(u.DealerID, f.Code), existing != nil
	if kept {
		path = existing.PromptPath
	} else {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, &promptError{fmt.Errorf("prompts directory: %w", err)}
		}
		if err := h.deps.RenderPrompt(ctx, f.Prompt, path); err != nil {
			_ = os.Remove(path)
			return nil, &promptError{err}
		}
	}
	res, err := notify.StartMessageCallBroadcast(ctx, h.deps.DB, notify.MessageCallBroadcastParams{DealerID: u.DealerID, Code: f.Code,
		PromptPath: path, CustomerIDs: aud.IDs, CreatedBy: u.ID})
	if err != nil {
		if !kept {
			_ = os.Remove(path)
		}
		return nil, fmt.Errorf("director: start message-call campaign: %w", err)
	}
	detail, _ := json.Marshal(map[string]any{"code": f.Code, "prompt": f.Prompt, "prompt_path": path, "prompt_kept": kept,
		"audience": f.Audience, "reasons": f.Reasons, "customers": aud.Count, "unknown": aud.Unknown,
		"added": res.Added, "suppressed": res.Suppressed})
	err = store.New(h.deps.DB).InsertAudit(ctx, store.InsertAuditParams{DealerID: &u.DealerID, UserID: &u.ID, Action: "message_call_campaign.start",
		SubjectType: "sms_campaign", SubjectID: &res.CampaignID, Detail: detail})
	if err != nil {
		return nil, fmt.Errorf("director: audit message-call campaign: %w", err)
	}
	return &campaignResult{Code: f.Code, Calls: true, Added: res.Added, Suppressed: res.Suppressed,
		Existing: aud.Count - res.Added - res.Suppressed, PromptKept: kept, Unknown: aud.Unknown}, nil
}
