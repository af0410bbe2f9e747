package agentui

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
)

// rubricItem is one line of a dealer's spot-check rubric.
type rubricItem struct {
	Key    string `json:"key"`
	Label  string `json:"label"`
	Max    int    `json:"max"`
	Sort   int    `json:"sort"`
	Active bool   `json:"active"`
}

// defaultRubric is the rubric of a dealer that has not edited its own (100 points), in
// the dealer's words (Chinese), as a dealer's own rubric is.
var defaultRubric = []rubricItem{
	{"greeting", "问候与自我介绍", 10, 10, true},
	{"identity", "核实客户身份", 10, 20, true},
	{"reason", "说明来电原因并给出提醒", 20, 30, true},
	{"satisfaction", "询问满意度", 15, 40, true},
	{"objections", "异议处理", 15, 50, true},
	{"closing", "预约或结束语", 15, 60, true},
	{"courtesy", "礼貌用语", 15, 70, true},
}

// passPercent is the share of the points a call needs to pass by default.
const passPercent = 80

// rubric returns the dealer's rubric (every item, active or not), or the defaults.
func (h *handler) rubric(ctx context.Context, dealerID int64) ([]rubricItem, error) {
	rows, err := h.q().ListSpotCheckItems(ctx, dealerID)
	if err != nil {
		return nil, fmt.Errorf("director: rubric: %w", err)
	}
	if len(rows) == 0 {
		return defaultRubric, nil
	}
	out := make([]rubricItem, 0, len(rows))
	for _, x := range rows {
		out = append(out, rubricItem{Key: x.Key, Label: x.Label, Max: int(x.MaxScore), Sort: int(x.Sort), Active: x.Active})
	}
	return out, nil
}

// scoreForm is a parsed spot-check form.
type scoreForm struct {
	Scores   map[string]int
	Total    int
	Max      int
	Passed   bool
	Coaching bool
	Comment  string
}

// parseScore reads the scoring form against the rubric's active items: every item needs
// a score between 0 and its maximum; "result" is pass or fail (when absent, the call
// passes with at least passPercent of the points).
func parseScore(r *http.Request, items []rubricItem) (scoreForm, error) {
	f := scoreForm{Scores: map[string]int{}}
	for _, it := range items {
		if !it.Active {
			continue
		}
		v := strings.TrimSpace(r.PostForm.Get("s_" + it.Key))
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > it.Max {
			return f, errUser(http.StatusBadRequest, fmt.Sprintf("“%s”的得分要在 0 到 %d 之间，填的是 %q", it.Label, it.Max, v), fmt.Sprintf("score of %q must be 0 to %d, not %q", it.Label, it.Max, v))
		}
		f.Scores[it.Key] = n
		f.Total += n
		f.Max += it.Max
	}
	switch r.PostForm.Get("result") {
	case "pass":
		f.Passed = true
	case "fail":
	case "":
		f.Passed = f.Max > 0 && f.Total*100 >= f.Max*passPercent
	default:
		return f, errUser(http.StatusBadRequest, "请选择抽查结果：合格或不合格", "result must be pass or fail")
	}
	f.Coaching = r.PostForm.Get("coaching") != ""
	f.Comment = strings.TrimSpace(r.PostForm.Get("comment"))
	if len([]rune(f.Comment)) > 2000 {
		return f, errUser(http.StatusBadRequest, "评语太长了，最多 2000 个字", "the comment is longer than 2000 characters")
	}
	return f, nil
}

