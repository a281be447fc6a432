package teams

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// renderer draws neutral messages and forms as Adaptive Cards; it decides
// nothing about their content.
type renderer struct {
	env workflow.Env
}

// mode is where a card goes.
type mode int

const (
	modeDM   mode = iota // a person's 1:1 chat: everything, with buttons
	modeFeed             // the business team's channel: title and facts only
)

func (r renderer) loc() *time.Location {
	if r.env.Calendar != nil {
		return r.env.Calendar.Location()
	}
	return time.UTC
}

// when is a time as Escalate writes it everywhere (workflow.FormatTime).
func (r renderer) when(t time.Time) string { return workflow.FormatTime(t, r.loc()) }

// message renders a neutral message. A feed card carries the title and the
// facts only: Lines, History and buttons are never drawn in a channel,
// whatever the message holds.
func (r renderer) message(m workflow.Message, md mode) *Card {
	if m.Feed || m.Kind == workflow.MsgFeed || m.Kind == workflow.MsgDigest {
		md = modeFeed
	}
	c := newCard(heading(m.Title))
	if md == modeDM {
		for _, l := range m.Lines {
			c.Body = append(c.Body, text(l))
		}
	}
	if fs, ok := r.facts(m.Facts); ok {
		c.Body = append(c.Body, fs)
	}
	if md == modeDM && len(m.History) > 0 {
		c.Body = append(c.Body, r.history(m.History))
	}
	if md == modeDM {
		if as, ok := actionSet(m.Actions); ok {
			c.Body = append(c.Body, as)
			c.Refresh = refreshFor(m.Ref, m.Actions)
		}
	}
	return c
}

// refreshFor is the refresh clause of a card about one case with buttons:
// shown again, the card asks Escalate for itself as it is now (the data
// say which case, stage and version it was drawn for), so a card drawn
// before the case moved on redraws itself with the buttons that are
// current for whoever looks. Cards about no case or several have none.
func refreshFor(ref string, acts []workflow.Action) *Refresh {
	if ref == "" {
		return nil
	}
	for _, a := range acts {
		if a.Ref != ref {
			continue
		}
		data := map[string]string{dataRef: ref, dataStage: strconv.Itoa(a.Stage)}
		if a.Version != 0 {
			data[dataVersion] = strconv.Itoa(a.Version)
		}
		return &Refresh{Action: ActionExecute{Type: "Action.Execute", Title: "Refresh", Verb: verbRefresh, Data: data}}
	}
	return nil
}

// forViewer names the person a card is for in its refresh clause (their
// Teams id, 29:…), so Teams refreshes it for them when they open the
// chat. A person known only by their AAD object id is left out: Teams
// then refreshes the card for everyone in the chat, which is them.
func forViewer(c *Card, teamsID string) *Card {
	if c == nil || c.Refresh == nil || !strings.HasPrefix(teamsID, "29:") {
		return c
	}
	r := *c.Refresh
	r.UserIDs = []string{teamsID}
	out := *c
	out.Refresh = &r
	return &out
}

func (r renderer) facts(facts []workflow.Fact) (FactSet, bool) {
	if len(facts) == 0 {
		return FactSet{}, false
	}
	fs := FactSet{Type: "FactSet"}
	for _, f := range facts {
		// Value is already the one form of a time (workflow.FormatTime):
		// no DATE() beside it in another style.
		fs.Facts = append(fs.Facts, CardFact{Title: plainText(f.Label), Value: plainText(f.Value)})
	}
	return fs, true
}

func (r renderer) history(h []workflow.HistoryEntry) Container {
	c := Container{Type: "Container", Separator: true, Items: []Element{bold("History")}}
	for _, e := range h {
		line := fmt.Sprintf("%s · stage %d · %s: %s", r.when(e.At), e.Stage, e.Actor, e.Summary)
		c.Items = append(c.Items, TextBlock{Type: "TextBlock", Text: plainText(line), Wrap: true, Size: "Small", IsSubtle: true, Spacing: "Small"})
		if e.Text != "" {
			c.Items = append(c.Items, TextBlock{Type: "TextBlock", Text: plainText(e.Text), Wrap: true, Size: "Small", Spacing: "None"})
		}
	}
	return c
}

