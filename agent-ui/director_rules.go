package agentui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/huifang/huifang/queue"
)

// ruleLine is one setting on the rules page.
type ruleLine struct {
	queue.RuleSetting
	// Input is what the value's input shows: the value, or what a refused save posted.
	Input string
	// Meaning says what the setting does, in the page's language.
	Meaning string
}

// directorRules shows the dealer's rule settings (every number of docs/domain.md's default
// rules: what it means, its default and the dealer's value, each editable), the calling
// window and the holidays, with forms to change them.
func (h *handler) directorRules(w http.ResponseWriter, r *http.Request) {
	h.rulesPage(w, r, http.StatusOK, "")
}

// rulesPage renders the rules page; after a refused save (status 400, msg) the posted
// input is shown again.
func (h *handler) rulesPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	u := userFrom(r)
	rules, err := queue.LoadDealerRules(r.Context(), h.deps.DB, u.DealerID)
	if err != nil {
		h.fail(w, r, fmt.Errorf("director rules: %w", err))
		return
	}
	refused := status != http.StatusOK
	what := r.PostForm.Get("what")
	lines := make([]ruleLine, 0, len(rules.Settings))
	for _, s := range rules.Settings {
		in := fmt.Sprint(s.Value)
		if refused && what == "settings" {
			if v, ok := r.PostForm["s_"+s.Key]; ok && len(v) > 0 {
				in = v[0]
			}
		}
		lines = append(lines, ruleLine{RuleSetting: s, Input: in, Meaning: ruleMeaning(langFrom(r), s.Key, s.Doc)})
	}
	window := rules.Window
	if refused && what == "window" {
		window = queue.CallWindow{Start: r.PostForm.Get("start"), End: r.PostForm.Get("end"), SameDayEnd: r.PostForm.Get("same_day_end")}
	}
	hours, err := queue.LoadWorkshopHours(r.Context(), h.q(), u.DealerID)
	if err != nil {
		h.fail(w, r, fmt.Errorf("director rules: %w", err))
		return
	}
	open := map[int]bool{}
	for _, d := range hours.Days {
		open[d] = true
	}
	if refused && what == "workshop" {
		hours.Open, hours.Close, open = r.PostForm.Get("open"), r.PostForm.Get("close"), map[int]bool{}
		for _, v := range r.PostForm["day"] {
			if n, err := strconv.Atoi(v); err == nil {
				open[n] = true
			}
		}
	}
	days := make([]workshopDay, 0, 7)
	for d := 1; d <= 7; d++ {
		days = append(days, workshopDay{N: d, Name: dword(langFrom(r), fmt.Sprintf("wd%d", d)), Open: open[d]})
	}
	var holDay, holName string
	if refused && what == "holiday_add" {
		holDay, holName = r.PostForm.Get("day"), r.PostForm.Get("name")
	}
	if refused {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
	}
	h.renderDirector(w, r, "director_rules.html", map[string]any{"Settings": lines, "Window": window, "Holidays": rules.Holidays,
		"HolidayDay": holDay, "HolidayName": holName, "Error": msg, "Saved": r.FormValue("saved") != "",
		"Workshop": hours, "WorkshopDays": days})
}

// workshopDay is one weekday's box of the workshop hours form.
type workshopDay struct {
	N    int
	Name string
	Open bool
}

// directorRulesSave changes the dealer's rules, audited as the director:
//   - what=settings: the values s_<key>; only those that differ from the dealer's
//     current value are saved, all in one transaction (queue.SaveSettings), and today's
//     queue is rebuilt; reset=<key> instead puts that one setting back to its default;
//   - what=window: start, end and same_day_end (HH:MM, queue.SaveCallWindow);
//   - what=workshop: open, close (HH:MM) and the open days day=1..7, the workshop hours
//     appointments must fall in (queue.SaveWorkshopHours, as huifang dealer workshop);
//   - what=holiday_add (day YYYY-MM-DD, name) and what=holiday_remove (day).
//
// Bad input shows the page again with the error (400) and saves nothing.
func (h *handler) directorRulesSave(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	ctx := r.Context()
	f := r.PostForm
	var err error
	switch f.Get("what") {
	case "settings":
		if key := f.Get("reset"); key != "" {
			err = queue.ResetSettings(ctx, h.deps.DB, u.DealerID, []string{key}, u.ID)
			break
		}
		var cur queue.Rules
		if cur, err = queue.LoadRules(ctx, h.deps.DB, u.DealerID); err != nil {
			break
		}
		changed := map[string]int{}
		for _, key := range queue.SettingKeys() {
			v, ok := f["s_"+key]
			if !ok || len(v) == 0 {
				continue
			}
			n, perr := queue.ParseSettingValue(key, v[0])
			if perr != nil {
				err = perr
				break
			}
			if n != cur.Get(key) {
				changed[key] = n
			}
		}
		if err == nil && len(changed) > 0 {
			err = queue.SaveSettings(ctx, h.deps.DB, u.DealerID, changed, u.ID)
		}
	case "window":
		err = queue.SaveCallWindow(ctx, h.deps.DB, u.DealerID, f.Get("start"), f.Get("end"), f.Get("same_day_end"), u.ID)
	case "workshop":
		hours := queue.WorkshopHours{Open: strings.TrimSpace(f.Get("open")), Close: strings.TrimSpace(f.Get("close"))}
		for _, v := range f["day"] {
			n, perr := strconv.Atoi(v)
			if perr != nil {
				n = 0 // refused below as not a weekday
			}
			hours.Days = append(hours.Days, n)
		}
		err = queue.SaveWorkshopHours(ctx, h.deps.DB, u.DealerID, hours, u.ID)
	case "holiday_add":
		_, err = queue.AddHoliday(ctx, h.deps.DB, u.DealerID, f.Get("day"), f.Get("name"), u.ID)
	case "holiday_remove":
		err = queue.RemoveHoliday(ctx, h.deps.DB, u.DealerID, f.Get("day"), u.ID)
	default:
		err = errUser(http.StatusBadRequest, fmt.Sprintf("无法识别的修改 %q，请刷新页面再试", f.Get("what")), fmt.Sprintf("unknown change %q", f.Get("what")))
	}
	if errors.Is(err, queue.ErrRuleInput) {
		msg := err.Error()
		if zh := queue.RuleInputChinese(err); zh != "" && langFrom(r) == langZH {
			msg = zh
		}
		h.rulesPage(w, r, http.StatusBadRequest, msg)
		return
	}
	if err != nil {
		h.fail(w, r, fmt.Errorf("director: save rules: %w", err))
		return
	}
	http.Redirect(w, r, "/director/rules?saved=1#"+strings.ReplaceAll(f.Get("what"), "_", "-"), http.StatusSeeOther)
}
