package agentui

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/huifang/huifang/store"
)

// kpis are the director's figures over a range of days. The definitions:
//   - first-maintenance return rate (首保进场率): of the vehicles whose first-maintenance
//     window closed in the range (due by the dealer's rule, time or projected mileage, as
//     the queue's own schedule computes it with the facts known at the range's end;
//     closing first_maintenance_grace days later),
//     the share with a maintenance visit between delivery and the close (Figures);
//   - follow-up rate (回访率) per campaign: of the tasks with a reason of the campaign
//     that fell due in the range (due day in the range, not suppressed), the share reached
//     (a reached outcome on or after the due day); tasks that expired uncalled stay in the
//     denominator;
//   - contact rate: of the tasks called in the range, the share with an outcome in the
//     range that reached the customer (outcome_codes.reached);
//   - booking rate: of those reached, the share with an appointment booked;
//   - lapsed win-back rate: of the lapsed_* tasks reached in the range, the share whose
//     customer came to the workshop within 90 days after the call;
//   - lost-prospect rate: of the prospects closed in the range, the share lost (战败)
//     rather than won, with the lost reasons;
//   - per-agent productivity: calls, answered, talk time, outcomes, and outcomes per active
//     hour (a clock hour with at least one call);
//   - the key-prospect report: the week's key prospects per consultant as deal, lost or
//     postponed (anything not yet won or lost);
//   - the grade distribution of owners (customers with an active vehicle).
type kpis struct {
	FirstDue, FirstCame       int64
	Called, Reached, Booked   int64
	LapsedReached, LapsedCame int64
	Won, Lost                 int64
	LostReasons               []countOf
	Agents                    []store.DirectorAgentProductivityRow
	KeyProspects              []keyProspectLine
	Grades                    []countOf

	FollowDue, FollowReached int64
	FollowByCampaign         []followLine

	firstRows  []firstMaintenanceRow
	followRows []followRow
	taskRows   []store.DirectorTasksCalledRow
	closedRows []store.DirectorProspectsClosedRow
	keyRows    []store.DirectorKeyProspectsRow
	gradeRows  []store.DirectorGradeCustomersRow
}

// firstMaintenanceRow is a vehicle of the first-maintenance return rate with its customer.
type firstMaintenanceRow struct {
	CustomerID                  int64
	CustomerName, CustomerTitle string
	Plate, Model                string
	DeliveryDay, DueDay         time.Time
	ByMileage, Came             bool
	CameDay                     string
}

// firstMaintenanceRows reads the first-maintenance return rate's vehicles from fig and
// their customers' names.
func firstMaintenanceRows(ctx context.Context, q *store.Queries, db store.DBTX, fig Figures, dealerID int64, rg dayRange) ([]firstMaintenanceRow, error) {
	if fig == nil {
		return nil, errors.New("no figures: the console needs Deps.Figures")
	}
	due, err := fig.FirstMaintenance(ctx, dealerID, dateOnly(rg.From), dateOnly(rg.To))
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(due))
	for i, d := range due {
		ids[i] = d.VehicleID
	}
	rows, err := db.Query(ctx, `SELECT v.id, c.name, c.title, v.plate, v.model FROM vehicles v JOIN customers c ON c.id = v.customer_id
		WHERE v.id = ANY($1) AND v.dealer_id = $2`, ids, dealerID)
	if err != nil {
		return nil, err
	}
	type names struct{ name, title, plate, model string }
	byID := map[int64]names{}
	for rows.Next() {
		var id int64
		var n names
		if err := rows.Scan(&id, &n.name, &n.title, &n.plate, &n.model); err != nil {
			rows.Close()
			return nil, err
		}
		byID[id] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]firstMaintenanceRow, 0, len(due))
	for _, d := range due {
		n := byID[d.VehicleID]
		r := firstMaintenanceRow{CustomerID: d.CustomerID, CustomerName: n.name, CustomerTitle: n.title, Plate: n.plate, Model: n.model,
			DeliveryDay: d.Delivery, DueDay: d.Due, ByMileage: d.ByMileage, Came: d.Came != nil}
		if d.Came != nil {
			r.CameDay = d.Came.Format(dayLayout)
		}
		out = append(out, r)
	}
	return out, nil
}

