package agentui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/scripts"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/telephony/media"
)

// customPlans runs queries as unnamed prepared statements, so Postgres plans each one
// with its actual parameters: the record search's NULL filters fold away and the planner
// picks the index that fits the filters given (a cached generic plan cannot).
type customPlans struct{ db store.DBTX }

func (c customPlans) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return c.db.Exec(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
}

func (c customPlans) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return c.db.Query(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
}

func (c customPlans) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return c.db.QueryRow(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
}

// callsPageSize is how many records a page of the search shows; exports take up to
// callsExportMax.
const (
	callsPageSize  = 50
	callsExportMax = 20000
)

// callFilter is the record search's form, parsed.
type callFilter struct {
	store.DirectorListCallsParams
	Range dayRange
	// Customer is the customer's name or phone searched for (nil for any).
	Customer *string
}

// parseCallFilter reads the search form; the cursor is "before" = <unix nanos>_<id>.
func (h *handler) parseCallFilter(r *http.Request) (callFilter, error) {
	u := userFrom(r)
	rg, err := h.parseRange(r, 7)
	if err != nil {
		return callFilter{}, err
	}
	f := callFilter{Range: rg}
	p := &f.DirectorListCallsParams
	p.DealerID = &u.DealerID
	p.FromAt, p.ToAt = rg.fromAt(), rg.toAt()
	p.CursorAt, p.CursorID = p.ToAt, 1<<62
	if v := r.FormValue("before"); v != "" {
		var ns, id int64
		if _, err := fmt.Sscanf(v, "%d_%d", &ns, &id); err != nil {
			return f, errUser(http.StatusBadRequest, "翻页参数有误，请从第一页重新查询", "bad page cursor")
		}
		p.CursorAt, p.CursorID = time.Unix(0, ns), id
	}
	if p.AgentID, err = formInt(r, "agent"); err != nil {
		return f, err
	}
	st, err := formInt(r, "sip_status")
	if err != nil {
		return f, err
	}
	if st != nil {
		v := int32(*st)
		p.SipStatus = &v
	}
	ms, err := formInt(r, "min_secs")
	if err != nil {
		return f, err
	}
	if ms != nil && *ms > 0 {
		v := int32(min(*ms, 86400))
		p.MinSecs = &v
	}
	p.Campaign, p.Outcome, f.Customer = formText(r, "campaign"), formText(r, "outcome"), formText(r, "customer")
	if r.FormValue("quality") == "poor" {
		p.BelowMos = pgtype.Float4{Float32: media.PoorMOS, Valid: true}
	}
	p.MaxRows = callsPageSize + 1
	return f, nil
}

// listCalls runs the record search with custom plans, finding the customer first.
func (h *handler) listCalls(ctx context.Context, f callFilter) ([]store.DirectorListCallsRow, error) {
	return searchCalls(ctx, h.deps.DB, f.DirectorListCallsParams, f.Customer)
}

// searchCalls finds the customers named or numbered customer (when not nil), then runs
// the record search with custom plans.
func searchCalls(ctx context.Context, db store.DBTX, p store.DirectorListCallsParams, customer *string) ([]store.DirectorListCallsRow, error) {
	q := store.New(customPlans{db})
	p.OutcomeUntil = p.ToAt.Add(24 * time.Hour)
	if customer != nil {
		ids, err := q.DirectorFindCustomers(ctx, store.DirectorFindCustomersParams{DealerID: *p.DealerID, Q: *customer})
		if err != nil {
			return nil, fmt.Errorf("director: find customers: %w", err)
		}
		p.CustomerIds = append([]int64{}, ids...)
	}
	rows, err := q.DirectorListCalls(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("director: list calls: %w", err)
	}
	return rows, nil
}

// listSkips finds the skips (tasks given back without a call) the record search shows
// next to the calls: none when a filter only calls have is set (SIP status, talk time,
// an outcome other than notCalled).
func (h *handler) listSkips(ctx context.Context, f callFilter) ([]store.DirectorListSkipsRow, error) {
	p := f.DirectorListCallsParams
	if p.SipStatus != nil || p.MinSecs != nil || p.BelowMos.Valid || (p.Outcome != nil && *p.Outcome != notCalled) {
		return nil, nil
	}
	q := store.New(customPlans{h.deps.DB})
	sp := store.DirectorListSkipsParams{DealerID: *p.DealerID, FromAt: p.FromAt, ToAt: p.ToAt, CursorAt: p.CursorAt,
		CursorID: p.CursorID, AgentID: p.AgentID, Campaign: p.Campaign, MaxRows: p.MaxRows}
	if f.Customer != nil {
		ids, err := q.DirectorFindCustomers(ctx, store.DirectorFindCustomersParams{DealerID: *p.DealerID, Q: *f.Customer})
		if err != nil {
			return nil, fmt.Errorf("director: find customers: %w", err)
		}
		sp.CustomerIds = append([]int64{}, ids...)
	}
	rows, err := q.DirectorListSkips(ctx, sp)
	if err != nil {
		return nil, fmt.Errorf("director: list skips: %w", err)
	}
	return rows, nil
}

