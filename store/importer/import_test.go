package importer_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/huifang/huifang/store/importer"
)

const ownersHeader = "客户姓名,手机号,性别,车架号,车牌号,品牌,车型,交车日期,行驶里程,里程日期,保险到期日,客户等级,销售顾问"

// ownersRows are two valid owner rows; vin(1) and vin(2).
func ownersRows(t *testing.T) []string {
	return []string{
		"张三,139 1234 5678,男," + vin(t, 1) + ",京A·12345,大众,帕萨特,2025/3/1,12000,2026年3月1日,2026-06-30,A,李娜",
		"李四,+86 138-0000-0001,女," + vin(t, 2) + ",沪B 54321,丰田,凯美瑞,2024年5月20日,35000,,,C,",
	}
}

func day(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestOwnersEncodings(t *testing.T) {
	for _, enc := range []string{"utf8", "bom", "gbk", "utf16"} {
		t.Run(enc, func(t *testing.T) {
			db := newDB(t)
			f := writeFile(t, t.TempDir(), "owners.csv", csvOf(append([]string{ownersHeader}, ownersRows(t)...)...), enc)
			res := imp(t, db, importer.Options{}, f)
			fr := res.Files[0]
			require.Equal(t, map[string]string{"utf8": "utf-8", "bom": "utf-8-bom", "gbk": "gbk", "utf16": "utf-16"}[enc], fr.Encoding)
			require.Equal(t, importer.KindOwners, fr.Kind)
			require.Empty(t, fr.Errors)
			require.Equal(t, importer.Counts{Read: 2, Inserted: 2}, fr.Counts)
			require.True(t, fr.Written)

			var name, title, grade, consultant, model, plate string
			var delivery, insurance time.Time
			require.NoError(t, db.QueryRow(context.Background(), `
				SELECT c.name, c.title, c.grade, c.consultant, v.model, v.plate, v.delivery_day, v.insurance_end
				FROM customers c JOIN vehicles v ON v.customer_id = c.id WHERE c.phone = '13912345678'`).
				Scan(&name, &title, &grade, &consultant, &model, &plate, &delivery, &insurance))
			require.Equal(t, []string{"张三", "先生", "premium", "李娜", "帕萨特", "京A12345"},
				[]string{name, title, grade, consultant, model, plate})
			require.Equal(t, day("2025-03-01"), delivery)
			require.Equal(t, day("2026-06-30"), insurance)
			require.Equal(t, 1, count(t, db, "SELECT count(*) FROM customers WHERE phone = '13800000001' AND name = '李四' AND title = '女士'"))
			// Mileage with a mileage day is read on that day; without one, on the import day.
			require.Equal(t, 1, count(t, db, "SELECT count(*) FROM odometer_readings WHERE day = '2026-03-01' AND km = 12000"))
			require.Equal(t, 1, count(t, db, "SELECT count(*) FROM odometer_readings WHERE day = '2026-03-10' AND km = 35000"))
			require.Equal(t, 1, count(t, db, "SELECT count(*) FROM dealers WHERE code = 'D1'"), "the first import creates the dealer")
		})
	}
}

func TestOwnersDateFormats(t *testing.T) {
	db := newDB(t)
	formats := []string{"2026-03-01", "2026/3/1", "2026.3.1", "2026年3月1日", "46082", "20260301",
		"2026-03-01 10:00:00", "2026/03/01 00:00"}
	lines := []string{"姓名,手机,VIN,交车日期"}
	for i, f := range formats {
		lines = append(lines, "客户,1390000000"+string(rune('0'+i))+","+vin(t, 10+i)+","+f)
	}
	res := imp(t, db, importer.Options{}, writeFile(t, t.TempDir(), "o.csv", csvOf(lines...), "utf8"))
	require.Empty(t, res.Files[0].Errors)
	require.Equal(t, len(formats), res.Total.Inserted)
	require.Equal(t, len(formats), count(t, db, "SELECT count(*) FROM vehicles WHERE delivery_day = '2026-03-01'"))
}

func TestEnglishAndVariantHeaders(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	en := writeFile(t, dir, "en.csv", csvOf(
		"Name,Mobile,VIN,Plate No,Brand,Model,Delivery Date,Mileage (km),Grade,Some Unknown Column",
		"Wang Wei,13900000001,"+vin(t, 1)+",粤B12345,BYD,Han,2025-01-02,1 234 km,B,ignored"), "utf8")
	dms := writeFile(t, dir, "dms.csv", csvOf(
		"客户名称,移动电话,底盘号,车辆型号,销售日期,里程（公里）,客户级别",
		"赵六,13900000002,"+vin(t, 2)+",途观L,2025-02-03,\"5,000\",潜力"), "gbk")
	res := imp(t, db, importer.Options{}, en, dms)
	require.False(t, res.Refused(), "%+v", res.Errors())
	require.Equal(t, 2, res.Total.Inserted)
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM vehicles v JOIN customers c ON c.id = v.customer_id WHERE c.name = 'Wang Wei' AND v.model = 'Han' AND c.grade = 'potential'"))
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM vehicles v JOIN customers c ON c.id = v.customer_id WHERE c.name = '赵六' AND v.model = '途观L' AND v.delivery_day = '2025-02-03' AND c.grade = 'potential'"))
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM odometer_readings WHERE km = 1234"))
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM odometer_readings WHERE km = 5000"))
}

func TestBadRowsRefuseTheFile(t *testing.T) {
	good := "张三,13912345678," + vin(t, 1) + ",2025-03-01,100,A"
	header := "客户姓名,手机号,车架号,交车日期,行驶里程,客户等级"
	for _, tc := range []struct {
		name, row, column, value, reason string
	}{
		{"bad phone", "李四,1381234,VIN,2025-03-01,100,A", "手机号", "1381234", "11 digits"},
		{"landline without area code", "李四,88889999,VIN,2025-03-01,100,A", "手机号", "88889999", "area code"},
		{"VIN too short", "李四,13800000001," + vin(t, 2)[:16] + ",2025-03-01,100,A", "车架号", vin(t, 2)[:16], "17 characters"},
		{"VIN with O", "李四,13800000001,LSVAB2BM2N000000O,2025-03-01,100,A", "车架号", "LSVAB2BM2N000000O", "letter O"},
		{"VIN with I", "李四,13800000001,ISVAB2BM2N0000001,2025-03-01,100,A", "车架号", "ISVAB2BM2N0000001", "letter I"},
		{"VIN with Q", "李四,13800000001,QSVAB2BM2N0000001,2025-03-01,100,A", "车架号", "QSVAB2BM2N0000001", "letter Q"},
		{"VIN check digit", "李四,13800000001," + badCheckVIN(t, 2) + ",2025-03-01,100,A", "车架号", badCheckVIN(t, 2), "check digit"},
		{"bad date", "李四,13800000001,VIN,2025-02-30,100,A", "交车日期", "2025-02-30", "does not exist"},
		{"day-first date", "李四,13800000001,VIN,01/03/2025,100,A", "交车日期", "01/03/2025", "not a date"},
		{"bad mileage", "李四,13800000001,VIN,2025-03-01,很多,A", "行驶里程", "很多", "not a number"},
		{"bad grade", "李四,13800000001,VIN,2025-03-01,100,Z", "客户等级", "Z", "unknown grade"},
		{"empty name", ",13800000001,VIN,2025-03-01,100,A", "客户姓名", "", "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := newDB(t)
			row := tc.row
			if v := vin(t, 2); len(row) > 0 {
				row = replaceVIN(row, v)
			}
			f := writeFile(t, t.TempDir(), "owners.csv", csvOf(header, good, row), "gbk")
			res := imp(t, db, importer.Options{}, f)
			fr := res.Files[0]
			require.True(t, fr.Refused)
			require.False(t, fr.Written)
			require.Equal(t, importer.Counts{Read: 2, Invalid: 1}, fr.Counts)
			require.Len(t, fr.Errors, 1)
			e := fr.Errors[0]
			require.Equal(t, 3, e.Row, "the header is row 1")
			require.Equal(t, tc.column, e.Column)
			require.Equal(t, tc.value, e.Value)
			require.Contains(t, e.Reason, tc.reason)
			require.Equal(t, 0, count(t, db, "SELECT count(*) FROM customers"), "nothing of a refused file is written")
			require.Equal(t, 0, count(t, db, "SELECT count(*) FROM dealers"))
		})
	}
}

