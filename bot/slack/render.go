package slack

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/escalate-app/escalate/workflow"
)

// Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
const (
	maxMessageBlocks = 50
	maxViewBlocks    = 100
	maxSectionText   = 3000
	maxFieldText     = 2000
	maxFields        = 10
	maxHeaderText    = 150
	maxButtonText    = 75
	maxButtons       = 25
	maxOptionText    = 75
	maxModalTitle    = 24
	maxFallbackText  = 3000
	maxInputText     = 3000 // a plain_text_input's max_length
	// sectionBudget leaves room for the label or quote around a chunk.
	sectionBudget = 2800
)

// actionPrefix starts the action_id of every case button: "esc:escalate".
const actionPrefix = "esc:"

// actionRaise is the App Home's "Raise a disagreement" button.
const actionRaise = actionPrefix + "raise"

// renderer turns neutral messages into Block Kit. loc is the partnership's
// zone, the one times are shown in.
type renderer struct {
	loc *time.Location
}

// escape makes text safe for mrkdwn: people's words can never become a
// link, a mention or an @channel.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func plain(s string, max int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, truncate(s, max), false, false)
}

// title fits a modal's title or button (24 characters), cutting at a word.
func title(s string) *slack.TextBlockObject {
	if utf8.RuneCountInString(s) > maxModalTitle {
		r := []rune(s)[:maxModalTitle-1]
		if i := strings.LastIndex(string(r), " "); i > 0 {
			r = []rune(string(r)[:i])
		}
		s = string(r) + "…"
	}
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// truncate shortens s to at most max characters, marking the cut.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// chunks splits text into pieces whose escaped form fits limit, breaking at
// a newline or space where it can.
func chunks(s string, limit int) []string {
	var out []string
	for s != "" {
		if len(escape(s)) <= limit {
			out = append(out, s)
			break
		}
		// The longest prefix whose escaped form fits.
		n, size := 0, 0
		for i, r := range s {
			w := len(escape(string(r)))
			if size+w > limit {
				break
			}
			size += w
			n = i + utf8.RuneLen(r)
		}
		cut := n
		if i := strings.LastIndexAny(s[:n], "\n "); i > n/2 {
			cut = i + 1
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	return out
}

// when is a time as Escalate writes it everywhere, in the partnership's
// zone (workflow.FormatTime). Slack's own date tokens are not used: they
// would show the same deadline in another style beside the cards, emails
// and pages a case's other people read.
func (r renderer) when(t time.Time) string { return workflow.FormatTime(t, r.loc) }

// factValue is a fact as mrkdwn: the workflow has already written any time
// in it the one way.
func (r renderer) factValue(f workflow.Fact) string {
	if f.Value == "" && f.Time != nil {
		return escape(r.when(*f.Time))
	}
	return escape(f.Value)
}

// renderMode says where a message goes.
type renderMode int

const (
	modeDM     renderMode = iota // a person's DM: everything, with buttons
	modeFeed                     // the business-team channel: title and facts only
	modeReply                    // an ephemeral reply or App Home entry
	modeNoActs                   // everything but the buttons (modals)
)

// message renders m as at most max blocks.
func (r renderer) message(m workflow.Message, mode renderMode, max int) []slack.Block {
	var head, lines, facts, acts []slack.Block
	if utf8.RuneCountInString(m.Title) <= maxHeaderText {
		head = append(head, slack.NewHeaderBlock(plain(m.Title, maxHeaderText)))
	} else {
		head = append(head, section("*"+escape(truncate(m.Title, sectionBudget))+"*"))
	}
	if mode != modeFeed {
		// Free text only ever reaches a person, never the channel: feed
		// messages are rendered from their title and facts alone.
		for _, l := range m.Lines {
			for _, c := range chunks(l, sectionBudget) {
				lines = append(lines, section(escape(c)))
			}
		}
	}
	facts = r.factBlocks(m.Facts)
	if mode == modeDM || mode == modeReply {
		if b := actionBlock(m.Ref, m.Actions); b != nil {
			acts = append(acts, b)
		}
	}
	fixed := len(head) + len(facts) + len(acts)
	room := max - fixed
	if len(lines) > room {
		if room <= 0 {
			lines = nil
		} else {
			lines = append(lines[:room-1], section("_…more in_ `/escalate show "+escape(m.Ref)+"`"))
		}
	}
	room -= len(lines)
	var hist []slack.Block
	if mode != modeFeed && len(m.History) > 0 && room >= 2 {
		hist = r.historyBlocks(m.Ref, m.History, room)
	}
	out := append(head, lines...)
	out = append(out, facts...)
	out = append(out, hist...)
	return append(out, acts...)
}

func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(text), nil, nil)
}

func contextBlock(text string) *slack.ContextBlock {
	return slack.NewContextBlock("", mrkdwn(text))
}

// factBlocks lays facts out as section fields, ten to a section.
func (r renderer) factBlocks(facts []workflow.Fact) []slack.Block {
	var out []slack.Block
	for len(facts) > 0 {
		n := min(len(facts), maxFields)
		var fields []*slack.TextBlockObject
		for _, f := range facts[:n] {
			label := "*" + escape(f.Label) + "*\n"
			fields = append(fields, mrkdwn(label+truncateEscaped(r.factValue(f), maxFieldText-len(label))))
		}
		out = append(out, slack.NewSectionBlock(nil, fields, nil))
		facts = facts[n:]
	}
	return out
}

// truncateEscaped shortens already-escaped text without cutting an entity
// or a date token in half.
func truncateEscaped(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if i := strings.LastIndexAny(s[:cut], "&<"); i >= 0 && !strings.ContainsAny(s[i:cut], ";>") {
		cut = i
	}
	return s[:cut] + "…"
}

// historyBlocks renders the history in at most room blocks, newest kept
// when it must be cut.
func (r renderer) historyBlocks(ref string, h []workflow.HistoryEntry, room int) []slack.Block {
	var entries []string
	for _, e := range h {
		s := fmt.Sprintf("%s · stage %d · *%s* · %s", escape(r.when(e.At)), e.Stage, escape(e.Actor), escape(e.Summary))
		if e.Text != "" {
			for _, l := range strings.Split(e.Text, "\n") {
				s += "\n>" + escape(l)
			}
		}
		entries = append(entries, s)
	}
	// Pack entries into sections, splitting any entry too long for one.
	var texts []string
	cur := ""
	for _, e := range entries {
		for _, piece := range splitEscaped(e, sectionBudget) {
			if cur != "" && len(cur)+1+len(piece) > sectionBudget {
				texts = append(texts, cur)
				cur = ""
			}
			if cur != "" {
				cur += "\n"
			}
			cur += piece
		}
	}
	if cur != "" {
		texts = append(texts, cur)
	}
	title := "*History*"
	if len(texts) > room-1 {
		texts = texts[len(texts)-(room-1):]
		title = "*History* (latest entries; `/escalate show " + escape(ref) + "` has all of it)"
	}
	out := []slack.Block{section(title)}
	for _, t := range texts {
		out = append(out, section(t))
	}
	return out
}

// splitEscaped splits escaped mrkdwn at line breaks into pieces of at most
// limit bytes (a single over-long line is cut).
func splitEscaped(s string, limit int) []string {
	if len(s) <= limit {
		return []string{s}
	}
	var out []string
	cur := ""
	for _, line := range strings.Split(s, "\n") {
		for len(line) > limit {
			cut := truncateEscaped(line, limit)
			cut = strings.TrimSuffix(cut, "…")
			if cur != "" {
				out = append(out, cur)
				cur = ""
			}
			out = append(out, cut)
			line = ">" + line[len(cut):]
		}
		if cur != "" && len(cur)+1+len(line) > limit {
			out = append(out, cur)
			cur = ""
		}
		if cur != "" {
			cur += "\n"
		}
		cur += line
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// actionBlock renders a message's buttons; their value is the workflow's
// "ref|stage", so a click after the case moved on is refused.
func actionBlock(ref string, acts []workflow.Action) slack.Block {
	if len(acts) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var els []slack.BlockElement
	for _, a := range acts {
		id := actionPrefix + string(a.Kind)
		if seen[id] {
			continue
		}
		seen[id] = true
		b := slack.NewButtonBlockElement(id, a.Value(), plain(a.Label, maxButtonText))
		switch a.Style {
		case "primary":
			b.Style = slack.StylePrimary
		case "danger":
			b.Style = slack.StyleDanger
		}
		els = append(els, b)
		if len(els) == maxButtons {
			break
		}
	}
	return slack.NewActionBlock("acts:"+ref, els...)
}

// fallbackText is the notification text of a message: its title, which
// carries no free text.
func fallbackText(m workflow.Message) string {
	return escape(truncate(m.Title, maxFallbackText))
}

// retired is a message's blocks with its buttons taken off and a note of
// why, so the same buttons cannot be used twice.
func retired(blocks []slack.Block, note string) []slack.Block {
	var out []slack.Block
	for _, b := range blocks {
		if b.BlockType() == slack.MBTAction {
			continue
		}
		out = append(out, b)
	}
	if len(out) >= maxMessageBlocks {
		out = out[:maxMessageBlocks-1]
	}
	return append(out, contextBlock(note))
}

// hasActions reports whether any block is a row of buttons.
func hasActions(blocks []slack.Block) bool {
	for _, b := range blocks {
		if b.BlockType() == slack.MBTAction {
			return true
		}
	}
	return false
}
