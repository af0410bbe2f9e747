package importer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestVIN(t *testing.T) {
	for _, tc := range []struct {
		vin, err string
	}{
		{"11111111111111111", ""},
		{"1M8GDM9AXKP042788", ""}, // the textbook example, check digit X
		{"LSVAB2BM2N0000001", ""}, // a Chinese-market pattern
		{"1M8GDM9A1KP042788", "check digit (position 9) is 1, should be X"},
		{"LSVAB2BM5N0000001", "should be 2"},
		{"1M8GDM9AXKP04278", "17 characters, has 16"},
		{"1M8GDM9AXKP0427881", "17 characters, has 18"},
		{"IM8GDM9AXKP042788", "may not contain the letter I"},
		{"1M8GDM9AXKP04278O", "may not contain the letter O"},
		{"1M8GDM9AXKPQ42788", "may not contain the letter Q"},
		{"1M8GDM9AXKP04278*", "invalid character"},
		{"", "empty"},
	} {
		err := CheckVIN(tc.vin)
		if tc.err == "" {
			require.NoError(t, err, tc.vin)
			require.True(t, ValidVIN(tc.vin))
			continue
		}
		require.ErrorContains(t, err, tc.err, tc.vin)
		require.False(t, ValidVIN(tc.vin))
	}
	d, err := VINCheckDigit("1M8GDM9A?KP042788")
	require.Error(t, err, "? is not a VIN character")
	d, err = VINCheckDigit("1M8GDM9A0KP042788")
	require.NoError(t, err)
	require.Equal(t, byte('X'), d)
	v, err := WithVINCheckDigit("LSVAB2BM0N0000001")
	require.NoError(t, err)
	require.Equal(t, "LSVAB2BM2N0000001", v)
	require.Equal(t, "LSVAB2BM2N0000001", NormalizeVIN(" lsvab2bm2n-000 0001 "))
}

func TestParseDay(t *testing.T) {
	want := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{
		"2026-03-01", "2026-3-1", "2026/3/1", "2026/03/01", "2026.3.1", "2026年3月1日", "2026年03月01日",
		"20260301", "46082", "46082.0", "46082.75", "2026-03-01 15:04", "2026/3/1 9:05:07",
		"2026-03-01T15:04:05", "2026年3月1日 15时04分", "２０２６－０３－０１",
	} {
		got, err := ParseDay(s)
		require.NoError(t, err, s)
		require.Equal(t, want, got, s)
	}
	for _, s := range []string{"2026-02-30", "2026-13-01", "01/03/2026", "3/1/2026", "yesterday", "2026-03",
		"2026-03-01 25:00", "0", "-5", "1e5", "2026/3/1 10", "1800-01-01"} {
		_, err := ParseDay(s)
		require.Error(t, err, s)
	}
	sh, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	at, err := ParseTime("2026-03-01 15:04", sh)
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 3, 1, 7, 4, 0, 0, time.UTC), at.UTC())
	at, err = ParseTime("46082.5", sh) // Excel serial with a time: noon
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC), at.UTC())
}

// TestHeaderAliases checks that every header the issue lists (and common DMS variants)
// is recognised as its column.
func TestHeaderAliases(t *testing.T) {
	want := map[field][]string{
		fName:          {"客户姓名", "姓名", "车主姓名", "客户名称", "Name", "Customer Name"},
		fPhone:         {"手机号", "手机", "联系电话", "电话", "移动电话", "Phone", "Mobile"},
		fVIN:           {"车架号", "VIN", "VIN码", "vin", "底盘号", "车辆识别代号"},
		fPlate:         {"车牌号", "车牌", "Plate"},
		fBrand:         {"品牌", "Brand"},
		fModel:         {"车型", "车辆型号", "Model"},
		fDelivery:      {"交车日期", "购车日期", "开票日期", "销售日期", "Delivery Date"},
		fMileage:       {"行驶里程", "里程", "进厂里程", "行驶里程(km)", "里程（公里）", "Mileage"},
		fMileageDay:    {"里程日期"},
		fInsuranceEnd:  {"保险到期日"},
		fWarrantyEnd:   {"质保到期日"},
		fInspectionDue: {"年检到期日"},
		fGrade:         {"客户等级"},
		fConsultant:    {"销售顾问"},
		fBirthday:      {"生日", "出生日期"},
		fVisitDay:      {"进厂日期", "来店日期"},
		fVisitType:     {"业务类型", "维修类型", "保养类型", "工单类型"},
		fAmount:        {"结算金额", "金额"},
		fAdvisor:       {"服务顾问"},
		fArrivedAt:     {"到店时间", "来店时间", "进店时间"},
		fLeftAt:        {"离店时间"},
		fIntent:        {"意向级别"},
		fStatus:        {"状态"},
		fLostReason:    {"战败原因"},
		fComplaintDay:  {"投诉日期"},
		fCategory:      {"投诉类型"},
		fClosedDay:     {"结案日期"},
		fRecallCode:    {"召回编号"},
		fDNCPhone:      {"勿扰号码"},
	}
	for f, names := range want {
		for _, n := range names {
			h := mapHeader([]string{"\ufeff" + n + " ", "不认识的列"})
			require.Equal(t, 0, h.cols[f], "%q should be %s", n, fieldNames[f])
			require.Equal(t, n, h.names[f])
			require.Equal(t, 1, h.known, "unknown columns are ignored")
		}
	}
}

func TestKindFromHeaders(t *testing.T) {
	for _, tc := range []struct {
		headers []string
		kind    Kind
	}{
		{[]string{"客户姓名", "手机号", "车架号", "车型"}, KindOwners},
		{[]string{"车架号", "车牌号", "进厂日期", "业务类型", "结算金额"}, KindWorkshop},
		{[]string{"客户姓名", "手机号", "到店时间", "意向级别"}, KindShowroom},
		{[]string{"客户姓名", "手机号", "投诉日期", "投诉类型"}, KindComplaint},
		{[]string{"召回编号", "车架号"}, KindRecall},
		{[]string{"VIN"}, KindRecall},
		{[]string{"手机号", "原因"}, KindDNC},
		{[]string{"勿扰号码"}, KindDNC},
		{[]string{"手机号"}, KindDNC},
	} {
		h := mapHeader(tc.headers)
		k, err := h.kind()
		require.NoError(t, err, tc.headers)
		require.Equal(t, tc.kind, k, tc.headers)
		require.Empty(t, h.missing(k), tc.headers)
	}
	h := mapHeader([]string{"姓名", "车型"})
	k, err := h.kind()
	require.NoError(t, err)
	require.Equal(t, KindOwners, k)
	require.Equal(t, []string{"手机号 (phone)", "车架号 (VIN)"}, h.missing(k))
	h = mapHeader([]string{"foo", "bar"})
	_, err = h.kind()
	require.Error(t, err)
}

func TestVisitKindAndStatus(t *testing.T) {
	for label, kind := range map[string]string{"保养": "maintenance", "首保": "maintenance", "定保": "maintenance",
		"二保": "maintenance", "常规保养": "maintenance", "维修": "repair", "钣喷": "repair", "事故": "repair",
		"保修": "repair", "索赔": "repair"} {
		require.Equal(t, kind, visitKind(label), label)
	}
	for in, want := range map[string]string{"战败": "lost", "准战败": "pre_lost", "已成交": "won", "重点客户": "key",
		"跟进中": "open", "": ""} {
		got, ok := prospectStatus(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	_, ok := prospectStatus("随便")
	require.False(t, ok)
	require.Equal(t, "key", intentStatus("H级"))
	require.Equal(t, "open", intentStatus("B"))
}
