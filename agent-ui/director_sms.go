package agentui

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/huifang/huifang/queue/notify"
)

// smsTables are the director's campaign figures since a day, as the page and the xlsx
// export show them: SMS per campaign and template, and message-call campaigns.
func (h *handler) smsTables(r *http.Request) (sms, calls *table, since string, err error) {
	u := userFrom(r)
	lang := langFrom(r)
	from, err := parseDay(r.FormValue("since"), u.location(), h.today(u).AddDate(0, 0, -30))
	if err != nil {
		return nil, nil, "", err
	}
	st, err := notify.LoadBroadcastStats(r.Context(), h.deps.DB, u.DealerID, from)
	if err != nil {
		return nil, nil, "", fmt.Errorf("director sms: %w", err)
	}
	since = from.Format(dayLayout)
	sms = &table{Title: dword(lang, "nav_sms") + " · " + dword(lang, "since") + " " + since,
		Head: []string{dword(lang, "broadcast"), dword(lang, "template"), dword(lang, "total_n"), dword(lang, "sent"), dword(lang, "delivered"),
			dword(lang, "failed"), dword(lang, "suppressed"), dword(lang, "waiting"), dword(lang, "replied"), dword(lang, "opted_out")}}
	for _, s := range st.SMS {
		c := s.Broadcast
		if c == "" {
			c = dword(lang, "automatic")
		}
		sms.add(txt(c), txt(s.Template), num(s.Total), num(s.Sent), num(s.Delivered), num(s.Failed), num(s.Suppressed), num(s.Pending), num(s.Replied), num(s.OptedOut))
	}
	calls = &table{Title: dword(lang, "message_calls") + " · " + dword(lang, "since") + " " + since,
		Head: []string{dword(lang, "broadcast"), dword(lang, "total_n"), dword(lang, "answered"), dword(lang, "key") + " 1", dword(lang, "key") + " 2",
			dword(lang, "key") + " 9", dword(lang, "unreachable"), dword(lang, "waiting")}}
	for _, c := range st.Calls {
		calls.add(txt(c.Broadcast), num(c.Total), num(c.Answered), num(c.Key1), num(c.Key2), num(c.Key9), num(c.Unreachable), num(c.Pending))
	}
	return sms, calls, since, nil
}

