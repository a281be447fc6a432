package workflow

// Stages and holders: escalating to the next tier, choosing who holds it
// on each side, and entering a stage.

import (
	"fmt"
	"slices"
	"strings"
)

func (a *applier) escalate() error {
	p := a.env.Policy
	side, held := a.d.SideOf(a.cmd.Actor)
	if !held && a.cmd.Actor != a.d.Raiser.Person {
		_, err := a.requireHolder()
		return err
	}
	if side == SideChair || a.d.Stage >= p.Last() {
		return refuse(RefuseState, "%s is at the last stage (%s); there is no one further to escalate to", a.d.Ref, p.StageName(a.d.Stage))
	}
	if r := requireText(FieldText, "The reason for escalating", a.cmd.Text); r != nil {
		return r
	}
	next := a.d.Stage + 1
	chosen := a.cmd.Holders
	var skipped []int
	if to := a.cmd.ToStage; to != 0 && to != next {
		if !slices.Contains(skipTargets(p, a.d.Stage), to) {
			return &Refusal{Code: RefuseInvalid, Message: "some answers need a look", Fields: map[string]string{
				FieldToStage: fmt.Sprintf("%s cannot be skipped under this policy; escalate to %s", p.StageName(next), p.StageName(next))}}
		}
		if r := requireText(FieldSkipReason, "Why the stage is skipped", a.cmd.SkipReason); r != nil {
			return r
		}
		for n := next; n < to; n++ {
			skipped = append(skipped, n)
		}
		// The form's people were for the next stage; a later one's come
		// from the directory.
		next, chosen = to, nil
	}
	h, err := a.holdersFor(next, chosen)
	if err != nil {
		return err
	}
	// Those who held it are told, and so is the worker who raised it: the
	// policies ask for every step to be shared with them.
	before := uniq(append(a.d.Current().All(), a.d.Raiser.Person))
	a.d.Stage = next
	a.enterStage(h)
	if !a.cmd.Sooner.empty() {
		if err := a.bringForward(a.cmd.Sooner); err != nil {
			return err
		}
	}
	summary, text := "Escalated to "+p.StageName(next), strings.TrimSpace(a.cmd.Text)
	if len(a.chosenNote) > 0 {
		text += "\n\n" + strings.Join(a.chosenNote, "\n")
	}
	if len(skipped) > 0 {
		var names []string
		for _, n := range skipped {
			names = append(names, p.StageName(n))
		}
		summary += ", skipping " + strings.Join(names, " and ")
		text += "\n\nWhy skipped: " + strings.TrimSpace(a.cmd.SkipReason)
	}
	a.event(summary, text, nil)
	a.tellConsulted()
	hist := a.historyWith()
	for _, u := range h.All() {
		m := a.dm(u, MsgEscalatedTo, fmt.Sprintf("%s has been escalated to you at %s", a.d.Ref, p.StageName(next)),
			append(a.caseLines(), "Reason for escalating: "+strings.TrimSpace(a.cmd.Text)), a.actionsFor(u))
		m.History = hist
	}
	for _, u := range before {
		if !contains(h.All(), u) {
			a.dm(u, MsgEscalatedFrom, fmt.Sprintf("%s was escalated to %s by %s; it is now held by %s", a.d.Ref, p.StageName(next), a.name(a.cmd.Actor), a.names(h.All())), nil, a.toldOf(u))
		}
	}
	a.feedStage(fmt.Sprintf("Escalated to %s by %s", p.StageName(next), a.name(a.cmd.Actor)))
	return nil
}

