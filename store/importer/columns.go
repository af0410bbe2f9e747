package importer

import (
	"fmt"
	"strings"
	"unicode"
)

// field is a canonical column the importer understands.
type field int

const (
	fNone field = iota
	fName
	fPhone
	fDNCPhone
	fGender
	fVIN
	fPlate
	fBrand
	fModel
	fDelivery
	fMileage
	fMileageDay
	fInsuranceEnd
	fWarrantyEnd
	fInspectionDue
	fGrade
	fConsultant
	fBirthday
	fVisitDay
	fVisitType
	fAmount
	fAdvisor
	fArrivedAt
	fLeftAt
	fIntent
	fStatus
	fLostReason
	fNote
	fComplaintDay
	fClosedDay
	fCategory
	fDescription
	fRecallCode
	fRecallTitle
	fReason
	numFields
)

// fieldNames are the names used in messages: the first Chinese alias and the English word.
var fieldNames = [numFields]string{
	fName: "客户姓名 (name)", fPhone: "手机号 (phone)", fDNCPhone: "勿扰号码 (phone)",
	fGender: "性别 (gender)", fVIN: "车架号 (VIN)", fPlate: "车牌号 (plate)",
	fBrand: "品牌 (brand)", fModel: "车型 (model)", fDelivery: "交车日期 (delivery date)",
	fMileage: "行驶里程 (mileage)", fMileageDay: "里程日期 (mileage date)",
	fInsuranceEnd: "保险到期日 (insurance end)", fWarrantyEnd: "质保到期日 (warranty end)",
	fInspectionDue: "年检到期日 (inspection due)", fGrade: "客户等级 (grade)",
	fConsultant: "销售顾问 (consultant)", fBirthday: "生日 (birthday)",
	fVisitDay: "进厂日期 (visit date)", fVisitType: "业务类型 (visit type)",
	fAmount: "结算金额 (amount)", fAdvisor: "服务顾问 (advisor)",
	fArrivedAt: "到店时间 (arrival time)", fLeftAt: "离店时间 (leave time)",
	fIntent: "意向级别 (intent level)", fStatus: "状态 (status)", fLostReason: "战败原因 (lost reason)",
	fNote: "备注 (note)", fComplaintDay: "投诉日期 (complaint date)", fClosedDay: "结案日期 (closed date)",
	fCategory: "投诉类型 (category)", fDescription: "投诉内容 (description)",
	fRecallCode: "召回编号 (recall code)", fRecallTitle: "召回名称 (recall title)",
	fReason: "原因 (reason)",
}

// aliases maps a normalised header (see normHeader) to its field. Chinese DMS exports
// and English spellings are both listed; unknown headers are ignored.
var aliases = map[string]field{}

