package agentui

import (
	"fmt"
	"time"

	"github.com/huifang/huifang/queue"
)

// complaintText are the words of the complaint, low-score and satisfaction pages:
// key -> {zh, en}.
var complaintText = map[string][2]string{
	"nav_complaints":   {"抱怨", "Complaints"},
	"nav_lowscores":    {"低分", "Low scores"},
	"nav_satisfaction": {"满意度", "Satisfaction"},
	"complaints":       {"抱怨管理", "Complaints"},
	"complaint":        {"抱怨", "Complaint"},
	"new":              {"登记新抱怨", "Open a complaint"},
	"phone":            {"客户电话", "Customer phone"},
	"category":         {"类别", "Category"},
	"description":      {"客户原话", "What the customer said"},
	"serious":          {"严重（安全、法律、媒体）", "Serious (safety, legal, media)"},
	"open_it":          {"登记", "Open"},
	"status":           {"状态", "Status"},
	"severity":         {"严重程度", "Severity"},
	"owner":            {"负责人", "Owner"},
	"opened":           {"开启时间", "Opened"},
	"age":              {"已过", "Age"},
	"respond_due":      {"首次回复期限", "First response due"},
	"resolve_due":      {"解决期限", "Resolution due"},
	"overdue":          {"已超时", "Overdue"},
	"overdue_only":     {"只看超时", "Overdue only"},
	"source":           {"来源", "Source"},
	"call":             {"来源通话", "The call"},
	"timeline":         {"处理经过", "Timeline"},
	"customer":         {"客户", "Customer"},
	"note":             {"说明", "Note"},
	"assign":           {"转交", "Assign"},
	"respond":          {"记录首次回复", "Record the first response"},
	"resolve":          {"标记已解决", "Mark resolved"},
	"make_serious":     {"升为严重", "Make serious"},
	"reopen":           {"重新开启", "Reopen"},
	"add_note":         {"添加备注", "Add a note"},
	"response":         {"首次回复", "First response"},
	"resolution":       {"处理结果", "Resolution"},
	"any":              {"全部", "Any"},
	"search":           {"查询", "Search"},
	"export":           {"导出 Excel", "Export to Excel"},
	"from":             {"起始日", "From"},
	"to":               {"截止日", "To"},
	"lowscores":        {"低分电话", "Low-score calls"},
	"ack":              {"已处理", "Acknowledge"},
	"acked":            {"已处理的", "Acknowledged"},
	"unacked":          {"待处理的", "To acknowledge"},
	"score":            {"评分", "Score"},
	"agent":            {"坐席", "Agent"},
	"campaign":         {"回访类型", "Campaign"},
	"questions":        {"问题", "Questions"},
	"day":              {"日期", "Day"},
	"satisfaction":     {"满意度报表", "Satisfaction"},
	"mean":             {"平均分", "Mean score"},
	"share45":          {"4-5 分占比", "Share of 4-5"},
	"scores":           {"评分数", "Scores"},
	"total":            {"合计", "All"},
	"by_campaign":      {"按回访类型", "By campaign"},
	"by_agent":         {"按坐席", "By agent"},
	"by_advisor":       {"按服务顾问", "By service advisor"},
	"by_month":         {"按月", "By month"},
	"by_category":      {"按类别", "By category"},
	"advisor":          {"服务顾问", "Service advisor"},
	"month":            {"月份", "Month"},
	"cfigures":         {"抱怨指标", "Complaint figures"},
	"opened_n":         {"抱怨数", "Complaints"},
	"per100":           {"每百通接通电话抱怨数", "Per 100 reached calls"},
	"median_resp":      {"首次回复时间中位数", "Median time to first response"},
	"in_time":          {"按期解决率", "Resolved in time"},
	"reopen_rate":      {"重开率", "Reopen rate"},
	"unknown":          {"（未填）", "(none)"},
	"complaint_link":   {"查看抱怨", "Complaint"},
	"weekly":           {"坐席每周抽查", "Weekly spot-checks per agent"},
	"week":             {"周", "Week"},
	"checked":          {"抽查数", "Checked"},
	"pass_rate":        {"合格率", "Pass rate"},
	"mean_pct":         {"平均得分率", "Mean score"},
	"trend":            {"趋势", "Trend"},
	"st.open":          {"待回复", "Open"},
	"st.responded":     {"已回复", "Responded"},
	"st.resolved":      {"已解决，待满意度回访", "Resolved, satisfaction call due"},
	"st.closed":        {"已结案", "Closed"},
	"st.active":        {"处理中", "Active"},
	"sev.normal":       {"一般", "Normal"},
	"sev.serious":      {"严重", "Serious"},
	"src.call":         {"回访电话", "Call"},
	"src.director":     {"总监登记", "Director"},
	"src.api":          {"系统接口", "API"},
	"src.import":       {"导入", "Import"},
	"ev.opened":        {"开启", "Opened"},
	"ev.assigned":      {"转交", "Assigned"},
	"ev.serious":       {"升为严重", "Made serious"},
	"ev.responded":     {"首次回复", "First response"},
	"ev.resolved":      {"已解决", "Resolved"},
	"ev.closed":        {"满意度回访满意，结案", "Closed: the customer is satisfied"},
	"ev.reopened":      {"重新开启（严重）", "Reopened (serious)"},
	"ev.overdue":       {"超时", "Overdue"},
	"ev.note":          {"备注", "Note"},
	"nd.respond":       {"首次回复超时", "first response overdue"},
	"nd.resolve":       {"解决超时", "resolution overdue"},
}

// cword is a word of complaintText in lang (the key itself when it has none).
func cword(lang, key string) string {
	v, ok := complaintText[key]
	if !ok {
		return key
	}
	if lang == langEN {
		return v[1]
	}
	return v[0]
}

// complaintWords are all of complaintText in lang, for templates (.C).
func complaintWords(lang string) map[string]string {
	out := make(map[string]string, len(complaintText))
	for k := range complaintText {
		out[k] = cword(lang, k)
	}
	return out
}

// complaintCategoryName is a complaint category's name in lang: the one set of names the agent's
// form, the customer card and the directors' pages share (cc.<code> in i18n.go); a
// category an import wrote in its own words is shown as it is.
func complaintCategoryName(lang, code string) string {
	if code == "" {
		return cword(lang, "unknown")
	}
	if _, ok := messages["cc."+code]; ok {
		return t(lang, "cc."+code)
	}
	return code
}

// categoryOptions are the categories for a form's select, code and name.
func categoryOptions(lang string) [][2]string {
	var out [][2]string
	for _, c := range queue.ComplaintCategories() {
		out = append(out, [2]string{c, complaintCategoryName(lang, c)})
	}
	return out
}

// ageWords says how long ago t was, in days and hours, in lang.
func ageWords(lang string, d time.Duration) string {
	if d < 0 {
		d = 0
	}
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if lang == langEN {
		if days > 0 {
			return fmt.Sprintf("%dd %dh", days, hours)
		}
		return fmt.Sprintf("%dh %dm", hours, int(d%time.Hour/time.Minute))
	}
	if days > 0 {
		return fmt.Sprintf("%d 天 %d 小时", days, hours)
	}
	return fmt.Sprintf("%d 小时 %d 分", hours, int(d%time.Hour/time.Minute))
}
