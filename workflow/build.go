package workflow

import (
	"fmt"
	"strings"
	"time"
)

// Everything in this file builds messages. DMs may carry free text (they go
// only to people holding or involved in the case); feed messages are built
// only by feed(), which takes no free text.

func (a *applier) dm(to UserID, kind MessageKind, title string, lines []string, actions []Action) *Message {
	a.msgN++
	m := Message{
		ID:   fmt.Sprintf("%s/%d/%d", a.d.Ref, a.d.Version, a.msgN),
		Kind: kind, Ref: a.d.Ref, To: to, Title: title, Lines: lines,
		Facts: a.caseFacts(true), Actions: actions,
	}
	a.res.Messages = append(a.res.Messages, m)
	return &a.res.Messages[len(a.res.Messages)-1]
}

func (a *applier) action(k ActionKind, label, style string) Action {
	return Action{Kind: k, Label: label, Ref: a.d.Ref, Stage: a.d.Stage, Version: a.d.Version, Style: style}
}

// actionsFor is the buttons person u should see now.
func (a *applier) actionsFor(u UserID) []Action { return ActionsFor(a.env, a.d, u) }

// ActionsFor is the buttons person u should see on case d now (App Home and
// "list" use it too).
func ActionsFor(env Env, d *Dispute, u UserID) []Action {
	acts := actionsFor(env, d, u)
	// The raiser may withdraw wherever the case is, at every stage and
	// on every surface: the button is on every message they get.
	if !d.State.Closed() && u == d.Raiser.Person && u != "" {
		acts = append(acts, Action{Kind: ActWithdraw, Label: "Withdraw", Ref: d.Ref, Stage: d.Stage, Version: d.Version, Style: "danger"})
	}
	return acts
}

func actionsFor(env Env, d *Dispute, u UserID) []Action {
	env = env.forCase(d)
	act := func(k ActionKind, label, style string) Action {
		return Action{Kind: k, Label: label, Ref: d.Ref, Stage: d.Stage, Version: d.Version, Style: style}
	}
	if d.State.Closed() {
		var acts []Action
		if r := afterRule(env.Policy, d); r != nil && afterAwaited(d) && contains(d.Current().Side(r.From), u) {
			acts = append(acts, act(ActRespond, "Written response", "primary"))
		}
		if d.IsInvolved(u) && !d.Purged {
			acts = append(acts, act(ActDebrief, "Debrief", ""))
		}
		// The chair decides what learning to share (Coventry); the
		// business team reports themes to the board.
		if env.Directory.InBusinessTeam(u) || env.Directory.IsChair(u) {
			acts = append(acts, act(ActLearning, "Learning themes", ""))
		}
		return acts
	}
	note := act(ActNote, "Add note", "")
	side, holds := d.SideOf(u)
	p := env.Policy
	switch {
	case holds && side == SideChair:
		acts := []Action{act(ActResolve, "Resolve", "primary")}
		acts = append(acts, meetingActions(p.Stage(d.Stage), d, side, act)...)
		return append(acts, note)
	case holds && d.State == StateProposed && d.Proposal != nil && side != d.Proposal.ProposedBySide:
		confirm := act(ActConfirm, "Confirm", "primary")
		confirm.Proposal = d.Proposal.ProposedAt.UnixMicro()
		return []Action{confirm, act(ActReject, "Not agreed", "danger"), note}
	case holds && d.State == StateProposed:
		return []Action{note}
	case holds:
		acts := []Action{act(ActResolved, "Resolved", "primary")}
		if d.Stage < p.Last() {
			acts = append(acts, act(ActEscalate, "Escalate", "danger"))
		}
		acts = append(acts, meetingActions(p.Stage(d.Stage), d, side, act)...)
		if r := p.Stage(d.Stage).Response; r != nil && r.From == side && d.RespondedAt.IsZero() {
			acts = append(acts, act(ActRespond, "Written response", ""))
		}
		if p.Stage(d.Stage).WindowAgreed {
			// The two agree the stage's deadline within the policy's
			// window; either records it.
			acts = append(acts, act(ActDeadline, "Set the deadline", ""))
		}
		return append(acts, note)
	case u == d.Raiser.Person && d.Stage < p.Last():
		return []Action{act(ActEscalate, "Escalate", "danger"), note}
	case d.IsInvolved(u):
		return []Action{note}
	}
	return nil
}

// audience is everyone involved in the case.
func (a *applier) audience() []UserID { return a.d.Involved() }

// caseLines are the case's free text, for the people holding it.
func (a *applier) caseLines() []string { return CaseLines(a.d) }