// replaceVIN puts v where a test row says VIN.
func replaceVIN(row, v string) string {
	for i := 0; i+3 <= len(row); i++ {
		if row[i:i+3] == "VIN" && (i == 0 || row[i-1] == ',') && (i+3 == len(row) || row[i+3] == ',') {
			return row[:i] + v + row[i+3:]
		}
	}
	return row
}

func TestMissingColumnAndUnknownFile(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	noVIN := writeFile(t, dir, "no_vin.csv", csvOf("客户姓名,手机号,品牌,车型", "张三,13912345678,大众,帕萨特"), "utf8")
	unknown := writeFile(t, dir, "unknown.csv", csvOf("foo,bar", "1,2"), "utf8")
	empty := writeFile(t, dir, "empty.csv", "", "utf8")
	res := imp(t, db, importer.Options{}, noVIN, unknown, empty)
	require.Len(t, res.Files, 3)
	for _, fr := range res.Files {
		require.True(t, fr.Refused, fr.File)
		require.NotEmpty(t, fr.Errors, fr.File)
	}
	byName := map[string]importer.FileResult{}
	for _, fr := range res.Files {
		byName[filepath.Base(fr.File)] = fr
	}
	fr := byName["no_vin.csv"]
	require.Equal(t, importer.KindOwners, fr.Kind)
	require.Contains(t, fr.Problem, "车架号")
	require.Equal(t, importer.RowError{Row: 1, Column: "车架号 (VIN)", Reason: "required column is missing"}, fr.Errors[0])
	require.Contains(t, byName["unknown.csv"].Problem, "no known column")
	require.Contains(t, byName["empty.csv"].Problem, "empty")
	require.Equal(t, 0, count(t, db, "SELECT count(*) FROM customers"))
}

