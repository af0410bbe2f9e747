package agentui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/huifang/huifang/scripts"
	"github.com/huifang/huifang/store"
)

// The script editor is a form: each part of the script a text area, each question and
// objection answer a group of fields (q<N>_*, o<N>_*, numbered from 1, with one empty
// group to add a new one), the variables listed to insert, and a preview with a sample
// customer (script_edit.js asks /scripts/{campaign}/preview as the director types).

// questionKinds are the question kinds in the order the form offers them.
var questionKinds = []struct{ Code, Label string }{
	{scripts.KindScore, "打分（1-5 分）"}, {scripts.KindChoice, "选择（每行一个选项）"},
	{scripts.KindYesNo, "是否"}, {scripts.KindText, "文字"},
}

// scriptEditPage shows a campaign's script in force for the dealer as a form, with its
// preview and earlier versions.
func (h *handler) scriptEditPage(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	campaign := r.PathValue("campaign")
	src, _, err := h.deps.Scripts.Source(r.Context(), u.DealerID, campaign)
	if errors.Is(err, scripts.ErrUnknownCampaign) {
		h.fail(w, r, errNotFound)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s, err := scripts.DecodeStored(src)
	var ps scripts.Problems
	if errors.As(err, &ps) {
		// A stored version in an old syntax that cannot be converted: start from the
		// embedded script and say why.
		s, err = scripts.Decode(mustBuiltinSource(campaign))
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.showScriptEditor(w, r, s, ps, "", http.StatusOK)
}

func mustBuiltinSource(campaign string) []byte {
	b, _ := scripts.BuiltinSource(campaign)
	return b
}

func (h *handler) showScriptEditor(w http.ResponseWriter, r *http.Request, s *scripts.Script, problems scripts.Problems, note string, status int) {
	u := userFrom(r)
	campaign := r.PathValue("campaign")
	_, version, err := h.deps.Scripts.Source(r.Context(), u.DealerID, campaign)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	history, err := h.q().ListScriptVersions(r.Context(), store.ListScriptVersionsParams{DealerID: u.DealerID, Campaign: campaign})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type versionLine struct {
		Version int32
		At      string
		By      string
		Note    string
	}
	versions := make([]versionLine, 0, len(history))
	for _, v := range history {
		versions = append(versions, versionLine{Version: v.Version, At: v.CreatedAt.In(u.location()).Format("2006-01-02 15:04"), By: v.CreatedByName, Note: v.Note})
	}
	shared, err := scripts.SharedObjectionsFor(campaign)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	byField := map[string][]string{}
	for _, p := range problems {
		byField[p.Field] = append(byField[p.Field], p.Msg)
	}
	type questionForm struct {
		N                       int
		ID, Text, Kind, Options string
	}
	type objectionForm struct {
		N                  int
		Key, Title, Answer string
	}
	var qs []questionForm
	for i, q := range append(s.Questions, scripts.Question{Kind: scripts.KindScore}) {
		qs = append(qs, questionForm{N: i + 1, ID: q.ID, Text: q.Text, Kind: q.Kind, Options: optionsText(q.Options)})
	}
	var os []objectionForm
	for i, o := range append(s.Objections, scripts.Objection{}) {
		os = append(os, objectionForm{N: i + 1, Key: o.Key, Title: o.Title, Answer: o.Answer})
	}
	var preview *scripts.Rendered
	if checked, err := scripts.Check(campaign, s); err == nil {
		preview, _ = scripts.Render(scripts.SampleVars(), checked)
	}
	w.WriteHeader(status)
	h.render(w, r, "script_edit.html", map[string]any{"Page": "scripts", "Campaign": campaign, "S": s,
		"Questions": qs, "Objections": os, "Kinds": questionKinds, "Fields": scripts.Fields(), "Shared": shared,
		"Version": version, "History": versions, "Problems": problems, "ByField": byField, "Note": note,
		"Preview": preview, "Sample": scripts.SampleVars(), "Saved": r.URL.Query().Get("saved")})
}

// optionsText writes a choice question's options one a line, "label score".
func optionsText(opts []scripts.Option) string {
	lines := make([]string, len(opts))
	for i, o := range opts {
		lines[i] = fmt.Sprintf("%s %d", o.Label, o.Score)
	}
	return strings.Join(lines, "\n")
}

// parseOptions reads the options text: one option a line, its score the last word when
// that is a whole number (0 otherwise).
func parseOptions(text string) []scripts.Option {
	var out []scripts.Option
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		o := scripts.Option{Label: line}
		if i := strings.LastIndexAny(line, " \t"); i > 0 {
			if n, err := strconv.Atoi(line[i+1:]); err == nil {
				o = scripts.Option{Label: strings.TrimSpace(line[:i]), Score: n}
			}
		}
		out = append(out, o)
	}
	return out
}

// scriptForm is the editor's form read into a script as written, with the form group of
// each question and objection kept (empty groups and groups marked to delete are left
// out of the script, so the numbers may differ).
type scriptForm struct {
	script         *scripts.Script
	qGroup, oGroup []int
}

// problems renumbers the problems of the script as the form's groups.
func (f scriptForm) problems(ps scripts.Problems) scripts.Problems {
	out := make(scripts.Problems, len(ps))
	for i, p := range ps {
		var n int
		var rest string
		if _, err := fmt.Sscanf(p.Field, "q%d.%s", &n, &rest); err == nil && n >= 1 && n <= len(f.qGroup) {
			p.Field = fmt.Sprintf("q%d.%s", f.qGroup[n-1], rest)
			p.Msg = strings.Replace(p.Msg, fmt.Sprintf("第 %d 个问题", n), fmt.Sprintf("第 %d 个问题", f.qGroup[n-1]), 1)
		} else if _, err := fmt.Sscanf(p.Field, "o%d.%s", &n, &rest); err == nil && n >= 1 && n <= len(f.oGroup) {
			p.Field = fmt.Sprintf("o%d.%s", f.oGroup[n-1], rest)
			p.Msg = strings.Replace(p.Msg, fmt.Sprintf("第 %d 条异议应答", n), fmt.Sprintf("第 %d 条异议应答", f.oGroup[n-1]), 1)
		}
		out[i] = p
	}
	return out
}

// scriptFromForm reads the editor's form.
func scriptFromForm(r *http.Request, campaign string) scriptForm {
	var f scriptForm
	v := func(k string) string { return strings.ReplaceAll(r.PostForm.Get(k), "\r\n", "\n") }
	s := &scripts.Script{Campaign: campaign, Title: strings.TrimSpace(v("title")),
		Opening: strings.TrimSpace(v("opening")), Reminder: strings.TrimSpace(v("reminder")), Closing: strings.TrimSpace(v("closing"))}
	for i := 1; i <= 100; i++ {
		p := fmt.Sprintf("q%d_", i)
		if !r.PostForm.Has(p + "text") {
			break
		}
		q := scripts.Question{ID: strings.TrimSpace(v(p + "id")), Text: strings.TrimSpace(v(p + "text")), Kind: v(p + "kind")}
		if v(p+"del") != "" || q.ID == "" && q.Text == "" {
			continue
		}
		if q.Kind == scripts.KindChoice {
			q.Options = parseOptions(v(p + "options"))
		}
		s.Questions = append(s.Questions, q)
		f.qGroup = append(f.qGroup, i)
	}
	for i := 1; i <= 100; i++ {
		p := fmt.Sprintf("o%d_", i)
		if !r.PostForm.Has(p + "answer") {
			break
		}
		o := scripts.Objection{Key: strings.TrimSpace(v(p + "key")), Title: strings.TrimSpace(v(p + "title")), Answer: strings.TrimSpace(v(p + "answer"))}
		if v(p+"del") != "" || o.Key == "" && o.Title == "" && o.Answer == "" {
			continue
		}
		s.Objections = append(s.Objections, o)
		f.oGroup = append(f.oGroup, i)
	}
	f.script = s
	return f
}
