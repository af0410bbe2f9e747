package agentui

// deskText are the service desk page's words: key -> {zh, en}.
var deskText = map[string][2]string{
	"title":        {"服务前台", "Service desk"},
	"today":        {"今天的预约", "Today's appointments"},
	"tomorrow":     {"明天的预约", "Tomorrow's appointments"},
	"time":         {"时间", "Time"},
	"customer":     {"客户", "Customer"},
	"phone":        {"电话", "Phone"},
	"plate":        {"车牌", "Plate"},
	"kind":         {"类型", "Kind"},
	"advisor":      {"服务顾问", "Advisor"},
	"status":       {"状态", "Status"},
	"actions":      {"操作", "Actions"},
	"arrive":       {"已到店", "Arrived"},
	"cancel":       {"取消预约", "Cancel"},
	"print":        {"打印", "Print"},
	"export":       {"导出 Excel", "Export to Excel"},
	"none":         {"没有预约", "No appointments"},
	"booked":       {"已预约", "Booked"},
	"arrived":      {"已到店", "Arrived"},
	"cancelled":    {"已取消", "Cancelled"},
	"no_show":      {"未到店", "No-show"},
	"maintenance":  {"保养", "Maintenance"},
	"repair":       {"维修", "Repair"},
	"inspection":   {"检测", "Inspection"},
	"test_drive":   {"试驾", "Test drive"},
	"other":        {"其他", "Other"},
	"done_arrived": {"已标记到店", "Marked arrived"},
	"done_cancel":  {"已取消预约", "Appointment cancelled"},
	"confirm":      {"确认取消这个预约？", "Cancel this appointment?"},
	"day":          {"日期", "Day"},
	"done_visit":   {"已登记到店客户，离店后发送关怀短信，当晚回访", "Visitor registered: the leave-store SMS follows when they leave, the call this evening"},
	"register":     {"前台登记（展厅到店客户）", "Showroom visitor registration"},
	"name":         {"姓名", "Name"},
	"title_f":      {"称呼", "Title"},
	"mr":           {"先生", "Mr"},
	"ms":           {"女士", "Ms"},
	"consultant":   {"销售顾问", "Consultant"},
	"arrived_at":   {"到店时间", "Arrived"},
	"left_at":      {"离店时间", "Left"},
	"intent":       {"意向级别", "Intent level"},
	"note":         {"备注", "Note"},
	"save":         {"登记", "Register"},
}

// dsk returns a desk word in lang.
func dsk(lang, key string) string {
	w, ok := deskText[key]
	if !ok {
		return key
	}
	if lang == langEN {
		return w[1]
	}
	return w[0]
}

// deskWords are the desk's words in lang, for the template.
func deskWords(lang string) map[string]string {
	out := make(map[string]string, len(deskText))
	for k := range deskText {
		out[k] = dsk(lang, k)
	}
	return out
}