func TestDuplicateRows(t *testing.T) {
	rows := []string{
		"客户姓名,手机号,车架号,车型",
		"张三,13912345678," + vin(t, 1) + ",帕萨特",
		"张三,13912345678," + vin(t, 1) + ",帕萨特", // exact duplicate: unchanged
		"张三,13912345678," + vin(t, 1) + ",途观",  // same VIN, other data: invalid
		"王五,13912345678," + vin(t, 2) + ",途观",  // same phone, other name: invalid
		"张三,13912345678," + vin(t, 3) + ",途观",  // a second car of the same owner: fine
	}
	db := newDB(t)
	f := writeFile(t, t.TempDir(), "o.csv", csvOf(rows...), "utf8")
	res := imp(t, db, importer.Options{}, f)
	fr := res.Files[0]
	require.True(t, fr.Refused)
	require.Equal(t, 2, fr.Invalid)
	require.Equal(t, 4, fr.Errors[0].Row)
	require.Equal(t, "车架号", fr.Errors[0].Column)
	require.Contains(t, fr.Errors[0].Reason, "row 2 has the same VIN")
	require.Equal(t, 5, fr.Errors[1].Row)
	require.Equal(t, "客户姓名", fr.Errors[1].Column)
	require.Contains(t, fr.Errors[1].Reason, "row 2")

	res = imp(t, db, importer.Options{SkipInvalid: true}, f)
	require.Equal(t, importer.Counts{Read: 5, Inserted: 2, Unchanged: 1, Invalid: 2}, res.Files[0].Counts)
	require.Equal(t, 2, count(t, db, "SELECT count(*) FROM vehicles"))
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM customers"))
}