// CaseLines are the raised case's own words.
func CaseLines(d *Dispute) []string {
	var l []string
	if d.DecisionDisputed != "" {
		dd := "Decision disputed: " + d.DecisionDisputed
		if d.DecisionDate != "" {
			dd += " (" + DateWords(d.DecisionDate, d.CreatedAt, time.UTC) + ")"
		}
		l = append(l, dd)
	}
	l = append(l, "The disagreement: "+d.Disagreement, "Outcome sought for the "+d.SubjectType.short()+": "+d.OutcomeSought, "Evidence: "+d.Evidence)
	if d.StartReason != "" {
		l = append(l, "Why it started at a later stage: "+d.StartReason)
	}
	if d.LateReason != "" {
		l = append(l, LateReasonLabel+": "+d.LateReason)
	}
	return l
}

// caseFacts: withSubject adds the subject reference (DMs only).
func (a *applier) caseFacts(withSubject bool) []Fact {
	return CaseFacts(a.env, a.d, withSubject)
}

// CaseFacts are the labelled details of a case. Without withSubject they
// carry no free text and no subject reference, fit for a channel.
func CaseFacts(env Env, d *Dispute, withSubject bool) []Fact {
	env = env.forCase(d)
	dir, p := env.Directory, env.Policy
	f := []Fact{{Label: "Case", Value: d.Ref}}
	if withSubject {
		f = append(f, Fact{Label: "About", Value: fmt.Sprintf("%s, case number %s (%s)", d.SubjectType.Label(), d.SubjectRef, d.Plan.Label())})
	} else {
		f = append(f, Fact{Label: "About", Value: d.SubjectType.Label()})
	}
	f = append(f,
		Fact{Label: "Category", Value: d.Category.Label()},
		Fact{Label: "Agencies", Value: dir.AgencyName(d.Raiser.Agency) + " ↔ " + dir.AgencyName(d.Responder.Agency)},
		Fact{Label: "Stage", Value: p.StageName(d.Stage)},
		Fact{Label: "State", Value: d.State.Label()},
	)
	if !d.State.Closed() && !d.Deadline.IsZero() {
		dl := d.Deadline
		v := formatTime(dl, env.Calendar.Location())
		if d.Lapsed {
			v += " (lapsed)"
		}
		f = append(f, Fact{Label: "Window closes", Value: v, Time: &dl})
	}
	if r := afterRule(p, d); r != nil && afterAwaited(d) {
		due := d.AfterDue
		f = append(f, Fact{Label: afterLabel(r) + " due", Value: formatTime(due, env.Calendar.Location()), Time: &due})
	}
	return f
}

// historyWith is the case's history including the events of this command.
func (a *applier) historyWith() []HistoryEntry {
	return History(append(append([]Event(nil), a.history...), a.res.Events...))
}

// History turns the event log into history lines (with the people's words).
func History(events []Event) []HistoryEntry {
	h := make([]HistoryEntry, 0, len(events))
	for _, e := range events {
		text := e.Text
		if e.Proposal != nil {
			text = strings.Join(proposalLines(*e.Proposal), "\n")
		}
		h = append(h, HistoryEntry{At: e.At, Stage: e.Stage, Actor: e.ActorName, Summary: e.Summary, Text: text})
	}
	return h
}

// feed posts to the business-team feed. It takes only a summary (which
// must be free of free text, as every Event.Summary is) and the case's
// channel-safe facts.
func (a *applier) feed(summary string) {
	a.msgN++
	facts := append(a.caseFacts(false),
		Fact{Label: "By", Value: a.name(a.cmd.Actor)},
		Fact{Label: "When", Value: a.when(a.cmd.At)})
	a.res.Messages = append(a.res.Messages, Message{
		ID:   fmt.Sprintf("%s/%d/%d", a.d.Ref, a.d.Version, a.msgN),
		Kind: MsgFeed, Ref: a.d.Ref, Feed: true,
		Title: a.d.Ref + ": " + summary, Facts: facts,
	})
}

// feedStage posts when the business team follows the case's current stage.
func (a *applier) feedStage(summary string) {
	if a.env.Policy.FeedAt(a.d.Stage) {
		a.feed(summary)
	}
}

// feedIfFollowed is feedStage for events within a stage.
func (a *applier) feedIfFollowed(summary string) { a.feedStage(summary) }

// feedOnResolution: the business team is told of the outcome when they
// follow the case, or when the policy wants every outcome.
func (a *applier) feedOnResolution(summary string) {
	if a.env.Policy.FeedAt(a.d.Stage) || a.env.Policy.NotifyOnResolution {
		a.feed(summary)
	}
}

// recordToAll sends everyone involved the written record of the outcome.
func (a *applier) recordToAll(title string) {
	lines := append([]string(nil), a.caseLines()...)
	if a.d.Outcome != nil {
		lines = append(lines, proposalLines(*a.d.Outcome)...)
	}
	if label, status, ok := AfterResolutionStatus(a.env, a.d); ok {
		lines = append(lines, label+": "+status)
	}
	hist := a.historyWith()
	for _, u := range a.audience() {
		m := a.dm(u, MsgRecord, title, lines, ActionsFor(a.env, a.d, u))
		m.History = hist
	}
}
