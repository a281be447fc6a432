package workflow

// Resolution: a holder proposes an outcome, the other side confirms or
// rejects it, and a confirmed outcome closes the case.

import (
	"fmt"
	"strings"
)

func (a *applier) propose() error {
	side, err := a.requireHolder()
	if err != nil {
		return err
	}
	if side == SideChair {
		return refuse(RefuseNotAllowed, "at %s %s resolves the case with Resolve", a.env.Policy.StageName(a.d.Stage), a.decider())
	}
	if a.d.State == StateProposed {
		p := a.d.Proposal
		return refuse(RefuseState, "%s already has a resolution proposed by %s on %s, waiting for the other side", a.d.Ref, a.name(p.ProposedBy), a.when(p.ProposedAt))
	}
	p, r := cleanProposal(a.cmd.Proposal)
	if r != nil {
		return r
	}
	p.ProposedBy, p.ProposedBySide, p.ProposedAt = a.cmd.Actor, side, a.cmd.At
	a.d.Proposal = &p
	a.d.State = StateProposed
	a.event("Resolution proposed by the "+string(side)+" side", "", &p)
	for _, u := range a.d.Current().Side(side.Other()) {
		a.dm(u, MsgProposal, fmt.Sprintf("%s proposes a resolution of %s", a.name(a.cmd.Actor), a.d.Ref), proposalLines(p),
			a.actionsFor(u))
	}
	a.dm(a.cmd.Actor, MsgProposalAck, fmt.Sprintf("Your proposed resolution of %s was sent to %s", a.d.Ref, a.names(a.d.Current().Side(side.Other()))), nil, nil)
	a.feedIfFollowed("Resolution proposed by " + a.name(a.cmd.Actor))
	return nil
}

func cleanProposal(in *Proposal) (Proposal, *Refusal) {
	if in == nil {
		in = &Proposal{}
	}
	p := Proposal{Outcome: strings.TrimSpace(in.Outcome), Outstanding: strings.TrimSpace(in.Outstanding), HowPursued: strings.TrimSpace(in.HowPursued), RecordedOnFile: in.RecordedOnFile}
	fields := map[string]string{}
	if p.Outcome == "" {
		fields[FieldOutcome] = "Say what was agreed"
	}
	if p.Outstanding != "" && p.HowPursued == "" {
		fields[FieldHowPursued] = "Say how the outstanding issues will be pursued"
	}
	for f, s := range map[string]string{FieldOutcome: p.Outcome, FieldOutstanding: p.Outstanding, FieldHowPursued: p.HowPursued} {
		if len(s) > MaxText {
			fields[f] = fmt.Sprintf("%d characters at most", MaxText)
		}
	}
	if len(fields) > 0 {
		return p, &Refusal{Code: RefuseInvalid, Message: "the resolution is incomplete", Fields: fields}
	}
	return p, nil
}

func proposalLines(p Proposal) []string {
	lines := []string{"Agreed outcome: " + p.Outcome}
	if p.Outstanding != "" {
		lines = append(lines, "Outstanding issues: "+p.Outstanding, "How they will be pursued: "+p.HowPursued)
	}
	if p.RecordedOnFile {
		lines = append(lines, "Recorded on the file: yes")
	} else {
		lines = append(lines, "Recorded on the file: not yet")
	}
	return lines
}

func (a *applier) confirm() error {
	side, err := a.requireHolder()
	if err != nil {
		return err
	}
	if a.d.State != StateProposed || a.d.Proposal == nil {
		return refuse(RefuseState, "there is no resolution of %s waiting to be confirmed", a.d.Ref)
	}
	if side == a.d.Proposal.ProposedBySide {
		return refuse(RefuseNotAllowed, "the other side confirms a resolution; your side proposed this one")
	}
	if e := a.cmd.ExpectProposal; e != 0 && e != a.d.Proposal.ProposedAt.UnixMicro() {
		return refuse(RefuseMovedOn, "the resolution you saw for %s was replaced by a newer one from %s on %s; read it before you confirm", a.d.Ref, a.name(a.d.Proposal.ProposedBy), a.when(a.d.Proposal.ProposedAt))
	}
	p := *a.d.Proposal
	p.ConfirmedBy, p.ConfirmedAt = a.cmd.Actor, a.cmd.At
	a.close(StateResolved, &p)
	a.event("Resolution confirmed; case resolved", "", &p)
	a.recordToAll(fmt.Sprintf("%s is resolved: %s confirmed the agreed outcome", a.d.Ref, a.name(a.cmd.Actor)))
	a.feedOnResolution("Resolved at " + a.env.Policy.StageName(a.d.Stage))
	return nil
}

func (a *applier) close(s State, outcome *Proposal) {
	a.d.State = s
	a.d.ClosedAt = a.cmd.At
	a.d.Proposal = nil
	a.d.Outcome = outcome
	a.d.Lapsed = false
	a.res.ClearTimers = true
	a.res.Timers = nil
	if s == StateResolved {
		a.openAfterResolution()
	}
}

func (a *applier) reject() error {
	side, err := a.requireHolder()
	if err != nil {
		return err
	}
	if a.d.State != StateProposed || a.d.Proposal == nil {
		return refuse(RefuseState, "there is no resolution of %s waiting for an answer", a.d.Ref)
	}
	if side == a.d.Proposal.ProposedBySide {
		return refuse(RefuseNotAllowed, "the other side answers a proposed resolution; your side proposed this one")
	}
	if r := requireText(FieldText, "The reason", a.cmd.Text); r != nil {
		return r
	}
	proposer := a.d.Proposal.ProposedBySide
	a.d.Proposal = nil
	a.d.State = StateOpen
	a.event("Proposed resolution not agreed", strings.TrimSpace(a.cmd.Text), nil)
	for _, u := range a.d.Current().Side(proposer) {
		a.dm(u, MsgRejected, fmt.Sprintf("%s did not agree the proposed resolution of %s", a.name(a.cmd.Actor), a.d.Ref), []string{"Reason: " + strings.TrimSpace(a.cmd.Text)}, a.actionsFor(u))
	}
	a.feedIfFollowed("Proposed resolution not agreed")
	return nil
}
