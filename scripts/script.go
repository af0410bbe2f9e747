package scripts

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

//go:embed campaigns/*.yaml
var campaignFS embed.FS

// Question kinds.
const (
	// KindScore is a 1-5 score (5 is best).
	KindScore = "score"
	// KindChoice is one option out of a list, each with its own score.
	KindChoice = "choice"
	// KindYesNo is a yes or no answer (yes scores 1).
	KindYesNo = "yesno"
	// KindText is a free-text answer.
	KindText = "text"
)

// Script is one campaign's call script as written (before variables are filled).
type Script struct {
	// Campaign is the campaign code, such as "first_maintenance".
	Campaign string `yaml:"campaign" json:"campaign"`
	// Title is the script's Chinese name.
	Title string `yaml:"title" json:"title"`
	// Opening greets the customer and thanks them for the last visit.
	Opening string `yaml:"opening" json:"opening"`
	// Reminder is the reason-specific part of the call.
	Reminder string `yaml:"reminder" json:"reminder"`
	// Questions are asked during the call; answers are saved with the outcome.
	Questions []Question `yaml:"questions" json:"questions"`
	// Closing ends the call.
	Closing string `yaml:"closing" json:"closing"`
	// Objections are answers to the usual objections; the shared library is added when
	// the script is loaded.
	Objections []Objection `yaml:"objections,omitempty" json:"objections"`
	// Version is the script's version, such as "maintenance@0"; set when loaded.
	Version string `yaml:"-" json:"version"`

	// parsed holds every text parsed, by text, so rendering a script for each call does
	// not parse it again. Read-only once Parse returns.
	parsed map[string]text
}

// Question is one question of a script.
type Question struct {
	// ID names the answer in the saved outcome; questions with the same ID in merged
	// scripts are asked once.
	ID string `yaml:"id" json:"id"`
	// Text is what the agent asks.
	Text string `yaml:"text" json:"text"`
	// Kind is KindScore, KindChoice, KindYesNo or KindText.
	Kind string `yaml:"kind" json:"kind"`
	// Options are the answers of a choice question.
	Options []Option `yaml:"options,omitempty" json:"options"`
}

// Option is one answer of a choice question and its score.
type Option struct {
	// Label is the answer's text.
	Label string `yaml:"label" json:"label"`
	// Score is the answer's score.
	Score int `yaml:"score" json:"score"`
}

// Objection is an answer to one usual objection.
type Objection struct {
	// Key identifies the objection (price_high, cannot_afford, look_around, not_now, phone_number ...).
	Key string `yaml:"key" json:"key"`
	// Title says what the customer objects.
	Title string `yaml:"title" json:"title"`
	// Answer is what the agent can say.
	Answer string `yaml:"answer" json:"answer"`
}

// ErrUnknownCampaign is returned for a campaign code that has no script.
var ErrUnknownCampaign = errors.New("scripts: unknown campaign")

// Campaigns returns the codes of every campaign that has an embedded script, sorted.
func Campaigns() []string {
	entries, err := fs.ReadDir(campaignFS, "campaigns")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "_") || !strings.HasSuffix(name, ".yaml") {
			continue
		}
		out = append(out, strings.TrimSuffix(name, ".yaml"))
	}
	sort.Strings(out)
	return out
}

// BuiltinSource returns the embedded YAML text of a campaign's script (version 0).
func BuiltinSource(campaign string) ([]byte, error) {
	if !validCode(campaign) {
		return nil, fmt.Errorf("%w %q", ErrUnknownCampaign, campaign)
	}
	b, err := campaignFS.ReadFile("campaigns/" + campaign + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownCampaign, campaign)
	}
	return b, nil
}

// Builtin returns the embedded script of a campaign (version 0), with the shared
// objection answers added.
func Builtin(campaign string) (*Script, error) {
	b, err := BuiltinSource(campaign)
	if err != nil {
		return nil, err
	}
	s, err := Parse(campaign, b)
	if err != nil {
		return nil, fmt.Errorf("scripts: embedded %s: %w", campaign, err)
	}
	s.Version = campaign + "@0"
	return s, nil
}

