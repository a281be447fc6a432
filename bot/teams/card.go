package teams

import (
	"strings"
	"sync"
)

// The Adaptive Card model: only the elements Escalate draws, as the
// AdaptiveCard 1.5 schema names them (https://adaptivecards.io/explorer/).

const (
	cardSchema      = "http://adaptivecards.io/schemas/adaptive-card.json"
	cardVersion     = "1.5"
	cardContentType = "application/vnd.microsoft.card.adaptive"
	// peopleDataset makes an Input.ChoiceSet Teams' people picker, which
	// searches the organisation and answers with AAD object ids.
	peopleDataset = "graph.microsoft.com/users"
)

// Card is an AdaptiveCard.
type Card struct {
	Schema  string    `json:"$schema"`
	Type    string    `json:"type"`
	Version string    `json:"version"`
	Body    []Element `json:"body"`
	// Refresh makes the card redraw itself when it is shown: Teams sends
	// its action as an adaptiveCard/action invoke, for the people named,
	// and shows the card the bot answers with (Universal Actions).
	Refresh *Refresh `json:"refresh,omitempty"`
	MSTeams *msTeams `json:"msteams,omitempty"`
}

// Refresh is a card's refresh clause.
type Refresh struct {
	Action ActionExecute `json:"action"`
	// UserIDs are the Teams ids (29:…, the MRIs) of the people for whom
	// the card refreshes itself when shown (at most 60). Left out, Teams
	// refreshes it for everyone in a conversation of 60 or fewer, which a
	// 1:1 chat always is.
	UserIDs []string `json:"userIds,omitempty"`
}

// msTeams holds Teams' own card settings.
type msTeams struct {
	Width string `json:"width,omitempty"`
}

// Element is anything that goes in a card's body or in a container.
type Element interface{ element() }

