package agentui

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
)

const (
	langZH = "zh"
	langEN = "en"
)

// langFrom returns the request's language: the cookie's choice, Chinese by default.
func langFrom(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && c.Value == langEN {
		return langEN
	}
	return langZH
}

// messages are the console's words: key -> {zh, en}.
var messages = map[string][2]string{
	"app.name":               {"回访工作台", "Huifang console"},
	"nav.console":            {"外呼工作台", "Console"},
	"nav.wallboard":          {"监控大屏", "Wallboard"},
	"nav.calls":              {"通话记录", "Call records"},
	"nav.scripts":            {"话术管理", "Scripts"},
	"nav.director":           {"总监看板", "Director"},
	"nav.mychecks":           {"我的抽查", "My spot-checks"},
	"nav.users":              {"用户管理", "Users"},
	"nav.integration":        {"系统对接", "Integration"},
	"nav.mysip":              {"我的软电话", "My softphone"},
	"nav.logout":             {"退出", "Log out"},
	"nav.lang":               {"English", "中文"},
	"login.title":            {"登录", "Log in"},
	"login.username":         {"用户名", "User name"},
	"login.password":         {"密码", "Password"},
	"login.submit":           {"登录", "Log in"},
	"login.failed":           {"用户名或密码错误", "Wrong user name or password"},
	"login.limited":          {"登录失败次数过多，请稍后再试", "Too many failed logins; try again later"},
	"login.busy":             {"登录人数过多，请几秒后再试", "Too many logins at once; try again in a few seconds"},
	"status.offline":         {"离线", "Offline"},
	"status.ready":           {"就绪", "Ready"},
	"status.paused":          {"暂停", "Paused"},
	"phase.idle":             {"等待任务", "Waiting for a task"},
	"phase.preview":          {"预览", "Preview"},
	"phase.countdown":        {"即将自动外呼", "Dialling soon"},
	"phase.call":             {"通话中", "On a call"},
	"phase.wrapup":           {"话后整理", "Wrap-up"},
	"mode.preview":           {"预览模式", "Preview mode"},
	"mode.progressive":       {"自动外呼模式", "Progressive mode"},
	"btn.ready":              {"就绪 (F2)", "Ready (F2)"},
	"btn.pause":              {"暂停 (F3)", "Pause (F3)"},
	"btn.call":               {"呼叫 (F5)", "Call (F5)"},
	"btn.skip":               {"跳过 (F6)", "Skip (F6)"},
	"btn.hangup":             {"挂断 (F8)", "Hang up (F8)"},
	"btn.save":               {"保存结果 (Ctrl+Enter)", "Save outcome (Ctrl+Enter)"},
	"btn.save_script":        {"保存为新版本", "Save as a new version"},
	"call.dialing":           {"正在呼叫", "Dialling"},
	"call.ringing":           {"振铃中", "Ringing"},
	"call.answered":          {"已接通", "Answered"},
	"call.ended":             {"已结束", "Ended"},
	"call.talk":              {"通话", "Talk"},
	"call.result":            {"结果", "Result"},
	"cr.answered":            {"已接通", "answered"},
	"cr.busy":                {"占线", "busy"},
	"cr.declined":            {"拒接", "declined"},
	"cr.no_answer":           {"无人接听", "no answer"},
	"cr.unreachable":         {"关机/无法接通", "unreachable"},
	"cr.invalid_number":      {"空号", "invalid number"},
	"cr.trunk_failure":       {"线路故障", "trunk failure"},
	"countdown":              {"秒后自动呼叫", "s until the call is placed"},
	"notice.no_task":         {"暂时没有待拨任务，稍后自动刷新", "No task ready; checking again shortly"},
	"notice.closed":          {"当前不在外呼时段，开放时间", "Outside the calling window; opens"},
	"notice.holiday":         {"今天是休息日，开放时间", "Holiday; opens"},
	"notice.take_failed":     {"获取任务失败，稍后重试", "Could not get a task; retrying"},
	"notice.dial_failed":     {"呼叫失败，请重试或跳过", "The call could not be placed; try again or skip"},
	"notice.offline":         {"连接已断开，正在重连……", "Disconnected; reconnecting..."},
	"phone.title":            {"网页电话", "Browser phone"},
	"phone.mic":              {"麦克风", "Microphone"},
	"phone.level":            {"音量", "Level"},
	"phone.mute":             {"静音", "Mute"},
	"phone.unmute":           {"取消静音", "Unmute"},
	"phone.off":              {"未开启", "Off"},
	"phone.idle":             {"就绪后连接", "Connects when you are ready"},
	"phone.connecting":       {"正在连接……", "Connecting..."},
	"phone.connected":        {"已连接", "Connected"},
	"phone.reconnecting":     {"连接中断，正在重连……", "Connection lost; reconnecting..."},
	"phone.failed":           {"连接失败，稍后重试", "Could not connect; retrying"},
	"phone.denied":           {"麦克风未授权：请在浏览器地址栏允许使用麦克风", "Microphone blocked: allow it in the browser's address bar"},
	"phone.sip":              {"使用 SIP 话机", "Using your SIP phone"},
	"notice.saved":           {"结果已保存", "Outcome saved"},
	"notice.flagged":         {"此任务曾被领取后未处理", "This task was once taken and left"},
	"err.unknown_message":    {"无法识别的消息", "Unknown message"},
	"err.no_task_to_call":    {"当前没有可呼叫的任务", "No task to call"},
	"err.not_ready":          {"暂停或离线时不能呼叫，请先按“就绪”", "You are paused or offline: press Ready before calling"},
	"err.no_call":            {"当前没有通话可挂断", "No call to hang up"},
	"err.rtc_off":            {"网页电话未开启", "The browser phone is turned off"},
	"err.rtc_failed":         {"网页电话连接失败，正在重试", "The browser phone could not connect; retrying"},
	"err.rtc_sip_phone":      {"您的 SIP 话机已连接，请使用话机通话", "Your SIP phone is connected; use it for calls"},
	"err.hangup_failed":      {"挂断失败，请重试", "Hang-up failed; try again"},
	"err.no_task_to_skip":    {"当前没有可跳过的任务", "No task to skip"},
	"err.skip_reason":        {"请选择跳过原因", "Choose a reason to skip"},
	"err.skip_failed":        {"跳过失败，请重试", "Skipping failed; try again"},
	"err.client_id":          {"结果缺少表单编号，请刷新页面", "The outcome has no form id; reload the page"},
	"err.task_gone":          {"该任务已不在您的屏幕上", "This task is no longer on your screen"},
	"err.hang_up_first":      {"请先挂断再保存结果", "Hang up before saving the outcome"},
	"err.save_failed":        {"保存失败，请重试", "Saving failed; try again"},
	"err.choose_outcome":     {"请选择回访结果", "Choose an outcome"},
	"err.bad_answers":        {"问题答案格式有误", "The answers are malformed"},
	"err.appointment_format": {"预约到店时间格式有误", "The appointment time is not a date and time"},
	"err.callback_format":    {"回电时间格式有误", "The callback time is not a date and time"},
	"err.appointment_future": {"预约到店时间须晚于现在", "An appointment needs a future date and time"},
	"err.appointment_hours":  {"预约到店时间不在接车时间内", "The appointment is outside the workshop hours"},
	"err.callback_future":    {"回电时间须晚于现在", "A callback needs a future date and time"},
	"err.complaint_category": {"请选择抱怨类别", "A complaint needs a category"},
	"err.dnc_confirm":        {"勿再致电是永久的（所有活动），请先确认", "Do not call is permanent (every campaign): confirm it first"},
	"confirm.dnc":            {"确认将此号码永久列入“勿再致电”（所有回访活动都不再拨打）？", "Put this number on the do-not-call list for good (no campaign will call it again)?"},
	"err.pause_reason":       {"暂停原因无效：请从列表中选择（休息、用餐、会议、培训、行政事务）", "Unknown pause reason: choose one of the list (break, meal, meeting, training, admin work)"},
	"err.writeback":          {"回写客户资料失败", "The answers cannot be written back"},
	"err.mileage":            {"里程须为不小于 0 的整数（公里）", "The mileage must be a whole number of km, not negative"},
	"err.undo_none":          {"没有可撤销的结果", "No outcome to undo"},
	"err.undo_busy":          {"通话中或正在填写结果时不能撤销上一条结果", "Finish the call and its outcome before undoing the previous one"},
	"err.undo_too_late":      {"已超过可撤销时间，结果不能撤销", "Too late: the outcome can no longer be undone"},
	"err.undo_failed":        {"撤销失败，请重试", "Undo failed; try again"},
	"notice.undone":          {"已撤销，请重新选择结果", "Undone: choose the outcome again"},
	"btn.undo":               {"撤销", "Undo"},
	"form.mileage":           {"客户所说里程（公里）", "Mileage stated (km)"},
	"form.vehicle":           {"车辆", "Vehicle"},
	"form.lost_reason":       {"战败原因", "Lost reason"},
	"card.changes":           {"通话带来的资料变更", "Changes from calls"},
	"chg.mileage":            {"里程", "Mileage"},
	"chg.vehicle_active":     {"已不是车主", "No longer owns the car"},
	"chg.moved_away_on":      {"已搬离", "Moved away"},
	"chg.prospect_status":    {"客户状态", "Prospect status"},
	"chg.intent_level":       {"意向级别", "Intent level"},
	"chg.undo":               {"撤销结果", "Outcome undone"},
	"ps.open":                {"意向", "open"},
	"ps.key":                 {"重点", "key"},
	"ps.pre_lost":            {"准战败", "pre-lost"},
	"ps.lost":                {"战败", "lost"},
	"ps.won":                 {"成交", "won"},
	"err.no_call_yet":        {"尚未呼叫，不能保存结果；未呼叫的任务请按“跳过 (F6)”并选择原因", "Not called yet: no outcome can be saved; skip (F6) with a reason instead"},
	"err.not_answered":       {"客户未接通：只能选择占线、无人接听、关机、空号等未接通结果", "The customer did not answer: only busy, no answer, switched off or a bad number may be saved"},
	"card.customer":          {"客户", "Customer"},
	"card.phone":             {"电话", "Phone"},
	"card.grade":             {"等级", "Grade"},
	"card.consultant":        {"销售顾问", "Consultant"},
	"card.vehicles":          {"车辆", "Vehicles"},
	"card.visits":            {"进厂记录", "Workshop visits"},
	"card.calls":             {"历史回访", "Previous calls"},
	"card.complaints":        {"未结抱怨", "Open complaints"},
	"card.reasons":           {"本次回访原因", "Reasons for this call"},
	"card.none":              {"无", "None"},
	"card.delivery":          {"交车", "Delivered"},
	"card.attempts":          {"已拨次数", "Attempts"},
	"script.title":           {"话术", "Script"},
	"script.opening":         {"开场", "Opening"},
	"script.reminder":        {"提醒内容", "Reminder"},
	"script.questions":       {"问题", "Questions"},
	"script.closing":         {"结束语", "Closing"},
	"script.objections":      {"异议应答", "Objection answers"},
	"script.version":         {"版本", "Version"},
	"form.title":             {"回访结果", "Outcome"},
	"form.outcome":           {"结果", "Outcome"},
	"form.appointment":       {"预约到店时间", "Appointment"},
	"form.callback":          {"回电时间", "Call back at"},
	"form.mine":              {"由我回电", "Keep the callback for me"},
	"form.complaint":         {"抱怨类别", "Complaint category"},
	"form.dnc":               {"勿再致电（所有活动）", "Do not call again (every campaign)"},
	"form.sms_opt_out":       {"不再接收营销短信", "No more marketing SMS"},
	"form.notes":             {"备注", "Notes"},
	"form.not_called":        {"尚未呼叫：请先呼叫 (F5)；不呼叫请按跳过 (F6) 并选择原因", "Not called yet: call (F5), or skip (F6) with a reason"},
	"skip.title":             {"跳过此任务（不呼叫）", "Skip this task (no call)"},
	"skip.help":              {"任务将在 15 分钟后回到队列；跳过记录会出现在总监的通话记录中。", "The task returns to the queue in 15 minutes; the skip is listed in the directors' call records."},
	"skip.confirm":           {"确认跳过 (Enter)", "Skip (Enter)"},
	"skip.cancel":            {"取消 (Esc)", "Cancel (Esc)"},
	"skip.choose":            {"— 请选择原因 —", "— choose a reason —"},
	"form.skip_reason":       {"跳过原因", "Reason to skip"},
	"form.pause_reason":      {"暂停原因", "Reason to pause"},
	"wb.agents":              {"坐席状态", "Agents"},
	"wb.queue":               {"待拨队列", "Queue"},
	"wb.in_call":             {"通话中", "Calls in progress"},
	"wb.campaign":            {"回访类型", "Campaign"},
	"wb.open":                {"待拨", "Open"},
	"wb.taken":               {"已领取", "Taken"},
	"wb.flagged":             {"领取未处理", "Abandoned"},
	"wb.agent":               {"坐席", "Agent"},
	"wb.status":              {"状态", "Status"},
	"wb.since":               {"持续", "For"},
	"wb.done":                {"已完成", "Done"},
	"wb.connected":           {"在线", "Online"},
	"calls.at":               {"时间", "Time"},
	"calls.agent":            {"坐席", "Agent"},
	"calls.customer":         {"客户", "Customer"},
	"calls.talk":             {"通话秒数", "Talk (s)"},
	"calls.recording":        {"录音", "Recording"},
	"scripts.edit":           {"编辑", "Edit"},
	"scripts.builtin":        {"内置", "built-in"},
	"scripts.history":        {"历史版本", "Versions"},
	"scripts.note":           {"修改说明", "Change note"},
	"scripts.saved":          {"已保存版本", "Saved version"},
	"c.complaint":            {"抱怨回访", "Complaint follow-up"},
	"c.same_day_visit":       {"当天回访", "Same-day visit"},
	"c.recall":               {"召回", "Recall"},
	"c.lost_prospect":        {"战败回访", "Lost prospect"},
	"c.key_prospect":         {"重点客户", "Key prospect"},
	"c.first_maintenance":    {"首保", "First maintenance"},
	"c.delivery_3day":        {"交车三日", "3-day delivery"},
	"c.care_15day":           {"15天关怀", "15-day care"},
	"c.post_service":         {"维修保养回访", "Post-service"},
	"c.no_show":              {"预约未到", "Appointment no-show"},
	"c.sales_followup":       {"销售回访", "Sales follow-up"},
	"c.maintenance":          {"定保", "Maintenance"},
	"c.warranty":             {"出保前检查", "Warranty ending"},
	"c.insurance":            {"保险到期", "Insurance renewal"},
	"c.inspection":           {"年检", "Inspection"},
	"c.due_not_come":         {"应进未进", "Due, not come"},
	"c.lapsed_3m":            {"3个月未回厂", "Lapsed 3 months"},
	"c.lapsed_6m":            {"6个月未回厂", "Lapsed 6 months"},
	"c.lapsed_12m":           {"1年未回厂", "Lapsed 1 year"},
	"c.lapsed_24m":           {"2年未回厂", "Lapsed 2 years"},
	"c.base_care":            {"基盘关怀", "Base care"},
	"c.prospect_followup":    {"意向客户跟进", "Prospect follow-up"},
	"c.birthday":             {"生日祝福", "Birthday"},
	"cc.service_quality":     {"服务质量", "Service quality"},
	"cc.repair_quality":      {"维修质量", "Repair quality"},
	"cc.price":               {"收费价格", "Price"},
	"cc.waiting_time":        {"等待时间", "Waiting time"},
	"cc.parts":               {"配件", "Parts"},
	"cc.attitude":            {"服务态度", "Attitude"},
	"cc.sales":               {"销售过程", "Sales"},
	"cc.other":               {"其他", "Other"},
	"outcome.not_called":     {"未呼叫", "Not called"},
	"sr.customer_in_store":   {"客户正在店内", "Customer is in the store"},
	"sr.duplicate":           {"重复任务", "Duplicate"},
	"sr.handled_elsewhere":   {"已由他人处理", "Handled by someone else"},
	"sr.wrong_data":          {"资料有误", "Wrong data"},
	"sr.other":               {"其他", "Other"},
	"pr.break":               {"休息", "Break"},
	"pr.meal":                {"用餐", "Meal"},
	"pr.meeting":             {"开会", "Meeting"},
	"pr.training":            {"培训", "Training"},
	"pr.admin_work":          {"事务处理", "Admin work"},
	"ans.yes":                {"是", "Yes"},
	"ans.no":                 {"否", "No"},
}

// t returns the word for key in lang (the key itself when unknown).
func t(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if lang == langEN {
		return m[1]
	}
	return m[0]
}

// messagesJSON is the language's words for the page's script.
func messagesJSON(lang string) template.JS {
	out := make(map[string]string, len(messages))
	for k := range messages {
		out[k] = t(lang, k)
	}
	b, _ := json.Marshal(out)
	return template.JS(b)
}

// parseTemplates parses the page templates with the words of one language.
func parseTemplates(lang string, static *staticFiles) (*template.Template, error) {
	funcs := template.FuncMap{
		"t":      func(key string) string { return t(lang, key) },
		"static": func(name string) string { return static.urls[name] },
	}
	tpl, err := template.New("").Funcs(funcs).ParseFS(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("agentui: parse templates: %w", err)
	}
	return tpl, nil
}