func init() {
	add := func(f field, names ...string) {
		for _, n := range names {
			k := normHeader(n)
			if old, ok := aliases[k]; ok && old != f {
				panic(fmt.Sprintf("importer: header alias %q used twice", n))
			}
			aliases[k] = f
		}
	}
	add(fName, "客户姓名", "姓名", "车主姓名", "客户名称", "客户名", "车主", "客户", "联系人", "车主名称", "购车人",
		"name", "customer", "customer name", "owner", "owner name", "full name")
	add(fPhone, "手机号", "手机", "联系电话", "电话", "移动电话", "手机号码", "联系方式", "电话号码", "客户电话",
		"车主电话", "车主手机", "客户手机", "联系手机", "联系人电话", "phone", "mobile", "mobile phone", "tel",
		"telephone", "phone number", "cell", "cellphone", "mobile no")
	add(fDNCPhone, "勿扰号码", "免打扰号码", "黑名单号码", "禁呼号码", "拒访号码", "勿扰电话", "免打扰电话",
		"dnc phone", "do not call", "do not call phone", "blocked phone")
	add(fGender, "性别", "称谓", "gender", "sex", "title")
	add(fVIN, "车架号", "VIN", "VIN码", "VIN号", "底盘号", "车辆识别代号", "车辆识别码", "车架号码", "车辆识别号",
		"vin no", "vin code", "frame no", "chassis no", "chassis number")
	add(fPlate, "车牌号", "车牌", "车牌号码", "牌照号", "牌照", "plate", "plate no", "license plate", "licence plate", "plate number")
	add(fBrand, "品牌", "车辆品牌", "厂牌", "brand", "make")
	add(fModel, "车型", "车辆型号", "车型名称", "车系", "车款", "model", "vehicle model")
	add(fDelivery, "交车日期", "购车日期", "开票日期", "销售日期", "交付日期", "购买日期", "提车日期",
		"delivery date", "delivery day", "purchase date", "sale date", "sold date", "invoice date")
	add(fMileage, "行驶里程", "里程", "进厂里程", "公里数", "里程数", "当前里程", "表显里程", "进店里程",
		"mileage", "odometer", "km")
	add(fMileageDay, "里程日期", "里程记录日期", "里程更新日期", "mileage date", "odometer date")
	add(fInsuranceEnd, "保险到期日", "保险到期日期", "保险到期", "保险到期时间", "商业险到期日", "交强险到期日",
		"insurance end", "insurance expiry", "insurance due", "insurance end date")
	add(fWarrantyEnd, "质保到期日", "保修到期日", "质保到期", "保修到期", "质保截止日期", "保修截止日期",
		"warranty end", "warranty expiry", "warranty end date")
	add(fInspectionDue, "年检到期日", "年检日期", "年审到期日", "年检到期", "年审日期",
		"inspection due", "inspection date", "inspection due date")
	add(fGrade, "客户等级", "客户级别", "等级", "基盘等级", "grade", "customer grade")
	add(fConsultant, "销售顾问", "销售员", "所属顾问", "销售人员", "consultant", "sales consultant", "salesperson", "sales")
	add(fBirthday, "生日", "出生日期", "客户生日", "birthday", "date of birth", "dob")
	add(fVisitDay, "进厂日期", "来店日期", "维修日期", "入厂日期", "进厂时间", "开单日期", "服务日期", "保养日期",
		"visit date", "service date", "repair date", "ro date")
	add(fVisitType, "业务类型", "维修类型", "保养类型", "工单类型", "服务类型", "维修性质", "业务性质", "维修项目类型",
		"service type", "visit type", "repair type", "ro type")
	add(fAmount, "结算金额", "金额", "总金额", "费用", "实收金额", "工单金额", "维修金额", "amount", "total", "total amount")
	add(fAdvisor, "服务顾问", "接待员", "维修顾问", "接待顾问", "advisor", "service advisor")
	add(fArrivedAt, "到店时间", "来店时间", "进店时间", "到店日期", "来访时间", "arrival time", "arrived at", "arrival", "visit time")
	add(fLeftAt, "离店时间", "离开时间", "离店日期", "leave time", "left at", "departure time")
	add(fIntent, "意向级别", "意向等级", "意向度", "客户意向级别", "intent level", "intent", "intention")
	add(fStatus, "状态", "客户状态", "跟进状态", "线索状态", "status", "prospect status")
	add(fLostReason, "战败原因", "流失原因", "lost reason")
	add(fNote, "备注", "说明", "note", "notes", "remark", "remarks", "comment")
	add(fComplaintDay, "投诉日期", "投诉时间", "抱怨日期", "受理日期", "complaint date", "opened", "opened on")
	add(fClosedDay, "结案日期", "关闭日期", "解决日期", "处理完成日期", "结案时间", "closed", "closed on", "close date")
	add(fCategory, "投诉类型", "投诉类别", "抱怨类型", "投诉分类", "category", "complaint type")
	add(fDescription, "投诉内容", "抱怨内容", "问题描述", "投诉描述", "description", "complaint")
	add(fRecallCode, "召回编号", "召回代码", "召回活动编号", "活动编号", "召回批次", "recall code", "recall no", "recall id", "campaign code")
	add(fRecallTitle, "召回名称", "召回标题", "召回活动名称", "召回活动", "召回项目", "recall title", "recall name")
	add(fReason, "原因", "勿扰原因", "拒访原因", "拉黑原因", "reason")
}

