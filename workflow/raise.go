package workflow

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Validate checks a raise form and returns every problem by field name.
// It is the one validation Slack, Teams and the console all use.
func (in RaiseInput) Validate(env Env, actor UserID) map[string]string {
	in = in.settled(env)
	env, _ = env.withRoute(in.Category) // its route's stages to start at
	p, dir := env.Policy, env.Directory
	errs := map[string]string{}
	switch {
	case in.SubjectType != SubjectChild && in.SubjectType != SubjectAdult:
		errs[FieldSubjectType] = "Choose a child or an adult with care and support needs"
	case !p.Covers(in.SubjectType):
		article := "a "
		if in.SubjectType == SubjectAdult {
			article = "an "
		}
		errs[FieldSubjectType] = fmt.Sprintf("%s's policy does not cover %s%s", p.Partnership, article, in.SubjectType.Label())
	}
	ref := strings.TrimSpace(in.SubjectRef)
	switch {
	case ref == "":
		errs[FieldSubjectRef] = "Give the agency's case number (no names)"
	case len(ref) > 40:
		errs[FieldSubjectRef] = "A case number is 40 characters at most"
	default:
		if problem := env.SubjectRef.subjectRefProblem(ref); problem != "" {
			errs[FieldSubjectRef] = problem
		}
	}
	switch {
	case !in.Category.valid(in.SubjectType):
		errs[FieldCategory] = "Choose what the disagreement is about"
	case in.Category == CatOwnManagement && !p.WithinAgency:
		// The words check-config prints and the form offers agree with
		// this: between agencies only, and a concern within one's own
		// service goes to one's own agency's policy (West Sussex).
		errs[FieldCategory] = "This policy is for disagreements between agencies: a concern about your own management's position goes to your own agency's escalation policy"
	}
	if in.Plan != "" && !in.Plan.valid(in.SubjectType) {
		errs[FieldPlan] = "Choose the current plan status"
	}
	if in.DecisionDate != "" && !in.DecisionDate.Valid() {
		errs[FieldDecisionDate] = "Give the date as YYYY-MM-DD"
	}
	for f, v := range map[string]string{FieldDecision: in.DecisionDisputed, FieldDisagreement: in.Disagreement, FieldOutcomeSought: in.OutcomeSought, FieldEvidence: in.Evidence} {
		if utf8.RuneCountInString(v) > MaxText {
			errs[f] = tooLong(v, MaxText)
		}
	}
	if strings.TrimSpace(in.Disagreement) == "" {
		errs[FieldDisagreement] = "Say what the disagreement is about"
	}
	if strings.TrimSpace(in.OutcomeSought) == "" {
		errs[FieldOutcomeSought] = "Say what outcome you seek for the " + in.SubjectType.short()
	}
	if strings.TrimSpace(in.Evidence) == "" {
		errs[FieldEvidence] = "Say what the disagreement rests on: the policies ask for it to be evidence based"
	}
	raiserAgency, responderAgency := in.parties(dir, actor)
	if _, ok := dir.Agency(raiserAgency); !ok {
		errs[FieldRaiserAgency] = "Choose your agency"
	}
	if _, ok := dir.Agency(responderAgency); !ok {
		errs[FieldResponderAgency] = "Choose the agency you disagree with"
	} else if responderAgency == raiserAgency && !p.WithinAgency {
		errs[FieldResponderAgency] = "This policy is for disagreements between agencies; use your own agency's escalation policy for one within it"
	} else if in.Category == CatOwnManagement && responderAgency != raiserAgency && errs[FieldCategory] == "" {
		// One's own management is in one's own agency: a disagreement with
		// another agency is about that agency's decision, another category.
		errs[FieldResponderAgency] = "A disagreement with your own management's position is within your own agency: choose your agency, or another category"
	}
	for _, u := range in.CoRaisers {
		switch {
		case u == actor:
			errs[FieldCoRaisers] = "You raise it already: name only the others who share the concern"
		case u == in.Responder:
			errs[FieldCoRaisers] = "The practitioner you disagree with cannot share your concern"
		case u == SystemActor || dir.InBusinessTeam(u) || dir.IsChair(u):
			errs[FieldCoRaisers] = "Name professionals who share the concern, not the business team or the chair"
		}
	}
	if len(in.CoRaisers) > 10 {
		errs[FieldCoRaisers] = "Name at most 10 others"
	}
	if in.ResponderProblem != "" {
		errs[FieldResponder] = in.ResponderProblem
	} else if in.Responder == "" || in.Responder == SystemActor {
		errs[FieldResponder] = "Choose the practitioner you disagree with, or give their email address"
	} else if in.Responder == actor {
		errs[FieldResponder] = "Choose someone other than yourself"
	}
	for f, m := range in.partyProblems(dir, actor) {
		if errs[f] == "" {
			errs[f] = m
		}
	}
	start := in.StartStage
	if start == 0 {
		start = 1
	}
	switch {
	case start < 1 || start > p.Last():
		errs[FieldStartStage] = fmt.Sprintf("Choose a stage from 1 to %d", p.Last())
	case start > 1 && !in.ImmediateRisk:
		errs[FieldStartStage] = "A case starts at stage 1 unless the " + in.SubjectType.short() + " is at risk of immediate harm"
	case start > 1 && p.ImmediateRiskMaxStage > 0 && start > p.ImmediateRiskMaxStage:
		errs[FieldStartStage] = fmt.Sprintf("This policy lets a case start at stage %d at the latest", p.ImmediateRiskMaxStage)
	case start > 1 && strings.TrimSpace(in.StartReason) == "":
		errs[FieldStartReason] = "Say why it should start at a later stage"
	}
	if utf8.RuneCountInString(in.StartReason) > MaxText {
		errs[FieldStartReason] = tooLong(in.StartReason, MaxText)
	}
	return errs
}