func validCode(c string) bool {
	if c == "" || len(c) > 40 {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// Problem is one thing wrong with a script, in plain Chinese, with the field it is about.
type Problem struct {
	// Field names the form field: title, opening, reminder, closing, q<N>.text,
	// q<N>.kind, q<N>.options, q<N>.id, o<N>.key, o<N>.title, o<N>.answer (N from 1), or
	// "" for the script as a whole.
	Field string `json:"field"`
	// Msg says what is wrong and where, for the director.
	Msg string `json:"msg"`
}

// Problems is every problem found in a script; it is the error Parse and Check return.
type Problems []Problem

func (ps Problems) Error() string {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.Msg
	}
	return strings.Join(msgs, "\n")
}

// Decode reads a script's YAML text as written, without checking it (see Check).
func Decode(src []byte) (*Script, error) { return decode(src) }

// DecodeStored reads a stored script's YAML text as written, without checking it. A text
// in the old template syntax is converted to the script syntax (see legacy.go); a text
// that cannot be converted is an error.
func DecodeStored(src []byte) (*Script, error) {
	s, err := decode(src)
	if err != nil {
		return nil, err
	}
	if err := s.convertLegacy(); err != nil {
		return nil, err
	}
	return s, nil
}

func decode(src []byte) (*Script, error) {
	if len(src) > MaxSourceBytes {
		return nil, Problems{{Msg: fmt.Sprintf("话术太长了：%d 字节，最多 %d 字节", len(src), MaxSourceBytes)}}
	}
	var s Script
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, Problems{{Msg: "话术文本格式有误：" + err.Error()}}
	}
	return &s, nil
}

// Encode writes a script as written (its own objection answers only) as YAML text.
func (s *Script) Encode() ([]byte, error) {
	b, err := yaml.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("scripts: encode %s: %w", s.Campaign, err)
	}
	return b, nil
}

// textRef points at one text of a script.
type textRef struct {
	field, name string
	p           *string
}

// texts lists every text of a script that may use variables, with its form field and
// its name for the director.
func (s *Script) texts() []textRef {
	out := []textRef{
		{"opening", "开场白", &s.Opening}, {"reminder", "提醒内容", &s.Reminder}, {"closing", "结束语", &s.Closing},
	}
	for i := range s.Questions {
		out = append(out, textRef{fmt.Sprintf("q%d.text", i+1), fmt.Sprintf("第 %d 个问题", i+1), &s.Questions[i].Text})
	}
	for i := range s.Objections {
		out = append(out, textRef{fmt.Sprintf("o%d.answer", i+1), fmt.Sprintf("第 %d 条异议应答", i+1), &s.Objections[i].Answer})
	}
	return out
}

func (s *Script) convertLegacy() error {
	var ps Problems
	for _, t := range s.texts() {
		if !isLegacy(*t.p) {
			continue
		}
		c, err := convertLegacy(*t.p)
		if err != nil {
			ps = append(ps, Problem{Field: t.field, Msg: t.name + "：" + err.Error()})
			continue
		}
		*t.p = c
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}

// Parse reads a script's YAML text in the script syntax and checks it (see Check).
func Parse(campaign string, src []byte) (*Script, error) {
	s, err := decode(src)
	if err != nil {
		return nil, err
	}
	return Check(campaign, s)
}

// parseStored reads a stored version's YAML text, converting the old template syntax
// (see DecodeStored), and checks it.
func parseStored(campaign string, src []byte) (*Script, error) {
	s, err := DecodeStored(src)
	if err != nil {
		return nil, err
	}
	return Check(campaign, s)
}

// Check checks a script as written (every part present, texts in the script syntax
// using only the variables of Fields, within the limits) and returns a copy ready to
// render, with the shared objection answers that the script does not override added.
// The script must be the given campaign's. The error is Problems.
func Check(campaign string, in *Script) (*Script, error) {
	s := *in
	s.Questions = append([]Question(nil), in.Questions...)
	s.Objections = append([]Objection(nil), in.Objections...)
	if s.Campaign != campaign {
		return nil, Problems{{Msg: fmt.Sprintf("这份话术属于 %q，不是 %q", s.Campaign, campaign)}}
	}
	s.parsed = map[string]text{}
	if err := s.validate(); err != nil {
		return nil, err
	}
	shared, err := sharedObjectionsFor(campaign)
	if err != nil {
		return nil, err
	}
	s.Objections = mergeObjections(s.Objections, shared)
	for _, o := range s.Objections {
		if _, ok := s.parsed[o.Answer]; !ok {
			t, err := parseText(o.Answer)
			if err != nil {
				return nil, fmt.Errorf("scripts: shared objection %s: %w", o.Key, err)
			}
			s.parsed[o.Answer] = t
		}
	}
	return &s, nil
}

// SalesCampaigns are the campaigns whose calls sell a car to a prospect (the showroom
// visitor's same-day call among them): their scripts get the sales objection answers
// (campaigns/_objections_sales.yaml) instead of the after-sales ones.
func SalesCampaigns() []string {
	return []string{"same_day_visit", "key_prospect", "lost_prospect", "prospect_followup"}
}

// sharedObjectionsFor returns the shared objection answers of campaign: the sales library
// for a sales campaign, the after-sales library for the others.
func sharedObjectionsFor(campaign string) ([]Objection, error) {
	if slices.Contains(SalesCampaigns(), campaign) {
		return readObjections("campaigns/_objections_sales.yaml")
	}
	return sharedObjections()
}

func sharedObjections() ([]Objection, error) {
	return readObjections("campaigns/_objections.yaml")
}

func readObjections(file string) ([]Objection, error) {
	b, err := campaignFS.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("scripts: read shared objections: %w", err)
	}
	var lib struct {
		Objections []Objection `yaml:"objections"`
	}
	if err := yaml.Unmarshal(b, &lib); err != nil {
		return nil, fmt.Errorf("scripts: parse shared objections: %w", err)
	}
	return lib.Objections, nil
}

