package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// table is a file read row by row: CSV (any of the encodings DMS exports use), XLSX or XLS.
type table interface {
	// next returns the cells of the next row and its number as a spreadsheet shows it
	// (the first row is 1), or io.EOF after the last row.
	next() ([]string, int, error)
	// progress returns how much of the file has been read and its size, in bytes; total
	// is 0 when unknown.
	progress() (done, total int64)
	// encoding names what was detected: utf-8, utf-8-bom, gbk, utf-16, xlsx, xls.
	encoding() string
	close() error
}

// openTable opens path as XLSX, as XLS (Excel 97-2003) or as CSV. The content decides:
// a ZIP file is XLSX and an OLE compound file is XLS (or a password-protected workbook),
// whatever the file is named; otherwise a .xlsx name means a damaged XLSX, and anything
// else, a .xls that is really text included, is read as CSV. For a CSV, enc is the
// encoding found by an earlier opening (it saves reading the file once more), or "".
func openTable(path, enc string) (table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	magic := make([]byte, 512)
	n, _ := io.ReadFull(f, magic)
	magic = magic[:n]
	ext := strings.ToLower(filepath.Ext(path))
	switch {
	case bytes.HasPrefix(magic, []byte("PK\x03\x04")):
		_ = f.Close()
		return openXLSX(path)
	case bytes.HasPrefix(magic, oleMagic):
		_ = f.Close()
		return openXLS(path)
	case ext == ".xlsx" || ext == ".xlsm":
		_ = f.Close()
		return openXLSX(path)
	case ext == ".xls":
		// DMS "Excel" exports are sometimes a web page or tab-separated text named .xls.
		head := bytes.ToLower(bytes.TrimSpace(bytes.TrimPrefix(magic, []byte{0xEF, 0xBB, 0xBF})))
		switch {
		case bytes.HasPrefix(head, []byte("<")):
			_ = f.Close()
			return nil, errors.New("the .xls file is a web page (HTML table), not an Excel workbook; open it in Excel or WPS and save it as .xlsx or .csv")
		case n == 0:
			_ = f.Close()
			return nil, errors.New("the .xls file is empty")
		case bytes.IndexByte(magic, 0) >= 0 && !bytes.HasPrefix(magic, []byte{0xFF, 0xFE}) && !bytes.HasPrefix(magic, []byte{0xFE, 0xFF}):
			_ = f.Close()
			return nil, errors.New("the .xls file is not an Excel workbook (it lacks the Excel file signature) and not text; it may be damaged")
		}
	}
	return openCSV(f, enc)
}

// detectEncoding reads f to its end and reports the encoding of its text: a BOM wins;
// otherwise text that is valid UTF-8 throughout is UTF-8 and anything else is GBK
// (read as GB18030, its superset).
func detectEncoding(f *os.File) (enc string, skip int, err error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", 0, err
	}
	buf := make([]byte, 1<<20)
	n, err := io.ReadFull(f, buf[:4])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", 0, err
	}
	head := buf[:n]
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return "utf-8-bom", 3, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return "utf-16", 0, nil
	}
	carry := n
	for {
		m, rerr := f.Read(buf[carry:])
		end := carry + m
		if rerr == io.EOF || (m == 0 && rerr == nil) {
			if !utf8.Valid(buf[:end]) {
				return "gbk", 0, nil
			}
			return "utf-8", 0, nil
		}
		if rerr != nil {
			return "", 0, rerr
		}
		// Keep a rune cut at the end of the buffer for the next round.
		cut := end
		for j := end - 1; j >= 0 && j >= end-3; j-- {
			if utf8.RuneStart(buf[j]) {
				if !utf8.FullRune(buf[j:end]) {
					cut = j
				}
				break
			}
		}
		if !utf8.Valid(buf[:cut]) {
			return "gbk", 0, nil
		}
		carry = copy(buf, buf[cut:end])
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type csvTable struct {
	f     *os.File
	cr    *countingReader
	size  int64
	enc   string
	r     *csv.Reader
	extra int // newlines inside quoted fields so far, which a spreadsheet does not count as rows
}

func openCSV(f *os.File, enc string) (table, error) {
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	skip := 0
	switch enc {
	case "utf-8-bom":
		skip = 3
	case "utf-8", "gbk", "utf-16":
	default:
		if enc, skip, err = detectEncoding(f); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("read: %w", err)
		}
	}
	if _, err := f.Seek(int64(skip), io.SeekStart); err != nil {
		_ = f.Close()
		return nil, err
	}
	cr := &countingReader{r: f}
	var src io.Reader = cr
	switch enc {
	case "gbk":
		src = transform.NewReader(cr, simplifiedchinese.GB18030.NewDecoder())
	case "utf-16":
		src = transform.NewReader(cr, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder())
	}
	br := bufio.NewReaderSize(src, 1<<16)
	// Sniff the delimiter from the first line: comma, tab (Excel "Unicode text") or semicolon.
	first, _ := br.Peek(br.Size())
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	comma := ','
	if t := bytes.Count(first, []byte{'\t'}); t > bytes.Count(first, []byte{','}) {
		comma = '\t'
	} else if s := bytes.Count(first, []byte{';'}); s > bytes.Count(first, []byte{','}) {
		comma = ';'
	}
	r := csv.NewReader(br)
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	return &csvTable{f: f, cr: cr, size: st.Size(), enc: enc, r: r}, nil
}

func (t *csvTable) next() ([]string, int, error) {
	rec, err := t.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, 0, io.EOF
		}
		return nil, 0, fmt.Errorf("csv: %w", err)
	}
	line, _ := t.r.FieldPos(0)
	row := line - t.extra
	for _, s := range rec {
		if strings.IndexByte(s, '\n') >= 0 {
			t.extra += strings.Count(s, "\n")
		}
	}
	return rec, row, nil
}

func (t *csvTable) progress() (int64, int64) { return t.cr.n, t.size }
func (t *csvTable) encoding() string         { return t.enc }
func (t *csvTable) close() error             { return t.f.Close() }

type xlsxTable struct {
	f    *excelize.File
	rows *excelize.Rows
	row  int
}

func openXLSX(path string) (table, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("open xlsx: %w", err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		_ = f.Close()
		return nil, errors.New("xlsx has no sheet")
	}
	name := f.GetSheetName(f.GetActiveSheetIndex())
	if name == "" {
		name = sheets[0]
	}
	rows, err := f.Rows(name)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("xlsx sheet %s: %w", name, err)
	}
	return &xlsxTable{f: f, rows: rows}, nil
}

func (t *xlsxTable) next() ([]string, int, error) {
	if !t.rows.Next() {
		if err := t.rows.Error(); err != nil {
			return nil, 0, fmt.Errorf("xlsx: %w", err)
		}
		return nil, 0, io.EOF
	}
	t.row++
	// Raw values: date cells come as Excel serial numbers, whatever their display format.
	cells, err := t.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, 0, fmt.Errorf("xlsx row %d: %w", t.row, err)
	}
	return cells, t.row, nil
}

func (t *xlsxTable) progress() (int64, int64) { return int64(t.row), 0 }
func (t *xlsxTable) encoding() string         { return "xlsx" }
func (t *xlsxTable) close() error {
	_ = t.rows.Close()
	return t.f.Close()
}
