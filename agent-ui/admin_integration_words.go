package agentui

// integrationText are the integration page's words: key -> {zh, en}.
var integrationText = map[string][2]string{
	"int_title":         {"系统对接（API 与 Webhook）", "Integration (API and webhooks)"},
	"int_intro":         {"经销商的 DMS 和前台系统用 API 密钥调用 /api/v1/ 推送数据；Webhook 把回访结果、预约、投诉和退订实时推送给对方系统（签名，失败后 24 小时内重试）。", "The dealer's DMS and front desk call /api/v1/ with an API key; webhooks push outcomes, appointments, complaints and opt-outs to their systems as they happen (signed, retried for 24 hours)."},
	"read_only":         {"总监可查看；只有管理员可以创建、吊销密钥，增删 Webhook 和重新投递。", "Directors may look; only admins make and revoke keys, add and remove webhooks and redeliver."},
	"keys":              {"API 密钥", "API keys"},
	"key_name":          {"用途", "Name"},
	"key_prefix":        {"密钥开头", "Key starts"},
	"revoked":           {"吊销时间", "Revoked"},
	"revoke":            {"吊销", "Revoke"},
	"key_create":        {"创建密钥", "Create a key"},
	"key_name_required": {"请填写密钥用途", "Give the key a name"},
	"key_shown":         {"新密钥如下，只显示这一次，请立即保存：", "The new key, shown only now; keep it:"},
	"secret_shown":      {"Webhook 签名密钥如下，只显示这一次，请立即保存：", "The webhook's signing secret, shown only now; keep it:"},
	"hooks":             {"Webhook", "Webhooks"},
	"events":            {"事件", "Events"},
	"remove":            {"删除", "Remove"},
	"hook_add":          {"添加 Webhook", "Add a webhook"},
	"deliveries":        {"最近投递", "Latest deliveries"},
	"event":             {"事件", "Event"},
	"tries":             {"尝试次数", "Tries"},
	"last_status":       {"最后响应码", "Last status"},
	"last_error":        {"最后错误", "Last error"},
	"last_try":          {"最后尝试", "Last try"},
	"redeliver":         {"重新投递", "Redeliver"},
	"d_pending":         {"待投递/重试中", "Pending"},
	"d_delivered":       {"已送达", "Delivered"},
	"d_failed":          {"已放弃", "Given up"},
}

// integrationWords are the integration page's words in lang: the user page's common
// words and its own.
func integrationWords(lang string) map[string]string {
	out := adminWords(lang)
	for k, v := range integrationText {
		if lang == langEN {
			out[k] = v[1]
		} else {
			out[k] = v[0]
		}
	}
	return out
}
