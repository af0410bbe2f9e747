package agentui

// adminText are the user administration page's words: key -> {zh, en}.
var adminText = map[string][2]string{
	"title":        {"用户管理", "Users"},
	"intro":        {"管理本店的登录账号。坐席的软电话（分机）密码默认与登录密码相同。", "The dealer's console logins. An agent's softphone (SIP) password is the login password unless set otherwise."},
	"read_only":    {"总监可查看；只有管理员可以新增、改密码、停用或启用用户。", "Directors may look; only admins add users, reset passwords, disable or enable."},
	"username":     {"用户名", "User name"},
	"display_name": {"姓名", "Name"},
	"role":         {"角色", "Role"},
	"status":       {"状态", "Status"},
	"sip":          {"分机密码", "SIP password"},
	"created":      {"创建时间", "Created"},
	"actions":      {"操作", "Actions"},
	"active":       {"启用", "Active"},
	"inactive":     {"已停用", "Disabled"},
	"sip_set":      {"已设置", "Set"},
	"sip_none":     {"未设置", "None"},
	"agent":        {"坐席", "Agent"},
	"director":     {"总监", "Director"},
	"admin":        {"管理员", "Admin"},
	"add":          {"新增用户", "Add a user"},
	"password":     {"密码（至少 8 位）", "Password (8 or more characters)"},
	"new_password": {"新密码", "New password"},
	"keep_sip":     {"保留分机密码", "Keep the SIP password"},
	"set_password": {"重置密码", "Reset password"},
	"disable":      {"停用", "Disable"},
	"enable":       {"启用", "Enable"},
	"username_fmt": {"1-32 位字母、数字或 . _ -，所有门店唯一", "1-32 of letters, digits, . _ -, unique across dealers"},
	"done":         {"已保存", "Saved"},
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
