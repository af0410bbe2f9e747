package agentui

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store/phone"
)

// complaintErr turns the queue's complaint errors into what the user sees.
func complaintErr(err error) error {
	var ce *queue.ComplaintError
	switch {
	case errors.As(err, &ce):
		return errUser(http.StatusBadRequest, ce.Zh, ce.Msg)
	case errors.Is(err, queue.ErrComplaintNotFound):
		return errNotFound
	}
	return err
}

// directorUser is a director or admin a complaint can be handed to.
type directorUser struct {
	ID   int64
	Name string
}

// directorsOf lists the dealer's active directors and admins.
func (h *handler) directorsOf(r *http.Request, dealerID int64) ([]directorUser, error) {
	rows, err := h.deps.DB.Query(r.Context(), `SELECT id, COALESCE(NULLIF(display_name, ''), username) FROM users
		WHERE dealer_id = $1 AND active AND role IN ('director', 'admin') ORDER BY role DESC, id`, dealerID)
	if err != nil {
		return nil, fmt.Errorf("directors: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (directorUser, error) {
		var d directorUser
		err := row.Scan(&d.ID, &d.Name)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("directors: %w", err)
	}
	return out, nil
}

// complaintRow is a complaint as the list shows it.
type complaintRow struct {
	queue.ComplaintItem
	CategoryName, StatusName, SeverityName, SourceName, OverdueName string
	Opened, Age, Due, RespondDueS, ResolveDueS                      string
}

func (h *handler) complaintRow(r *http.Request, k queue.ComplaintItem) complaintRow {
	lang, loc := langFrom(r), userFrom(r).location()
	row := complaintRow{ComplaintItem: k, CategoryName: complaintCategoryName(lang, k.Category),
		StatusName: cword(lang, "st."+k.Status), SeverityName: cword(lang, "sev."+k.Severity), SourceName: cword(lang, "src."+k.Source),
		Opened: k.OpenedAt.In(loc).Format("2006-01-02 15:04")}
	if k.Overdue != "" {
		row.OverdueName = cword(lang, "nd."+k.Overdue)
	}
	if k.RespondDue != nil {
		row.RespondDueS = k.RespondDue.In(loc).Format("2006-01-02 15:04")
	}
	if k.ResolveDue != nil {
		row.ResolveDueS = k.ResolveDue.In(loc).Format("2006-01-02 15:04")
	}
	if k.Active() {
		row.Age = ageWords(lang, h.deps.Now().Sub(k.OpenedAt))
		due := k.ResolveDue
		if k.Status == queue.ComplaintOpen {
			due = k.RespondDue
		}
		if due != nil {
			row.Due = due.In(loc).Format("01-02 15:04")
		}
	}
	return row
}

// complaintFilter reads the list's filters.
func (h *handler) complaintFilter(r *http.Request) (queue.ComplaintFilter, error) {
	u := userFrom(r)
	f := queue.ComplaintFilter{DealerID: u.DealerID, Now: h.deps.Now(), Status: r.FormValue("status"),
		Severity: r.FormValue("severity"), Category: r.FormValue("category"), Overdue: r.FormValue("overdue") == "1"}
	if _, ok := r.Form["status"]; !ok {
		f.Status = "active"
	}
	switch f.Status {
	case "", "active", queue.ComplaintOpen, queue.ComplaintResponded, queue.ComplaintResolved, queue.ComplaintClosed:
	default:
		return f, errUser(http.StatusBadRequest, "状态选得不对", "unknown status")
	}
	if f.Severity != "" && f.Severity != queue.SeverityNormal && f.Severity != queue.SeveritySerious {
		return f, errUser(http.StatusBadRequest, "严重程度选得不对", "unknown severity")
	}
	owner, err := formInt(r, "owner")
	if err != nil {
		return f, err
	}
	if owner != nil {
		f.Owner = *owner
	}
	loc := u.location()
	if f.From, err = parseDay(r.FormValue("from"), loc, time.Time{}); err != nil {
		return f, err
	}
	if f.To, err = parseDay(r.FormValue("to"), loc, time.Time{}); err != nil {
		return f, err
	}
	if !f.From.IsZero() {
		f.From = dateOnly(f.From)
	}
	if !f.To.IsZero() {
		f.To = dateOnly(f.To)
	}
	return f, nil
}

// directorComplaints is the complaints page: overdue first and in red, then the active
// ones (serious first, oldest first), with their age and next deadline; filters; the
// form to open one; the Excel export of the same list.
func (h *handler) directorComplaints(w http.ResponseWriter, r *http.Request) {
	u, lang := userFrom(r), langFrom(r)
	_ = r.ParseForm()
	f, err := h.complaintFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := queue.ListComplaints(r.Context(), h.deps.DB, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rows := make([]complaintRow, 0, len(items))
	for _, k := range items {
		rows = append(rows, h.complaintRow(r, k))
	}
	if wantsXLSX(r) {
		tb := &table{Head: []string{"#", cword(lang, "customer"), cword(lang, "phone"), cword(lang, "category"), cword(lang, "description"),
			cword(lang, "severity"), cword(lang, "status"), cword(lang, "owner"), cword(lang, "source"), cword(lang, "opened"),
			cword(lang, "respond_due"), cword(lang, "resolve_due"), cword(lang, "overdue"), cword(lang, "response"), cword(lang, "resolution")}}
		when := func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.In(u.location()).Format("2006-01-02 15:04")
		}
		for _, k := range rows {
			tb.add(num(k.ID), txt(k.Customer), txt(k.Phone), txt(k.CategoryName), txt(k.Description), txt(k.SeverityName), txt(k.StatusName),
				txt(k.Owner), txt(k.SourceName), txt(k.Opened), txt(when(k.RespondDue)), txt(when(k.ResolveDue)), txt(k.OverdueName),
				txt(k.ResponseNote), txt(k.ResolutionNote))
		}
		h.audit(r.Context(), u, "complaints.export", "dealer", u.DealerID, map[string]any{"rows": len(rows), "query": r.URL.RawQuery})
		h.writeXLSX(w, r, tb, "complaints")
		return
	}
	dirs, err := h.directorsOf(r, u.DealerID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderDirector(w, r, "director_complaints.html", map[string]any{
		"C": complaintWords(lang), "Rows": rows, "F": f, "Directors": dirs, "Categories": categoryOptions(lang),
		"XLSX": xlsxURL(r), "FromS": dayText(f.From), "ToS": dayText(f.To),
	})
}

func dayText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(dayLayout)
}

// directorComplaintOpen opens a complaint from the director's form (customer by phone,
// category, what the customer said, serious), then shows it.
func (h *handler) directorComplaintOpen(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	p, err := phone.Normalize(r.FormValue("phone"))
	if err != nil {
		h.fail(w, r, errUser(http.StatusBadRequest, fmt.Sprintf("客户电话 %q 不是有效的号码", r.FormValue("phone")), "phone is not a valid number"))
		return
	}
	var cust int64
	err = h.deps.DB.QueryRow(r.Context(), `SELECT id FROM customers WHERE dealer_id = $1 AND phone = $2 ORDER BY id LIMIT 1`, u.DealerID, p).Scan(&cust)
	if errors.Is(err, pgx.ErrNoRows) {
		h.fail(w, r, errUser(http.StatusBadRequest, fmt.Sprintf("客户电话 %s 找不到客户，请先导入或登记客户", p), "no customer has this phone"))
		return
	}
	if err != nil {
		h.fail(w, r, fmt.Errorf("complaint customer: %w", err))
		return
	}
	cat := r.FormValue("category")
	known := false
	for _, c := range queue.ComplaintCategories() {
		known = known || c == cat
	}
	if !known {
		h.fail(w, r, errUser(http.StatusBadRequest, "请选择抱怨类别", "choose the category"))
		return
	}
	id, err := queue.OpenComplaint(r.Context(), h.deps.DB, queue.OpenComplaintParams{DealerID: u.DealerID, CustomerID: cust,
		Category: cat, Description: trimTo(strings.TrimSpace(r.FormValue("description")), 2000), Serious: r.FormValue("serious") == "1",
		Source: queue.ComplaintFromDirector, UserID: u.ID, Now: h.deps.Now()})
	if err != nil {
		h.fail(w, r, complaintErr(err))
		return
	}
	h.audit(r.Context(), u, "complaint.open", "complaint", id, map[string]any{"customer_id": cust, "category": cat})
	h.kickComplaints()
	http.Redirect(w, r, fmt.Sprintf("/director/complaints/%d", id), http.StatusSeeOther)
}

// complaintEventRow is a timeline line as the page shows it.
type complaintEventRow struct {
	At, User, What, Note string
}

// directorComplaint is one complaint: the customer, what they said, the call and its
// recording, the deadlines, the timeline, and the forms of what may be done next.
func (h *handler) directorComplaint(w http.ResponseWriter, r *http.Request) {
	u, lang := userFrom(r), langFrom(r)
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	k, evs, err := queue.GetComplaint(r.Context(), h.deps.DB, u.DealerID, id, h.deps.Now())
	if err != nil {
		h.fail(w, r, complaintErr(err))
		return
	}
	dirs, err := h.directorsOf(r, u.DealerID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var tl []complaintEventRow
	for _, e := range evs {
		what := cword(lang, "ev."+e.Kind)
		if e.Kind == "overdue" {
			if d, _ := e.Detail["deadline"].(string); d != "" {
				what += "：" + cword(lang, "nd."+strings.TrimSuffix(d, "_overdue"))
			}
		}
		if e.Kind == "assigned" {
			if o, ok := e.Detail["owner"].(float64); ok {
				for _, d := range dirs {
					if d.ID == int64(o) {
						what += " → " + d.Name
					}
				}
			}
		}
		if e.Kind == "closed" || e.Kind == "reopened" {
			if s, ok := e.Detail["score"].(float64); ok {
				what += fmt.Sprintf("（%s %d）", cword(lang, "score"), int(s))
			}
		}
		tl = append(tl, complaintEventRow{At: e.At.In(u.location()).Format("2006-01-02 15:04"), User: e.User, What: what, Note: e.Note})
	}
	h.renderDirector(w, r, "director_complaint.html", map[string]any{
		"C": complaintWords(lang), "K": h.complaintRow(r, *k), "Timeline": tl, "Directors": dirs,
		"CustomerHref": h.customerHref(r, k.Customer),
	})
}

// directorComplaintAction applies one of the forms of the complaint page.
func (h *handler) directorComplaintAction(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a := queue.ComplaintAction{DealerID: u.DealerID, ComplaintID: id, UserID: u.ID, Kind: r.FormValue("action"),
		Note: r.FormValue("note"), Now: h.deps.Now()}
	switch a.Kind {
	case "assign", "respond", "resolve", "serious", "reopen", "note":
	default:
		h.fail(w, r, errUser(http.StatusBadRequest, "不认识这个操作", "unknown action"))
		return
	}
	if a.Kind == "assign" {
		owner, err := formInt(r, "owner")
		if err != nil || owner == nil {
			h.fail(w, r, errUser(http.StatusBadRequest, "请选择负责人", "choose the owner"))
			return
		}
		a.Owner = *owner
	}
	if err := queue.ChangeComplaint(r.Context(), h.deps.DB, a); err != nil {
		h.fail(w, r, complaintErr(err))
		return
	}
	if a.Kind == "reopen" {
		h.kickComplaints()
	}
	http.Redirect(w, r, fmt.Sprintf("/director/complaints/%d?saved=%s", id, a.Kind), http.StatusSeeOther)
}