// directorScore saves a spot-check of one call (queuing the check first when the call
// was not drawn).
func (h *handler) directorScore(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	ctx := r.Context()
	c, err := h.getCall(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.rubric(ctx, u.DealerID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := parseScore(r, items)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := h.q().EnsureSpotCheck(ctx, store.EnsureSpotCheckParams{DrawnBy: &u.ID, AttemptID: c.ID, DealerID: &u.DealerID})
	if err != nil {
		h.fail(w, r, fmt.Errorf("director: spot-check of %d: %w", c.ID, err))
		return
	}
	scores, _ := json.Marshal(f.Scores)
	var active []rubricItem
	for _, it := range items {
		if it.Active {
			active = append(active, it)
		}
	}
	rub, _ := json.Marshal(active)
	now := h.deps.Now()
	_, err = h.q().ScoreSpotCheck(ctx, store.ScoreSpotCheckParams{Scores: scores, Rubric: rub, Total: int32(f.Total), MaxTotal: int32(f.Max),
		Passed: f.Passed, Coaching: f.Coaching, Comment: f.Comment, ScoredBy: &u.ID, At: &now, ID: id, DealerID: u.DealerID})
	if err != nil {
		h.fail(w, r, fmt.Errorf("director: score %d: %w", c.ID, err))
		return
	}
	detail, _ := json.Marshal(map[string]any{"total": f.Total, "max": f.Max, "passed": f.Passed, "coaching": f.Coaching})
	if err := h.q().InsertAudit(ctx, store.InsertAuditParams{DealerID: &u.DealerID, UserID: &u.ID, Action: "spot_check.score",
		SubjectType: "call_attempt", SubjectID: &c.ID, Detail: detail}); err != nil {
		h.fail(w, r, fmt.Errorf("director: audit score: %w", err))
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/director/calls/%d?saved=1", c.ID), http.StatusSeeOther)
}

// directorDraw draws a random sample of answered, recorded calls: per_agent calls of each
// agent (or of one) in the day range, or of each day of it (per=day), not drawn before.
func (h *handler) directorDraw(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	rg, err := h.parseRange(r, 1)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	per, err := formInt(r, "per_agent")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if per == nil || *per < 1 || *per > 100 {
		h.fail(w, r, errUser(http.StatusBadRequest, "每个坐席抽查的通话数要在 1 到 100 之间", "calls per agent must be 1 to 100"))
		return
	}
	agent, err := formInt(r, "agent")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	_, err = h.q().DrawSpotChecks(r.Context(), store.DrawSpotChecksParams{DealerID: u.DealerID, DrawnBy: &u.ID, PerAgent: *per,
		PerDay: r.PostForm.Get("per") == "day", Tz: u.location().String(), FromAt: rg.fromAt(), ToAt: rg.toAt(), AgentID: agent})
	if err != nil {
		h.fail(w, r, fmt.Errorf("director: draw: %w", err))
		return
	}
	http.Redirect(w, r, "/director/checks", http.StatusSeeOther)
}

// directorDrawFiltered draws n calls at random among the record search's results (the
// search form's filters, up to 5,000 records; answered and recorded calls only).
func (h *handler) directorDrawFiltered(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	f, err := h.parseCallFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	n, err := formInt(r, "n")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if n == nil || *n < 1 || *n > 100 {
		h.fail(w, r, errUser(http.StatusBadRequest, "抽查数量要在 1 到 100 之间", "the sample size must be 1 to 100"))
		return
	}
	f.MaxRows = 5000
	rows, err := h.listCalls(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var pool []int64
	for _, x := range rows {
		if x.AnswerAt != nil && x.RecordingPath != "" && x.CheckStatus == "" {
			pool = append(pool, x.ID)
		}
	}
	rand.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	for _, id := range pool[:min(int(*n), len(pool))] {
		if _, err := h.q().EnsureSpotCheck(r.Context(), store.EnsureSpotCheckParams{DrawnBy: &u.ID, AttemptID: id, DealerID: &u.DealerID}); err != nil {
			h.fail(w, r, fmt.Errorf("director: draw %d: %w", id, err))
			return
		}
	}
	http.Redirect(w, r, "/director/checks?status=pending", http.StatusSeeOther)
}

// directorChecks lists the spot-checks to score and those scored, with the draw form.
func (h *handler) directorChecks(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	lang := langFrom(r)
	rows, err := h.q().ListSpotChecks(r.Context(), store.ListSpotChecksParams{DealerID: u.DealerID, Status: formText(r, "status"), MaxRows: 1000})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	loc := u.location()
	tb := &table{Title: dword(lang, "nav_checks"), Head: []string{dword(lang, "status"), dword(lang, "time"), dword(lang, "agent"),
		dword(lang, "customer"), dword(lang, "campaign"), dword(lang, "total"), dword(lang, "pass"), dword(lang, "coaching"), dword(lang, "comment")}}
	for _, x := range rows {
		var camps []string
		for _, c := range x.Campaigns {
			camps = append(camps, campaignName(r, c))
		}
		total, pass, coach := "", "", ""
		if x.Status == "scored" {
			total = fmt.Sprintf("%d/%d", x.Total, x.MaxTotal)
			pass = dword(lang, map[bool]string{true: "pass", false: "fail"}[x.Passed])
			if x.Coaching {
				coach = "✓"
			}
		}
		tb.add(link(dword(lang, x.Status), fmt.Sprintf("/director/calls/%d", x.AttemptID)), txt(x.InviteAt.In(loc).Format("2006-01-02 15:04")),
			txt(x.AgentName), txt(x.CustomerName), txt(strings.Join(camps, " ")), txt(total), txt(pass), txt(coach), txt(x.Comment))
	}
	if wantsXLSX(r) {
		h.writeXLSX(w, r, tb, "spot_checks")
		return
	}
	agents, err := h.q().DirectorAgents(r.Context(), u.DealerID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	today := h.today(u)
	h.renderDirector(w, r, "director_checks.html", map[string]any{"Table": tb, "XLSX": xlsxURL(r), "Agents": agents,
		"From": today.AddDate(0, 0, -1).Format(dayLayout), "To": today.AddDate(0, 0, -1).Format(dayLayout)})
}

// myChecks is an agent's own scored spot-checks: item scores, result and comment.
func (h *handler) myChecks(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	rows, err := h.q().ListAgentSpotChecks(r.Context(), store.ListAgentSpotChecksParams{DealerID: u.DealerID, AgentUserID: &u.ID, MaxRows: 200})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type item struct {
		Label      string
		Score, Max int
	}
	type check struct {
		store.ListAgentSpotChecksRow
		At, Scored string
		Items      []item
		Campaigns  []string
	}
	loc := u.location()
	var out []check
	for _, x := range rows {
		c := check{ListAgentSpotChecksRow: x, At: x.InviteAt.In(loc).Format("2006-01-02 15:04")}
		if x.ScoredAt != nil {
			c.Scored = x.ScoredAt.In(loc).Format("2006-01-02 15:04")
		}
		var rub []rubricItem
		scores := map[string]int{}
		_ = json.Unmarshal(x.Rubric, &rub)
		_ = json.Unmarshal(x.Scores, &scores)
		for _, it := range rub {
			c.Items = append(c.Items, item{it.Label, scores[it.Key], it.Max})
		}
		for _, cc := range x.Campaigns {
			c.Campaigns = append(c.Campaigns, campaignName(r, cc))
		}
		out = append(out, c)
	}
	h.renderDirector(w, r, "director_my_checks.html", map[string]any{"Page": "my_checks", "Checks": out})
}

var rubricKeyRe = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// directorSettings shows the dealer's rubric and recording retention for editing.
func (h *handler) directorSettings(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	items, err := h.rubric(r.Context(), u.DealerID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	raw, err := h.q().GetDealerSettings(r.Context(), u.DealerID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var s map[string]any
	_ = json.Unmarshal(raw, &s)
	days, _ := s[RetentionKey].(float64)
	h.renderDirector(w, r, "director_settings.html", map[string]any{"Items": items, "Retention": int(days), "Saved": r.FormValue("saved") == "1"})
}

// directorSettingsSave stores the rubric (the rows key_N, label_N, max_N, sort_N,
// active_N; a row with a new key adds an item) and the retention days.
func (h *handler) directorSettingsSave(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	ctx := r.Context()
	var items []rubricItem
	for i := 0; i < 50; i++ {
		n := strconv.Itoa(i)
		key := strings.TrimSpace(r.PostForm.Get("key_" + n))
		label := strings.TrimSpace(r.PostForm.Get("label_" + n))
		if key == "" && label == "" {
			continue
		}
		if !rubricKeyRe.MatchString(key) {
			h.fail(w, r, errUser(http.StatusBadRequest, fmt.Sprintf("评分项编号 %q 只能用 1 到 32 个小写英文字母、数字和 _", key), fmt.Sprintf("rubric key %q must be 1-32 of a-z, 0-9 and _", key)))
			return
		}
		if label == "" {
			h.fail(w, r, errUser(http.StatusBadRequest, fmt.Sprintf("评分项 %q 没有填写名称", key), fmt.Sprintf("rubric item %q needs a label", key)))
			return
		}
		mx, err := strconv.Atoi(r.PostForm.Get("max_" + n))
		if err != nil || mx < 1 || mx > 100 {
			h.fail(w, r, errUser(http.StatusBadRequest, fmt.Sprintf("评分项 %q 的满分要在 1 到 100 之间", key), fmt.Sprintf("maximum of %q must be 1 to 100", key)))
			return
		}
		so, _ := strconv.Atoi(r.PostForm.Get("sort_" + n))
		items = append(items, rubricItem{Key: key, Label: label, Max: mx, Sort: so, Active: r.PostForm.Get("active_"+n) != ""})
	}
	days, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("retention")))
	if err != nil || days < 0 || days > 3650 {
		h.fail(w, r, errUser(http.StatusBadRequest, "录音保存天数要在 0 到 3650 之间", "retention must be 0 to 3650 days"))
		return
	}
	for _, it := range items {
		err := h.q().UpsertSpotCheckItem(ctx, store.UpsertSpotCheckItemParams{DealerID: u.DealerID, Key: it.Key, Label: it.Label,
			MaxScore: int32(it.Max), Sort: int32(it.Sort), Active: it.Active})
		if err != nil {
			h.fail(w, r, fmt.Errorf("director: save rubric: %w", err))
			return
		}
	}
	if err := h.saveRetention(ctx, u, days); err != nil {
		h.fail(w, r, fmt.Errorf("director: save retention: %w", err))
		return
	}
	http.Redirect(w, r, "/director/settings?saved=1", http.StatusSeeOther)
}

// saveRetention sets the dealer's recording retention and, when it changes, audits who
// changed it from what to what (a shorter retention deletes recordings), in one
// transaction.
func (h *handler) saveRetention(ctx context.Context, u *user, days int) error {
	return store.WithTx(ctx, h.deps.DB, func(tx pgx.Tx) error {
		q := store.New(tx)
		raw, err := q.GetDealerSettings(ctx, u.DealerID)
		if err != nil {
			return err
		}
		var s map[string]any
		_ = json.Unmarshal(raw, &s)
		old, had := s[RetentionKey].(float64)
		if had && int(old) == days {
			return nil
		}
		if err := q.SetDealerSetting(ctx, store.SetDealerSettingParams{Key: RetentionKey, Value: int32(days), ID: u.DealerID}); err != nil {
			return err
		}
		var from any
		if had {
			from = int(old)
		}
		detail, _ := json.Marshal(map[string]any{"setting": RetentionKey, "from": from, "to": days})
		return q.InsertAudit(ctx, store.InsertAuditParams{DealerID: &u.DealerID, UserID: &u.ID, Action: "dealer.recording_retention",
			SubjectType: "dealer", SubjectID: &u.DealerID, Detail: detail})
	})
}
