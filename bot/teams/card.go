package teams

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// The Adaptive Card model: only the elements Escalate uses
// (https://adaptivecards.io/explorer/, schema 1.5).

// Card is an AdaptiveCard.
type Card struct {
	Schema  string    `json:"$schema"`
	Type    string    `json:"type"`
	Version string    `json:"version"`
	Body    []Element `json:"body"`
	MSTeams *msTeams  `json:"msteams,omitempty"`
}

type msTeams struct {
	Width string `json:"width,omitempty"`
}

// Element is anything that goes in a card's body or a container.
type Element interface{ element() }

// TextBlock is a paragraph.
type TextBlock struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Wrap     bool   `json:"wrap,omitempty"`
	Weight   string `json:"weight,omitempty"`
	Size     string `json:"size,omitempty"`
	Color    string `json:"color,omitempty"`
	IsSubtle bool   `json:"isSubtle,omitempty"`
	Spacing  string `json:"spacing,omitempty"`
}

// FactSet is a list of labelled values.
type FactSet struct {
	Type  string     `json:"type"`
	Facts []CardFact `json:"facts"`
}

// CardFact is one row of a FactSet.
type CardFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// Container groups elements, optionally styled.
type Container struct {
	Type      string    `json:"type"`
	Style     string    `json:"style,omitempty"`
	Separator bool      `json:"separator,omitempty"`
	Items     []Element `json:"items"`
}

// InputText is Input.Text.
type InputText struct {
	Type         string `json:"type"`
	ID           string `json:"id"`
	Label        string `json:"label,omitempty"`
	Placeholder  string `json:"placeholder,omitempty"`
	IsMultiline  bool   `json:"isMultiline,omitempty"`
	MaxLength    int    `json:"maxLength,omitempty"`
	IsRequired   bool   `json:"isRequired,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	Value        string `json:"value,omitempty"`
}

// InputChoiceSet is Input.ChoiceSet.
type InputChoiceSet struct {
	Type          string   `json:"type"`
	ID            string   `json:"id"`
	Label         string   `json:"label,omitempty"`
	Style         string   `json:"style,omitempty"`
	IsMultiSelect bool     `json:"isMultiSelect,omitempty"`
	IsRequired    bool     `json:"isRequired,omitempty"`
	ErrorMessage  string   `json:"errorMessage,omitempty"`
	Choices       []Choice `json:"choices"`
	Value         string   `json:"value,omitempty"`
}

// Choice is one option of a ChoiceSet.
type Choice struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// InputToggle is Input.Toggle.
type InputToggle struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Title    string `json:"title"`
	Label    string `json:"label,omitempty"`
	ValueOn  string `json:"valueOn"`
	ValueOff string `json:"valueOff"`
	Value    string `json:"value,omitempty"`
}

// InputDate is Input.Date.
type InputDate struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	Label      string `json:"label,omitempty"`
	IsRequired bool   `json:"isRequired,omitempty"`
	Value      string `json:"value,omitempty"`
}

// ActionSet holds buttons.
type ActionSet struct {
	Type    string         `json:"type"`
	Actions []ActionSubmit `json:"actions"`
}

// ActionSubmit is Action.Submit: its data comes back as the activity's value.
type ActionSubmit struct {
	Type  string            `json:"type"`
	Title string            `json:"title"`
	Style string            `json:"style,omitempty"`
	Data  map[string]string `json:"data"`
}

func (TextBlock) element()      {}
func (FactSet) element()        {}
func (Container) element()      {}
func (InputText) element()      {}
func (InputChoiceSet) element() {}
func (InputToggle) element()    {}
func (InputDate) element()      {}
func (ActionSet) element()      {}

// Keys of a submit's data.
const (
	dataForm   = "escalate_form"
	dataRef    = "ref"
	dataStage  = "stage"
	dataAction = "action"
	dataValue  = "value"
)

func newCard(body ...Element) *Card {
	return &Card{Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.5",
		Body: body, MSTeams: &msTeams{Width: "Full"}}
}

func text(s string) TextBlock { return TextBlock{Type: "TextBlock", Text: plainText(s), Wrap: true} }

func heading(s string) TextBlock {
	return TextBlock{Type: "TextBlock", Text: plainText(s), Wrap: true, Weight: "Bolder", Size: "Medium"}
}

func errorText(s string) TextBlock {
	return TextBlock{Type: "TextBlock", Text: plainText(s), Wrap: true, Color: "Attention", Weight: "Bolder"}
}

// plainText keeps people's words from being read as markdown: no links,
// no emphasis, no lists.
func plainText(s string) string {
	return strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`, "*", `\*`, "_", `\_`, "#", `\#`, "`", "\\`", "<", "&lt;", ">", "&gt;").Replace(s)
}

