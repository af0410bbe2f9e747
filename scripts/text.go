package scripts

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// A script's texts are plain text with two kinds of mark, and nothing else:
//
//   - {称呼} puts in one of the variables of Fields, such as the customer's salutation;
//   - [……] is an optional part, shown only when every variable in it has a value;
//     [……|……] shows the part after | instead when one of them has none.
//
// There are no loops, calls or nested parts, so the rendered text is at most a known
// size (see MaxTextRunes, MaxVariablesPerText and MaxValueRunes) and rendering costs as
// much as copying the text. The result is plain text, never HTML: pages show it with
// textContent or through html/template's escaping.

// Limits on a script's texts.
const (
	// MaxTextRunes is the longest one text (opening, reminder, question, answer ...) may be.
	MaxTextRunes = 2000
	// MaxVariablesPerText is how many variables one text may use.
	MaxVariablesPerText = 40
	// MaxValueRunes is the longest a variable's value is put in; longer values are cut.
	MaxValueRunes = 60
	// MaxRenderedRunes is the longest a rendered text can be:
	// MaxTextRunes + MaxVariablesPerText*MaxValueRunes.
	MaxRenderedRunes = MaxTextRunes + MaxVariablesPerText*MaxValueRunes
	// MaxSourceBytes is the largest a script's stored text may be.
	MaxSourceBytes = 64 << 10
)

// Field is one variable a script may use.
type Field struct {
	// Name is how a script writes it, between braces: {称呼}.
	Name string `json:"name"`
	// Help says what it holds.
	Help string `json:"help"`
	// Legacy is the name of the Vars field the old template syntax used ({{.Salutation}}).
	Legacy string `json:"-"`
	get    func(Vars) string
}

// fields are the variables a script may use (Fields).
var fields = []Field{
	{Name: "称呼", Help: "姓氏加先生/女士，如 王先生；称谓不明时为全名", Legacy: "Salutation", get: func(v Vars) string { return v.Salutation }},
	{Name: "客户姓名", Help: "客户全名", Legacy: "Name", get: func(v Vars) string { return v.Name }},
	{Name: "称谓", Help: "先生、女士或空", Legacy: "Title", get: func(v Vars) string { return v.Title }},
	{Name: "车牌", Help: "在用车辆的车牌", Legacy: "Plate", get: func(v Vars) string { return v.Plate }},
	{Name: "车型", Help: "在用车辆的品牌车型", Legacy: "Model", get: func(v Vars) string { return v.Model }},
	{Name: "店名", Help: "本店名称", Legacy: "Dealer", get: func(v Vars) string { return v.Dealer }},
	{Name: "坐席", Help: "打电话的坐席姓名", Legacy: "Agent", get: func(v Vars) string { return v.Agent }},
	{Name: "销售顾问", Help: "客户的销售顾问", Legacy: "Consultant", get: func(v Vars) string { return v.Consultant }},
	{Name: "上次到店", Help: "上次进厂（或交车）日期，如 2026年5月3日", Legacy: "LastVisit", get: func(v Vars) string { return v.LastVisit }},
	{Name: "到期日", Help: "提醒事项的到期日，如 2026年6月1日", Legacy: "DueDay", get: func(v Vars) string { return v.DueDay }},
}

// Fields is the closed list of variables a script may use, in the order the editor lists
// them.
func Fields() []Field { return slices.Clone(fields) }

func fieldIndex(name string) int {
	for i, f := range fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

func fieldNames() string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = "{" + f.Name + "}"
	}
	return strings.Join(names, "、")
}

// segment is one piece of a parsed text: literal text, a variable, or an optional part.
type segment struct {
	lit      string
	field    int // index in Fields, or -1
	optional *optionalPart
}

type optionalPart struct {
	main, alt text
}

// text is a parsed text.
type text []segment

// parseText reads one text in the script syntax. Errors are in Chinese and say where.
func parseText(src string) (text, error) {
	if n := utf8.RuneCountInString(src); n > MaxTextRunes {
		return nil, fmt.Errorf("太长了：%d 个字，最多 %d 个字", n, MaxTextRunes)
	}
	if strings.Contains(src, "{{") || strings.Contains(src, "}}") {
		return nil, fmt.Errorf("不能使用 {{ }} 模板写法（循环、判断、函数都不允许）；只能插入变量，例如 {称呼}")
	}
	p := &textParser{src: src}
	out, err := p.parse(false)
	if err != nil {
		return nil, err
	}
	if p.vars > MaxVariablesPerText {
		return nil, fmt.Errorf("用了 %d 个变量，一段最多 %d 个", p.vars, MaxVariablesPerText)
	}
	return out, nil
}

