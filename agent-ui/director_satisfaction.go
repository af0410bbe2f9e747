package agentui

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/huifang/huifang/queue"
)

// directorLowScores is the low-score list: every call with a score of 1 or 2 until a
// director acknowledges it with a note, those without a complaint first.
func (h *handler) directorLowScores(w http.ResponseWriter, r *http.Request) {
	u, lang := userFrom(r), langFrom(r)
	acked := r.FormValue("acked") == "1"
	items, err := queue.LowScores(r.Context(), h.deps.DB, u.DealerID, acked, 200)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type row struct {
		queue.LowScoreItem
		DayS, CampaignName, AckedAtS string
	}
	rows := make([]row, 0, len(items))
	for _, it := range items {
		x := row{LowScoreItem: it, DayS: it.Day.Format(dayLayout), CampaignName: campaignName(r, it.Campaign)}
		if it.AckedAt != nil {
			x.AckedAtS = it.AckedAt.In(u.location()).Format("2006-01-02 15:04")
		}
		rows = append(rows, x)
	}
	h.renderDirector(w, r, "director_lowscores.html", map[string]any{"C": complaintWords(lang), "Rows": rows, "Acked": acked})
}

// directorLowScoreAck acknowledges one low-score call (the outcome id) with a note.
func (h *handler) directorLowScoreAck(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := queue.AckLowScore(r.Context(), h.deps.DB, u.DealerID, id, u.ID, trimTo(r.FormValue("note"), 2000), h.deps.Now()); err != nil {
		h.fail(w, r, complaintErr(err))
		return
	}
	http.Redirect(w, r, "/director/low-scores", http.StatusSeeOther)
}

// satisfactionDims are the dimensions of the satisfaction report, in page order.
var satisfactionDims = []string{queue.ByCampaign, queue.ByAgent, queue.ByAdvisor, queue.ByMonth}

// figureRow is one line of a figure table: its label, figures, and the link to the
// calls or complaints behind it.
type figureRow struct {
	Label string
	Href  string
	Cells []string
	Total bool
}

// figureTable is one table of the satisfaction page.
type figureTable struct {
	ID    string
	Title string
	Head  []string
	Rows  []figureRow
}