// notCalled is the outcome filter's value for skips: tasks given back without a call.
const notCalled = "not_called"

// callRecord is one line of the call records: a call, or a skip. key orders lines of the
// same instant and is the page cursor's id: a call's id, a skip's id negated.
type callRecord struct {
	at   time.Time
	key  int64
	call *store.DirectorListCallsRow
	skip *store.DirectorListSkipsRow
}

// mergeRecords puts calls and skips in one list, newest first.
func mergeRecords(calls []store.DirectorListCallsRow, skips []store.DirectorListSkipsRow) []callRecord {
	out := make([]callRecord, 0, len(calls)+len(skips))
	for i := range calls {
		out = append(out, callRecord{at: calls[i].InviteAt, key: calls[i].ID, call: &calls[i]})
	}
	for i := range skips {
		out = append(out, callRecord{at: skips[i].CreatedAt, key: -skips[i].ID, skip: &skips[i]})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].at.Equal(out[j].at) {
			return out[i].at.After(out[j].at)
		}
		return out[i].key > out[j].key
	})
	return out
}

// talkSecs is a call's talk time in seconds (0 when not answered).
func talkSecs(answer, end *time.Time) int64 {
	if answer == nil || end == nil || end.Before(*answer) {
		return 0
	}
	return int64(end.Sub(*answer).Seconds())
}