func TestReimportAndUpdates(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	f := writeFile(t, dir, "o.csv", csvOf(append([]string{ownersHeader}, ownersRows(t)...)...), "utf8")
	res := imp(t, db, importer.Options{}, f)
	require.Equal(t, 2, res.Total.Inserted)
	readings := count(t, db, "SELECT count(*) FROM odometer_readings")

	// The same file again, on a later day: nothing changes, not even undated mileage.
	later := testNow.AddDate(0, 0, 5)
	res2, err := importer.Import(context.Background(), db,
		importer.Options{DealerCode: "D1", Now: func() time.Time { return later }}, f)
	require.NoError(t, err)
	require.Equal(t, importer.Counts{Read: 2, Unchanged: 2}, res2.Total)
	require.Equal(t, readings, count(t, db, "SELECT count(*) FROM odometer_readings"))

	// A changed model, a new reading, a car sold to someone else, a new car.
	rows := ownersRows(t)
	changed := writeFile(t, dir, "o2.csv", csvOf(ownersHeader,
		"张三,13912345678,男,"+vin(t, 1)+",京A12345,大众,帕萨特 2025款,2025/3/1,12000,2026年3月1日,2026-06-30,A,李娜",
		rows[1],
		"王五,13700000002,男,"+vin(t, 3)+",,,,,,,,,",
	), "utf8")
	res = imp(t, db, importer.Options{}, changed)
	require.Equal(t, importer.Counts{Read: 3, Inserted: 1, Updated: 1, Unchanged: 1}, res.Total)
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM vehicles WHERE model = '帕萨特 2025款' AND plate = '京A12345'"))

	sold := writeFile(t, dir, "o3.csv", csvOf("客户姓名,手机号,车架号", "王五,13700000002,"+vin(t, 1)), "utf8")
	res = imp(t, db, importer.Options{}, sold)
	require.Equal(t, importer.Counts{Read: 1, Updated: 1}, res.Total)
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM vehicles v JOIN customers c ON c.id = v.customer_id WHERE c.name = '王五' AND v.vin = $1 AND v.model = '帕萨特 2025款'", vin(t, 1)),
		"empty cells keep what is stored")
}

func TestDryRun(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	owners := writeFile(t, dir, "o.csv", csvOf(append([]string{ownersHeader}, ownersRows(t)...)...), "utf8")
	visits := writeFile(t, dir, "v.csv", csvOf("车架号,进厂日期,业务类型", vin(t, 1)+",2026-03-02,首保"), "utf8")
	res := imp(t, db, importer.Options{DryRun: true}, visits, owners)
	require.False(t, res.Refused(), "%+v", res.Errors())
	require.False(t, res.Written())
	require.Equal(t, importer.Counts{Read: 3, Inserted: 3}, res.Total, "the visits see the owners of the same dry run")
	require.Equal(t, 0, count(t, db, "SELECT count(*) FROM dealers"))
	require.Equal(t, 0, count(t, db, "SELECT count(*) FROM vehicles"))

	bad := writeFile(t, dir, "bad.csv", csvOf("客户姓名,手机号,车架号", "张三,123,"+vin(t, 1)), "utf8")
	res = imp(t, db, importer.Options{DryRun: true}, bad)
	require.True(t, res.Refused())
	require.Equal(t, 1, res.Total.Invalid)
}

func TestSkipInvalid(t *testing.T) {
	db := newDB(t)
	f := writeFile(t, t.TempDir(), "o.csv", csvOf(append([]string{ownersHeader}, append(ownersRows(t),
		"坏人,12345,男,"+badCheckVIN(t, 3)+",,,,2025-13-01,,,,,")...)...), "gbk")
	res := imp(t, db, importer.Options{SkipInvalid: true}, f)
	fr := res.Files[0]
	require.False(t, fr.Refused)
	require.True(t, fr.Written)
	require.Equal(t, importer.Counts{Read: 3, Inserted: 2, Invalid: 1}, fr.Counts)
	require.Len(t, fr.Errors, 3, "every bad cell of the row is reported")
	for _, e := range fr.Errors {
		require.Equal(t, 4, e.Row)
	}
	require.Equal(t, 2, count(t, db, "SELECT count(*) FROM vehicles"))
}

