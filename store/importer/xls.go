package importer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/shakinm/xlsReader/cfb"
	"github.com/shakinm/xlsReader/xls"
	"github.com/shakinm/xlsReader/xls/record"
	"github.com/shakinm/xlsReader/xls/structure"
)

// oleMagic starts every OLE compound file: .xls workbooks and password-protected .xlsx.
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// errXLSDamaged is the message for an .xls whose structure cannot be read.
const errXLSDamaged = "the Excel 97-2003 (.xls) workbook is damaged or cut short; open it in Excel or WPS and save it again"

// errEncrypted is the message for a password-protected workbook.
const errEncrypted = "the workbook is password-protected (encrypted); open it in Excel or WPS, remove the password and save it again"

// xlsDamaged is the error for a damaged .xls; detail says what was found.
func xlsDamaged(detail any) error {
	if err, ok := detail.(error); ok && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
		detail = "the file ends early"
	}
	return fmt.Errorf("%s (%v)", errXLSDamaged, detail)
}

// xlsTable is an old binary Excel (Excel 97-2003, BIFF8) workbook's sheet. The whole
// sheet is read when the file is opened (a BIFF8 sheet has at most 65,536 rows).
type xlsTable struct {
	rows [][]string
	row  int
}

// openXLS reads the active sheet of an OLE compound file that holds a BIFF8 workbook, as
// the XLSX path does, and turns its cells into the strings the XLSX path gives: text as
// is, numbers (dates are numbers with a date format) as their raw value without exponent.
func openXLS(path string) (t table, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		// The BIFF reader does not check record bounds; a damaged file can make it panic.
		if r := recover(); r != nil {
			t, err = nil, xlsDamaged(r)
		}
	}()
	c, err := cfb.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, xlsDamaged(err)
	}
	var book, root *cfb.Directory
	for _, d := range c.GetDirs() {
		switch d.Name() {
		case "Workbook", "Book":
			if book == nil || d.Name() == "Workbook" {
				book = d
			}
		case "Root Entry":
			root = d
		case "EncryptedPackage", "EncryptionInfo":
			return nil, errors.New(errEncrypted)
		}
	}
	if book == nil || root == nil {
		return nil, errors.New("the file is an OLE compound document without an Excel workbook in it (a Word or other Office file?)")
	}
	if int64(book.GetStreamSize()) > int64(len(data)) {
		return nil, xlsDamaged("the workbook stream is said to be larger than the file")
	}
	r, err := c.OpenObject(book, root)
	if err != nil {
		return nil, xlsDamaged(err)
	}
	stream := make([]byte, book.GetStreamSize())
	if _, err := io.ReadFull(r, stream); err != nil {
		return nil, xlsDamaged(err)
	}
	g, err := scanGlobals(stream)
	if err != nil {
		return nil, err
	}
	wb, err := xls.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, xlsDamaged(err)
	}
	n := wb.GetNumberSheets()
	if n == 0 || n != len(g.sheets) {
		return nil, xlsDamaged("no readable sheet")
	}
	idx := g.active
	if idx < 0 || idx >= n {
		idx = 0
	}
	sh, err := wb.GetSheet(idx)
	if err != nil {
		return nil, xlsDamaged(err)
	}
	rows := make([][]string, sh.GetNumberRows())
	for i := range rows {
		row, err := sh.GetRow(i)
		if err != nil {
			return nil, fmt.Errorf("xls row %d: %w", i+1, err)
		}
		cols := row.GetCols()
		cells := make([]string, len(cols))
		for j, cd := range cols {
			cells[j] = xlsCell(cd)
		}
		rows[i] = cells
	}
	// The BIFF reader skips formula cells; their last calculated values are what the
	// XLSX path reads too.
	for rc, v := range xlsFormulas(stream, g.sheets[idx]) {
		r, c := rc[0], rc[1]
		for len(rows) <= r {
			rows = append(rows, nil)
		}
		for len(rows[r]) <= c {
			rows[r] = append(rows[r], "")
		}
		rows[r][c] = v
	}
	return &xlsTable{rows: rows}, nil
}

// xlsFormulas returns the cached results of the formula cells of the sheet whose
// substream starts at off, by 0-based row and column.
func xlsFormulas(s []byte, off int) map[[2]int]string {
	out := map[[2]int]string{}
	var pending *[2]int // a formula whose string result is in the next STRING record
	for p := off; p+4 <= len(s); {
		id := binary.LittleEndian.Uint16(s[p:])
		n := int(binary.LittleEndian.Uint16(s[p+2:]))
		if p+4+n > len(s) {
			break
		}
		body := s[p+4 : p+4+n]
		p += 4 + n
		switch {
		case id == 0x000A: // EOF of the sheet
			return out
		case id == 0x0006 && n >= 14: // FORMULA: rw, col, ixfe, 8-byte result
			rc := [2]int{int(binary.LittleEndian.Uint16(body)), int(binary.LittleEndian.Uint16(body[2:]))}
			res := body[6:14]
			if res[6] != 0xFF || res[7] != 0xFF {
				out[rc] = formatRaw(math.Float64frombits(binary.LittleEndian.Uint64(res)))
				continue
			}
			switch res[0] {
			case 0: // string, in the STRING record that follows
				pending = &rc
			case 1: // boolean
				out[rc] = map[bool]string{true: "TRUE", false: "FALSE"}[res[2] != 0]
			default: // error or empty
				out[rc] = ""
			}
		case id == 0x0207 && pending != nil && n >= 3: // STRING: cch, flags, characters
			out[*pending] = xlsString(body)
			pending = nil
		}
	}
	return out
}