// directorCalls is the call-record search with its filters, a page at a time, or the
// whole result (up to callsExportMax) as xlsx.
func (h *handler) directorCalls(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	lang := langFrom(r)
	f, err := h.parseCallFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if wantsXLSX(r) {
		f.MaxRows = callsExportMax
	}
	f.WithUncalled = true
	calls, err := h.listCalls(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	skips, err := h.listSkips(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rows := mergeRecords(calls, skips)
	if len(rows) > int(f.MaxRows) {
		rows = rows[:f.MaxRows]
	}
	labels, err := h.outcomeLabels(r.Context(), u.DealerID, lang)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	next := ""
	if !wantsXLSX(r) && len(rows) > callsPageSize {
		rows = rows[:callsPageSize]
		last := rows[len(rows)-1]
		q := r.URL.Query()
		q.Set("before", fmt.Sprintf("%d_%d", last.at.UnixNano(), last.key))
		next = "/director/calls?" + q.Encode()
	}
	loc := u.location()
	tb := &table{Title: dword(lang, "nav_calls"), Head: []string{dword(lang, "time"), dword(lang, "agent"), dword(lang, "customer"),
		dword(lang, "campaign"), dword(lang, "outcome"), dword(lang, "appointment"), dword(lang, "complaint"), dword(lang, "answers"),
		dword(lang, "notes"), dword(lang, "script"), dword(lang, "sip_status"), dword(lang, "talk"), dword(lang, "recording"), dword(lang, "check")}}
	questions := h.questionTexts(r.Context(), u.DealerID)
	for _, rec := range rows {
		if sk := rec.skip; sk != nil {
			// A task given back without a call (call_skips), with the agent's reason.
			camps := ""
			for i, c := range sk.Campaigns {
				if i > 0 {
					camps += " "
				}
				camps += campaignName(r, c)
			}
			tb.add(txt(sk.CreatedAt.In(loc).Format("2006-01-02 15:04:05")), txt(sk.AgentName), txt(sk.CustomerName+sk.CustomerTitle),
				txt(camps), txt(t(lang, "outcome.not_called")+"："+t(lang, "sr."+sk.Reason)), txt(""), txt(""), txt(""), txt(""), txt(""),
				txt(dword(lang, "no_call")), txt(""), txt(""), txt(""))
			continue
		}
		x := rec.call
		camps := ""
		for i, c := range x.Campaigns {
			if i > 0 {
				camps += " "
			}
			camps += campaignName(r, c)
		}
		rec := ""
		if x.RecordingPath != "" {
			rec = "✓"
		} else if x.RecordingPurgedAt != nil {
			rec = dword(lang, "purged")
		}
		chk := ""
		if x.CheckStatus != "" {
			chk = dword(lang, x.CheckStatus)
		}
		at := x.InviteAt.In(loc).Format("2006-01-02 15:04:05")
		first, sip, talk := link(at, fmt.Sprintf("/director/calls/%d", x.ID)), num(int64(x.SipStatus)), num(talkSecs(x.AnswerAt, x.EndAt))
		if x.ID < 0 {
			// An outcome saved without a call (a skip): no call page, no SIP status or talk.
			first, sip, talk, rec = txt(at), txt(dword(lang, "no_call")), txt(""), ""
		}
		appt := ""
		if x.AppointmentAt != nil {
			appt = x.AppointmentAt.In(loc).Format("2006-01-02 15:04")
		}
		cat := ""
		if x.ComplaintCategory != "" {
			cat = t(lang, "cc."+x.ComplaintCategory)
		}
		tb.add(first, txt(x.AgentName), txt(x.CustomerName+x.CustomerTitle), txt(camps), txt(labels[x.Code]), txt(appt), txt(cat),
			txt(answersText(lang, x.Answers, questions(x.ScriptVersion))), txt(x.Notes), txt(versionWords(lang, x.ScriptVersion)), sip, talk, txt(rec), txt(chk))
	}
	if wantsXLSX(r) {
		h.writeXLSX(w, r, tb, "calls_"+f.Range.From.Format("20060102")+"_"+f.Range.To.Format("20060102"))
		return
	}
	agents, err := h.q().DirectorAgents(r.Context(), u.DealerID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	codes, err := h.q().DirectorOutcomeCodes(r.Context(), &u.DealerID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sort.Slice(codes, func(i, j int) bool { return codes[i].Sort < codes[j].Sort })
	type opt struct{ Value, Label string }
	var outcomes []opt
	for _, c := range codes {
		outcomes = append(outcomes, opt{c.Code, labels[c.Code]})
	}
	outcomes = append(outcomes, opt{notCalled, t(lang, "outcome.not_called")})
	var camps []opt
	for _, c := range campaignCodes {
		camps = append(camps, opt{c, campaignName(r, c)})
	}
	h.renderDirector(w, r, "director_calls.html", map[string]any{
		"Table": tb, "Next": next, "XLSX": xlsxURL(r), "Agents": agents, "Outcomes": outcomes, "Campaigns": camps,
		"F": r.URL.Query(), "From": f.Range.From.Format(dayLayout), "To": f.Range.To.Format(dayLayout),
	})
}

// questionTexts returns a lookup of the question texts of a script version
// ("campaign@N", or parts joined by "+"), by question id, cached for one request.
func (h *handler) questionTexts(ctx context.Context, dealerID int64) func(version string) map[string]string {
	cache := map[string]map[string]string{}
	return func(version string) map[string]string {
		if m, ok := cache[version]; ok {
			return m
		}
		m := map[string]string{}
		for _, part := range strings.Split(version, "+") {
			s, err := h.deps.Scripts.Version(ctx, dealerID, part)
			if err != nil {
				continue // an unknown version: the answers show their ids
			}
			for _, q := range s.Questions {
				if _, ok := m[q.ID]; !ok {
					m[q.ID] = q.Text
				}
			}
		}
		// An answer to a question this version does not have (an imported outcome, a
		// script edited since) is named by the built-in script that asks it.
		for id, text := range h.builtinQuestions {
			if _, ok := m[id]; !ok {
				m[id] = text
			}
		}
		cache[version] = m
		return m
	}
}

// callResultWords is what the gateway reported of a call (answered, busy, ...) in words;
// an unknown result is shown as stored.
func callResultWords(lang, result string) string {
	if w := t(lang, "cr."+result); w != "cr."+result {
		return w
	}
	return result
}

// builtinQuestions maps each question id of the built-in scripts to its text, the first
// campaign in priority order that asks it winning.
func builtinQuestions() map[string]string {
	m := map[string]string{}
	for _, c := range queue.Campaigns() {
		s, err := scripts.Builtin(c)
		if err != nil {
			continue // a campaign without a built-in script
		}
		for _, q := range s.Questions {
			if _, ok := m[q.ID]; !ok {
				m[q.ID] = q.Text
			}
		}
	}
	return m
}

// answersText writes an outcome's answers one a line, "question: answer", in the
// questions' order of id; the question is its text when the script version is known.
func answersText(lang string, raw json.RawMessage, questions map[string]string) string {
	var ans map[string]any
	if json.Unmarshal(raw, &ans) != nil || len(ans) == 0 {
		return ""
	}
	ids := make([]string, 0, len(ans))
	for id := range ans {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	lines := make([]string, 0, len(ids))
	for _, id := range ids {
		q := id
		if text, ok := questions[id]; ok {
			q = text
		}
		lines = append(lines, q+"："+answerValue(lang, ans[id]))
	}
	return strings.Join(lines, "\n")
}

// answerValue is one saved answer as words: a choice's label, a text, a yes/no or a number.
func answerValue(lang string, v any) string {
	switch x := v.(type) {
	case map[string]any:
		if l, ok := x["label"].(string); ok {
			return l
		}
		if t, ok := x["text"].(string); ok {
			return t
		}
	case bool:
		if x {
			return t(lang, "ans.yes")
		}
		return t(lang, "ans.no")
	case string:
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// campaignCodes are the campaigns, in the order the pages list them.
var campaignCodes = []string{"complaint", "same_day_visit", "recall", "lost_prospect", "key_prospect", "first_maintenance", "no_show",
	"delivery_3day", "care_15day", "post_service", "sales_followup", "maintenance", "warranty", "insurance", "inspection",
	"due_not_come", "lapsed_3m", "lapsed_6m", "lapsed_12m", "lapsed_24m", "base_care", "birthday", "prospect_followup"}

// outcomeLabels maps the dealer's outcome codes to their names in lang.
func (h *handler) outcomeLabels(ctx context.Context, dealerID int64, lang string) (map[string]string, error) {
	codes, err := h.q().DirectorOutcomeCodes(ctx, &dealerID)
	if err != nil {
		return nil, fmt.Errorf("director: outcome codes: %w", err)
	}
	out := map[string]string{"": ""}
	for _, c := range codes {
		out[c.Code] = c.LabelZh
		if lang == langEN {
			out[c.Code] = c.LabelEn
		}
	}
	return out, nil
}

// getCall loads one call record of the user's dealer (not found for another dealer's).
func (h *handler) getCall(r *http.Request) (store.DirectorGetCallRow, error) {
	id, err := pathID(r)
	if err != nil {
		return store.DirectorGetCallRow{}, err
	}
	u := userFrom(r)
	c, err := h.q().DirectorGetCall(r.Context(), store.DirectorGetCallParams{ID: id, DealerID: &u.DealerID})
	if errors.Is(err, pgx.ErrNoRows) {
		return c, errNotFound
	}
	if err != nil {
		return c, fmt.Errorf("director: get call %d: %w", id, err)
	}
	return c, nil
}

// answerLine is one saved answer of the outcome form.
type answerLine struct{ Question, Answer string }

// directorCall is one call record: the customer, the task's reasons, the saved outcome
// form with its script version, the recording, and the spot-check form.
func (h *handler) directorCall(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	lang := langFrom(r)
	ctx := r.Context()
	c, err := h.getCall(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := map[string]any{"Call": c, "Talk": talkSecs(c.AnswerAt, c.EndAt), "At": c.InviteAt.In(u.location()).Format("2006-01-02 15:04:05"),
		"CallResult": callResultWords(lang, c.Outcome)}
	var camps []string
	for _, x := range c.Campaigns {
		camps = append(camps, campaignName(r, x))
	}
	data["Campaigns"] = camps
	data["Quality"] = callQuality(lang, c)
	if c.CustomerID != nil {
		cust, err := h.q().GetDealerCustomer(ctx, store.GetDealerCustomerParams{ID: *c.CustomerID, DealerID: u.DealerID})
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			h.fail(w, r, err)
			return
		}
		if err == nil {
			data["Customer"] = cust
			if cust.Grade != nil {
				data["Grade"] = gradeName(lang, *cust.Grade)
			}
			data["Phone"] = maskPhone(cust.Phone)
		}
	}
	if c.TaskID != nil {
		reasons, err := h.q().DirectorTaskReasons(ctx, store.DirectorTaskReasonsParams{TaskID: *c.TaskID, DealerID: u.DealerID})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		data["Reasons"] = reasons
	}
	outs, err := h.q().DirectorCallOutcomes(ctx, store.DirectorCallOutcomesParams{AttemptID: &c.ID, DealerID: u.DealerID})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type form struct {
		store.DirectorCallOutcomesRow
		Label, Saved, Appointment, Callback, Version string
		Answers                                      []answerLine
	}
	var forms []form
	for _, o := range outs {
		f := form{DirectorCallOutcomesRow: o, Label: o.LabelZh, Saved: o.CreatedAt.In(u.location()).Format("2006-01-02 15:04"),
			Version: versionWords(lang, o.ScriptVersion)}
		if lang == langEN {
			f.Label = o.LabelEn
		}
		if o.AppointmentAt != nil {
			f.Appointment = o.AppointmentAt.In(u.location()).Format("2006-01-02 15:04")
		}
		if o.CallbackAt != nil {
			f.Callback = o.CallbackAt.In(u.location()).Format("2006-01-02 15:04")
		}
		var ans map[string]any
		if json.Unmarshal(o.Answers, &ans) == nil {
			keys := make([]string, 0, len(ans))
			for k := range ans {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			qs := h.questionTexts(ctx, u.DealerID)(o.ScriptVersion)
			for _, k := range keys {
				q := qs[k]
				if q == "" {
					q = k
				}
				f.Answers = append(f.Answers, answerLine{q, answerValue(lang, ans[k])})
			}
		}
		forms = append(forms, f)
	}
	data["Forms"] = forms
	rubric, err := h.rubric(ctx, u.DealerID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data["Rubric"] = rubric
	chk, err := h.q().GetSpotCheckByAttempt(ctx, store.GetSpotCheckByAttemptParams{AttemptID: c.ID, DealerID: u.DealerID})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		h.fail(w, r, err)
		return
	}
	if err == nil {
		data["Check"] = chk
		scores := map[string]int64{}
		_ = json.Unmarshal(chk.Scores, &scores)
		data["Scores"] = scores
	}
	data["Back"] = "/director/calls"
	if ref := r.Referer(); ref != "" {
		if ru, err := url.Parse(ref); err == nil && (ru.Path == "/director/calls" || ru.Path == "/director/checks") {
			data["Back"] = ru.RequestURI()
		}
	}
	data["Saved"] = r.FormValue("saved") == "1"
	data["Recording"] = "/director/recordings/" + strconv.FormatInt(c.ID, 10)
	h.renderDirector(w, r, "director_call.html", data)
}

// qualityRow is one side's audio quality on the call page.
type qualityRow struct {
	Side, Label, Packets, Lost, LossPct, Jitter, RTT, MOS string
	Poor                                                  bool
}

// callQuality lists the sides of c that sent audio, as the gateway received them.
func callQuality(lang string, c store.DirectorGetCallRow) []qualityRow {
	var rows []qualityRow
	for _, s := range []struct {
		side          string
		packets, lost *int64
		jitter, rtt   pgtype.Float4
		mos           pgtype.Float4
	}{
		{"customer", c.CustomerPackets, c.CustomerLost, c.CustomerJitterMs, c.CustomerRttMs, c.CustomerMos},
		{"agent", c.AgentPackets, c.AgentLost, c.AgentJitterMs, c.AgentRttMs, c.AgentMos},
	} {
		if s.packets == nil || !s.mos.Valid {
			continue
		}
		row := qualityRow{Side: s.side, Label: dword(lang, "q_"+s.side), Packets: fmt.Sprint(*s.packets),
			Jitter: "–", RTT: "–", MOS: fmt.Sprintf("%.2f", s.mos.Float32), Poor: s.mos.Float32 < media.PoorMOS}
		lost := int64(0)
		if s.lost != nil {
			lost = *s.lost
		}
		row.Lost = fmt.Sprint(lost)
		row.LossPct = "0%"
		if n := *s.packets + lost; n > 0 {
			row.LossPct = fmt.Sprintf("%.1f%%", 100*float64(lost)/float64(n))
		}
		if s.jitter.Valid {
			row.Jitter = fmt.Sprintf("%.1f", s.jitter.Float32)
		}
		if s.rtt.Valid {
			row.RTT = fmt.Sprintf("%.1f", s.rtt.Float32)
		}
		rows = append(rows, row)
	}
	return rows
}

// versionWords writes a script version ("recall@0+due_not_come@3") in words: each
// campaign's name and its version (内置版 for the built-in one).
func versionWords(lang, version string) string {
	if version == "" {
		return ""
	}
	var parts []string
	for _, p := range strings.Split(version, "+") {
		code, n, _ := strings.Cut(p, "@")
		v := strings.Replace(t(lang, "script.v"), "%s", n, 1)
		if n == "0" || n == "" {
			v = t(lang, "script.v_builtin")
		}
		parts = append(parts, t(lang, "c."+code)+"（"+v+"）")
	}
	return strings.Join(parts, " + ")
}