// actionSet draws a case's buttons; each carries the case, the stage it
// was drawn at and, on Confirm, the proposal it confirms.
func actionSet(acts []workflow.Action) (ActionSet, bool) {
	if len(acts) == 0 {
		return ActionSet{}, false
	}
	s := ActionSet{Type: "ActionSet"}
	for _, a := range acts {
		style := ""
		switch a.Style {
		case "primary":
			style = "positive"
		case "danger":
			style = "destructive"
		}
		data := map[string]string{dataAction: string(a.Kind), dataRef: a.Ref, dataStage: strconv.Itoa(a.Stage)}
		if a.Proposal != 0 {
			data[dataProposal] = strconv.FormatInt(a.Proposal, 10)
		}
		if a.Version != 0 {
			data[dataVersion] = strconv.Itoa(a.Version)
		}
		s.Actions = append(s.Actions, executeButton(verbAct, a.Label, style, data))
	}
	return s, true
}

// emergencyBox is the partnership's emergency route in a band Teams draws
// in its attention colour.
func emergencyBox(title string, lines []string) Container {
	c := Container{Type: "Container", Style: "attention", Bleed: true, Items: []Element{
		TextBlock{Type: "TextBlock", Text: plainText(title), Wrap: true, Weight: "Bolder", Size: "Medium"},
		text("This process never replaces an immediate safeguarding response. Use the emergency route first:")}}
	for _, l := range lines {
		c.Items = append(c.Items, text("• "+l))
	}
	return c
}

// formSource is what a form's submit carries besides the form's own kind,
// case and stage.
type formSource struct {
	Card string // the case card whose button opened the form
}

// form renders a neutral form. problems (field name → message, "" for the
// form as a whole) are shown in red above the fields they concern; values
// already given are kept.
func (r renderer) form(f workflow.Form, problems map[string]string, src formSource) *Card {
	c := newCard()
	if len(f.Emergency) > 0 {
		// Adaptive Cards cannot react before they are submitted, so the
		// emergency route is shown first, always.
		c.Body = append(c.Body, emergencyBox("At risk of immediate harm? Act now.", f.Emergency))
	}
	c.Body = append(c.Body, heading(f.Title))
	for _, l := range f.Intro {
		c.Body = append(c.Body, text(l))
	}
	if msg := problems[""]; msg != "" {
		c.Body = append(c.Body, errorText(upperFirst(msg)))
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
	// The questions that matter only at immediate risk are grouped under
	// the toggle, in a band of their own.
	riskAt := -1
	var risk []Element
	for _, fd := range f.Fields {
		els := r.field(fd, problems[fd.Name])
		if !fd.ImmediateRisk {
			c.Body = append(c.Body, els...)
			continue
		}
		if riskAt < 0 {
			riskAt = len(c.Body)
		}
		risk = append(risk, els...)
	}
	if riskAt >= 0 {
		band := Container{Type: "Container", Style: "emphasis", Items: append([]Element{
			small("Only when the " + r.subjectWords() + " is at risk of immediate harm and the emergency route has been used: the case may start at a later stage, with the reason recorded."),
		}, risk...)}
		c.Body = append(c.Body[:riskAt], append([]Element{band}, c.Body[riskAt:]...)...)
	}
	data := map[string]string{dataForm: string(f.Kind)}
	if f.Ref != "" {
		data[dataRef] = f.Ref
		data[dataStage] = strconv.Itoa(f.Stage)
		if f.Version != 0 {
			data[dataVersion] = strconv.Itoa(f.Version)
		}
	}
	if src.Card != "" {
		data[dataCard] = src.Card
	}
	c.Body = append(c.Body, ActionSet{Type: "ActionSet", Actions: []ActionExecute{executeButton(verbSubmit, f.Submit, "positive", data)}})
	return c
}

func (r renderer) subjectWords() string {
	p := r.env.Policy
	switch {
	case p == nil:
		return "child"
	case p.Covers(workflow.SubjectChild) && p.Covers(workflow.SubjectAdult):
		return "child or adult"
	case p.Covers(workflow.SubjectAdult):
		return "adult"
	}
	return "child"
}

// field draws one question, with its problem above it.
func (r renderer) field(fd workflow.FormField, problem string) []Element {
	var out []Element
	if problem != "" {
		out = append(out, errorText(fd.Label+": "+problem))
	}
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
		// A long list (the directory's people on email, say) can be searched
		// by typing: Teams' filtered style; a short one is a plain drop-down.
		style := "compact"
		if len(fd.Options) > filterFrom {
			style = "filtered"
		}
		cs := InputChoiceSet{Type: "Input.ChoiceSet", ID: fd.Name, Label: fd.Label, Style: style, IsRequired: fd.Required,
			ErrorMessage: required, IsMultiSelect: fd.Type == workflow.FieldMulti, Value: value, Choices: []Choice{}}
		for _, o := range fd.Options {
			cs.Choices = append(cs.Choices, Choice{Title: o.Label, Value: o.Value})
		}
		out = append(out, cs)
	case workflow.FieldUser, workflow.FieldUsers:
		var picked []string
		for _, v := range append([]string{fd.Value}, fd.Values...) {
			if id, ok := pickerValue(workflow.UserID(v)); ok {
				picked = append(picked, id)
			}
		}
		out = append(out, InputChoiceSet{Type: "Input.ChoiceSet", ID: fd.Name, Label: fd.Label, Style: "filtered",
			IsRequired: fd.Required, ErrorMessage: required, IsMultiSelect: fd.Type == workflow.FieldUsers,
			Placeholder: "Type a name", Choices: r.people(fd.Name),
			ChoicesData: &DataQuery{Type: "Data.Query", Dataset: peopleDataset}, Value: strings.Join(picked, ",")})
	case workflow.FieldDate:
		out = append(out, InputDate{Type: "Input.Date", ID: fd.Name, Label: fd.Label, IsRequired: fd.Required, Value: value})
	case workflow.FieldCheckbox:
		v := "false"
		if value == "true" {
			v = "true"
		}
		out = append(out, InputToggle{Type: "Input.Toggle", ID: fd.Name, Title: fd.Label, ValueOn: "true", ValueOff: "false", Value: v})
	default:
		label := fd.Label
		if fd.Type == workflow.FieldArea && fd.Max > 0 {
			// Teams stops the box at maxLength; the label says how much
			// room there is before anyone reaches it.
			label += " (" + strings.TrimSuffix(strings.ToLower(workflow.RoomHint(fd.Max)[:1])+workflow.RoomHint(fd.Max)[1:], ".") + ")"
		}
		out = append(out, InputText{Type: "Input.Text", ID: fd.Name, Label: label, Placeholder: fd.Hint,
			IsMultiline: fd.Type == workflow.FieldArea, MaxLength: fd.Max, IsRequired: fd.Required, ErrorMessage: required, Value: value})
		return out
	}
	if fd.Hint != "" {
		out = append(out, small(fd.Hint))
	}
	return out
}