// renderer turns neutral messages and forms into Adaptive Cards.
type renderer struct {
	env workflow.Env
}

// message renders a neutral message. Feed and digest posts carry only the
// title and facts: whatever the message holds, no free text reaches a
// channel.
func (r renderer) message(m workflow.Message) *Card {
	c := newCard(heading(m.Title))
	public := m.Feed || m.Kind == workflow.MsgFeed || m.Kind == workflow.MsgDigest
	if !public {
		for _, l := range m.Lines {
			c.Body = append(c.Body, text(l))
		}
	}
	if len(m.Facts) > 0 {
		fs := FactSet{Type: "FactSet"}
		for _, f := range m.Facts {
			v := f.Value
			if f.Time != nil {
				v = localTime(*f.Time)
			}
			fs.Facts = append(fs.Facts, CardFact{Title: plainText(f.Label), Value: plainText(v)})
		}
		c.Body = append(c.Body, fs)
	}
	if !public && len(m.History) > 0 {
		h := Container{Type: "Container", Separator: true, Items: []Element{TextBlock{Type: "TextBlock", Text: "History", Weight: "Bolder"}}}
		for _, e := range m.History {
			line := fmt.Sprintf("%s · stage %d · %s: %s", localTime(e.At), e.Stage, e.Actor, e.Summary)
			h.Items = append(h.Items, TextBlock{Type: "TextBlock", Text: plainText(line), Wrap: true, Size: "Small", IsSubtle: true, Spacing: "Small"})
			if e.Text != "" {
				h.Items = append(h.Items, TextBlock{Type: "TextBlock", Text: plainText(e.Text), Wrap: true, Size: "Small", Spacing: "None"})
			}
		}
		c.Body = append(c.Body, h)
	}
	if !public && len(m.Actions) > 0 {
		c.Body = append(c.Body, actionSet(m.Actions))
	}
	return c
}

func actionSet(acts []workflow.Action) ActionSet {
	s := ActionSet{Type: "ActionSet"}
	for _, a := range acts {
		style := ""
		switch a.Style {
		case "primary":
			style = "positive"
		case "danger":
			style = "destructive"
		}
		s.Actions = append(s.Actions, ActionSubmit{Type: "Action.Submit", Title: a.Label, Style: style,
			Data: map[string]string{dataAction: string(a.Kind), dataValue: a.Value()}})
	}
	return s
}

// localTime shows a time in the reader's own time zone (Teams evaluates
// DATE and TIME in the client).
func localTime(t time.Time) string {
	u := t.UTC().Format("2006-01-02T15:04:05Z")
	return fmt.Sprintf("{{DATE(%s, SHORT)}} {{TIME(%s)}}", u, u)
}

// form renders a neutral form; problems (field name → message, "" for the
// form as a whole) are shown in red above the fields they concern.
func (r renderer) form(f workflow.Form, problems map[string]string) *Card {
	c := newCard()
	if len(f.Emergency) > 0 {
		em := Container{Type: "Container", Style: "attention", Items: []Element{
			TextBlock{Type: "TextBlock", Text: "If anyone is at risk of immediate harm, act now:", Wrap: true, Weight: "Bolder"}}}
		for _, l := range f.Emergency {
			em.Items = append(em.Items, text(l))
		}
		c.Body = append(c.Body, em)
	}
	c.Body = append(c.Body, heading(f.Title))
	for _, l := range f.Intro {
		c.Body = append(c.Body, text(l))
	}
	if msg := problems[""]; msg != "" {
		c.Body = append(c.Body, errorText(msg))
	}
	known := map[string]bool{}
	for _, fd := range f.Fields {
		known[fd.Name] = true
	}
	// Problems with no field of their own are shown at the top, in a
	// stable order.
	var orphans []string
	for name, msg := range problems {
		if name != "" && !known[name] {
			orphans = append(orphans, msg)
		}
	}
	sort.Strings(orphans)
	for _, msg := range orphans {
		c.Body = append(c.Body, errorText(msg))
	}
	for _, fd := range f.Fields {
		if msg := problems[fd.Name]; msg != "" {
			c.Body = append(c.Body, errorText(fd.Label+": "+msg))
		}
		c.Body = append(c.Body, r.input(fd))
		if fd.Hint != "" && fd.Type == workflow.FieldCheckbox {
			c.Body = append(c.Body, TextBlock{Type: "TextBlock", Text: plainText(fd.Hint), Wrap: true, Size: "Small", IsSubtle: true})
		}
	}
	data := map[string]string{dataForm: string(f.Kind)}
	if f.Ref != "" {
		data[dataRef] = f.Ref
		data[dataStage] = strconv.Itoa(f.Stage)
	}
	c.Body = append(c.Body, ActionSet{Type: "ActionSet", Actions: []ActionSubmit{{Type: "Action.Submit", Title: f.Submit, Style: "positive", Data: data}}})
	return c
}