type textParser struct {
	src  string
	pos  int // byte offset
	vars int
}

// at says where the parser is, in characters from the start, for error messages.
func (p *textParser) at(pos int) string {
	return fmt.Sprintf("第 %d 个字处", utf8.RuneCountInString(p.src[:pos])+1)
}

// parse reads segments until the end, or inside an optional part until ] or |.
func (p *textParser) parse(inOptional bool) (text, error) {
	var out text
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, segment{lit: lit.String(), field: -1})
			lit.Reset()
		}
	}
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '{':
			end := strings.IndexAny(p.src[p.pos+1:], "{}[]|\n")
			if end < 0 || p.src[p.pos+1+end] != '}' {
				return nil, fmt.Errorf("%s的 { 没有对应的 }；插入变量请写成 {称呼} 这样", p.at(p.pos))
			}
			name := strings.TrimSpace(p.src[p.pos+1 : p.pos+1+end])
			i := fieldIndex(name)
			if i < 0 {
				return nil, fmt.Errorf("%s的 {%s} 不是可用的变量；可用的变量有：%s", p.at(p.pos), name, fieldNames())
			}
			flush()
			out = append(out, segment{field: i})
			p.vars++
			p.pos += end + 2
		case c == '}':
			return nil, fmt.Errorf("%s多了一个 }", p.at(p.pos))
		case c == '[':
			if inOptional {
				return nil, fmt.Errorf("%s：可选部分 [ ] 里不能再套 [ ]", p.at(p.pos))
			}
			start := p.pos
			p.pos++
			main, err := p.parse(true)
			if err != nil {
				return nil, err
			}
			var alt text
			if p.pos < len(p.src) && p.src[p.pos] == '|' {
				p.pos++
				if alt, err = p.parse(true); err != nil {
					return nil, err
				}
				if p.pos < len(p.src) && p.src[p.pos] == '|' {
					return nil, fmt.Errorf("%s：可选部分里只能有一个 |", p.at(p.pos))
				}
			}
			if p.pos >= len(p.src) || p.src[p.pos] != ']' {
				return nil, fmt.Errorf("%s的 [ 没有对应的 ]", p.at(start))
			}
			p.pos++
			if !main.hasVariable() {
				return nil, fmt.Errorf("%s：可选部分 [ ] 里要有变量，它在变量都有值时才显示", p.at(start))
			}
			flush()
			out = append(out, segment{field: -1, optional: &optionalPart{main: main, alt: alt}})
		case c == ']':
			if inOptional {
				flush()
				return out, nil
			}
			return nil, fmt.Errorf("%s多了一个 ]", p.at(p.pos))
		case c == '|' && inOptional:
			flush()
			return out, nil
		default:
			_, size := utf8.DecodeRuneInString(p.src[p.pos:])
			lit.WriteString(p.src[p.pos : p.pos+size])
			p.pos += size
		}
	}
	flush()
	return out, nil
}

func (t text) hasVariable() bool {
	for _, s := range t {
		if s.field >= 0 {
			return true
		}
	}
	return false
}

// value is a variable's value as put in: trimmed, one line, at most MaxValueRunes long.
func value(f Field, v Vars) string {
	s := strings.Join(strings.Fields(f.get(v)), " ")
	if utf8.RuneCountInString(s) > MaxValueRunes {
		s = string([]rune(s)[:MaxValueRunes])
	}
	return s
}

// render fills the text's variables; the result is plain text.
func (t text) render(v Vars) string {
	var b strings.Builder
	t.renderTo(&b, v)
	return b.String()
}

func (t text) renderTo(b *strings.Builder, v Vars) {
	for _, s := range t {
		switch {
		case s.optional != nil:
			if s.optional.main.complete(v) {
				s.optional.main.renderTo(b, v)
			} else {
				s.optional.alt.renderTo(b, v)
			}
		case s.field >= 0:
			b.WriteString(value(fields[s.field], v))
		default:
			b.WriteString(s.lit)
		}
	}
}

// complete says whether every variable of the text has a value.
func (t text) complete(v Vars) bool {
	for _, s := range t {
		if s.field >= 0 && value(fields[s.field], v) == "" {
			return false
		}
	}
	return true
}