// followRow is a task that fell due in the range for a campaign (the follow-up rate).
type followRow struct {
	CustomerID                  int64
	CustomerName, CustomerTitle string
	Campaign, Status            string
	Due, Expires                time.Time
	Calls                       int64
	Reached                     bool
}

// followLine is one campaign's follow-up rate.
type followLine struct {
	Campaign     string
	Due, Reached int64
}

// followRows reads the tasks whose reason of a campaign fell due in rg.
func followRows(ctx context.Context, db store.DBTX, dealerID int64, tz string, rg dayRange) ([]followRow, error) {
	rows, err := db.Query(ctx, `WITH codes AS (
			SELECT DISTINCT ON (code) code, reached FROM outcome_codes WHERE dealer_id = $1 OR dealer_id IS NULL ORDER BY code, dealer_id NULLS LAST
		), d AS (
			SELECT r.task_id, r.campaign, min(r.due_day) AS due, max(r.expires_day) AS expires
			FROM call_task_reasons r
			WHERE r.dealer_id = $1 AND r.due_day BETWEEN $2::date AND $3::date AND r.status <> 'suppressed'
			GROUP BY r.task_id, r.campaign
		)
		SELECT t.customer_id, c.name, c.title, d.campaign, t.status, d.due, d.expires,
		       (SELECT count(*) FROM call_attempts a WHERE a.task_id = t.id),
		       EXISTS (SELECT 1 FROM call_outcomes o JOIN codes ON codes.code = o.code AND codes.reached
		               WHERE o.task_id = t.id AND (o.created_at AT TIME ZONE $4::text)::date >= d.due)
		FROM d JOIN call_tasks t ON t.id = d.task_id JOIN customers c ON c.id = t.customer_id
		ORDER BY d.due, t.id, d.campaign`, dealerID, dateOnly(rg.From), dateOnly(rg.To), tz)
	if err != nil {
		return nil, fmt.Errorf("kpi follow-up rate: %w", err)
	}
	defer rows.Close()
	var out []followRow
	for rows.Next() {
		var x followRow
		if err := rows.Scan(&x.CustomerID, &x.CustomerName, &x.CustomerTitle, &x.Campaign, &x.Status, &x.Due, &x.Expires, &x.Calls, &x.Reached); err != nil {
			return nil, fmt.Errorf("kpi follow-up rate: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// countOf is a named count.
type countOf struct {
	Name string
	N    int64
}

// keyProspectLine is one consultant's line of the weekly key-prospect report.
type keyProspectLine struct {
	Consultant            string
	Deal, Lost, Postponed int64
}

// isLapsed reports whether a task carries a lapsed_* campaign.
func isLapsed(campaigns []string) bool {
	for _, c := range campaigns {
		if strings.HasPrefix(c, "lapsed_") {
			return true
		}
	}
	return false
}

// keyResult is how a key prospect ended: deal, lost or postponed.
func keyResult(status string) string {
	switch status {
	case "won":
		return "deal"
	case "lost":
		return "lost"
	}
	return "postponed"
}

// sortedCounts turns a map of counts into a list, largest first.
func sortedCounts(m map[string]int64) []countOf {
	out := make([]countOf, 0, len(m))
	for k, v := range m {
		out = append(out, countOf{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// computeKPIs reads and sums the figures of one dealer over rg (days in zone tz).
func computeKPIs(ctx context.Context, q *store.Queries, db store.DBTX, fig Figures, dealerID int64, tz string, rg dayRange) (*kpis, error) {
	k := &kpis{}
	var err error
	fromDay, toDay := dateOnly(rg.From), dateOnly(rg.To)
	if k.firstRows, err = firstMaintenanceRows(ctx, q, db, fig, dealerID, rg); err != nil {
		return nil, fmt.Errorf("kpi first maintenance: %w", err)
	}
	for _, x := range k.firstRows {
		k.FirstDue++
		if x.Came {
			k.FirstCame++
		}
	}
	if k.followRows, err = followRows(ctx, db, dealerID, tz, rg); err != nil {
		return nil, err
	}
	byCampaign := map[string]*followLine{}
	for _, x := range k.followRows {
		l := byCampaign[x.Campaign]
		if l == nil {
			l = &followLine{Campaign: x.Campaign}
			byCampaign[x.Campaign] = l
			k.FollowByCampaign = append(k.FollowByCampaign, followLine{Campaign: x.Campaign})
		}
		l.Due++
		k.FollowDue++
		if x.Reached {
			l.Reached++
			k.FollowReached++
		}
	}
	for i := range k.FollowByCampaign {
		k.FollowByCampaign[i] = *byCampaign[k.FollowByCampaign[i].Campaign]
	}
	sort.Slice(k.FollowByCampaign, func(i, j int) bool { return k.FollowByCampaign[i].Campaign < k.FollowByCampaign[j].Campaign })
	if k.taskRows, err = q.DirectorTasksCalled(ctx, store.DirectorTasksCalledParams{Tz: tz, DealerID: dealerID, FromAt: rg.fromAt(), ToAt: rg.toAt()}); err != nil {
		return nil, fmt.Errorf("kpi tasks called: %w", err)
	}
	for _, x := range k.taskRows {
		k.Called++
		if x.Reached {
			k.Reached++
			if x.Booked {
				k.Booked++
			}
			if isLapsed(x.Campaigns) {
				k.LapsedReached++
				if x.CameWithin90 {
					k.LapsedCame++
				}
			}
		}
	}
	if k.closedRows, err = q.DirectorProspectsClosed(ctx, store.DirectorProspectsClosedParams{DealerID: dealerID, FromDay: fromDay, ToDay: toDay}); err != nil {
		return nil, fmt.Errorf("kpi prospects: %w", err)
	}
	reasons := map[string]int64{}
	for _, x := range k.closedRows {
		if x.ProspectStatus == "won" {
			k.Won++
			continue
		}
		k.Lost++
		r := x.LostReason
		if r == "" {
			r = "–"
		}
		reasons[r]++
	}
	k.LostReasons = sortedCounts(reasons)
	if k.Agents, err = q.DirectorAgentProductivity(ctx, store.DirectorAgentProductivityParams{DealerID: dealerID, FromAt: rg.fromAt(), ToAt: rg.toAt()}); err != nil {
		return nil, fmt.Errorf("kpi agents: %w", err)
	}
	if k.keyRows, err = q.DirectorKeyProspects(ctx, store.DirectorKeyProspectsParams{DealerID: dealerID, FromDay: fromDay, ToDay: toDay}); err != nil {
		return nil, fmt.Errorf("kpi key prospects: %w", err)
	}
	byCons := map[string]*keyProspectLine{}
	for _, x := range k.keyRows {
		l := byCons[x.Consultant]
		if l == nil {
			l = &keyProspectLine{Consultant: x.Consultant}
			byCons[x.Consultant] = l
		}
		switch keyResult(x.ProspectStatus) {
		case "deal":
			l.Deal++
		case "lost":
			l.Lost++
		default:
			l.Postponed++
		}
	}
	for _, l := range byCons {
		k.KeyProspects = append(k.KeyProspects, *l)
	}
	sort.Slice(k.KeyProspects, func(i, j int) bool { return k.KeyProspects[i].Consultant < k.KeyProspects[j].Consultant })
	if k.gradeRows, err = q.DirectorGradeCustomers(ctx, dealerID); err != nil {
		return nil, fmt.Errorf("kpi grades: %w", err)
	}
	grades := map[string]int64{}
	for _, x := range k.gradeRows {
		grades[x.Grade]++
	}
	for _, g := range []string{"premium", "potential", "general", ""} {
		k.Grades = append(k.Grades, countOf{g, grades[g]})
	}
	return k, nil
}

// perHour is outcomes per active hour, one decimal.
func perHour(outcomes, hours int64) string {
	if hours == 0 {
		return "–"
	}
	return strconv.FormatFloat(float64(outcomes)/float64(hours), 'f', 1, 64)
}

// bar is one bar of a chart.
type bar struct {
	Label string
	N     int64
	Href  string
}

// barChart draws bars as inline SVG (no script); each bar links to its list.
func barChart(bars []bar) template.HTML {
	var mx int64 = 1
	for _, b := range bars {
		mx = max(mx, b.N)
	}
	const w, lw, h = 400, 130, 22
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">`, w, h*len(bars)+4)
	for i, b := range bars {
		y := i*h + 2
		bw := int(float64(w-lw-50) * float64(b.N) / float64(mx))
		fmt.Fprintf(&sb, `<a href="%s"><text x="0" y="%d">%s</text><rect class="bg" x="%d" y="%d" width="%d" height="%d"/><rect class="bar" x="%d" y="%d" width="%d" height="%d"/><text x="%d" y="%d">%d</text></a>`,
			template.HTMLEscapeString(b.Href), y+15, template.HTMLEscapeString(b.Label), lw, y+2, w-lw-50, h-6, lw, y+2, bw, h-6, w-45, y+15, b.N)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// kpiCard is one figure of the KPI page with its chart.
type kpiCard struct {
	ID, Title, Value, Detail, Href string
	Chart                          template.HTML
}

// directorKPI shows the KPIs over a range (the last 30 days by default) with charts.
func (h *handler) directorKPI(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	lang := langFrom(r)
	rg, err := h.parseRange(r, 30)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	k, err := computeKPIs(r.Context(), h.q(), h.deps.DB, h.deps.Figures, u.DealerID, u.location().String(), rg)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rq := "from=" + rg.From.Format(dayLayout) + "&to=" + rg.To.Format(dayLayout)
	lst := func(name string, extra string) string { return "/director/kpi/list?kpi=" + name + "&" + rq + extra }
	en := lang == langEN
	word := func(zh, e string) string {
		if en {
			return e
		}
		return zh
	}
	appts, err := h.appointmentsFellDue(r, u, rg)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var arrived int64
	for _, a := range appts {
		if a.Arrived.Bool {
			arrived++
		}
	}
	due := int64(len(appts))
	cards := []kpiCard{
		{ID: "arrival", Title: word("到店率", "Arrival rate"), Value: pct(arrived, due),
			Detail: fmt.Sprintf("%d / %d", arrived, due), Href: lst("arrival", ""),
			Chart: barChart([]bar{{word("已到店", "Arrived"), arrived, lst("arrival", "&only=yes")}, {word("未到店", "No-show"), due - arrived, lst("arrival", "&only=no")}})},
		{ID: "no_show", Title: word("爽约率", "No-show rate"), Value: pct(due-arrived, due),
			Detail: fmt.Sprintf("%d / %d", due-arrived, due), Href: lst("arrival", "&only=no")},
		{ID: "first_maintenance", Title: word("首保进场率", "First-maintenance return rate"), Value: pct(k.FirstCame, k.FirstDue),
			Detail: fmt.Sprintf("%d / %d", k.FirstCame, k.FirstDue), Href: lst("first_maintenance", ""),
			Chart: barChart([]bar{{word("已进场", "Came"), k.FirstCame, lst("first_maintenance", "&only=yes")}, {word("未进场", "Not come"), k.FirstDue - k.FirstCame, lst("first_maintenance", "&only=no")}})},
		{ID: "followup", Title: word("回访率", "Follow-up rate"), Value: pct(k.FollowReached, k.FollowDue),
			Detail: fmt.Sprintf("%d / %d", k.FollowReached, k.FollowDue), Href: lst("followup", ""), Chart: barChart(followBars(k, r, lst))},
		{ID: "contact", Title: word("接通率", "Contact rate"), Value: pct(k.Reached, k.Called),
			Detail: fmt.Sprintf("%d / %d", k.Reached, k.Called), Href: lst("contact", ""),
			Chart: barChart([]bar{{word("已拨打任务", "Tasks called"), k.Called, lst("contact", "")}, {word("已接通", "Reached"), k.Reached, lst("contact", "&only=yes")}})},
		{ID: "booking", Title: word("预约率", "Booking rate"), Value: pct(k.Booked, k.Reached),
			Detail: fmt.Sprintf("%d / %d", k.Booked, k.Reached), Href: lst("booking", ""),
			Chart: barChart([]bar{{word("已接通", "Reached"), k.Reached, lst("booking", "")}, {word("已预约", "Booked"), k.Booked, lst("booking", "&only=yes")}})},
		{ID: "winback", Title: word("流失客户召回率", "Lapsed win-back rate"), Value: pct(k.LapsedCame, k.LapsedReached),
			Detail: fmt.Sprintf("%d / %d", k.LapsedCame, k.LapsedReached), Href: lst("winback", ""),
			Chart: barChart([]bar{{word("已接通", "Reached"), k.LapsedReached, lst("winback", "")}, {word("90天内回厂", "Came in 90 days"), k.LapsedCame, lst("winback", "&only=yes")}})},
	}
	var reasonBars []bar
	for _, c := range k.LostReasons {
		reasonBars = append(reasonBars, bar{c.Name, c.N, lst("lost", "&reason="+urlQuery(c.Name))})
	}
	cards = append(cards, kpiCard{ID: "lost", Title: word("战败率及原因", "Lost-prospect rate and reasons"), Value: pct(k.Lost, k.Won+k.Lost),
		Detail: fmt.Sprintf("%d / %d", k.Lost, k.Won+k.Lost), Href: lst("lost", ""), Chart: barChart(reasonBars)})
	var agentBars []bar
	for _, a := range k.Agents {
		agentBars = append(agentBars, bar{a.Name, a.Calls, lst("agents", "")})
	}
	cards = append(cards, kpiCard{ID: "agents", Title: word("坐席产能（通话数）", "Agent productivity (calls)"), Href: lst("agents", ""), Chart: barChart(agentBars)})
	var keyBars []bar
	for _, l := range k.KeyProspects {
		keyBars = append(keyBars, bar{l.Consultant + " " + word("成交", "deal"), l.Deal, lst("key_prospects", "&consultant="+urlQuery(l.Consultant))},
			bar{l.Consultant + " " + word("战败", "lost"), l.Lost, lst("key_prospects", "&consultant="+urlQuery(l.Consultant))},
			bar{l.Consultant + " " + word("延期", "postponed"), l.Postponed, lst("key_prospects", "&consultant="+urlQuery(l.Consultant))})
	}
	cards = append(cards, kpiCard{ID: "key_prospects", Title: word("重点客户周报", "Key-prospect report"), Href: lst("key_prospects", ""), Chart: barChart(keyBars)})
	var gradeBars []bar
	var owners int64
	for _, g := range k.Grades {
		owners += g.N
		gradeBars = append(gradeBars, bar{gradeName(lang, g.Name), g.N, lst("grades", "&grade="+g.Name)})
	}
	cards = append(cards, kpiCard{ID: "grades", Title: word("基盘客户等级分布", "Owner grades"), Value: strconv.FormatInt(owners, 10), Href: lst("grades", ""), Chart: barChart(gradeBars)})
	// Quick ranges: this and last week (Monday to Sunday, for the key-prospect report),
	// this and last month.
	today := h.today(u)
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	month := today.AddDate(0, 0, 1-today.Day())
	type quick struct{ Label, Href string }
	q := func(label string, from, to time.Time) quick {
		return quick{label, "/director/kpi?from=" + from.Format(dayLayout) + "&to=" + to.Format(dayLayout)}
	}
	quicks := []quick{q(word("本周", "This week"), monday, monday.AddDate(0, 0, 6)), q(word("上周", "Last week"), monday.AddDate(0, 0, -7), monday.AddDate(0, 0, -1)),
		q(word("本月", "This month"), month, month.AddDate(0, 1, -1)), q(word("上月", "Last month"), month.AddDate(0, -1, 0), month.AddDate(0, 0, -1))}
	h.renderDirector(w, r, "director_kpi.html", map[string]any{"Cards": cards, "Quick": quicks, "From": rg.From.Format(dayLayout), "To": rg.To.Format(dayLayout)})
}

func urlQuery(s string) string { return strings.ReplaceAll(template.URLQueryEscaper(s), "+", "%2B") }

// gradeName is a base-customer grade's name in lang.
func gradeName(lang, g string) string {
	names := map[string][2]string{"premium": {"优质", "Premium"}, "potential": {"潜力", "Potential"}, "general": {"一般", "General"}, "": {"未分级", "Ungraded"}}
	n, ok := names[g]
	if !ok {
		return g
	}
	if lang == langEN {
		return n[1]
	}
	return n[0]
}

// directorKPIList is the list behind one KPI figure (only=yes|no narrows it to the
// numerator or its complement).
func (h *handler) directorKPIList(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	lang := langFrom(r)
	rg, err := h.parseRange(r, 30)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	k, err := computeKPIs(r.Context(), h.q(), h.deps.DB, h.deps.Figures, u.DealerID, u.location().String(), rg)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	name, only := r.FormValue("kpi"), r.FormValue("only")
	keep := func(b bool) bool { return only == "" || (only == "yes") == b }
	yes := func(b bool) cell {
		if b {
			return txt("✓")
		}
		return txt("")
	}
	cust := func(_ int64, n, t string) cell { return link(n+t, h.customerHref(r, n)) }
	camps := func(cs []string) cell {
		var s []string
		for _, c := range cs {
			s = append(s, campaignName(r, c))
		}
		return txt(strings.Join(s, " "))
	}
	tb := &table{Title: name + " · " + rg.From.Format(dayLayout) + " – " + rg.To.Format(dayLayout)}
	switch name {
	case "arrival":
		appts, err := h.appointmentsFellDue(r, u, rg)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		loc := u.location()
		tb.Head = []string{dword(lang, "customer"), word(lang, "预约时间", "appointment"), word(lang, "服务顾问", "advisor"), word(lang, "到店", "arrived")}
		for _, a := range appts {
			if keep(a.Arrived.Bool) {
				tb.add(cust(a.CustomerID, a.CustomerName, a.CustomerTitle), txt(a.At.In(loc).Format("2006-01-02 15:04")), txt(a.Advisor), yes(a.Arrived.Bool))
			}
		}
	case "first_maintenance":
		tb.Head = []string{dword(lang, "customer"), dword(lang, "plate"), dword(lang, "model"), word(lang, "交车日", "delivery"), dword(lang, "due_day"),
			word(lang, "依据", "by"), word(lang, "进场日", "came")}
		for _, x := range k.firstRows {
			if keep(x.Came) {
				by := word(lang, "时间", "time")
				if x.ByMileage {
					by = word(lang, "里程", "mileage")
				}
				tb.add(cust(x.CustomerID, x.CustomerName, x.CustomerTitle), txt(x.Plate), txt(x.Model), txt(x.DeliveryDay.Format(dayLayout)), txt(x.DueDay.Format(dayLayout)), txt(by), txt(x.CameDay))
			}
		}
	case "followup":
		tb.Head = []string{dword(lang, "customer"), dword(lang, "campaign"), dword(lang, "due_day"), word(lang, "过期日", "expires"),
			dword(lang, "calls"), dword(lang, "reached"), word(lang, "任务状态", "task status")}
		camp := r.FormValue("campaign")
		for _, x := range k.followRows {
			if (camp == "" || x.Campaign == camp) && keep(x.Reached) {
				tb.add(cust(x.CustomerID, x.CustomerName, x.CustomerTitle), txt(campaignName(r, x.Campaign)), txt(x.Due.Format(dayLayout)),
					txt(x.Expires.Format(dayLayout)), num(x.Calls), yes(x.Reached), txt(taskStatusName(lang, x.Status, x.Calls)))
			}
		}
	case "contact", "booking", "winback":
		tb.Head = []string{dword(lang, "customer"), dword(lang, "campaign"), dword(lang, "calls"), dword(lang, "reached"), dword(lang, "booked"), "90d"}
		for _, x := range k.taskRows {
			in, flag := true, x.Reached
			switch name {
			case "booking":
				in, flag = x.Reached, x.Booked
			case "winback":
				in, flag = x.Reached && isLapsed(x.Campaigns), x.CameWithin90
			}
			if in && keep(flag) {
				tb.add(cust(x.CustomerID, x.CustomerName, x.CustomerTitle), camps(x.Campaigns), num(int64(x.Calls)), yes(x.Reached), yes(x.Booked), yes(x.CameWithin90))
			}
		}
	case "lost":
		tb.Head = []string{dword(lang, "customer"), dword(lang, "consultant"), dword(lang, "status"), dword(lang, "day"), "reason"}
		reason := r.FormValue("reason")
		for _, x := range k.closedRows {
			rs := x.LostReason
			if rs == "" {
				rs = "–"
			}
			if reason != "" && (x.ProspectStatus != "lost" || rs != reason) {
				continue
			}
			day := ""
			if x.StatusDay != nil {
				day = x.StatusDay.Format(dayLayout)
			}
			tb.add(cust(x.ID, x.Name, x.Title), txt(x.Consultant), txt(x.ProspectStatus), txt(day), txt(x.LostReason))
		}
	case "agents":
		tb.Head = []string{dword(lang, "agent"), dword(lang, "calls"), dword(lang, "answered"), dword(lang, "talk_min"), dword(lang, "outcomes"), dword(lang, "per_hour")}
		for _, a := range k.Agents {
			tb.add(txt(a.Name), num(a.Calls), num(a.Answered), num(a.TalkSecs/60), num(a.Outcomes), txt(perHour(a.Outcomes, a.ActiveHours)))
		}
	case "key_prospects":
		tb.Head = []string{dword(lang, "consultant"), dword(lang, "customer"), dword(lang, "due_day"), dword(lang, "status")}
		cons := r.FormValue("consultant")
		for _, x := range k.keyRows {
			if cons == "" || x.Consultant == cons {
				tb.add(txt(x.Consultant), cust(x.ID, x.Name, x.Title), txt(x.DueDay.Format(dayLayout)), txt(keyResult(x.ProspectStatus)))
			}
		}
	case "grades":
		tb.Head = []string{"grade", dword(lang, "customer"), dword(lang, "consultant")}
		grade, all := r.FormValue("grade"), !r.URL.Query().Has("grade")
		for _, x := range k.gradeRows {
			if all || x.Grade == grade {
				tb.add(txt(gradeName(lang, x.Grade)), cust(x.ID, x.Name, x.Title), txt(x.Consultant))
			}
		}
	default:
		h.fail(w, r, errUser(http.StatusBadRequest, fmt.Sprintf("没有 %q 这个指标", name), fmt.Sprintf("unknown kpi %q", name)))
		return
	}
	h.renderTable(w, r, tb, "kpi_"+name+"_"+rg.From.Format("20060102")+"_"+rg.To.Format("20060102"), nil)
}

// directorDueNotCome is the month-end "due but not come" list (应进未进) for a month
// (month=YYYY-MM, the current month by default).
func (h *handler) directorDueNotCome(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	lang := langFrom(r)
	today := h.today(u)
	start := dateOnly(today.AddDate(0, 0, 1-today.Day()))
	if v := r.FormValue("month"); v != "" {
		m, err := time.Parse("2006-01", v)
		if err != nil {
			h.fail(w, r, errUser(http.StatusBadRequest, fmt.Sprintf("月份 %q 格式不对，请写成 2026-05 这样", v), fmt.Sprintf("bad month %q (want YYYY-MM)", v)))
			return
		}
		start = m
	}
	rows, err := h.dueNotComeRows(r.Context(), u.DealerID, start, dateOnly(today))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	tb := &table{Title: dword(lang, "nav_due") + " " + start.Format("2006-01"), Head: []string{dword(lang, "customer"), dword(lang, "phone"),
		dword(lang, "consultant"), dword(lang, "plate"), dword(lang, "model"), dword(lang, "last_visit"), dword(lang, "kind"), dword(lang, "due_day")}}
	// Phones are masked on screen like every other page; the export, for planning the
	// campaign, has them in full and is audited.
	export := wantsXLSX(r)
	if export {
		h.audit(r.Context(), u, "export.due_not_come", "dealer", u.DealerID, map[string]any{"month": start.Format("2006-01"), "rows": len(rows)})
	}
	for _, x := range rows {
		phone := x.Phone
		if !export {
			phone = maskPhone(phone)
		}
		tb.add(link(x.CustomerName+x.CustomerTitle, h.customerHref(r, x.CustomerName)), txt(phone), txt(x.Consultant),
			txt(x.Plate), txt(x.Model), txt(x.LastMaintenance), txt(maintenanceName(lang, int32(x.Maintenances))), txt(x.DueDay.Format(dayLayout)))
	}
	h.renderTable(w, r, tb, "due_not_come_"+start.Format("200601"), map[string]any{"Month": start.Format("2006-01")})
}

// maintenanceName names the next maintenance after n maintenance visits.
func maintenanceName(lang string, n int32) string {
	zh := map[int32]string{0: "首保", 1: "二保", 2: "三保"}
	en := map[int32]string{0: "1st", 1: "2nd", 2: "3rd"}
	if lang == langEN {
		if s, ok := en[n]; ok {
			return s
		}
		return "periodic"
	}
	if s, ok := zh[n]; ok {
		return s
	}
	return "定保"
}

// dueNotComeRow is a vehicle of the due-not-come list with its customer.
type dueNotComeRow struct {
	CustomerName, CustomerTitle, Phone, Consultant string
	Plate, Model, LastMaintenance                  string
	Maintenances                                   int
	DueDay                                         time.Time
}

// dueNotComeRows is the due-not-come list worked in month (the queue's due_not_come
// rule, through Figures) with the customers' details, by due day.
func (h *handler) dueNotComeRows(ctx context.Context, dealerID int64, month, asOf time.Time) ([]dueNotComeRow, error) {
	if h.deps.Figures == nil {
		return nil, errors.New("no figures: the console needs Deps.Figures")
	}
	due, err := h.deps.Figures.DueNotCome(ctx, dealerID, month, asOf)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(due))
	for i, d := range due {
		ids[i] = d.VehicleID
	}
	rows, err := h.deps.DB.Query(ctx, `SELECT v.id, c.name, c.title, c.phone, c.consultant, v.plate, v.model
		FROM vehicles v JOIN customers c ON c.id = v.customer_id WHERE v.id = ANY($1) AND v.dealer_id = $2`, ids, dealerID)
	if err != nil {
		return nil, err
	}
	byID := map[int64]dueNotComeRow{}
	for rows.Next() {
		var id int64
		var x dueNotComeRow
		if err := rows.Scan(&id, &x.CustomerName, &x.CustomerTitle, &x.Phone, &x.Consultant, &x.Plate, &x.Model); err != nil {
			rows.Close()
			return nil, err
		}
		byID[id] = x
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]dueNotComeRow, 0, len(due))
	for _, d := range due {
		x := byID[d.VehicleID]
		x.Maintenances, x.DueDay = d.MaintenanceCount, d.Due
		if d.LastMaintenance != nil {
			x.LastMaintenance = d.LastMaintenance.Format(dayLayout)
		}
		out = append(out, x)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].DueDay.Before(out[j].DueDay) })
	return out, nil
}

// followBars are the follow-up rate's bars: per campaign, reached of due, each opening its list.
func followBars(k *kpis, r *http.Request, lst func(name, extra string) string) []bar {
	var out []bar
	for _, l := range k.FollowByCampaign {
		out = append(out, bar{fmt.Sprintf("%s %d/%d", campaignName(r, l.Campaign), l.Reached, l.Due), l.Reached, lst("followup", "&campaign="+urlQuery(l.Campaign))})
	}
	return out
}

// taskStatusName names a task's status for the follow-up list; an expired task never
// called is said so.
func taskStatusName(lang, status string, calls int64) string {
	zh := map[string]string{"open": "待拨", "done": "已完成", "unreachable": "联系不上", "invalid": "号码无效", "expired": "已过期", "cancelled": "已取消"}
	if status == "expired" && calls == 0 {
		return word(lang, "过期未拨", "expired uncalled")
	}
	if lang == langEN {
		return status
	}
	if s, ok := zh[status]; ok {
		return s
	}
	return status
}

// appointmentsFellDue are the appointments behind the arrival and no-show rates: booked for
// a day of the range up to yesterday (today's may still arrive), not cancelled nor
// rescheduled, with their arrival (store.DirectorAppointmentsFellDue, the one definition).
// Arrival rate = arrived / fell due; no-show rate = not arrived / fell due.
func (h *handler) appointmentsFellDue(r *http.Request, u *user, rg dayRange) ([]store.DirectorAppointmentsFellDueRow, error) {
	last := dateOnly(rg.To)
	if y := dateOnly(h.today(u)).AddDate(0, 0, -1); y.Before(last) {
		last = y
	}
	rows, err := h.q().DirectorAppointmentsFellDue(r.Context(), store.DirectorAppointmentsFellDueParams{DealerID: u.DealerID,
		FromDay: dateOnly(rg.From), LastDay: last})
	if err != nil {
		return nil, fmt.Errorf("kpi appointments: %w", err)
	}
	return rows, nil
}