// filterFrom is how many options make a choice list searchable by typing.
const filterFrom = 6

// people are the directory's Teams people, offered first in the people
// picker (which also searches the whole organisation); for a question
// naming a side of the disagreement, not the chair or the business team
// (workflow.DisagreeWith; the workflow refuses the person themselves).
func (r renderer) people(field string) []Choice {
	out := []Choice{}
	if r.env.Directory == nil {
		return out
	}
	ps := r.env.Directory.People
	if workflow.PartyFields[field] {
		ps = workflow.DisagreeWith(r.env.Directory, "", ps)
	}
	for _, p := range ps {
		id, ok := pickerValue(p.ID)
		if !ok {
			continue
		}
		label := p.Name
		if label == "" {
			label = id
		}
		if a := r.env.Directory.AgencyName(p.Agency); p.Agency != "" && a != "" {
			label += " (" + a + ")"
		}
		out = append(out, Choice{Title: label, Value: id})
	}
	return out
}

// pickerValue is a Teams person as the people picker names them: the AAD
// object id (or the 29: id) without the "teams:" prefix.
func pickerValue(u workflow.UserID) (string, bool) {
	id, ok := strings.CutPrefix(string(u), platform+":")
	return id, ok && id != ""
}

var objectID = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// pickedUser is the Escalate id of a person chosen in the people picker.
func pickedUser(v string) workflow.UserID {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	if strings.Contains(v, ":") && !strings.HasPrefix(v, "29:") {
		return workflow.UserID(v) // already qualified ("teams:…", or another platform's, which the workflow refuses)
	}
	if objectID.MatchString(v) {
		v = strings.ToLower(v)
	}
	return workflow.UserID(platform + ":" + v)
}

// notice is a short card.
func notice(title string, lines ...string) *Card {
	c := newCard(heading(title))
	for _, l := range lines {
		c.Body = append(c.Body, text(l))
	}
	return c
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