func TestXLSX(t *testing.T) {
	db := newDB(t)
	x := excelize.NewFile()
	defer x.Close()
	sh := x.GetSheetName(0)
	// A title row above the header, as some DMS exports have.
	require.NoError(t, x.SetSheetRow(sh, "A1", &[]any{"车主信息导出 2026-03-10"}))
	require.NoError(t, x.SetSheetRow(sh, "A2", &[]any{"客户姓名", "手机号", "车架号", "交车日期", "行驶里程", "保险到期日"}))
	require.NoError(t, x.SetSheetRow(sh, "A3", &[]any{"张三", 13912345678, vin(t, 1), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), 12000, "2026/6/30"}))
	require.NoError(t, x.SetSheetRow(sh, "A4", &[]any{"李四", "13800000001", vin(t, 2), 45717, 8000.0, ""}))
	require.NoError(t, x.SetSheetRow(sh, "A6", &[]any{"王五", "13800000002", badCheckVIN(t, 3), "2025-03-01"})) // row 5 left empty
	style, err := x.NewStyle(&excelize.Style{NumFmt: 14})
	require.NoError(t, err)
	require.NoError(t, x.SetCellStyle(sh, "D3", "D3", style))
	p := filepath.Join(t.TempDir(), "owners.xlsx")
	require.NoError(t, x.SaveAs(p))

	res := imp(t, db, importer.Options{}, p)
	fr := res.Files[0]
	require.Equal(t, "xlsx", fr.Encoding)
	require.True(t, fr.Refused)
	require.Len(t, fr.Errors, 1)
	require.Equal(t, 6, fr.Errors[0].Row, "row numbers are the sheet's")

	res = imp(t, db, importer.Options{SkipInvalid: true}, p)
	require.Equal(t, importer.Counts{Read: 3, Inserted: 2, Invalid: 1}, res.Files[0].Counts)
	require.Equal(t, 2, count(t, db, "SELECT count(*) FROM vehicles WHERE delivery_day = '2025-03-01'"))
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM vehicles WHERE insurance_end = '2026-06-30'"))
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM customers WHERE phone = '13912345678'"))
}

// seedOwners imports two owners (vin 1 with plate 京A12345, vin 2 with plate 沪B54321).
func seedOwners(t *testing.T, db *pgxpool.Pool) {
	t.Helper()
	f := writeFile(t, t.TempDir(), "o.csv", csvOf(append([]string{ownersHeader}, ownersRows(t)...)...), "utf8")
	res := imp(t, db, importer.Options{}, f)
	require.Equal(t, 2, res.Total.Inserted)
}

func TestWorkshopVisits(t *testing.T) {
	db := newDB(t)
	seedOwners(t, db)
	dir := t.TempDir()
	f := writeFile(t, dir, "ws.csv", csvOf(
		"车架号,车牌号,进厂日期,业务类型,进厂里程,结算金额,服务顾问",
		vin(t, 1)+",,2026-03-02,首保,15000,0,小刘",
		",沪B54321,2026/3/3,钣喷,36000,\"1,280.50\",小王",
		vin(t, 1)+",,2026-03-05,维修,15100,300,小刘",
		vin(t, 9)+",,2026-03-05,保养,100,300,小刘",
		",粤Z99999,2026-03-05,保养,100,300,小刘",
	), "gbk")
	res := imp(t, db, importer.Options{}, f)
	fr := res.Files[0]
	require.Equal(t, importer.KindWorkshop, fr.Kind)
	require.True(t, fr.Refused)
	require.Equal(t, 2, fr.Invalid)
	require.Equal(t, 5, fr.Errors[0].Row)
	require.Equal(t, "车架号", fr.Errors[0].Column)
	require.Contains(t, fr.Errors[0].Reason, "unknown VIN")
	require.Equal(t, 6, fr.Errors[1].Row)
	require.Equal(t, "车牌号", fr.Errors[1].Column)
	require.Equal(t, 0, count(t, db, "SELECT count(*) FROM workshop_visits"))

	res = imp(t, db, importer.Options{SkipInvalid: true}, f)
	require.Equal(t, importer.Counts{Read: 5, Inserted: 3, Invalid: 2}, res.Files[0].Counts)
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM workshop_visits WHERE kind = 'maintenance' AND type_label = '首保' AND mileage = 15000 AND advisor = '小刘'"))
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM workshop_visits WHERE kind = 'repair' AND type_label = '钣喷' AND amount = 1280.50"))
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM odometer_readings WHERE day = '2026-03-02' AND km = 15000 AND source = 'workshop'"))

	res = imp(t, db, importer.Options{SkipInvalid: true}, f)
	require.Equal(t, importer.Counts{Read: 5, Unchanged: 3, Invalid: 2}, res.Files[0].Counts)

	// The workshop corrects an amount; an empty advisor keeps the stored one.
	fix := writeFile(t, dir, "ws2.csv", csvOf("车架号,进厂日期,业务类型,结算金额,服务顾问",
		vin(t, 1)+",2026-03-05,维修,350,", vin(t, 1)+",2026-03-02,首保,0,小刘"), "utf8")
	res = imp(t, db, importer.Options{}, fix)
	require.Equal(t, importer.Counts{Read: 2, Updated: 1, Unchanged: 1}, res.Files[0].Counts)
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM workshop_visits WHERE type_label = '维修' AND amount = 350 AND advisor = '小刘' AND mileage = 15100"))
}