// directorSatisfaction is the satisfaction report (mean score and share of 4-5 per
// campaign, agent, service advisor and month) and the complaint figures (by category
// and by month) over a period, each figure opening the calls or complaints behind it;
// every figure comes from queue.Satisfaction / queue.ComplaintFigures.
func (h *handler) directorSatisfaction(w http.ResponseWriter, r *http.Request) {
	u, lang := userFrom(r), langFrom(r)
	rg, err := h.parseRange(r, 30)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	from, to := dateOnly(rg.From), dateOnly(rg.To)
	period := url.Values{"from": {rg.From.Format(dayLayout)}, "to": {rg.To.Format(dayLayout)}}
	var tables []figureTable
	sat, err := queue.Satisfaction(r.Context(), h.deps.DB, u.DealerID, from, to)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	figs, err := queue.ComplaintFigures(r.Context(), h.deps.DB, u.DealerID, from, to, h.deps.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, by := range satisfactionDims {
		rows := sat[by]
		ft := figureTable{ID: "sat-" + by, Title: cword(lang, "by_"+by),
			Head: []string{cword(lang, by), cword(lang, "scores"), cword(lang, "mean"), cword(lang, "share45")}}
		for _, x := range rows {
			label := x.Label
			switch {
			case x.Total:
				label = cword(lang, "total")
			case by == queue.ByCampaign:
				label = campaignName(r, x.Key)
			case label == "":
				label = cword(lang, "unknown")
			}
			q := url.Values{"by": {by}, "key": {x.Key}, "from": period["from"], "to": period["to"]}
			if x.Total {
				q.Set("all", "1")
			}
			mean := "–"
			if x.N > 0 {
				mean = strconv.FormatFloat(x.Mean(), 'f', 2, 64)
			}
			ft.Rows = append(ft.Rows, figureRow{Label: label, Href: "/director/satisfaction/calls?" + q.Encode(), Total: x.Total,
				Cells: []string{strconv.FormatInt(x.N, 10), mean, pct(x.High, x.N)}})
		}
		tables = append(tables, ft)
	}
	for _, by := range []string{queue.ByCategory, queue.ByMonth} {
		rows := figs[by]
		ft := figureTable{ID: "cmp-" + by, Title: cword(lang, "cfigures") + " · " + cword(lang, "by_"+by),
			Head: []string{cword(lang, by), cword(lang, "opened_n"), cword(lang, "per100"), cword(lang, "median_resp"), cword(lang, "in_time"), cword(lang, "reopen_rate")}}
		for _, x := range rows {
			label := x.Key
			q := url.Values{"status": {""}, "from": period["from"], "to": period["to"]}
			switch {
			case x.Total:
				label = cword(lang, "total")
			case by == queue.ByCategory:
				label = complaintCategoryName(lang, x.Key)
				q.Set("category", x.Key)
			default:
				// A month of opening: the complaints opened in that month of the period.
				q.Set("from", maxDay(x.Key+"-01", period.Get("from")))
				q.Set("to", minDay(lastOfMonth(x.Key), period.Get("to")))
			}
			median := "–"
			if x.Responded > 0 {
				median = ageWords(lang, x.MedianResponse)
			}
			ft.Rows = append(ft.Rows, figureRow{Label: label, Href: "/director/complaints?" + q.Encode(), Total: x.Total,
				Cells: []string{strconv.FormatInt(x.Opened, 10), strconv.FormatFloat(x.Per100(), 'f', 2, 64), median,
					pct(x.InTime, x.Due), pct(x.Reopened, x.Opened)}})
		}
		tables = append(tables, ft)
	}
	h.renderDirector(w, r, "director_satisfaction.html", map[string]any{"C": complaintWords(lang), "Tables": tables,
		"From": rg.From.Format(dayLayout), "To": rg.To.Format(dayLayout)})
}

func maxDay(a, b string) string {
	if a > b {
		return a
	}
	return b
}

func minDay(a, b string) string {
	if a < b {
		return a
	}
	return b
}

// lastOfMonth is the last day of a month written YYYY-MM.
func lastOfMonth(m string) string {
	var y, mo int
	if _, err := fmt.Sscanf(m, "%d-%d", &y, &mo); err != nil {
		return m + "-28"
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[mo%13]
	if mo == 2 && (y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		days = 29
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, mo, days)
}

// directorSatisfactionCalls lists the scores behind one satisfaction figure (the same
// function's predicate), each opening its call; xlsx on request.
func (h *handler) directorSatisfactionCalls(w http.ResponseWriter, r *http.Request) {
	u, lang := userFrom(r), langFrom(r)
	rg, err := h.parseRange(r, 30)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	by := r.FormValue("by")
	calls, err := queue.SatisfactionCalls(r.Context(), h.deps.DB, u.DealerID, dateOnly(rg.From), dateOnly(rg.To), by, r.FormValue("key"),
		r.FormValue("all") == "1", r.FormValue("high") == "1", 500)
	if errors.Is(err, queue.ErrBadDimension) {
		h.fail(w, r, errUser(http.StatusBadRequest, "统计维度选得不对", "unknown dimension"))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	tb := &table{Title: cword(lang, "satisfaction") + " · " + rg.From.Format(dayLayout) + " – " + rg.To.Format(dayLayout),
		Head: []string{cword(lang, "day"), cword(lang, "customer"), cword(lang, "agent"), cword(lang, "campaign"), cword(lang, "advisor"),
			cword(lang, "questions"), cword(lang, "score")}}
	for _, c := range calls {
		cust := txt(c.Customer)
		if c.AttemptID != 0 {
			cust = link(c.Customer, fmt.Sprintf("/director/calls/%d", c.AttemptID))
		}
		tb.add(txt(c.Day.Format(dayLayout)), cust, txt(c.Agent), txt(campaignName(r, c.Campaign)), txt(c.Advisor),
			txt(h.questionText(r, c.Campaign, c.Question)), num(int64(c.Score)))
	}
	h.renderTable(w, r, tb, "satisfaction", nil)
}

// questionText is a scored question's words as the campaign's script asks it (the
// answer key when the script does not have it any more).
func (h *handler) questionText(r *http.Request, campaign, id string) string {
	s, err := h.deps.Scripts.Current(r.Context(), userFrom(r).DealerID, campaign)
	if err != nil || s == nil {
		return id
	}
	for _, q := range s.Questions {
		if q.ID == id {
			return strings.TrimSpace(q.Text)
		}
	}
	return id
}

// directorChecksWeekly is the spot-check figure per agent per week: checks scored, pass
// rate and mean score, with a trend line per agent (inline SVG, no script).
func (h *handler) directorChecksWeekly(w http.ResponseWriter, r *http.Request) {
	u, lang := userFrom(r), langFrom(r)
	rg, err := h.parseRange(r, 84)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	weeks, err := queue.AgentWeeklyChecks(r.Context(), h.deps.DB, u.DealerID, dateOnly(rg.From), dateOnly(rg.To))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type agentTrend struct {
		Name  string
		Rows  []queue.AgentWeek
		Chart template.HTML
	}
	var agents []*agentTrend
	for _, wk := range weeks {
		if len(agents) == 0 || agents[len(agents)-1].Name != wk.Agent {
			agents = append(agents, &agentTrend{Name: wk.Agent})
		}
		a := agents[len(agents)-1]
		a.Rows = append(a.Rows, wk)
	}
	tb := &table{Title: cword(lang, "weekly"), Head: []string{cword(lang, "agent"), cword(lang, "week"), cword(lang, "checked"),
		cword(lang, "pass_rate"), cword(lang, "mean_pct")}}
	for _, a := range agents {
		for _, wk := range a.Rows {
			tb.add(txt(a.Name), txt(wk.Week.Format(dayLayout)), num(wk.Checked), txt(pct(wk.Passed, wk.Checked)),
				txt(strconv.FormatFloat(wk.MeanPct, 'f', 1, 64)+"%"))
		}
		a.Chart = trendSVG(a.Rows)
	}
	if wantsXLSX(r) {
		h.writeXLSX(w, r, tb, "spot-checks-weekly")
		return
	}
	h.renderDirector(w, r, "director_checks_weekly.html", map[string]any{"C": complaintWords(lang), "Table": tb, "Agents": agents,
		"XLSX": xlsxURL(r), "From": rg.From.Format(dayLayout), "To": rg.To.Format(dayLayout)})
}

// trendSVG draws an agent's weekly pass rate (solid) and mean score (dashed), 0-100 %,
// as an inline SVG; the numbers are ours, never user text.
func trendSVG(rows []queue.AgentWeek) template.HTML {
	const w, hgt, pad = 320, 90, 18
	n := len(rows)
	x := func(i int) float64 {
		if n == 1 {
			return w / 2
		}
		return pad + float64(i)*(w-2*pad)/float64(n-1)
	}
	y := func(p float64) float64 { return hgt - pad - p*(hgt-2*pad)/100 }
	var pass, mean strings.Builder
	for i, r := range rows {
		fmt.Fprintf(&pass, "%.1f,%.1f ", x(i), y(100*r.PassRate()))
		fmt.Fprintf(&mean, "%.1f,%.1f ", x(i), y(r.MeanPct))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="trend" width="%d" height="%d" viewBox="0 0 %d %d" role="img">`, w, hgt, w, hgt)
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`, pad, y(0), w-pad, y(0))
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>`, pad, y(100), w-pad, y(100))
	fmt.Fprintf(&b, `<polyline class="pass" points="%s"/><polyline class="mean" points="%s"/>`, pass.String(), mean.String())
	if n > 0 {
		fmt.Fprintf(&b, `<text x="2" y="12">100%%</text><text x="%.1f" y="%d">%s</text>`, x(n-1)-30, hgt-2, rows[n-1].Week.Format("01-02"))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // #nosec G203 -- built from numbers and dates only
}