// TextBlock is a paragraph.
type TextBlock struct {
	Type     string `json:"type"`
	ID       string `json:"id,omitempty"`
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

// Container groups elements; its style ("attention", "emphasis") draws a
// coloured band around them.
type Container struct {
	Type      string    `json:"type"`
	Style     string    `json:"style,omitempty"`
	Separator bool      `json:"separator,omitempty"`
	Bleed     bool      `json:"bleed,omitempty"`
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

// InputChoiceSet is Input.ChoiceSet; with ChoicesData it is Teams' people
// picker.
type InputChoiceSet struct {
	Type          string     `json:"type"`
	ID            string     `json:"id"`
	Label         string     `json:"label,omitempty"`
	Style         string     `json:"style,omitempty"`
	IsMultiSelect bool       `json:"isMultiSelect,omitempty"`
	IsRequired    bool       `json:"isRequired,omitempty"`
	ErrorMessage  string     `json:"errorMessage,omitempty"`
	Placeholder   string     `json:"placeholder,omitempty"`
	Choices       []Choice   `json:"choices"`
	ChoicesData   *DataQuery `json:"choices.data,omitempty"`
	Value         string     `json:"value,omitempty"`
}

// DataQuery is Data.Query: where a ChoiceSet finds its choices as the
// person types.
type DataQuery struct {
	Type    string `json:"type"`
	Dataset string `json:"dataset"`
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
	ValueOn  string `json:"valueOn"`
	ValueOff string `json:"valueOff"`
	Value    string `json:"value,omitempty"`
}

// InputDate is Input.Date (its value is YYYY-MM-DD).
type InputDate struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	Label      string `json:"label,omitempty"`
	IsRequired bool   `json:"isRequired,omitempty"`
	Value      string `json:"value,omitempty"`
}

// ActionSet holds buttons.
type ActionSet struct {
	Type    string          `json:"type"`
	Actions []ActionExecute `json:"actions"`
}

// ActionExecute is Action.Execute (Universal Actions): Teams sends its
// verb and its data, merged with the card's inputs, as an
// adaptiveCard/action invoke and shows the card the bot answers with in
// place of this one. Fallback is the same button as Action.Submit for a
// Teams client too old for Action.Execute, whose data comes back as a
// message activity's value; Escalate handles both alike.
type ActionExecute struct {
	Type     string            `json:"type"`
	Title    string            `json:"title,omitempty"`
	Style    string            `json:"style,omitempty"`
	Verb     string            `json:"verb"`
	Data     map[string]string `json:"data"`
	Fallback *ActionSubmit     `json:"fallback,omitempty"`
}

// Verbs of Escalate's Action.Execute buttons; the data says the rest.
const (
	verbAct     = "act"     // a case card's button
	verbSubmit  = "submit"  // a form's submit
	verbRefresh = "refresh" // a card redrawing itself when shown
)

// executeButton is a case card's or a form's button: Action.Execute, with the
// same button as Action.Submit to fall back on.
func executeButton(verb, title, style string, data map[string]string) ActionExecute {
	return ActionExecute{Type: "Action.Execute", Title: title, Style: style, Verb: verb, Data: data,
		Fallback: &ActionSubmit{Type: "Action.Submit", Title: title, Style: style, Data: data}}
}

// ActionSubmit is Action.Submit: Teams sends its data, merged with the
// card's inputs, back as a message activity's value.
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

// Keys of an Action.Submit's data. No form field has one of these names,
// so the inputs Teams merges in never overwrite them.
const (
	dataForm     = "form"     // a form's kind: the card is a form
	dataAction   = "action"   // a button's kind: the card is a case card
	dataRef      = "ref"      // the case
	dataStage    = "stage"    // the stage the card was drawn at
	dataProposal = "proposal" // on Confirm: the proposal it was drawn for
	dataVersion  = "version"  // the case version the card or form was drawn for
	dataCard     = "card"     // on a follow-up form: the case card whose button opened it
)

func newCard(body ...Element) *Card {
	return &Card{Schema: cardSchema, Type: "AdaptiveCard", Version: cardVersion, Body: body, MSTeams: &msTeams{Width: "Full"}}
}

func text(s string) TextBlock { return TextBlock{Type: "TextBlock", Text: plainText(s), Wrap: true} }

func heading(s string) TextBlock {
	return TextBlock{Type: "TextBlock", Text: plainText(s), Wrap: true, Weight: "Bolder", Size: "Medium"}
}

func bold(s string) TextBlock {
	return TextBlock{Type: "TextBlock", Text: plainText(s), Wrap: true, Weight: "Bolder"}
}

func small(s string) TextBlock {
	return TextBlock{Type: "TextBlock", Text: plainText(s), Wrap: true, Size: "Small", IsSubtle: true}
}

func errorText(s string) TextBlock {
	return TextBlock{Type: "TextBlock", Text: plainText(s), Wrap: true, Color: "Attention", Weight: "Bolder"}
}

// plainText keeps people's words from being read as markdown: no links,
// no emphasis, no lists, no headings.
var markdown = strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`, "*", `\*`, "_", `\_`, "#", `\#`, "`", "\\`", "<", "&lt;", ">", "&gt;")

func plainText(s string) string { return markdown.Replace(s) }

// withoutActions is a copy of a card with its buttons taken off.
func withoutActions(c *Card) *Card {
	out := *c
	out.Body = stripActions(c.Body)
	out.Refresh = nil // a card with no buttons has nothing to redraw
	return &out
}

func stripActions(els []Element) []Element {
	var out []Element
	for _, e := range els {
		switch x := e.(type) {
		case ActionSet:
			continue
		case Container:
			x.Items = stripActions(x.Items)
			out = append(out, x)
		default:
			out = append(out, e)
		}
	}
	return out
}

func hasActions(els []Element) bool {
	for _, e := range els {
		switch x := e.(type) {
		case ActionSet:
			return true
		case Container:
			if hasActions(x.Items) {
				return true
			}
		}
	}
	return false
}

// cardCache remembers the cards of recent activities, and the case each
// is about, by "conversation|activity", in memory only, oldest forgotten
// first, so a used card can be redrawn without its buttons and keep its
// words.
type cardCache struct {
	mu    sync.Mutex
	max   int
	items map[string]cachedCard
	order []string
}

type cachedCard struct {
	card *Card
	ref  string // the case the card is about; "" for a card about none or several
}

func newCardCache(max int) *cardCache { return &cardCache{max: max, items: map[string]cachedCard{}} }

func (c *cardCache) put(key, ref string, card *Card) {
	if key == "" || card == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[key]; !ok {
		c.order = append(c.order, key)
	}
	c.items[key] = cachedCard{card: card, ref: ref}
	for len(c.order) > c.max {
		delete(c.items, c.order[0])
		c.order = c.order[1:]
	}
}

func (c *cardCache) get(key string) (cachedCard, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cc, ok := c.items[key]
	return cc, ok
}

func activityKey(conversation, activity string) string {
	if conversation == "" || activity == "" {
		return ""
	}
	return conversation + "|" + activity
}