// settled answers what the form did not ask because it has one possible
// answer (Form.answerSingle): a policy for children alone is about a child.
func (in RaiseInput) settled(env Env) RaiseInput {
	if in.SubjectType == "" && env.Policy != nil && len(env.Policy.Subjects) == 1 {
		in.SubjectType = env.Policy.Subjects[0]
	}
	return in
}

func (s SubjectType) short() string {
	if s == SubjectAdult {
		return "adult"
	}
	return "child"
}

func raise(env Env, cmd Command) (*Result, error) {
	in := cmd.Raise
	if in == nil {
		return nil, refuse(RefuseInvalid, "nothing to raise")
	}
	if _, ok := ParseRef(in.Ref); !ok {
		return nil, refuse(RefuseInvalid, "the case has no reference")
	}
	settled := in.settled(env)
	in = &settled
	errs := in.ValidateAt(env, cmd.Actor, cmd.At)
	env, route := env.withRoute(in.Category)
	if len(errs) > 0 {
		return nil, &Refusal{Code: RefuseInvalid, Message: "some answers need a look", Fields: errs}
	}
	// The directory's agencies for people it knows (holders.go).
	taken := *in
	in = &taken
	in.RaiserAgency, in.ResponderAgency = in.parties(env.Directory, cmd.Actor)
	raiserAgency := in.RaiserAgency
	start := max(in.StartStage, 1)
	d := &Dispute{
		Ref: in.Ref, PolicyID: env.Policy.ID, SubjectType: in.SubjectType, SubjectRef: strings.TrimSpace(in.SubjectRef),
		Category: in.Category, DecisionDisputed: strings.TrimSpace(in.DecisionDisputed), DecisionDate: in.DecisionDate,
		Plan: in.Plan, Disagreement: strings.TrimSpace(in.Disagreement), OutcomeSought: strings.TrimSpace(in.OutcomeSought),
		Evidence: strings.TrimSpace(in.Evidence), Raiser: Party{Agency: raiserAgency, Person: cmd.Actor},
		Responder: Party{Agency: in.ResponderAgency, Person: in.Responder}, ImmediateRisk: in.ImmediateRisk,
		StartStage: start, Stage: start, CreatedAt: cmd.At, Route: route, CoRaisers: uniq(in.CoRaisers),
	}
	if d.Plan == "" {
		d.Plan = PlanNone
	}
	if start > 1 {
		d.StartReason = strings.TrimSpace(in.StartReason)
	}
	a := &applier{env: env, old: &Dispute{Ref: in.Ref}, d: d, cmd: cmd}
	h, err := a.holdersFor(start, in.Holders)
	if err != nil {
		return nil, err
	}
	a.enterStage(h)
	p := env.Policy
	if d.ImmediateRisk {
		// Named people are told at once, whatever the stage tells.
		a.consult(Stage{Tell: p.ImmediateRiskTell})
	}
	summary := fmt.Sprintf("Raised by %s (%s) with %s (%s) at %s", a.name(cmd.Actor), env.Directory.AgencyName(raiserAgency), a.name(in.Responder), env.Directory.AgencyName(in.ResponderAgency), p.StageName(start))
	if len(d.CoRaisers) > 0 {
		summary += ", with " + a.names(d.CoRaisers) + " sharing the concern"
	}
	if start > 1 {
		summary += ": risk of immediate harm, started at a later stage"
	}
	late, lateFeed := a.raisedLate(*in)
	summary += late
	if !in.Sooner.empty() {
		if err := a.bringForward(in.Sooner); err != nil {
			return nil, err
		}
	}
	text := raiseText(d)
	if len(a.chosenNote) > 0 {
		text += "\n\n" + strings.Join(a.chosenNote, "\n")
	}
	a.event(summary, text, nil)
	a.tellConsulted()
	lines := a.caseLines()
	if d.ImmediateRisk {
		lines = append([]string{"The raiser says the " + d.SubjectType.short() + " is at risk of immediate harm. This process never replaces an immediate safeguarding response:"}, append(append([]string(nil), env.Emergency...), lines...)...)
	}
	// The others who share the concern are told it was raised in their
	// names too, whether or not they hold the starting stage.
	for _, u := range d.CoRaisers {
		title := fmt.Sprintf("%s (%s) has raised a professional disagreement with %s, naming you as sharing the concern: %s", a.name(cmd.Actor), env.Directory.AgencyName(raiserAgency), env.Directory.AgencyName(in.ResponderAgency), d.Ref)
		m := a.dm(u, MsgRaised, title, lines, a.actionsFor(u))
		if start > 1 {
			m.History = a.historyWith()
		}
	}
	for _, u := range h.All() {
		if u == cmd.Actor || contains(d.CoRaisers, u) {
			continue
		}
		m := a.dm(u, MsgRaised, a.askOf(u, start), lines, a.actionsFor(u))
		if start > 1 {
			m.History = a.historyWith()
		}
	}
	// At a later start the practitioner it was raised with does not hold
	// the case, but is still the other party: they are told, with the case,
	// and may add notes.
	if r := d.Responder.Person; r != "" && r != cmd.Actor && !contains(h.All(), r) {
		title := fmt.Sprintf("%s (%s) %s about case %s; it started at %s and %s asked to resolve it by %s: you can read it and add notes", a.name(cmd.Actor), env.Directory.AgencyName(raiserAgency), a.disagreesWith(), d.Ref, p.StageName(start), a.namesAre(h.All()), a.when(d.Deadline))
		a.dm(r, MsgRaised, title, lines, a.actionsFor(r))
	}
	// Everyone the case went to: the other practitioner at stage 1, the
	// managers of both sides or the chair at a later start (and then the
	// other practitioner too).
	var told []UserID
	for _, u := range append(h.All(), d.Responder.Person) {
		if u != cmd.Actor && u != "" && !contains(told, u) {
			told = append(told, u)
		}
	}
	have := "has"
	if len(told) > 1 {
		have = "have"
	}
	ack := a.dm(cmd.Actor, MsgRaisedAck, fmt.Sprintf("Your disagreement is raised as %s", d.Ref), []string{
		fmt.Sprintf("%s %s been told. %s should be resolved by %s; Escalate will remind everyone before then.", a.names(told), have, p.StageName(start), a.when(d.Deadline)),
	}, a.actionsFor(cmd.Actor))
	if !contains(h.All(), cmd.Actor) {
		ack.Actions = []Action{a.action(ActNote, "Add note", ""), a.action(ActWithdraw, "Withdraw", "danger")}
	}
	a.feedStage(summaryForFeed(a, start) + lateFeed)
	return a.result(), nil
}

