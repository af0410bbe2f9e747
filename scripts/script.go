package scripts

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"sort"
	"strings"

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

	// compiled holds the parsed template of every text, by text, so rendering a script
	// for each call does not parse it again. Read-only once Parse returns.
	compiled map[string]*template.Template
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

// Parse reads a script's YAML text, checks it (every field present, templates valid and
// using only known variables) and adds the shared objection answers that the script
// does not override. The campaign in the text must be the given campaign.
func Parse(campaign string, src []byte) (*Script, error) {
	var s Script
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("parse script: %w", err)
	}
	if s.Campaign != campaign {
		return nil, fmt.Errorf("script says campaign %q, expected %q", s.Campaign, campaign)
	}
	s.compiled = map[string]*template.Template{}
	if err := s.validate(); err != nil {
		return nil, err
	}
	shared, err := sharedObjections()
	if err != nil {
		return nil, err
	}
	s.Objections = mergeObjections(s.Objections, shared)
	for _, o := range s.Objections {
		if _, ok := s.compiled[o.Answer]; !ok {
			t, err := compile("objection "+o.Key, o.Answer)
			if err != nil {
				return nil, err
			}
			s.compiled[o.Answer] = t
		}
	}
	return &s, nil
}

func sharedObjections() ([]Objection, error) {
	b, err := campaignFS.ReadFile("campaigns/_objections.yaml")
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

func (s *Script) validate() error {
	var errs []error
	need := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("%s is empty", field))
		}
	}
	need("title", s.Title)
	need("opening", s.Opening)
	need("reminder", s.Reminder)
	need("closing", s.Closing)
	texts := map[string]string{"opening": s.Opening, "reminder": s.Reminder, "closing": s.Closing}
	ids := map[string]bool{}
	for i, q := range s.Questions {
		name := fmt.Sprintf("question %d", i+1)
		if q.ID == "" || !validCode(q.ID) {
			errs = append(errs, fmt.Errorf("%s: id %q must be lower-case letters, digits and _", name, q.ID))
		}
		if ids[q.ID] {
			errs = append(errs, fmt.Errorf("%s: id %q used twice", name, q.ID))
		}
		ids[q.ID] = true
		need(name+" text", q.Text)
		texts[name] = q.Text
		switch q.Kind {
		case KindScore, KindYesNo, KindText:
			if len(q.Options) > 0 {
				errs = append(errs, fmt.Errorf("%s: a %s question has no options", name, q.Kind))
			}
		case KindChoice:
			if len(q.Options) < 2 {
				errs = append(errs, fmt.Errorf("%s: a choice question needs at least two options", name))
			}
			for _, o := range q.Options {
				need(name+" option label", o.Label)
			}
		default:
			errs = append(errs, fmt.Errorf("%s: kind %q must be score, choice, yesno or text", name, q.Kind))
		}
	}
	for i, o := range s.Objections {
		name := fmt.Sprintf("objection %d", i+1)
		if !validCode(o.Key) {
			errs = append(errs, fmt.Errorf("%s: key %q must be lower-case letters, digits and _", name, o.Key))
		}
		need(name+" title", o.Title)
		need(name+" answer", o.Answer)
		texts[name] = o.Answer
	}
	for name, text := range texts {
		t, err := compile(name, text)
		if err == nil {
			err = execute(name, t, sampleVars())
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.compiled[text] = t
	}
	return errors.Join(errs...)
}