func TestShowroomVisits(t *testing.T) {
	db := newDB(t)
	f := writeFile(t, t.TempDir(), "sr.csv", csvOf(
		"客户姓名,手机号,到店时间,离店时间,销售顾问,意向级别,状态,战败原因,备注",
		"王先生,13911112222,2026-03-01 15:04,16:10,李娜,H,,,看了汉",
		"赵女士,13922223333,2026/3/2 10:00,2026/3/2 11:30,李娜,B,战败,价格太高,",
		"孙先生,13933334444,2026年3月3日 9时30分,,张伟,A,,,",
		"孙先生,13933334444,2026-03-05 14:00,,张伟,O,,,",
	), "gbk")
	res := imp(t, db, importer.Options{}, f)
	fr := res.Files[0]
	require.Equal(t, importer.KindShowroom, fr.Kind)
	require.Empty(t, fr.Errors)
	require.Equal(t, importer.Counts{Read: 4, Inserted: 4}, fr.Counts)
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM customers WHERE phone = '13911112222' AND prospect_status = 'key' AND intent_level = 'H' AND status_day = '2026-03-01'"))
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM customers WHERE phone = '13922223333' AND prospect_status = 'lost' AND lost_reason = '价格太高'"))
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM customers WHERE phone = '13933334444' AND prospect_status = 'won' AND status_day = '2026-03-05'"), "the latest visit gives the status")
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM showroom_visits WHERE arrived_at = '2026-03-01 07:04:00+00' AND left_at = '2026-03-01 08:10:00+00' AND note = '看了汉'"), "times are in the dealer's zone")

	res = imp(t, db, importer.Options{}, f)
	require.Equal(t, importer.Counts{Read: 4, Unchanged: 4}, res.Files[0].Counts)

	bad := writeFile(t, t.TempDir(), "sr.csv", csvOf("手机号,到店时间,状态", "13911112222,2026-03-01 25:00,", "13911112222,2026-03-02 10:00,瞎说"), "utf8")
	res = imp(t, db, importer.Options{}, bad)
	require.True(t, res.Refused())
	require.Len(t, res.Files[0].Errors, 2)
	require.Equal(t, "到店时间", res.Files[0].Errors[0].Column)
	require.Equal(t, "状态", res.Files[0].Errors[1].Column)
}