// normHeader folds a header cell for alias lookup: full-width to ASCII, lower case, no
// spaces, underscores or required-markers, and no trailing unit in brackets ("里程(km)").
func normHeader(s string) string {
	s = toHalfWidth(strings.TrimSpace(strings.TrimPrefix(s, "\ufeff")))
	for _, open := range []string{"(", "["} {
		if i := strings.Index(s, open); i > 0 {
			s = s[:i]
		}
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r), r == '_', r == '*', r == '-', r == ':', r == '.':
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	return s
}

// Kind is the kind of a dealer export file.
type Kind string

// The kinds of file the importer recognises.
const (
	KindOwners    Kind = "owners"
	KindShowroom  Kind = "showroom"
	KindWorkshop  Kind = "workshop"
	KindComplaint Kind = "complaints"
	KindRecall    Kind = "recall"
	KindDNC       Kind = "do_not_call"
)

// kindOrder is the order several files are imported in: owners first, so that visits,
// complaints and recalls of the same batch find their vehicles.
var kindOrder = map[Kind]int{KindOwners: 0, KindShowroom: 1, KindWorkshop: 2, KindComplaint: 3, KindRecall: 4, KindDNC: 5}

// header is a file's header row mapped to fields.
type header struct {
	cols  [numFields]int    // column index of each field, -1 when absent
	names [numFields]string // the header text as in the file
	known int
}

func mapHeader(row []string) header {
	var h header
	for i := range h.cols {
		h.cols[i] = -1
	}
	for i, cell := range row {
		f, ok := aliases[normHeader(cell)]
		if !ok || h.cols[f] >= 0 {
			continue // unknown column, or a second column for the same field: first wins
		}
		h.cols[f] = i
		h.names[f] = strings.TrimSpace(strings.TrimPrefix(cell, "\ufeff"))
		h.known++
	}
	return h
}

func (h *header) has(f field) bool { return h.cols[f] >= 0 }

// kind recognises the kind of file from its columns, in order of the most telling column.
func (h *header) kind() (Kind, error) {
	hasAny := func(fs ...field) bool {
		for _, f := range fs {
			if h.has(f) {
				return true
			}
		}
		return false
	}
	switch {
	case hasAny(fRecallCode, fRecallTitle):
		return KindRecall, nil
	case hasAny(fArrivedAt, fLeftAt, fIntent, fLostReason):
		return KindShowroom, nil
	case hasAny(fComplaintDay, fCategory, fDescription):
		return KindComplaint, nil
	case hasAny(fVisitDay, fVisitType):
		return KindWorkshop, nil
	case hasAny(fDNCPhone, fReason):
		return KindDNC, nil
	case h.has(fVIN) && !h.has(fPhone) && !h.has(fName):
		return KindRecall, nil
	case hasAny(fVIN, fPlate, fBrand, fModel, fDelivery, fMileage, fMileageDay, fInsuranceEnd,
		fWarrantyEnd, fInspectionDue, fGrade, fBirthday):
		return KindOwners, nil
	case h.has(fPhone):
		return KindDNC, nil
	}
	return "", fmt.Errorf("cannot tell what kind of file this is from its headers; " +
		"expected owners (车架号, 手机号, 客户姓名), workshop visits (进厂日期, 业务类型), " +
		"showroom visits (到店时间), complaints (投诉日期), recall lists (召回编号, 车架号) or do-not-call lists (勿扰号码)")
}

// missing returns the names of the required columns of kind k that the file lacks.
func (h *header) missing(k Kind) []string {
	var req [][]field // each entry: one of these fields is needed
	switch k {
	case KindOwners:
		req = [][]field{{fName}, {fPhone}, {fVIN}}
	case KindWorkshop:
		req = [][]field{{fVIN, fPlate}, {fVisitDay}, {fVisitType}}
	case KindShowroom:
		req = [][]field{{fPhone}, {fArrivedAt}}
	case KindComplaint:
		req = [][]field{{fPhone}, {fComplaintDay}}
	case KindRecall:
		req = [][]field{{fVIN}}
	case KindDNC:
		req = [][]field{{fPhone, fDNCPhone}}
	}
	var out []string
	for _, alts := range req {
		found := false
		var names []string
		for _, f := range alts {
			found = found || h.has(f)
			names = append(names, fieldNames[f])
		}
		if !found {
			out = append(out, strings.Join(names, " or "))
		}
	}
	return out
}