// directorSMS shows the automated SMS and message-call campaigns of the director's
// dealer since a day (since=YYYY-MM-DD, 30 days back by default); format=xlsx exports the
// SMS figures, and with part=calls the message-call figures.
func (h *handler) directorSMS(w http.ResponseWriter, r *http.Request) {
	sms, calls, since, err := h.smsTables(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if wantsXLSX(r) {
		if r.FormValue("part") == "calls" {
			h.writeXLSX(w, r, calls, "message_calls_since_"+strings.ReplaceAll(since, "-", ""))
			return
		}
		h.writeXLSX(w, r, sms, "sms_since_"+strings.ReplaceAll(since, "-", ""))
		return
	}
	uncertain, lines, err := h.smsUncertain(r)
	if err != nil {
		h.fail(w, r, fmt.Errorf("director sms: uncertain: %w", err))
		return
	}
	q := r.URL.Query()
	q.Set("format", "xlsx")
	q.Del("part")
	q.Del("decided")
	smsX := r.URL.Path + "?" + q.Encode()
	q.Set("part", "calls")
	h.renderDirector(w, r, "director_sms.html", map[string]any{"SMS": sms, "Calls": calls, "Since": since,
		"SMSXLSX": smsX, "CallsXLSX": r.URL.Path + "?" + q.Encode(),
		"Uncertain": uncertain, "UncertainLines": lines, "Decided": r.FormValue("decided")})
}

// smsTemplateLine is one template on the templates page.
type smsTemplateLine struct {
	notify.SMSTemplate
	// Own marks the dealer's saved template (otherwise a built-in default).
	Own bool
	// Chars and Parts are the length of a sample message and the SMS it is sent in.
	Chars, Parts int
}

// smsSample are the values a template's sample message is rendered with.
var smsSample = map[string]string{"customer": "王先生", "name": "王", "title": "先生", "plate": "粤A12345", "model": "轩逸",
	"due_day": "12月1日", "date": "2026年11月23日"}

// directorSMSTemplates lists the dealer's SMS templates (the defaults and the dealer's
// own), signature and quiet hours of marketing SMS, with forms to save each.
func (h *handler) directorSMSTemplates(w http.ResponseWriter, r *http.Request) {
	h.smsTemplatesPage(w, r, http.StatusOK, "", nil)
}

// smsTemplatesPage renders the templates page; form, when set, refills the template form
// (after a refused save, shown with msg).
func (h *handler) smsTemplatesPage(w http.ResponseWriter, r *http.Request, status int, msg string, form *notify.SMSTemplate) {
	u := userFrom(r)
	ctx := r.Context()
	q := h.q()
	d, err := q.GetDealerSMS(ctx, u.DealerID)
	if err != nil {
		h.fail(w, r, fmt.Errorf("director sms templates: %w", err))
		return
	}
	lines, err := h.smsTemplateSamples(ctx, u.DealerID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if form == nil {
		form = &notify.SMSTemplate{Kind: "marketing"}
		for _, l := range lines {
			if l.Code == r.FormValue("code") {
				t := l.SMSTemplate
				form = &t
			}
		}
	}
	// The quiet hours shown are the dealer's, or what was just refused.
	quiet := notify.StoredQuietHours(d.QuietStart, d.QuietEnd)
	quietStart, quietEnd := quiet.StartText(), quiet.EndText()
	if status != http.StatusOK && r.PostForm.Get("what") == "quiet" {
		quietStart, quietEnd = r.PostForm.Get("quiet_start"), r.PostForm.Get("quiet_end")
	}
	if status != http.StatusOK {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
	}
	h.renderDirector(w, r, "director_sms_templates.html", map[string]any{"Templates": lines, "Signature": d.Signature,
		"QuietStart": quietStart, "QuietEnd": quietEnd, "QuietDefault": notify.DefaultQuietHours().String(),
		"Form": form, "Error": msg, "Saved": r.FormValue("saved") != "", "Vars": "{" + strings.Join(notify.TemplateVars(), "} {") + "}"})
}

// directorSMSTemplatesSave saves a template (code, kind, title, body, provider_code: its
// id at the cloud SMS provider; notify.SaveSMSTemplate, as the CLI's sms template), the
// signature (notify.SaveSMSSignature) (what=signature), or the quiet hours of marketing
// SMS (what=quiet: quiet_start and quiet_end as HH:MM, only wider than 21:00-08:00,
// notify.ParseQuietHours); each save is audited. Bad input shows the page again with the
// error and saves nothing.
func (h *handler) directorSMSTemplatesSave(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	ctx := r.Context()
	if r.PostForm.Get("what") == "quiet" {
		start, end := r.PostForm.Get("quiet_start"), r.PostForm.Get("quiet_end")
		if err := notify.ValidateQuietHours(start, end); err != nil {
			h.smsTemplatesPage(w, r, http.StatusBadRequest, err.Error(), nil)
			return
		}
		if err := notify.SaveQuietHours(ctx, h.deps.DB, u.DealerID, start, end, u.ID); err != nil {
			h.fail(w, r, fmt.Errorf("director: save sms quiet hours: %w", err))
			return
		}
		http.Redirect(w, r, "/director/sms/templates?saved=1", http.StatusSeeOther)
		return
	}
	if r.PostForm.Get("what") == "signature" {
		_, err := notify.SaveSMSSignature(ctx, h.deps.DB, u.DealerID, r.PostForm.Get("signature"), u.ID)
		var fe *notify.FieldError
		if errors.As(err, &fe) {
			h.smsTemplatesPage(w, r, http.StatusBadRequest, fe.Msg, nil)
			return
		}
		if err != nil {
			h.fail(w, r, fmt.Errorf("director: save sms signature: %w", err))
			return
		}
		http.Redirect(w, r, "/director/sms/templates?saved=1", http.StatusSeeOther)
		return
	}
	t := notify.SMSTemplate{Code: strings.TrimSpace(r.PostForm.Get("code")), Kind: r.PostForm.Get("kind"),
		Title: strings.TrimSpace(r.PostForm.Get("title")), Body: strings.TrimSpace(r.PostForm.Get("body")),
		ProviderCode: strings.TrimSpace(r.PostForm.Get("provider_code"))}
	err := notify.SaveSMSTemplate(ctx, h.deps.DB, u.DealerID, t, u.ID)
	var fe *notify.FieldError
	if errors.As(err, &fe) {
		h.smsTemplatesPage(w, r, http.StatusBadRequest, fe.Msg, &t)
		return
	}
	if err != nil {
		h.fail(w, r, fmt.Errorf("director: save sms template: %w", err))
		return
	}
	http.Redirect(w, r, "/director/sms/templates?saved=1&code="+urlQuery(t.Code), http.StatusSeeOther)
}

// consentLine is one consent change as the consent page shows it.
type consentLine struct {
	At, State, Source, Detail string
}

// directorSMSConsent shows a phone's marketing-SMS consent at the dealer (phone=...) with
// its history, and the form to record an opt-in or an opt-out.
func (h *handler) directorSMSConsent(w http.ResponseWriter, r *http.Request) {
	h.consentPage(w, r, http.StatusOK, "")
}

func (h *handler) consentPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	u := userFrom(r)
	phone := strings.TrimSpace(r.FormValue("phone"))
	var lines []consentLine
	if phone != "" {
		hist, err := notify.SMSConsentHistory(r.Context(), h.deps.DB, u.DealerID, phone)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, c := range hist {
			lines = append(lines, consentLine{At: c.At.In(u.location()).Format("2006-01-02 15:04"), State: c.State, Source: c.Source, Detail: c.Detail})
		}
	}
	detail := ""
	if status != http.StatusOK {
		detail = r.PostForm.Get("detail")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
	}
	h.renderDirector(w, r, "director_sms_consent.html", map[string]any{"Phone": phone, "History": lines, "Detail": detail,
		"Error": msg, "Saved": r.FormValue("saved") != ""})
}

// directorSMSConsentSave records an opt-in or opt-out (state) for a phone with the
// customer's reason (detail), as the director (source director, audited); an opt-out
// suppresses the number's queued marketing SMS. Bad input shows the page with the error.
func (h *handler) directorSMSConsentSave(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	phone := strings.TrimSpace(r.PostForm.Get("phone"))
	_, err := notify.SetSMSConsent(r.Context(), h.deps.DB, notify.ConsentParams{DealerID: u.DealerID, Phone: phone,
		State: r.PostForm.Get("state"), Source: "director", Detail: r.PostForm.Get("detail"), UserID: u.ID})
	if errors.Is(err, notify.ErrConsentInput) {
		h.consentPage(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/director/sms/consent?saved=1&phone="+urlQuery(phone), http.StatusSeeOther)
}
