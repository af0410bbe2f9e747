package agentui

import (
	"strings"
)

// ruleMeaningZH are the Chinese meanings of the settings that follow no pattern.
var ruleMeaningZH = map[string]string{
	"complaint_closed_due":            "抱怨在 D 日关闭后，满意度回访于 D+N 天起拨打",
	"complaint_closed_expires":        "抱怨关闭后的满意度回访于 D+N 天后过期",
	"complaint_respond_hours":         "抱怨开启后 N 小时内须首次回复客户",
	"complaint_resolve_hours":         "抱怨开启后 N 小时内须处理解决",
	"complaint_serious_respond_hours": "严重抱怨开启后 N 小时内须首次回复客户",
	"complaint_serious_resolve_hours": "严重抱怨开启后 N 小时内须处理解决",
	"complaint_repeat_days":           "同一客户 N 天内再次抱怨即为严重抱怨",
	"complaint_owner":                 "新抱怨的负责人（用户编号；0 为本店第一位总监）",
	"complaint_sms":                   "1：抱怨开启或超时也发短信到总监手机；0：只在控制台提醒",
	"spot_check_percent":              "每天早上抽查：每位坐席前一天接通电话的 N %",
	"spot_check_min":                  "每天早上抽查：每位坐席至少 N 通（接通不足则全部）",
	"spot_check_max":                  "每天早上抽查：每位坐席随机最多 N 通（低分和抱怨电话另外全部加入）",
	"same_day_visit_expires":          "D 日到店的当天回访于 D+N 天结束时过期",
	"lost_prospect_due":               "D 日战败，D+N 天起回访",
	"lost_prospect_expires":           "战败回访于 D+N 天后过期",
	"first_maintenance_months":        "首保：交车后 N 个月到期",
	"first_maintenance_km":            "首保：推算里程达到 N 公里时到期（以先到者为准）",
	"first_maintenance_lead":          "首保：到期日前 N 天起拨打（不早于交车日）",
	"first_maintenance_grace":         "首保：到期日后 N 天过期",
	"delivery_3day_due":               "D 日交车，D+N 天起拨打",
	"delivery_3day_expires":           "交车三日回访于 D+N 天后过期",
	"care_15day_due":                  "D 日交车，D+N 天起拨打",
	"care_15day_expires":              "15天关怀于 D+N 天后过期",
	"appointment_reminder_minute":     "预约提醒短信：预约前一天第 N 分钟发送（600 为 10:00）",
	"service_sms_until_minute":        "提醒或感谢短信在当天第 N 分钟前可立即补发（1260 为 21:00），之后当天不发",
	"thank_you_minute":                "进厂感谢短信：进厂当天第 N 分钟发送（1080 为 18:00）",
	"thank_you_next_day_minute":       "当天来不及发的感谢短信：次日第 N 分钟发送（540 为 09:00）",
	"no_show_due":                     "A 日预约未到店，A+N 天起回访",
	"no_show_expires":                 "预约未到店回访于 A+N 天后过期",
	"post_service_due":                "D 日进厂（维修或保养），D+N 天起回访",
	"post_service_expires":            "维修保养回访于 D+N 天后过期",
	"sales_followup_due_1":            "第一次销售回访：交车后 N 天",
	"sales_followup_due_2":            "第二次销售回访：交车后 N 天",
	"sales_followup_due_3":            "第三次销售回访：交车后 N 天",
	"sales_followup_window":           "每次销售回访在到期后 N 天过期",
	"maintenance_months":              "下次保养：上次保养后 N 个月到期",
	"maintenance_km":                  "下次保养：上次保养后行驶 N 公里到期（以先到者为准）",
	"maintenance_lead":                "保养提醒：到期日前 N 天起拨打",
	"maintenance_grace":               "保养提醒：到期日后 N 天过期",
	"warranty_lead":                   "保修到期日 W：W-N 天起拨打，W 日过期",
	"insurance_lead":                  "保险到期日 P：P-N 天起拨打，P 日过期",
	"inspection_lead":                 "年检到期日 I：I-N 天起拨打，I 日过期",
	"lapsed_3m_days":                  "最后一次进厂满 N 天算 3 个月未回厂",
	"lapsed_6m_days":                  "最后一次进厂满 N 天算 6 个月未回厂",
	"lapsed_12m_days":                 "最后一次进厂满 N 天算 1 年未回厂",
	"lapsed_24m_days":                 "最后一次进厂满 N 天算 2 年未回厂",
	"lapsed_window":                   "未回厂回访在到期后 N 天过期",
	"base_care_premium_days":          "优质客户 N 天未联系时回访",
	"base_care_potential_days":        "潜力客户 N 天未联系时回访",
	"base_care_general_days":          "一般客户 N 天未联系时回访",
	"base_care_window":                "基盘关怀在到期后 N 天过期",
	"prospect_followup_a_days":        "意向客户跟进：A 级（及 H 级）自上次联系起每 N 天",
	"prospect_followup_b_days":        "意向客户跟进：B 级自上次联系起每 N 天",
	"prospect_followup_c_days":        "意向客户跟进：C 级自上次联系起每 N 天",
	"prospect_followup_other_days":    "意向客户跟进：未定级自上次联系起每 N 天",
	"outcome_undo_seconds":            "坐席保存结果后 N 秒内可撤销（0 为不可撤销）",
	"attempts_per_day":                "每个任务每天最多拨打 N 次",
	"attempts_per_task":               "每个任务最多拨打 N 次，之后以“联系不上”关闭",
	"retry_no_answer_minutes":         "无人接听 N 分钟后重拨",
	"retry_busy_minutes":              "占线 N 分钟后重拨",
	"retry_unreachable_minutes":       "关机或无法接通 N 分钟后重拨",
}

// ruleMeaning says what a rule setting means in lang: the engine's own words in English;
// in Chinese the campaign's name with the pattern of its key (优先级, 开关), or the
// meanings above; a key with none of these keeps the English words.
func ruleMeaning(lang, key, doc string) string {
	if lang != langZH {
		return doc
	}
	if s, ok := ruleMeaningZH[key]; ok {
		return s
	}
	for suffix, pattern := range map[string]string{"_priority": "%s 优先级（越大越先拨）", "_enabled": "1 生成%s任务，0 关闭"} {
		if c, ok := strings.CutSuffix(key, suffix); ok {
			if name, ok := messages["c."+c]; ok {
				return strings.Replace(pattern, "%s", name[0], 1)
			}
		}
	}
	return doc
}
