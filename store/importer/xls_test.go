package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/huifang/huifang/store/importer"
)

// The .xls fixtures in testdata are written by testdata/make_xls.pl with
// Spreadsheet::WriteExcel, a real BIFF8 writer.

// ownersXLSAsCSV is testdata/owners.xls as the same export would be in a CSV file.
func ownersXLSAsCSV(t *testing.T) string {
	return csvOf(ownersHeader,
		"张三,13912345678,男,"+vin(t, 1)+",京A·12345,大众,帕萨特,2025-03-01,12000,2026-03-01,2026/6/30,A,李娜",
		"赵䶮,02168889999,女,"+vin(t, 2)+",沪B 54321,Citroën,凯美瑞,2024/3/5,35000,,,C,",
		"𠮷田,13800000001,,"+vin(t, 3)+",,比亚迪,汉,2024-05-20 14:30,8000.4,,2025-03-01,潜力,Wang Fang")
}

// dumpOwners lists what an owners import wrote: each vehicle with its customer and
// odometer readings, by VIN.
func dumpOwners(t *testing.T, db *pgxpool.Pool) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `
		SELECT concat_ws('|', c.name, c.title, c.phone, coalesce(c.grade, ''), c.consultant, v.vin, v.plate,
			v.brand, v.model, coalesce(v.delivery_day::text, ''), coalesce(v.insurance_end::text, ''),
			coalesce((SELECT string_agg(o.day::text || '=' || o.km, ';' ORDER BY o.day)
				FROM odometer_readings o WHERE o.vehicle_id = v.id), ''))
		FROM vehicles v JOIN customers c ON c.id = v.customer_id ORDER BY v.vin`)
	require.NoError(t, err)
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}

// copyFixture copies testdata/name to a temporary file called as, possibly changed by edit.
func copyFixture(t *testing.T, name, as string, edit func([]byte) []byte) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	if edit != nil {
		b = edit(b)
	}
	p := filepath.Join(t.TempDir(), as)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// TestXLSLikeCSV imports the .xls owners export and the same data as CSV and compares
// what each wrote; the .xls is recognised by its content under any file name.
func TestXLSLikeCSV(t *testing.T) {
	csvDB := newDB(t)
	res := imp(t, csvDB, importer.Options{}, writeFile(t, t.TempDir(), "owners.csv", ownersXLSAsCSV(t), "utf8"))
	require.False(t, res.Refused(), "%+v", res.Errors())
	want := dumpOwners(t, csvDB)
	require.Equal(t, []string{
		"张三|先生|13912345678|premium|李娜|" + vin(t, 1) + "|京A12345|大众|帕萨特|2025-03-01|2026-06-30|2026-03-01=12000",
		"赵䶮|女士|02168889999|general||" + vin(t, 2) + "|沪B54321|Citroën|凯美瑞|2024-03-05||2026-03-10=35000",
		"𠮷田||13800000001|potential|Wang Fang|" + vin(t, 3) + "||比亚迪|汉|2024-05-20|2025-03-01|2026-03-10=8000",
	}, want)

	for _, name := range []string{"owners.xls", "车主导出.XLS", "owners.dat", "owners.csv", "owners.xlsx"} {
		t.Run(name, func(t *testing.T) {
			db := newDB(t)
			p := copyFixture(t, "owners.xls", name, nil)
			res := imp(t, db, importer.Options{}, p)
			fr := res.Files[0]
			require.Empty(t, fr.Errors)
			require.Equal(t, "xls", fr.Encoding)
			require.Equal(t, importer.KindOwners, fr.Kind)
			require.Equal(t, importer.Counts{Read: 3, Inserted: 3}, fr.Counts, "the title row, the empty row and the notes sheet are not data")
			require.Equal(t, want, dumpOwners(t, db))

			res = imp(t, db, importer.Options{}, p)
			require.Equal(t, importer.Counts{Read: 3, Unchanged: 3}, res.Files[0].Counts)
		})
	}
}

// TestXLSBadRows checks the report of a refused .xls: sheet row numbers, the column as
// headed in the file, the cell's value (a number cell as its digits) and the reason.
func TestXLSBadRows(t *testing.T) {
	db := newDB(t)
	p := copyFixture(t, "owners_bad.xls", "owners_bad.xls", nil)
	res := imp(t, db, importer.Options{}, p)
	fr := res.Files[0]
	require.True(t, fr.Refused)
	require.False(t, fr.Written)
	require.Equal(t, importer.Counts{Read: 3, Invalid: 2}, fr.Counts)
	require.Len(t, fr.Errors, 2)
	for i, want := range []importer.RowError{
		{Row: 3, Column: "手机号", Value: "1381234", Reason: "a mobile number has 11 digits"},
		{Row: 4, Column: "行驶里程", Value: "很多", Reason: "mileage is not a number of km"},
	} {
		require.Equal(t, want, fr.Errors[i])
	}
	require.Equal(t, 0, count(t, db, "SELECT count(*) FROM customers"))
	require.Equal(t, 0, count(t, db, "SELECT count(*) FROM dealers"))

	res = imp(t, db, importer.Options{SkipInvalid: true}, p)
	require.Equal(t, importer.Counts{Read: 3, Inserted: 1, Invalid: 2}, res.Files[0].Counts)
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM vehicles WHERE delivery_day = '2025-03-01' AND vin = $1", vin(t, 1)))
	require.Equal(t, 1, count(t, db, "SELECT count(*) FROM customers WHERE phone = '13912345678' AND name = '张三'"))
}