// SharedObjections returns the shared objection answers every after-sales script gets
// unless it answers the same objection itself.
func SharedObjections() ([]Objection, error) { return sharedObjections() }

// SharedObjectionsFor returns the shared objection answers campaign's script gets unless
// it answers the same objection itself: the sales answers for a sales campaign.
func SharedObjectionsFor(campaign string) ([]Objection, error) { return sharedObjectionsFor(campaign) }

// mergeObjections returns own followed by the shared answers whose key own lacks.
func mergeObjections(own, shared []Objection) []Objection {
	out := append([]Objection(nil), own...)
	seen := map[string]bool{}
	for _, o := range own {
		seen[o.Key] = true
	}
	for _, o := range shared {
		if !seen[o.Key] {
			out = append(out, o)
			seen[o.Key] = true
		}
	}
	return out
}

// maxQuestions and maxObjections bound a script's lists; maxLabelRunes a title or label.
const (
	maxQuestions  = 30
	maxObjections = 30
	maxOptions    = 10
	maxLabelRunes = 100
)

func (s *Script) validate() error {
	var ps Problems
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	label := func(field, name, v string) {
		switch {
		case strings.TrimSpace(v) == "":
			add(field, "%s没有填写", name)
		case utf8.RuneCountInString(v) > maxLabelRunes:
			add(field, "%s太长了，最多 %d 个字", name, maxLabelRunes)
		case strings.ContainsAny(v, "{}[]"):
			add(field, "%s里不能有 { } [ ]（这里不能插入变量）", name)
		}
	}
	label("title", "话术名称", s.Title)
	if len(s.Questions) > maxQuestions {
		add("", "问题太多了：%d 个，最多 %d 个", len(s.Questions), maxQuestions)
	}
	if len(s.Objections) > maxObjections {
		add("", "异议应答太多了：%d 条，最多 %d 条", len(s.Objections), maxObjections)
	}
	ids := map[string]bool{}
	for i, q := range s.Questions {
		f, name := fmt.Sprintf("q%d.", i+1), fmt.Sprintf("第 %d 个问题", i+1)
		if !validCode(q.ID) {
			add(f+"id", "%s的编号 %q 只能用小写英文字母、数字和 _", name, q.ID)
		} else if ids[q.ID] {
			add(f+"id", "%s的编号 %q 和前面的问题重复了", name, q.ID)
		}
		ids[q.ID] = true
		switch q.Kind {
		case KindScore, KindYesNo, KindText:
			if len(q.Options) > 0 {
				add(f+"options", "%s是打分、是否或文字题，不需要选项", name)
			}
		case KindChoice:
			if len(q.Options) < 2 || len(q.Options) > maxOptions {
				add(f+"options", "%s是选择题，要有 2 到 %d 个选项", name, maxOptions)
			}
			for j, o := range q.Options {
				label(f+"options", fmt.Sprintf("%s的第 %d 个选项", name, j+1), o.Label)
			}
		default:
			add(f+"kind", "%s的类型 %q 不对，只能是打分、选择、是否或文字", name, q.Kind)
		}
	}
	for i, o := range s.Objections {
		f, name := fmt.Sprintf("o%d.", i+1), fmt.Sprintf("第 %d 条异议应答", i+1)
		if !validCode(o.Key) {
			add(f+"key", "%s的编号 %q 只能用小写英文字母、数字和 _", name, o.Key)
		}
		label(f+"title", name+"的客户说法", o.Title)
	}
	for _, t := range s.texts() {
		if strings.TrimSpace(*t.p) == "" {
			add(t.field, "%s没有填写", t.name)
			continue
		}
		parsed, err := parseText(*t.p)
		if err != nil {
			add(t.field, "%s：%s", t.name, err.Error())
			continue
		}
		s.parsed[*t.p] = parsed
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}
