package workflow

// The final stage: the business team assigning holders, the chair's
// resolution (its resolution panel is a meeting: meeting.go), debrief and
// learning.

import (
	"fmt"
	"strings"
)

func (a *applier) assign() error {
	dir := a.env.Directory
	if !dir.InBusinessTeam(a.cmd.Actor) && !dir.IsChair(a.cmd.Actor) {
		return refuse(RefuseNotAllowed, "only the business team can change who holds a case")
	}
	// As for escalation (holdersFor), the chair holds the chair's stage and
	// the two sides hold every other: the sides a stage does not have are
	// ignored, so nobody holds a stage on a side it does not have.
	chosen := StageHolders{Raiser: people(a.cmd.Holders, SideRaiser), Responder: people(a.cmd.Holders, SideResponder), Chair: people(a.cmd.Holders, SideChair)}
	if a.env.Policy.Stage(a.d.Stage).DecidedByOne() {
		chosen.Raiser, chosen.Responder = nil, nil
	} else {
		chosen.Chair = nil
	}
	if len(chosen.All()) == 0 {
		return &Refusal{Code: RefuseInvalid, Message: "name who should hold the case", Fields: map[string]string{FieldRaiserHolders: "Name at least one person"}}
	}
	cur := a.d.Current()
	h := StageHolders{Stage: a.d.Stage, Raiser: cur.Raiser, Responder: cur.Responder, Chair: cur.Chair, Since: a.cmd.At}
	if len(chosen.Raiser) > 0 {
		h.Raiser = chosen.Raiser
	}
	if len(chosen.Responder) > 0 {
		h.Responder = chosen.Responder
	}
	if len(chosen.Chair) > 0 {
		h.Chair = chosen.Chair
	}
	for i := len(a.d.Holders) - 1; i >= 0; i-- {
		if a.d.Holders[i].Stage == a.d.Stage {
			a.d.Holders[i] = h
			break
		}
	}
	a.event("Holders changed by the business team to "+a.names(h.All()), "", nil)
	hist := a.historyWith()
	for _, u := range h.All() {
		if !contains(cur.All(), u) {
			m := a.dm(u, MsgAssigned, fmt.Sprintf("The business team has asked you to hold %s at %s", a.d.Ref, a.env.Policy.StageName(a.d.Stage)), a.caseLines(), a.actionsFor(u))
			m.History = hist
		}
	}
	return nil
}

func (a *applier) resolve() error {
	st := a.env.Policy.Stage(a.d.Stage)
	if st.Final == FinalDecider {
		if side, _ := a.d.SideOf(a.cmd.Actor); side != SideChair || a.d.Stage != a.env.Policy.Last() {
			return refuse(RefuseNotAllowed, "only the %s deciding %s resolves it directly", a.env.Policy.RoleLabel(st.Role), a.d.Ref)
		}
	} else if !a.env.Directory.IsChair(a.cmd.Actor) || a.d.Stage != a.env.Policy.Last() || st.Final == FinalNone {
		return refuse(RefuseNotAllowed, "only the partnership chair resolves a case directly, at the last stage")
	}
	p, r := cleanProposal(a.cmd.Proposal)
	if r != nil {
		return r
	}
	p.ProposedBy, p.ProposedBySide, p.ProposedAt = a.cmd.Actor, SideChair, a.cmd.At
	p.ConfirmedBy, p.ConfirmedAt, p.ResolvedByChair = a.cmd.Actor, a.cmd.At, true
	a.close(StateResolved, &p)
	by := "the chair"
	if st.Final == FinalDecider {
		by = "the " + a.env.Policy.RoleLabel(st.Role)
	}
	a.event("Resolved by "+by, "", &p)
	a.recordToAll(fmt.Sprintf("%s is resolved by %s, %s", a.d.Ref, by, a.name(a.cmd.Actor)))
	a.feedOnResolution("Resolved by " + by)
	return nil
}

func (a *applier) debrief() error {
	if !a.d.IsInvolved(a.cmd.Actor) && !a.env.Directory.InBusinessTeam(a.cmd.Actor) && !a.env.Directory.IsChair(a.cmd.Actor) {
		return refuse(RefuseNotHolder, "you were not part of %s", a.d.Ref)
	}
	if a.d.Purged {
		// Retention removed the case's words; a debrief now would outlive it.
		return refuse(RefuseState, "%s is past its retention period and its record was cleared; a debrief can no longer be added", a.d.Ref)
	}
	if r := requireText(FieldText, "The debrief", a.cmd.Text); r != nil {
		return r
	}
	a.d.Debriefs = append(a.d.Debriefs, Debrief{By: a.cmd.Actor, At: a.cmd.At, Text: strings.TrimSpace(a.cmd.Text)})
	a.event("Debrief recorded", strings.TrimSpace(a.cmd.Text), nil)
	return nil
}

func (a *applier) learning() error {
	if !a.env.Directory.InBusinessTeam(a.cmd.Actor) && !a.env.Directory.IsChair(a.cmd.Actor) {
		return refuse(RefuseNotAllowed, "only the chair or the business team tag learning themes")
	}
	themes := uniqStrings(a.cmd.Themes)
	if len(themes) == 0 {
		return &Refusal{Code: RefuseInvalid, Message: "name at least one learning theme", Fields: map[string]string{FieldThemes: "Name at least one theme"}}
	}
	for _, t := range themes {
		if len(t) > 80 {
			return &Refusal{Code: RefuseInvalid, Message: "a theme is a short label (80 characters at most)", Fields: map[string]string{FieldThemes: "80 characters at most"}}
		}
	}
	a.d.Themes = uniqStrings(append(a.d.Themes, themes...))
	// Themes are labels chosen for the board report, not case detail.
	a.event("Learning themes: "+strings.Join(themes, ", "), "", nil)
	return nil
}

// decider is who resolves the last stage, as people say it.
func (a *applier) decider() string {
	if st := a.env.Policy.Stage(a.env.Policy.Last()); st.Final == FinalDecider {
		return "the " + a.env.Policy.RoleLabel(st.Role)
	}
	return "the chair"
}
