package agentui

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// dayLayout is how days are written in forms and URLs.
const dayLayout = "2006-01-02"

// dayRange is a range of calendar days in the dealer's zone, both ends included.
type dayRange struct {
	From, To time.Time // days at 00:00 in the dealer's zone
}

// fromAt and toAt are the instants the range starts and ends (To's next midnight).
func (d dayRange) fromAt() time.Time { return d.From }
func (d dayRange) toAt() time.Time   { return d.To.AddDate(0, 0, 1) }

// today returns the user's current day at 00:00 in the dealer's zone.
func (h *handler) today(u *user) time.Time {
	n := h.deps.Now().In(u.location())
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, n.Location())
}

// parseDay reads a YYYY-MM-DD form value as a day in loc; def when empty.
func parseDay(v string, loc *time.Location, def time.Time) (time.Time, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseInLocation(dayLayout, v, loc)
	if err != nil {
		return time.Time{}, errUser(http.StatusBadRequest, fmt.Sprintf("日期 %q 格式不对，请写成 2026-05-01 这样", v), fmt.Sprintf("bad day %q (want YYYY-MM-DD)", v))
	}
	return d, nil
}

// parseRange reads from and to (days); by default the last defDays days up to today.
func (h *handler) parseRange(r *http.Request, defDays int) (dayRange, error) {
	u := userFrom(r)
	loc, today := u.location(), h.today(u)
	from, err := parseDay(r.FormValue("from"), loc, today.AddDate(0, 0, -(defDays-1)))
	if err != nil {
		return dayRange{}, err
	}
	to, err := parseDay(r.FormValue("to"), loc, today)
	if err != nil {
		return dayRange{}, err
	}
	if to.Before(from) {
		return dayRange{}, errUser(http.StatusBadRequest, fmt.Sprintf("结束日期 %s 早于开始日期 %s，请重新选择日期范围", to.Format(dayLayout), from.Format(dayLayout)), "the range ends before it starts")
	}
	if to.Sub(from) > 400*24*time.Hour {
		return dayRange{}, errUser(http.StatusBadRequest, "日期范围太长了：最多 400 天", "the range is longer than 400 days")
	}
	return dayRange{From: from, To: to}, nil
}

// dateOnly is a day as pgx gives it for a date column: 00:00 UTC.
func dateOnly(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// cell is one value of a list: its text and, optionally, where it links.
type cell struct {
	Text string
	Href string
	// Num marks a whole number (a number cell in the spreadsheet).
	Num bool
}

// table is a list as both the HTML page and the xlsx export show it.
type table struct {
	Title string
	Head  []string
	Rows  [][]cell
}

func (t *table) add(cells ...cell) { t.Rows = append(t.Rows, cells) }

func txt(s string) cell                 { return cell{Text: s} }
func num(n int64) cell                  { return cell{Text: strconv.FormatInt(n, 10), Num: true} }
func link(s, href string) cell          { return cell{Text: s, Href: href} }
func numLink(n int64, href string) cell { c := num(n); c.Href = href; return c }
func pct(part, whole int64) string {
	if whole == 0 {
		return "–"
	}
	return strconv.FormatFloat(100*float64(part)/float64(whole), 'f', 1, 64) + "%"
}

// wantsXLSX reports whether the request asks for the list as a spreadsheet.
func wantsXLSX(r *http.Request) bool { return r.FormValue("format") == "xlsx" }

// xlsxURL is the request's URL asking for the spreadsheet.
func xlsxURL(r *http.Request) string {
	q := r.URL.Query()
	q.Set("format", "xlsx")
	return r.URL.Path + "?" + q.Encode()
}

// writeXLSX sends the table as an Excel workbook with one sheet; whole numbers are cells
// of type number so the spreadsheet can sum them.
func (h *handler) writeXLSX(w http.ResponseWriter, r *http.Request, t *table, file string) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Sheet1"
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		h.fail(w, r, fmt.Errorf("xlsx: %w", err))
		return
	}
	row := func(i int, vals []any) error {
		c, _ := excelize.CoordinatesToCellName(1, i)
		return sw.SetRow(c, vals)
	}
	head := make([]any, len(t.Head))
	for i, s := range t.Head {
		head[i] = s
	}
	if err := row(1, head); err != nil {
		h.fail(w, r, fmt.Errorf("xlsx: %w", err))
		return
	}
	for i, cells := range t.Rows {
		vals := make([]any, len(cells))
		for j, c := range cells {
			if n, err := strconv.ParseInt(c.Text, 10, 64); err == nil && c.Num {
				vals[j] = n
			} else {
				vals[j] = c.Text
			}
		}
		if err := row(i+2, vals); err != nil {
			h.fail(w, r, fmt.Errorf("xlsx: %w", err))
			return
		}
	}
	if err := sw.Flush(); err != nil {
		h.fail(w, r, fmt.Errorf("xlsx: %w", err))
		return
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		h.fail(w, r, fmt.Errorf("xlsx: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(file+".xlsx"))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// renderTable shows a list on the generic list page, or sends it as xlsx when asked.
func (h *handler) renderTable(w http.ResponseWriter, r *http.Request, t *table, file string, extra map[string]any) {
	if wantsXLSX(r) {
		h.writeXLSX(w, r, t, file)
		return
	}
	data := map[string]any{"Page": "director", "Table": t, "XLSX": xlsxURL(r)}
	for k, v := range extra {
		data[k] = v
	}
	h.renderDirector(w, r, "director_list.html", data)
}

// renderDirector renders a director page with the director words (D) in the page data.
func (h *handler) renderDirector(w http.ResponseWriter, r *http.Request, name string, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	if _, ok := data["Page"]; !ok {
		data["Page"] = "director"
	}
	data["D"] = directorWords(langFrom(r))
	h.render(w, r, name, data)
}

// campaignName is a campaign code's name in the request's language.
func campaignName(r *http.Request, code string) string { return t(langFrom(r), "c."+code) }

// formInt reads an optional whole-number form value.
func formInt(r *http.Request, key string) (*int64, error) {
	v := strings.TrimSpace(r.FormValue(key))
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, errUser(http.StatusBadRequest, fmt.Sprintf("“%s”要填整数，填的是 %q", fieldLabel(key), v), fmt.Sprintf("%s must be a whole number, not %q", key, v))
	}
	return &n, nil
}

// formText reads an optional text form value (nil when empty).
func formText(r *http.Request, key string) *string {
	v := strings.TrimSpace(r.FormValue(key))
	if v == "" {
		return nil
	}
	return &v
}

// pathID reads the {id} path value.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

// directorHome opens the director console on the daily check.
func (h *handler) directorHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/director/daily", http.StatusSeeOther)
}

// customerHref links a customer's name to their calls of the last year.
func (h *handler) customerHref(r *http.Request, name string) string {
	from := h.today(userFrom(r)).AddDate(-1, 0, 0).Format(dayLayout)
	return "/director/calls?" + url.Values{"customer": {name}, "from": {from}}.Encode()
}

// fieldLabels are the Chinese names of the director forms' number fields, for errors.
var fieldLabels = map[string]string{
	"agent": "坐席", "min_secs": "最短通话秒数", "n": "抽查数量", "per_agent": "每个坐席抽查数", "sip_status": "SIP 状态码",
}

// fieldLabel is a form field's Chinese name (the key itself when it has none).
func fieldLabel(key string) string {
	if l, ok := fieldLabels[key]; ok {
		return l
	}
	return key
}
