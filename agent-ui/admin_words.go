package agentui

// adminText are the user administration page's words: key -> {zh, en}.
var adminText = map[string][2]string{
	"title":          {"用户管理", "Users"},
	"intro":          {"管理本店的登录账号。每个坐席有单独的随机分机密码（软电话用），与登录密码无关，只显示一次；忘记时重新生成。", "The dealer's console logins. Each agent has a separate random softphone (SIP) secret, unrelated to the login password and shown once; issue a new one when it is lost."},
	"read_only":      {"总监可查看；只有管理员可以新增、改密码、停用或启用用户。", "Directors may look; only admins add users, reset passwords, disable or enable."},
	"username":       {"用户名", "User name"},
	"display_name":   {"姓名", "Name"},
	"role":           {"角色", "Role"},
	"status":         {"状态", "Status"},
	"sip":            {"分机密码", "SIP secret"},
	"created":        {"创建时间", "Created"},
	"actions":        {"操作", "Actions"},
	"active":         {"启用", "Active"},
	"inactive":       {"已停用", "Disabled"},
	"sip_set":        {"已设置", "Set"},
	"sip_none":       {"未设置", "None"},
	"agent":          {"坐席", "Agent"},
	"director":       {"总监", "Director"},
	"admin":          {"管理员", "Admin"},
	"service_desk":   {"服务前台", "Service desk"},
	"add":            {"新增用户", "Add a user"},
	"password":       {"密码（至少 8 位）", "Password (8 or more characters)"},
	"new_password":   {"新密码", "New password"},
	"sip_reissue":    {"重新生成分机密码", "Issue a new SIP secret"},
	"sip_secret_for": {"新的分机密码，用户", "New SIP secret for"},
	"realm":          {"域", "realm"},
	"sip_once":       {"只显示这一次：请现在填入软电话。旧的分机密码已失效。", "Shown this once: enter it in the softphone now. The old secret no longer works."},
	"set_password":   {"重置密码", "Reset password"},
	"disable":        {"停用", "Disable"},
	"enable":         {"启用", "Enable"},
	"username_fmt":   {"用户名用于登录和分机注册：1-32 位英文字母、数字或 . _ -（如 zhao.min），所有门店唯一，创建后不能改。中文姓名请填在“姓名”里。", "Used to log in and register the phone: 1-32 of letters, digits, . _ - (such as zhao.min), unique across dealers, fixed once created. Put a Chinese name in Name."},
	"name_fmt":       {"显示在页面和监控大屏上，可以用中文，如 客服 赵敏", "Shown on pages and the wallboard; any language, such as 客服 赵敏"},
	"edit":           {"修改姓名/角色", "Edit name/role"},
	"save":           {"保存", "Save"},
	"own_role":       {"不能修改自己的角色", "You cannot change your own role"},
	"confirm_reset":  {"确认重置此用户的密码", "Yes, reset this user's password"},
	"reset_for":      {"重置密码：", "Reset the password of "},
	"my_sip":         {"我的软电话", "My softphone"},
	"my_sip_intro":   {"在软电话里填入以下账号。分机密码与登录密码无关；丢失时点下面的按钮重新生成，旧密码随即失效。", "Enter this account in your softphone. The SIP secret is not your login password; if it is lost, issue a new one below (the old one stops working)."},
	"done":           {"已保存", "Saved"},
}

// adminWords are the user administration page's words in lang, for the template (.A.key).
func adminWords(lang string) map[string]string {
	out := make(map[string]string, len(adminText))
	for k, v := range adminText {
		if lang == langEN {
			out[k] = v[1]
		} else {
			out[k] = v[0]
		}
	}
	return out
}

// word is zh or en by lang.
func word(lang, zh, en string) string {
	if lang == langEN {
		return en
	}
	return zh
}
