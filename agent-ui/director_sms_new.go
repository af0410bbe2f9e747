package agentui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/store"
)

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
	for _, t := range notify.DefaultSMSTemplates() {
		byCode[t.Code] = smsTemplateLine{SMSTemplate: t}
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
	var fe *notify.FieldError
	switch {
	case errors.As(err, &fe):
		h.smsNewPage(w, r, http.StatusBadRequest, fe.Msg, f, nil)
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

// audienceInput is the form's audience as notify takes it.
func (f campaignForm) audienceInput() notify.AudienceInput {
	return notify.AudienceInput{Kind: f.Audience, Reasons: f.Reasons, Customers: f.Customers}
}

// queueDay is the dealer's calendar day at 00:00 UTC, as the queue keeps days.
func queueDay(local time.Time) time.Time {
	return time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
}

// startSMSCampaign reads the SMS form's send time and hands the rest to notify: the
// preview runs the checks and the audience of the start (CheckSMSBroadcast,
// ResolveAudience) and stores nothing; the start is StartSMSBroadcast, audited there.
func (h *handler) startSMSCampaign(r *http.Request, f campaignForm) (*campaignResult, error) {
	u := userFrom(r)
	ctx := r.Context()
	now := h.deps.Now()
	var sendAt time.Time
	if f.SendAt != "" {
		var err error
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
	p := notify.SMSBroadcastParams{DealerID: u.DealerID, Code: f.Code, Template: f.Template, Day: day, SendAt: sendAt, Now: now, CreatedBy: u.ID}
	tmpl, err := notify.CheckSMSBroadcast(ctx, h.deps.DB, p)
	if err != nil {
		return nil, err
	}
	aud, err := notify.ResolveAudience(ctx, h.deps.DB, u.DealerID, day, f.audienceInput())
	if err != nil {
		return nil, err
	}
	if f.Preview {
		out := &campaignResult{Code: f.Code, Preview: true, Audience: len(aud.CustomerIDs), Unknown: aud.Unknown}
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
	p.Audience = aud.SMS
	res, err := notify.StartSMSBroadcast(ctx, h.deps.DB, p)
	if err != nil {
		return nil, err
	}
	return &campaignResult{Code: f.Code, Queued: res.Queued, Held: res.Held, Suppressed: res.Suppressed, Existing: res.Existing,
		Skipped: res.Skipped, Errors: res.Errors, Unknown: aud.Unknown}, nil
}

// promptFile is where a campaign's prompt is written: <PromptsDir>/<dealer id>/<code>.wav.
func (h *handler) promptFile(dealerID int64, code string) string {
	name := strings.NewReplacer(":", "_", "/", "_").Replace(code) + ".wav"
	return filepath.Join(h.cfg.PromptsDir, strconv.FormatInt(dealerID, 10), name)
}

// startCallCampaign validates the message-call form, renders the prompt (unless the
// broadcast exists: its prompt is kept) and adds the targets (notify's checks and
// audience, as the preview; audited by StartMessageCallBroadcast).
func (h *handler) startCallCampaign(r *http.Request, f campaignForm) (*campaignResult, error) {
	u := userFrom(r)
	ctx := r.Context()
	if h.deps.RenderPrompt == nil || h.cfg.PromptsDir == "" {
		return nil, &promptError{errors.New("this console has no prompt renderer or prompts directory; message-call broadcasts are started with huifang broadcast calls")}
	}
	existing, err := notify.CheckBroadcastCode(ctx, h.deps.DB, u.DealerID, f.Code, notify.ChannelMessageCall)
	if err != nil {
		return nil, err
	}
	if existing == nil && f.Prompt == "" {
		return nil, badCampaign("write the prompt the customers hear")
	}
	if n := len([]rune(f.Prompt)); n > maxPromptChars {
		return nil, badCampaign("the prompt has %d characters; at most %d", n, maxPromptChars)
	}
	aud, err := notify.ResolveAudience(ctx, h.deps.DB, u.DealerID, queueDay(h.today(u)), f.audienceInput())
	if err != nil {
		return nil, err
	}
	if f.Preview {
		return &campaignResult{Code: f.Code, Calls: true, Preview: true, Audience: len(aud.CustomerIDs), Unknown: aud.Unknown, Sample: f.Prompt,
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
		PromptPath: path, CustomerIDs: aud.CustomerIDs, CreatedBy: u.ID, PromptText: f.Prompt, Audience: aud})
	if err != nil {
		if !kept {
			_ = os.Remove(path)
		}
		return nil, err
	}
	return &campaignResult{Code: f.Code, Calls: true, Added: res.Added, Suppressed: res.Suppressed,
		Existing: len(aud.CustomerIDs) - res.Added - res.Suppressed, PromptKept: kept, Unknown: aud.Unknown}, nil
}