func (r renderer) input(fd workflow.FormField) Element {
	value := fd.Value
	if value == "" && len(fd.Values) > 0 {
		value = strings.Join(fd.Values, ",")
	}
	required := ""
	if fd.Required {
		required = "Required"
	}
	switch fd.Type {
	case workflow.FieldSelect, workflow.FieldMulti:
		cs := InputChoiceSet{Type: "Input.ChoiceSet", ID: fd.Name, Label: fd.Label, Style: "compact", IsRequired: fd.Required,
			ErrorMessage: required, IsMultiSelect: fd.Type == workflow.FieldMulti, Value: value}
		for _, o := range fd.Options {
			cs.Choices = append(cs.Choices, Choice{Title: o.Label, Value: o.Value})
		}
		if cs.Choices == nil {
			cs.Choices = []Choice{}
		}
		return cs
	case workflow.FieldUser, workflow.FieldUsers:
		cs := InputChoiceSet{Type: "Input.ChoiceSet", ID: fd.Name, Label: fd.Label, Style: "filtered", IsRequired: fd.Required,
			ErrorMessage: required, IsMultiSelect: fd.Type == workflow.FieldUsers, Value: value, Choices: r.people()}
		return cs
	case workflow.FieldDate:
		return InputDate{Type: "Input.Date", ID: fd.Name, Label: fd.Label, IsRequired: fd.Required, Value: value}
	case workflow.FieldCheckbox:
		v := "false"
		if value == "true" {
			v = "true"
		}
		return InputToggle{Type: "Input.Toggle", ID: fd.Name, Title: fd.Label, ValueOn: "true", ValueOff: "false", Value: v}
	}
	return InputText{Type: "Input.Text", ID: fd.Name, Label: fd.Label, Placeholder: fd.Hint, IsMultiline: fd.Type == workflow.FieldArea,
		MaxLength: fd.Max, IsRequired: fd.Required, ErrorMessage: required, Value: value}
}

// people are the directory's Teams people, for user pickers.
func (r renderer) people() []Choice {
	out := []Choice{}
	if r.env.Directory == nil {
		return out
	}
	for _, p := range r.env.Directory.People {
		if p.ID.Platform() != platform {
			continue
		}
		label := p.Name
		if label == "" {
			label = string(p.ID)
		}
		if a := r.env.Directory.AgencyName(p.Agency); p.Agency != "" && a != "" {
			label += " (" + a + ")"
		}
		out = append(out, Choice{Title: label, Value: string(p.ID)})
	}
	return out
}

// notice is a short reply card.
func notice(title string, lines ...string) *Card {
	c := newCard(heading(title))
	for _, l := range lines {
		c.Body = append(c.Body, text(l))
	}
	return c
}

// withValues fills a form's fields with what was submitted, so a form sent
// back with problems keeps the person's answers.
func withValues(f workflow.Form, v workflow.Values) workflow.Form {
	fields := make([]workflow.FormField, len(f.Fields))
	copy(fields, f.Fields)
	for i := range fields {
		if got, ok := v[fields[i].Name]; ok {
			fields[i].Value, fields[i].Values = "", got
			if len(got) == 1 {
				fields[i].Value, fields[i].Values = got[0], nil
			}
		}
	}
	f.Fields = fields
	return f
}