func TestComplaints(t *testing.T) {
	db := newDB(t)
	seedOwners(t, db)
	f := writeFile(t, t.TempDir(), "c.csv", csvOf(
		"客户姓名,联系电话,车架号,投诉日期,投诉类型,投诉内容,结案日期",
		"张三,13912345678,"+vin(t, 1)+",2026-03-04,服务态度,等待时间太长,",
		"新客户,010-8888 9999,,2026-03-05,维修质量,异响,2026-03-08",
		"张三,13912345678,,2026-03-06,价格,太贵,2026-03-01",
	), "utf8")
	res := imp(t, db, importer.Options{}, f)
	fr := res.Files[0]
	require.Equal(t, importer.KindComplaint, fr.Kind)
	require.True(t, fr.Refused)
	require.Equal(t, "结案日期", fr.Errors[0].Column)
	require.Contains(t, fr.Errors[0].Reason, "closed before")

	res = imp(t, db, importer.Options{SkipInvalid: true}, f)
	require.Equal(t, importer.Counts{Read: 3, Inserted: 2, Invalid: 1}, res.Files[0].Counts)
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM complaints k JOIN vehicles v ON v.id = k.vehicle_id WHERE k.closed_on IS NULL AND k.category = '服务态度'"))
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM complaints k JOIN customers c ON c.id = k.customer_id WHERE c.phone = '01088889999' AND c.name = '新客户' AND k.closed_on = '2026-03-08'"))

	closing := writeFile(t, t.TempDir(), "c.csv", csvOf("手机号,投诉日期,投诉类型,投诉内容,结案日期",
		"13912345678,2026-03-04,服务态度,等待时间太长,2026-03-09"), "utf8")
	res = imp(t, db, importer.Options{}, closing)
	require.Equal(t, importer.Counts{Read: 1, Updated: 1}, res.Files[0].Counts)
	require.Equal(t, 0, count(t, db, "SELECT count(*) FROM complaints WHERE closed_on IS NULL"))
}

func TestRecallLists(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	withCode := writeFile(t, dir, "list.csv", csvOf("召回编号,召回名称,VIN码", "R-2026-01,气囊召回,"+vin(t, 1), "R-2026-01,气囊召回,"+vin(t, 2)), "gbk")
	byName := writeFile(t, dir, "recall_R-2026-02.csv", csvOf("车架号", vin(t, 1), vin(t, 3)), "utf8")
	res := imp(t, db, importer.Options{}, withCode, byName)
	require.False(t, res.Refused(), "%+v", res.Errors())
	require.Equal(t, 4, res.Total.Inserted)
	require.Equal(t, 2, count(t, db, "SELECT count(*) FROM recall_vehicles rv JOIN recalls r ON r.id = rv.recall_id WHERE r.code = 'R-2026-01' AND r.title = '气囊召回' AND rv.imported_on = '2026-03-10'"))
	require.Equal(t, 2, count(t, db, "SELECT count(*) FROM recall_vehicles rv JOIN recalls r ON r.id = rv.recall_id WHERE r.code = 'R-2026-02'"))

	flag := writeFile(t, dir, "vins.csv", csvOf("VIN", vin(t, 4)), "utf8")
	res = imp(t, db, importer.Options{RecallCode: "R-2026-03"}, flag, withCode)
	require.Equal(t, importer.Counts{Read: 3, Inserted: 1, Unchanged: 2}, res.Total)
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM recalls WHERE code = 'R-2026-03'"))
}

func TestDoNotCallList(t *testing.T) {
	db := newDB(t)
	f := writeFile(t, t.TempDir(), "dnc.csv", csvOf("勿扰号码,原因", "+86 139 1234 5678,客户要求", "0755-2345 6789,", "12345,"), "gbk")
	res := imp(t, db, importer.Options{SkipInvalid: true}, f)
	fr := res.Files[0]
	require.Equal(t, importer.KindDNC, fr.Kind)
	require.Equal(t, importer.Counts{Read: 3, Inserted: 2, Invalid: 1}, fr.Counts)
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM do_not_call WHERE phone = '13912345678' AND reason = '客户要求' AND source = 'import dnc.csv'"))
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM do_not_call WHERE phone = '075523456789'"))
	res = imp(t, db, importer.Options{SkipInvalid: true}, f)
	require.Equal(t, importer.Counts{Read: 3, Unchanged: 2, Invalid: 1}, res.Files[0].Counts)
}

func TestProspectBecomesOwner(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	sr := writeFile(t, dir, "sr.csv", csvOf("手机号,到店时间,意向级别", "13912345678,2026-03-01 10:00,H"), "utf8")
	imp(t, db, importer.Options{}, sr)
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM customers WHERE prospect_status = 'key'"))
	seedOwners(t, db)
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM customers WHERE phone = '13912345678' AND prospect_status = 'won' AND status_day = '2026-03-10' AND name = '张三'"))
}
