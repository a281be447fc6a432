package workflow

import (
	"strconv"
	"strings"
	"time"
)

// MessageKind says what a message is for; renderers may style by it.
type MessageKind string

const (
	MsgRaised        MessageKind = "raised"         // to the responder: a disagreement was raised with you
	MsgRaisedAck     MessageKind = "raised_ack"     // to the raiser: your reference
	MsgNote          MessageKind = "note"           // someone added a note
	MsgProposal      MessageKind = "proposal"       // a resolution was proposed to you: Confirm / Not agreed
	MsgProposalAck   MessageKind = "proposal_ack"   // to the proposer
	MsgRejected      MessageKind = "rejected"       // the proposal was not agreed
	MsgEscalatedTo   MessageKind = "escalated_to"   // to the new holders, with the whole history
	MsgEscalatedFrom MessageKind = "escalated_from" // to the people who held it
	MsgReminder      MessageKind = "reminder"       // the window closes soon
	MsgLapsed        MessageKind = "lapsed"         // the window closed: escalate?
	MsgAssigned      MessageKind = "assigned"       // the business team gave you this case
	MsgPanel         MessageKind = "panel"          // the chair convened a resolution panel
	MsgRecord        MessageKind = "record"         // the case closed: the written record
	MsgWithdrawn     MessageKind = "withdrawn"
	MsgDeadline      MessageKind = "deadline"  // a holder brought the deadline forward
	MsgConsulted     MessageKind = "consulted" // told at a stage without holding it (Stage.Tell)
	MsgFeed          MessageKind = "feed"      // a business-team feed post (no free text)
	MsgDigest        MessageKind = "digest"    // the daily digest (no free text)
	MsgInfo          MessageKind = "info"      // a reply to a person (help, list, show)
)

// Message is a platform-neutral message: what Escalate wants a person or the
// business-team feed to see. bot/slack renders it as Block Kit, bot/teams as
// an Adaptive Card, the console as HTML; none of them decides its content.
type Message struct {
	// ID is unique and deterministic for a transition, so the outbox can
	// recognise the same message enqueued twice.
	ID   string      `json:"id"`
	Kind MessageKind `json:"kind"`
	Ref  string      `json:"ref,omitempty"`
	// To is the person for a direct message; empty when Feed is set.
	To UserID `json:"to,omitempty"`
	// Feed posts to the business-team channel, in the case's thread (the
	// adapter starts the thread on the first post for a reference).
	Feed bool `json:"feed,omitempty"`
	// Title is one line with no free text.
	Title string `json:"title"`
	// Lines are paragraphs. Free text appears here only when Feed is false.
	Lines []string `json:"lines,omitempty"`
	Facts []Fact   `json:"facts,omitempty"`
	// History is the case so far, for people new to it.
	History []HistoryEntry `json:"history,omitempty"`
	Actions []Action       `json:"actions,omitempty"`
}

// Fact is a labelled value. When Time is set the renderer shows it in the
// reader's local time where the platform can (and Value is the London form).
type Fact struct {
	Label string     `json:"label"`
	Value string     `json:"value"`
	Time  *time.Time `json:"time,omitempty"`
}

// HistoryEntry is one line of a case's history.
type HistoryEntry struct {
	At      time.Time `json:"at"`
	Stage   int       `json:"stage"`
	Actor   string    `json:"actor"`   // display name
	Summary string    `json:"summary"` // no free text
	Text    string    `json:"text,omitempty"`
}

// ActionKind is a button.
type ActionKind string

const (
	ActResolved ActionKind = "resolved" // propose a resolution (opens the form)
	ActEscalate ActionKind = "escalate" // opens the escalate form
	ActNote     ActionKind = "note"     // opens the note form
	ActConfirm  ActionKind = "confirm"  // confirm the proposed resolution
	ActReject   ActionKind = "reject"   // not agreed (opens the reason form)
	ActResolve  ActionKind = "resolve"  // the chair resolves (opens the outcome form)
	ActPanel    ActionKind = "panel"    // the chair convenes a panel (opens the form)
	ActWithdraw ActionKind = "withdraw" // the raiser withdraws (opens the reason form)
	ActDebrief  ActionKind = "debrief"  // after closure (opens the form)
	ActLearning ActionKind = "learning" // after closure, chair or business team: tag learning themes
	ActShow     ActionKind = "show"     // show the case history
	ActDeadline ActionKind = "deadline" // a holder sets the stage's deadline sooner (opens the form)
)

// Action is a button on a message. Stage is the stage the case was at when
// the button was drawn and Version the case's version then: a click after
// the case moved on (to another stage, or materially within it) is refused.
// Proposal, on Confirm, identifies the proposed resolution the button was
// drawn for, so an old Confirm can never confirm a newer proposal unseen.
type Action struct {
	Kind     ActionKind `json:"kind"`
	Label    string     `json:"label"`
	Ref      string     `json:"ref"`
	Stage    int        `json:"stage"`
	Version  int        `json:"version,omitempty"`
	Style    string     `json:"style,omitempty"` // "primary", "danger" or ""
	Proposal int64      `json:"proposal,omitempty"`
}

// Value is what a button carries back: "ESC-2026-0042|3|v7", or
// "ESC-2026-0042|3|<proposal>|v7" on Confirm. Buttons drawn before
// versions were carried ("ESC-2026-0042|3", "ESC-2026-0042|3|<proposal>")
// still parse, and are checked against their stage only.
func (a Action) Value() string {
	v := a.Ref + "|" + itoa(a.Stage)
	if a.Proposal != 0 {
		v += "|" + strconv.FormatInt(a.Proposal, 10)
	}
	if a.Version > 0 {
		v += "|v" + itoa(a.Version)
	}
	return v
}

// Target is what the button's value says.
func (a Action) Target() ActionTarget {
	return ActionTarget{Ref: a.Ref, Stage: a.Stage, Proposal: a.Proposal, Version: a.Version}
}

// ActionTarget is what a button's value says.
type ActionTarget struct {
	Ref      string
	Stage    int
	Proposal int64
	Version  int // 0: drawn before versions were carried
}

// ParseAction reverses Action.Value.
func ParseAction(v string) (ActionTarget, bool) {
	parts := strings.Split(v, "|")
	if len(parts) < 2 || len(parts) > 4 || parts[0] == "" {
		return ActionTarget{}, false
	}
	stage, err := strconv.Atoi(parts[1])
	if err != nil || stage < 0 || !digits(parts[1]) {
		return ActionTarget{}, false
	}
	t := ActionTarget{Ref: parts[0], Stage: stage}
	rest := parts[2:]
	if n := len(rest); n > 0 && strings.HasPrefix(rest[n-1], "v") {
		ver := rest[n-1][1:]
		if t.Version, err = strconv.Atoi(ver); err != nil || !digits(ver) || t.Version < 1 {
			return ActionTarget{}, false
		}
		rest = rest[:n-1]
	}
	switch len(rest) {
	case 0:
	case 1:
		if t.Proposal, err = strconv.ParseInt(rest[0], 10, 64); err != nil || !digits(rest[0]) {
			return ActionTarget{}, false
		}
	default:
		return ActionTarget{}, false
	}
	return t, true
}

// ParseActionValue reverses Action.Value (reference and stage only).
//
// Deprecated: use ParseAction, which keeps the proposal and version.
func ParseActionValue(v string) (ref string, stage int, ok bool) {
	t, ok := ParseAction(v)
	return t.Ref, t.Stage, ok
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}