// xlsString decodes a BIFF8 XLUnicodeString: a character count, a flags byte (bit 0:
// two bytes a character) and the characters, Latin-1 or UTF-16LE. Characters continued
// in a CONTINUE record are left out.
func xlsString(b []byte) string {
	cch, wide := int(binary.LittleEndian.Uint16(b)), b[2]&1 != 0
	b = b[3:]
	if !wide {
		r := make([]rune, 0, cch)
		for i := 0; i < cch && i < len(b); i++ {
			r = append(r, rune(b[i]))
		}
		return string(r)
	}
	u := make([]uint16, 0, cch)
	for i := 0; i < cch && 2*i+1 < len(b); i++ {
		u = append(u, binary.LittleEndian.Uint16(b[2*i:]))
	}
	return string(utf16.Decode(u))
}

// xlsGlobals is what scanGlobals finds in a workbook's globals substream.
type xlsGlobals struct {
	sheets []int // stream offset of each sheet's BOF, from its BOUNDSHEET record
	active int   // the active sheet (WINDOW1), 0 without one
}

// scanGlobals walks the record headers of the workbook globals, up to their EOF record:
// it refuses encrypted (FILEPASS) and pre-BIFF8 workbooks, which the BIFF reader would
// read as garbage, and finds the active sheet.
func scanGlobals(s []byte) (xlsGlobals, error) {
	var g xlsGlobals
	for p, first := 0, true; ; first = false {
		if p+4 > len(s) {
			return g, xlsDamaged("the workbook stream ends early")
		}
		id := binary.LittleEndian.Uint16(s[p:])
		n := int(binary.LittleEndian.Uint16(s[p+2:]))
		body := s[p+4:]
		if n > len(body) {
			return g, xlsDamaged("a record runs past the end")
		}
		body = body[:n]
		switch {
		case first && id != 0x0809: // BOF
			return g, xlsDamaged("no BOF record")
		case first:
			if n < 2 || binary.LittleEndian.Uint16(body) != 0x0600 {
				return g, errors.New("the .xls file is in an Excel 5.0/95 or older format, which is not supported; open it in Excel or WPS and save it as .xlsx")
			}
		case id == 0x002F: // FILEPASS
			return g, errors.New(errEncrypted)
		case id == 0x003D && n >= 12: // WINDOW1: itabCur at offset 10
			g.active = int(binary.LittleEndian.Uint16(body[10:]))
		case id == 0x0085 && n >= 4: // BOUNDSHEET: lbPlyPos first
			g.sheets = append(g.sheets, int(binary.LittleEndian.Uint32(body)))
		case id == 0x000A: // EOF
			return g, nil
		}
		p += 4 + n
	}
}

// xlsCell turns a cell into the string the XLSX path gives for it with raw cell values.
func xlsCell(cd structure.CellData) string {
	switch c := cd.(type) {
	case *record.Number:
		return formatRaw(c.GetFloat64())
	case *record.Rk:
		if i := c.GetInt64(); i != 0 {
			// An RK integer is a signed 30-bit number; the reader returns it unsigned.
			if i >= 1<<29 {
				i -= 1 << 30
			}
			return strconv.FormatInt(i, 10)
		}
		return formatRaw(c.GetFloat64())
	case nil:
		return ""
	}
	s := cd.GetString()
	if !utf8.ValidString(s) {
		// A shared string stored in compressed form (all characters up to U+00FF: é, ·, ¥)
		// comes from the reader as its raw Latin-1 bytes.
		r := make([]rune, len(s))
		for i := 0; i < len(s); i++ {
			r[i] = rune(s[i])
		}
		s = string(r)
	}
	return s
}

// formatRaw writes a number cell's value as digits, never in scientific notation, so a
// phone stored as a number stays 13912345678 and a date stays its serial (45717.5).
func formatRaw(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func (t *xlsTable) next() ([]string, int, error) {
	if t.row >= len(t.rows) {
		return nil, 0, io.EOF
	}
	t.row++
	return t.rows[t.row-1], t.row, nil
}

func (t *xlsTable) progress() (int64, int64) { return int64(t.row), 0 }
func (t *xlsTable) encoding() string         { return "xls" }
func (t *xlsTable) close() error             { return nil }
