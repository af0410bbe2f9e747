package agentui

// directorText are the director pages' words: key -> {zh, en}.
var directorText = map[string][2]string{
	"title":         {"总监工作台", "Director console"},
	"nav_daily":     {"每日检查", "Daily check"},
	"nav_calls":     {"通话记录", "Call records"},
	"nav_checks":    {"抽查", "Spot-checks"},
	"nav_kpi":       {"指标", "KPIs"},
	"nav_due":       {"应进未进", "Due, not come"},
	"nav_settings":  {"评分表与设置", "Rubric and settings"},
	"from":          {"起始日", "From"},
	"to":            {"截止日", "To"},
	"day":           {"日期", "Day"},
	"month":         {"月份", "Month"},
	"agent":         {"坐席", "Agent"},
	"campaign":      {"回访类型", "Campaign"},
	"outcome":       {"回访结果", "Outcome"},
	"sip_status":    {"SIP 状态码", "SIP status"},
	"min_secs":      {"最短通话秒数", "Min talk (s)"},
	"customer":      {"客户", "Customer"},
	"cust_search":   {"客户姓名或电话", "Customer name or phone"},
	"cust":          {"客户", "Customer"},
	"any":           {"全部", "Any"},
	"search":        {"查询", "Search"},
	"export":        {"导出 Excel", "Export to Excel"},
	"next":          {"下一页", "Next page"},
	"time":          {"时间", "Time"},
	"talk":          {"通话秒数", "Talk (s)"},
	"recording":     {"录音", "Recording"},
	"purged":        {"录音已按保留期删除", "Recording deleted by retention"},
	"check":         {"抽查", "Check"},
	"open":          {"查看", "Open"},
	"none":          {"无", "None"},
	"reasons":       {"回访原因", "Reasons"},
	"form":          {"回访结果表单", "Outcome form"},
	"script":        {"话术版本", "Script version"},
	"answers":       {"问题回答", "Answers"},
	"notes":         {"备注", "Notes"},
	"appointment":   {"预约时间", "Appointment"},
	"callback":      {"回电时间", "Call back at"},
	"complaint":     {"抱怨类别", "Complaint"},
	"score":         {"评分", "Score"},
	"total":         {"总分", "Total"},
	"pass":          {"合格", "Pass"},
	"fail":          {"不合格", "Fail"},
	"coaching":      {"需辅导", "Coaching"},
	"comment":       {"评语", "Comment"},
	"save_score":    {"保存评分", "Save score"},
	"scored":        {"已评分", "Scored"},
	"pending":       {"待评分", "To score"},
	"draw":          {"随机抽取", "Draw a sample"},
	"draw_filtered": {"从查询结果中抽查条数", "Calls to draw from these results"},
	"per":           {"抽取方式", "Sample"},
	"per_range":     {"整个时段（如一周）", "over the whole range (a week)"},
	"per_day":       {"每天", "each day"},
	"per_agent":     {"每个坐席抽取通话数", "Calls per agent"},
	"my_checks":     {"我的抽查评分", "My spot-check scores"},
	"rubric":        {"评分表", "Rubric"},
	"item_key":      {"代码", "Key"},
	"item_label":    {"评分项", "Item"},
	"item_max":      {"满分", "Max"},
	"item_sort":     {"顺序", "Order"},
	"item_active":   {"启用", "Active"},
	"save":          {"保存", "Save"},
	"retention":     {"录音保留天数（0 为永久保留）", "Keep recordings for days (0 keeps them)"},
	"due":           {"今日应回访", "Due today"},
	"called":        {"已拨打", "Called"},
	"reached":       {"已接通", "Reached"},
	"booked":        {"已预约", "Booked"},
	"unreachable":   {"无法联系", "Unreachable"},
	"not_called":    {"尚未拨打", "Not called yet"},
	"no_outcome":    {"拨打后未填结果", "Called, no outcome"},
	"visits":        {"展厅到店", "Showroom visits"},
	"sms_sent":      {"离店短信已发", "Leave-store SMS sent"},
	"sms_status":    {"短信状态", "SMS status"},
	"arrived":       {"到店", "Arrived"},
	"left":          {"离店", "Left"},
	"consultant":    {"销售顾问", "Consultant"},
	"phone":         {"电话", "Phone"},
	"status":        {"状态", "Status"},
	"calls":         {"通话数", "Calls"},
	"answered":      {"接通数", "Answered"},
	"outcomes":      {"结果数", "Outcomes"},
	"per_hour":      {"每小时结果数", "Outcomes per hour"},
	"talk_min":      {"通话分钟", "Talk (min)"},
	"figure":        {"指标", "Figure"},
	"value":         {"数值", "Value"},
	"plate":         {"车牌", "Plate"},
	"model":         {"车型", "Model"},
	"last_visit":    {"上次保养", "Last maintenance"},
	"due_day":       {"到期日", "Due day"},
	"kind":          {"类别", "Kind"},
	"no_access":     {"无权访问", "Forbidden"},
	"nav_sms":       {"短信与语音通知", "SMS and message calls"},
	"sms_templates": {"短信模板与签名", "SMS templates and signature"},
	"since":         {"起始日", "Since"},
	"campaign_run":  {"活动", "Campaign"},
	"automatic":     {"（自动）", "(automatic)"},
	"template":      {"模板", "Template"},
	"total_n":       {"总数", "Total"},
	"sent":          {"已发送", "Sent"},
	"delivered":     {"已送达", "Delivered"},
	"failed":        {"失败", "Failed"},
	"suppressed":    {"已拦截", "Suppressed"},
	"waiting":       {"待处理", "Pending"},
	"replied":       {"已回复", "Replied"},
	"opted_out":     {"已退订", "Opted out"},
	"message_calls": {"语音通知", "Message calls"},
	"key":           {"按键", "Key"},
	"signature":     {"短信签名", "SMS signature"},
	"quiet_hours":   {"营销短信免打扰时段", "Marketing SMS quiet hours"},
	"quiet_hint":    {"此时段内不发营销短信；只能放宽（开始 12:00-21:00，结束 08:00-12:00），不能短于", "no marketing SMS in this period; it may only be widened (start 12:00-21:00, end 08:00-12:00), never shorter than"},
	"title_col":     {"标题", "Title"},
	"body":          {"内容", "Text"},
	"source":        {"来源", "Source"},
	"own":           {"本店", "Dealer's own"},
	"builtin":       {"默认", "Default"},
	"length":        {"示例字数 / 条数", "Sample characters / SMS"},
	"edit":          {"编辑", "Edit"},
	"code":          {"代码", "Code"},
	"variables":     {"可用变量", "Variables"},
	"provider_code": {"云短信模板编号", "Cloud SMS template code"},
	"provider_hint": {"阿里云 SMS_123456789 或腾讯云 1234567，须以相同内容在云平台审核通过", "Aliyun SMS_123456789 or Tencent 1234567, approved there with the same text"},
	"kind_service":  {"服务类", "Service"},
	"kind_mkt":      {"营销类（可退订，免打扰时段不发）", "Marketing (opt-out, quiet hours)"},
}

// directorWords are the director pages' words in lang, for the templates (.D.key).
func directorWords(lang string) map[string]string {
	out := make(map[string]string, len(directorText))
	for k, v := range directorText {
		if lang == langEN {
			out[k] = v[1]
		} else {
			out[k] = v[0]
		}
	}
	return out
}

// dword is one director word in lang.
func dword(lang, key string) string {
	v, ok := directorText[key]
	if !ok {
		return key
	}
	if lang == langEN {
		return v[1]
	}
	return v[0]
}
