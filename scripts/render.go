package scripts

import (
	"fmt"
	"strings"
)

// Vars are the values a script's text may use, as {称呼}, {车牌} and so on (see Fields).
type Vars struct {
	// Name is the customer's full name.
	Name string
	// Title is 先生, 女士 or empty.
	Title string
	// Salutation is how the agent addresses the customer: surname and title (王先生),
	// or the full name when the title is unknown. Filled from Name and Title when empty.
	Salutation string
	// Plate is the vehicle's licence plate.
	Plate string
	// Model is the vehicle's model.
	Model string
	// Dealer is the dealer's name.
	Dealer string
	// Agent is the agent's name.
	Agent string
	// Consultant is the customer's sales consultant.
	Consultant string
	// LastVisit is the day of the last visit, already formatted (2026年5月3日).
	LastVisit string
	// DueDay is the day the reminded event falls due, already formatted.
	DueDay string
}

// Salute returns how to address a customer: surname and title (王先生), or the full name
// when the title is unknown.
func Salute(name, title string) string {
	name = strings.TrimSpace(name)
	if title == "" || name == "" {
		return name
	}
	r := []rune(name)
	surname := string(r[:1])
	// Two-character compound surnames (欧阳, 司马, 诸葛 ...) keep both characters.
	if len(r) >= 3 {
		switch string(r[:2]) {
		case "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "令狐", "公孙", "夏侯", "尉迟", "长孙":
			surname = string(r[:2])
		}
	}
	return surname + title
}

// SampleVars is the sample customer the script editor's preview uses.
func SampleVars() Vars {
	return Vars{Name: "王建国", Title: "先生", Salutation: "王先生", Plate: "粤A12345", Model: "示例品牌 示例车型",
		Dealer: "示例4S店", Agent: "小李", Consultant: "张伟", LastVisit: "2026年5月3日", DueDay: "2026年6月1日"}
}

// renderText fills one text: from the texts parsed when the script was checked, or
// parsed here.
func renderText(parsed map[string]text, name, src string, v Vars) (string, error) {
	t, ok := parsed[src]
	if !ok {
		var err error
		if t, err = parseText(src); err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
	}
	return t.render(v), nil
}

// Rendered is a script with its variables filled: every text is plain text (not HTML),
// at most MaxRenderedRunes long.
type Rendered struct {
	// Version is the script's version ("campaign@N", or parts joined by "+").
	Version string `json:"version"`
	// Title is the script's name.
	Title string `json:"title"`
	// Opening is the greeting.
	Opening string `json:"opening"`
	// Reminders are the reason-specific parts, one per campaign.
	Reminders []RenderedReminder `json:"reminders"`
	// Questions are the questions to ask.
	Questions []RenderedQuestion `json:"questions"`
	// Closing ends the call.
	Closing string `json:"closing"`
	// Objections are the objection answers.
	Objections []RenderedObjection `json:"objections"`
}

// RenderedReminder is one campaign's reminder.
type RenderedReminder struct {
	// Campaign is the campaign code.
	Campaign string `json:"campaign"`
	// Title is that campaign's script title.
	Title string `json:"title"`
	// Text is the filled reminder.
	Text string `json:"text"`
}

// RenderedQuestion is a question with filled text.
type RenderedQuestion struct {
	// ID names the answer.
	ID string `json:"id"`
	// Text is the filled question.
	Text string `json:"text"`
	// Kind is the question's kind.
	Kind string `json:"kind"`
	// Options are the answers of a choice question; a score question has 1..5.
	Options []Option `json:"options"`
}

// RenderedObjection is an objection answer with filled text.
type RenderedObjection struct {
	// Key identifies the objection.
	Key string `json:"key"`
	// Title says what the customer objects.
	Title string `json:"title"`
	// Answer is the filled answer.
	Answer string `json:"answer"`
}

var scoreOptions = []Option{
	{Label: "1 非常不满意", Score: 1}, {Label: "2 不满意", Score: 2}, {Label: "3 一般", Score: 3},
	{Label: "4 满意", Score: 4}, {Label: "5 非常满意", Score: 5},
}

// Render fills the variables of one or more scripts and merges them (see Merge).
func Render(v Vars, parts ...*Script) (*Rendered, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("scripts: render: no script")
	}
	if v.Salutation == "" {
		v.Salutation = Salute(v.Name, v.Title)
	}
	m := Merge(parts...)
	out := &Rendered{Version: m.Version, Title: m.Title}
	var err error
	if out.Opening, err = renderText(m.parsed, "opening", m.Opening, v); err != nil {
		return nil, fmt.Errorf("scripts: render %s: %w", m.Version, err)
	}
	if out.Closing, err = renderText(m.parsed, "closing", m.Closing, v); err != nil {
		return nil, fmt.Errorf("scripts: render %s: %w", m.Version, err)
	}
	for _, p := range parts {
		text, err := renderText(p.parsed, p.Campaign+" reminder", p.Reminder, v)
		if err != nil {
			return nil, fmt.Errorf("scripts: render %s: %w", p.Version, err)
		}
		out.Reminders = append(out.Reminders, RenderedReminder{Campaign: p.Campaign, Title: p.Title, Text: text})
	}
	for _, q := range m.Questions {
		text, err := renderText(m.parsed, "question "+q.ID, q.Text, v)
		if err != nil {
			return nil, fmt.Errorf("scripts: render %s: %w", m.Version, err)
		}
		opts := q.Options
		switch q.Kind {
		case KindScore:
			opts = scoreOptions
		case KindYesNo:
			opts = []Option{{Label: "是", Score: 1}, {Label: "否", Score: 0}}
		}
		out.Questions = append(out.Questions, RenderedQuestion{ID: q.ID, Text: text, Kind: q.Kind, Options: opts})
	}
	for _, o := range m.Objections {
		text, err := renderText(m.parsed, "objection "+o.Key, o.Answer, v)
		if err != nil {
			return nil, fmt.Errorf("scripts: render %s: %w", m.Version, err)
		}
		out.Objections = append(out.Objections, RenderedObjection{Key: o.Key, Title: o.Title, Answer: text})
	}
	return out, nil
}

// Merge joins the scripts of a task's campaigns, given in priority order, into one: the
// first script's opening and closing, every reminder in order (joined with a blank line),
// each question once (the first with a given ID), and each objection once. Its campaign
// and version list the parts joined by "+".
func Merge(parts ...*Script) *Script {
	if len(parts) == 0 {
		return &Script{}
	}
	if len(parts) == 1 {
		c := *parts[0]
		return &c
	}
	first := parts[0]
	m := &Script{Opening: first.Opening, Closing: first.Closing, parsed: map[string]text{}}
	var campaigns, versions, titles, reminders []string
	seenQ := map[string]bool{}
	for _, p := range parts {
		for src, t := range p.parsed {
			m.parsed[src] = t
		}
		campaigns = append(campaigns, p.Campaign)
		versions = append(versions, p.Version)
		titles = append(titles, p.Title)
		reminders = append(reminders, "【"+p.Title+"】\n"+p.Reminder)
		for _, q := range p.Questions {
			if !seenQ[q.ID] {
				seenQ[q.ID] = true
				m.Questions = append(m.Questions, q)
			}
		}
		m.Objections = mergeObjections(m.Objections, p.Objections)
	}
	m.Campaign = strings.Join(campaigns, "+")
	m.Version = strings.Join(versions, "+")
	m.Title = strings.Join(titles, " + ")
	m.Reminder = strings.Join(reminders, "\n\n")
	return m
}