// TestXLSUnreadable checks that damaged, encrypted and fake .xls files are refused with
// an error naming the problem, and that nothing is written.
func TestXLSUnreadable(t *testing.T) {
	encrypted := func(t *testing.T, as string) string {
		x := excelize.NewFile()
		defer x.Close()
		require.NoError(t, x.SetSheetRow("Sheet1", "A1", &[]any{"客户姓名", "手机号", "车架号"}))
		require.NoError(t, x.SetSheetRow("Sheet1", "A2", &[]any{"张三", "13912345678", vin(t, 1)}))
		dir := t.TempDir()
		p := filepath.Join(dir, "encrypted.xlsx") // excelize saves by the .xlsx name only
		require.NoError(t, x.SaveAs(p, excelize.Options{Password: "secret"}))
		require.NoError(t, os.Rename(p, filepath.Join(dir, as)))
		return filepath.Join(dir, as)
	}
	for _, tc := range []struct {
		name    string
		file    func(t *testing.T) string
		problem string
	}{
		{"cut in half", func(t *testing.T) string {
			return copyFixture(t, "owners.xls", "owners.xls", func(b []byte) []byte { return b[:len(b)/2] })
		}, "damaged or cut short"},
		{"only the OLE header", func(t *testing.T) string {
			return copyFixture(t, "owners.xls", "owners.xls", func(b []byte) []byte { return b[:600] })
		}, "damaged or cut short"},
		{"workbook stream overwritten", func(t *testing.T) string {
			return copyFixture(t, "owners.xls", "owners.xls", func(b []byte) []byte {
				for i := 512; i < 1024; i++ {
					b[i] = 0xFF
				}
				return b
			})
		}, "damaged or cut short"},
		{"sheet offset past the end", func(t *testing.T) string {
			// The BOUNDSHEET record of the data sheet points past the workbook stream.
			return copyFixture(t, "owners.xls", "owners.xls", func(b []byte) []byte {
				require.Equal(t, []byte{0x85, 0, 12, 0}, b[1771:1775], "the second BOUNDSHEET record")
				copy(b[1775:1779], []byte{0xF0, 0xFF, 0xFF, 0x7F})
				return b
			})
		}, "damaged or cut short"},
		{"password-protected xls", func(t *testing.T) string {
			// An encrypted BIFF8 workbook has a FILEPASS record right after the BOF; the
			// CODEPAGE record there becomes one (the record headers stay valid).
			return copyFixture(t, "owners.xls", "owners.xls", func(b []byte) []byte {
				require.Equal(t, []byte{0x42, 0, 2, 0}, b[532:536], "CODEPAGE follows the BOF of the workbook stream")
				b[532] = 0x2F
				return b
			})
		}, "password-protected"},
		{"password-protected xlsx", func(t *testing.T) string { return encrypted(t, "owners.xlsx") }, "password-protected"},
		{"password-protected xlsx named xls", func(t *testing.T) string { return encrypted(t, "owners.xls") }, "password-protected"},
		{"web page named xls", func(t *testing.T) string {
			return writeFile(t, t.TempDir(), "owners.xls", "<html><table><tr><td>客户姓名</td></tr></table></html>", "utf8")
		}, "web page"},
		{"binary that is no workbook", func(t *testing.T) string {
			return copyFixture(t, "owners.xls", "owners.xls", func(b []byte) []byte { return b[8:] })
		}, "not an Excel workbook"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := newDB(t)
			res := imp(t, db, importer.Options{}, tc.file(t))
			fr := res.Files[0]
			require.True(t, fr.Refused)
			require.False(t, fr.Written)
			require.Contains(t, fr.Problem, tc.problem)
			require.Len(t, fr.Errors, 1)
			require.Equal(t, 0, fr.Errors[0].Row)
			require.Equal(t, 0, count(t, db, "SELECT count(*) FROM customers"))
			require.Equal(t, 0, count(t, db, "SELECT count(*) FROM dealers"))
		})
	}
}

// TestXLSTextNamedXLS reads a tab-separated text export named .xls as CSV.
func TestXLSTextNamedXLS(t *testing.T) {
	db := newDB(t)
	body := strings.ReplaceAll(csvOf("客户姓名,手机号,车架号", "张三,13912345678,"+vin(t, 1)), ",", "\t")
	res := imp(t, db, importer.Options{}, writeFile(t, t.TempDir(), "owners.xls", body, "gbk"))
	require.Equal(t, "gbk", res.Files[0].Encoding)
	require.Equal(t, importer.Counts{Read: 1, Inserted: 1}, res.Files[0].Counts)
}