// askOf is the first thing a holder of the starting stage reads: who
// disagrees, what is asked of them and by when, in one sentence, before any
// detail. It names the case by its reference only: a title reaches lock
// screens and notifications, so it never carries the subject's case number.
func (a *applier) askOf(u UserID, start int) string {
	d, dir := a.d, a.env.Directory
	who := fmt.Sprintf("%s (%s)", a.name(a.cmd.Actor), dir.AgencyName(d.Raiser.Agency))
	by := a.when(d.Deadline)
	if u == d.Responder.Person && start == 1 {
		return fmt.Sprintf("%s %s about case %s and asks you to talk it through by %s", who, a.disagreesWith(), d.Ref, by)
	}
	if side, _ := d.SideOf(u); side == SideChair {
		return fmt.Sprintf("%s has raised case %s with %s, starting with you at %s, and asks you to resolve it by %s", who, d.Ref, dir.AgencyName(d.Responder.Agency), a.env.Policy.StageName(start), by)
	}
	return fmt.Sprintf("%s has raised case %s with %s at %s, which you hold, and asks you to resolve it by %s", who, d.Ref, dir.AgencyName(d.Responder.Agency), a.env.Policy.StageName(start), by)
}

// namesAre is "Sam Walker is" or "Sam Walker and Lena Marsh are".
func (a *applier) namesAre(us []UserID) string {
	if len(us) == 1 {
		return a.names(us) + " is"
	}
	return a.names(us) + " are"
}

// disagreesWith says what the raiser disagrees with, to the practitioner
// it was raised with.
func (a *applier) disagreesWith() string {
	if a.d.DecisionDisputed != "" {
		return "disagrees with a decision of yours"
	}
	return "disagrees with you"
}

func summaryForFeed(a *applier, stage int) string {
	s := fmt.Sprintf("Raised by %s at %s", a.name(a.cmd.Actor), a.env.Policy.StageName(stage))
	if stage > 1 {
		s += " (risk of immediate harm: started at a later stage)"
	}
	return s
}