// holdersFor chooses who holds stage n: the people named in the form, else
// the directory's holders of the stage's role in each agency.
func (a *applier) holdersFor(n int, chosen *StageHolders) (StageHolders, error) {
	// Everyone chosen must be able to hold their side (holders.go).
	if problems, note := a.checkChosen(n, chosen); len(problems) > 0 {
		return StageHolders{Stage: n}, &Refusal{Code: RefuseInvalid, Message: "some answers need a look", Fields: problems}
	} else {
		a.chosenNote = note
	}
	st := a.env.Policy.Stage(n)
	dir := a.env.Directory
	h := StageHolders{Stage: n}
	if st.Role == RoleChair {
		h.Chair = dir.Holders("", RoleChair)
		if c := people(chosen, SideChair); len(c) > 0 {
			h.Chair = c
		}
		if len(h.Chair) == 0 {
			return h, refuse(RefuseNoHolders, "no partnership chair is in the directory; ask the business team to add one")
		}
		return h, nil
	}
	if st.Final == FinalDecider {
		// The decider holds the stage for both sides, in the chair's place.
		h.Chair = dir.Holders(st.DeciderAgency, st.Role)
		if c := people(chosen, SideChair); len(c) > 0 {
			h.Chair = c
		}
		if len(h.Chair) == 0 {
			r := refuse(RefuseNoHolders, "the directory has no %s for %s; choose the person in the form", a.env.Policy.RoleLabel(st.Role), dir.AgencyName(st.DeciderAgency))
			r.Fields = map[string]string{FieldRaiserHolders: r.Message}
			return h, r
		}
		return h, nil
	}
	if st.Role == RolePractitioner {
		// Professional to professional: the two people who disagree, not
		// every practitioner of their agencies (who would all be sent the
		// case's free text).
		h.Raiser = uniq(append([]UserID{a.d.Raiser.Person}, a.d.CoRaisers...))
		h.Responder = uniq([]UserID{a.d.Responder.Person})
	} else {
		h.Raiser = dir.Holders(a.d.Raiser.Agency, st.RoleOn(SideRaiser))
		h.Responder = dir.Holders(a.d.Responder.Agency, st.RoleOn(SideResponder))
	}
	if c := people(chosen, SideRaiser); len(c) > 0 {
		h.Raiser = c
	}
	if c := people(chosen, SideResponder); len(c) > 0 {
		h.Responder = c
	}
	var missing []string
	fields := map[string]string{}
	p := a.env.Policy
	if len(h.Raiser) == 0 {
		missing = append(missing, p.RoleLabel(st.RoleOn(SideRaiser))+" for "+dir.AgencyName(a.d.Raiser.Agency))
		fields[FieldRaiserHolders] = ""
	}
	if len(h.Responder) == 0 {
		missing = append(missing, p.RoleLabel(st.RoleOn(SideResponder))+" for "+dir.AgencyName(a.d.Responder.Agency))
		fields[FieldResponderHolders] = ""
	}
	if len(missing) == 2 && st.RoleOn(SideRaiser) == st.RoleOn(SideResponder) {
		missing = []string{fmt.Sprintf("%s for %s or %s", p.RoleLabel(st.Role), dir.AgencyName(a.d.Raiser.Agency), dir.AgencyName(a.d.Responder.Agency))}
	}
	if len(missing) > 0 {
		r := refuse(RefuseNoHolders, "the directory has no %s; choose the people in the form", strings.Join(missing, " or "))
		for f := range fields {
			fields[f] = r.Message
		}
		r.Fields = fields
		return h, r
	}
	// Nobody holds both sides. Within one agency (policy.within_agency)
	// the directory's managers are the same list for each side; someone
	// on both would propose to themselves and nobody could confirm, so the
	// person escalating names who holds each side.
	var both []UserID
	for _, u := range h.Raiser {
		if contains(h.Responder, u) {
			both = append(both, u)
		}
	}
	if len(both) > 0 {
		msg := fmt.Sprintf("%s cannot hold both sides: name one person for %s's side and another for %s's",
			a.names(both), a.name(a.d.Raiser.Person), a.name(a.d.Responder.Person))
		return h, &Refusal{Code: RefuseInvalid, Message: "some answers need a look",
			Fields: map[string]string{FieldRaiserHolders: msg, FieldResponderHolders: msg}}
	}
	return h, nil
}

// people are the people chosen to hold one side: never nobody ("") and
// never Escalate itself.
func people(chosen *StageHolders, s Side) []UserID {
	if chosen == nil {
		return nil
	}
	return slices.DeleteFunc(uniq(chosen.Side(s)), func(u UserID) bool { return u == SystemActor })
}

// enterStage hands the case to h, opens the stage's window and sets its timers.
func (a *applier) enterStage(h StageHolders) {
	d, p := a.d, a.env.Policy
	h.Since = a.cmd.At
	d.Holders = append(d.Holders, h)
	d.State = StateOpen
	d.Proposal = nil
	d.Lapsed = false
	d.StageVersion = d.Version + 1 // the version the entering command produces
	st := p.Stage(d.Stage)
	a.consult(st)
	a.openResponse(st)
	d.StageStarted, d.Deadline = stageWindow(a.env, d, a.cmd.At)
	a.res.ClearTimers = true
	a.res.Timers = stageTimers(a.env.Calendar, d, st, a.cmd.At)
}

// skipTargets are the stages an escalation from stage n may go to: the
// next, and past it while the stage passed is optional.
func skipTargets(p *Policy, n int) []int {
	var to []int
	for s := n + 1; s <= p.Last(); s++ {
		to = append(to, s)
		if !p.Stage(s).Optional {
			break
		}
	}
	return to
}

// toldOf is the buttons of someone told of a step on a case they no longer
// hold: a note, and for the raiser Withdraw, which is theirs at every stage.
func (a *applier) toldOf(u UserID) []Action {
	acts := []Action{a.action(ActNote, "Add note", "")}
	if u == a.d.Raiser.Person && !a.d.State.Closed() {
		acts = append(acts, a.action(ActWithdraw, "Withdraw", "danger"))
	}
	return acts
}
