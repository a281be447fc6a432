package workflow

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Calendar is the working-day clock the workflow needs
// (workflow/calendar implements it).
type Calendar interface {
	Location() *time.Location
	IsWorkingTime(t time.Time) bool
	NextWorkingStart(t time.Time) time.Time
	AddWorkingDays(t time.Time, n int) time.Time
	AddWorkingHours(t time.Time, d time.Duration) time.Time
	SubWorkingHours(t time.Time, d time.Duration) time.Time
}

// Env is what Apply needs besides the dispute: data, never a connection.
type Env struct {
	Policy    *Policy
	Directory *Directory
	Calendar  Calendar
	// Emergency is the partnership's emergency route (999, the front door /
	// MASH, the out-of-hours team), shown whenever immediate risk is named.
	Emergency []string
	// SubjectRef is the partnership's shape for case numbers, if it set one.
	SubjectRef SubjectRefRule
}

// MaxText bounds every free-text field.
const MaxText = 3000

// Apply runs one command. d is nil for Raise. history is the dispute's event
// log so far (used to give people new to a case its whole history). The
// dispute passed in is never changed: an accepted command returns a new
// one, a refused command returns a *Refusal and nothing else.
func Apply(env Env, d *Dispute, history []Event, cmd Command) (*Result, error) {
	if cmd.At.IsZero() {
		return nil, refuse(RefuseInvalid, "the command has no time")
	}
	if cmd.Actor == "" {
		// An empty actor would match the empty holder entries of a case.
		return nil, refuse(RefuseInvalid, "the command says nobody did it")
	}
	if cmd.Kind == CmdRaise {
		if d != nil {
			if cmd.Actor != SystemActor && !CanView(d, env.Directory, cmd.Actor) {
				return nil, UnknownCase(d.Ref)
			}
			return nil, refuse(RefuseState, "%s has already been raised", d.Ref)
		}
		if cmd.Actor == SystemActor {
			return nil, refuse(RefuseNotAllowed, "only a person can raise a disagreement, not Escalate itself")
		}
		return raise(env, cmd)
	}
	if d == nil {
		return nil, refuse(RefuseUnknownCase, "there is no such case")
	}
	// Permission first: someone who may not see the case learns nothing
	// about it, not even that it exists (see UnknownCase).
	if cmd.Actor != SystemActor && !CanView(d, env.Directory, cmd.Actor) {
		return nil, UnknownCase(d.Ref)
	}
	a := &applier{env: env, old: d, d: d.Clone(), history: history, cmd: cmd}
	if err := a.check(); err != nil {
		return nil, err
	}
	var err error
	switch cmd.Kind {
	case CmdComment:
		err = a.comment()
	case CmdPropose:
		err = a.propose()
	case CmdConfirm:
		err = a.confirm()
	case CmdReject:
		err = a.reject()
	case CmdEscalate:
		err = a.escalate()
	case CmdWithdraw:
		err = a.withdraw()
	case CmdNudge:
		err = a.nudge()
	case CmdLapse, CmdPrompt:
		err = a.lapse()
	case CmdAssignHolder:
		err = a.assign()
	case CmdConvenePanel:
		err = a.panel()
	case CmdResolve:
		err = a.resolve()
	case CmdDebrief:
		err = a.debrief()
	case CmdLearning:
		err = a.learning()
	case CmdPurge:
		err = a.purge()
	default:
		err = refuse(RefuseInvalid, "unknown command %q", cmd.Kind)
	}
	if err != nil {
		return nil, err
	}
	return a.result(), nil
}

type applier struct {
	env     Env
	old     *Dispute
	d       *Dispute
	history []Event
	cmd     Command
	res     Result
	msgN    int
}

// check applies the rules every command shares, after permission to see
// the case (Apply): system-only commands, closed cases, then buttons and
// forms drawn before the case moved on.
func (a *applier) check() error {
	d, c := a.old, a.cmd
	timerCmd := c.Kind == CmdNudge || c.Kind == CmdLapse || c.Kind == CmdPrompt || c.Kind == CmdPurge
	if timerCmd && c.Actor != SystemActor {
		return refuse(RefuseNotAllowed, "only Escalate itself can do that")
	}
	if !timerCmd && c.Actor == SystemActor {
		return refuse(RefuseNotAllowed, "only a person can do that, not Escalate itself")
	}
	post := c.Kind == CmdDebrief || c.Kind == CmdLearning || c.Kind == CmdPurge
	if d.State.Closed() && !post {
		return refuse(RefuseClosed, "%s is closed (%s on %s); nothing more can be done on it", d.Ref, d.State, a.when(d.ClosedAt))
	}
	if !d.State.Closed() && post {
		return refuse(RefuseState, "%s is still open; that comes after it closes", d.Ref)
	}
	return checkDrawn(a.env, d, a.history, c.Kind, c.ExpectStage, c.ExpectVersion)
}

// checkDrawn refuses a button or form drawn before the case moved on: to
// another stage (stage, when set), or, within the stage, on by a material
// change since version (when set). A note is refused only for a change of
// stage: it contradicts nothing, so nobody retypes one because a
// resolution was proposed meanwhile.
func checkDrawn(env Env, d *Dispute, history []Event, k CommandKind, stage, version int) error {
	if stage != 0 && stage != d.Stage {
		return movedOn(env, d, history)
	}
	if version == 0 || k == CmdComment {
		return nil
	}
	if version > d.Version {
		return refuse(RefuseInvalid, "that button or form does not match %s; open the case again", d.Ref)
	}
	if ch := LastChange(d, history); ch != nil && ch.Seq > version {
		return refuse(RefuseMovedOn, "%s has moved on since this was shown to you: %s, by %s at %s. Nothing you sent was recorded", d.Ref, lowerFirst(ch.Summary), ch.ActorName, formatTime(ch.At, env.Calendar.Location()))
	}
	return nil
}

// movedOn explains, from the log, what happened since the person looked.
func movedOn(env Env, d *Dispute, history []Event) error {
	for i := len(history) - 1; i >= 0; i-- {
		e := history[i]
		if e.Kind == CmdEscalate {
			return refuse(RefuseMovedOn, "%s was escalated to %s by %s at %s; reload it", d.Ref, env.Policy.StageName(e.Stage), e.ActorName, formatTime(e.At, env.Calendar.Location()))
		}
	}
	return refuse(RefuseMovedOn, "%s is now at %s; reload it", d.Ref, env.Policy.StageName(d.Stage))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func (a *applier) when(t time.Time) string {
	return formatTime(t, a.env.Calendar.Location())
}

func formatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	if loc != nil {
		t = t.In(loc)
	}
	return t.Format("Mon 2 Jan 2006, 15:04")
}

func (a *applier) name(u UserID) string { return a.env.Directory.Name(u) }

// event records one step. Summary must carry no free text.
func (a *applier) event(summary, text string, p *Proposal) {
	a.d.Version++
	e := Event{
		Ref: a.d.Ref, Seq: a.d.Version, Kind: a.cmd.Kind, Actor: a.cmd.Actor, ActorName: a.name(a.cmd.Actor),
		At: a.cmd.At, Stage: a.d.Stage, Summary: summary, Text: text, Proposal: p,
	}
	a.res.Events = append(a.res.Events, e)
	if Material(e.Kind) {
		a.d.Changed = changeOf(e)
	}
}

func (a *applier) result() *Result {
	a.d.UpdatedAt = a.cmd.At
	a.res.Dispute = a.d
	a.res.PrevVersion = a.old.Version
	r := a.res
	return &r
}

// requireHolder refuses anyone not holding the case now.
func (a *applier) requireHolder() (Side, error) {
	s, ok := a.d.SideOf(a.cmd.Actor)
	if !ok {
		return "", refuse(RefuseNotHolder, "you don't hold %s at %s, so you can't do that; the people holding it are %s", a.d.Ref, a.env.Policy.StageName(a.d.Stage), a.names(a.d.Current().All()))
	}
	return s, nil
}

func (a *applier) names(ids []UserID) string {
	if len(ids) == 0 {
		return "nobody yet"
	}
	n := make([]string, len(ids))
	for i, id := range ids {
		n[i] = a.name(id)
	}
	return strings.Join(n, ", ")
}

func requireText(field, what, s string) *Refusal {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return &Refusal{Code: RefuseInvalid, Message: what + " is required", Fields: map[string]string{field: what + " is required"}}
	case len(s) > MaxText:
		return &Refusal{Code: RefuseInvalid, Message: fmt.Sprintf("%s is too long (%d characters at most)", what, MaxText), Fields: map[string]string{field: fmt.Sprintf("%d characters at most", MaxText)}}
	}
	return nil
}

func (a *applier) comment() error {
	if !CanView(a.d, a.env.Directory, a.cmd.Actor) {
		return refuse(RefuseNotHolder, "you are not part of %s, so you can't add a note to it", a.d.Ref)
	}
	if r := requireText(FieldText, "The note", a.cmd.Text); r != nil {
		return r
	}
	a.event("Note added", strings.TrimSpace(a.cmd.Text), nil)
	for _, u := range a.audience() {
		if u == a.cmd.Actor {
			continue
		}
		a.dm(u, MsgNote, fmt.Sprintf("%s added a note to %s", a.name(a.cmd.Actor), a.d.Ref), []string{strings.TrimSpace(a.cmd.Text)}, a.actionsFor(u))
	}
	return nil
}

func (a *applier) propose() error {
	side, err := a.requireHolder()
	if err != nil {
		return err
	}
	if side == SideChair {
		return refuse(RefuseNotAllowed, "at %s the chair resolves the case with Resolve", a.env.Policy.StageName(a.d.Stage))
	}
	if a.d.State == StateProposed {
		p := a.d.Proposal
		return refuse(RefuseState, "%s already has a resolution proposed by %s at %s, waiting for the other side", a.d.Ref, a.name(p.ProposedBy), a.when(p.ProposedAt))
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
		return refuse(RefuseMovedOn, "the resolution you saw for %s was replaced by a newer one from %s at %s; read it before you confirm", a.d.Ref, a.name(a.d.Proposal.ProposedBy), a.when(a.d.Proposal.ProposedAt))
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
	h, err := a.holdersFor(next, a.cmd.Holders)
	if err != nil {
		return err
	}
	// Those who held it are told, and so is the worker who raised it: the
	// policies ask for every step to be shared with them.
	before := uniq(append(a.d.Current().All(), a.d.Raiser.Person))
	a.d.Stage = next
	a.enterStage(h)
	a.event("Escalated to "+p.StageName(next), strings.TrimSpace(a.cmd.Text), nil)
	hist := a.historyWith()
	for _, u := range h.All() {
		m := a.dm(u, MsgEscalatedTo, fmt.Sprintf("%s has been escalated to you at %s", a.d.Ref, p.StageName(next)),
			append(a.caseLines(), "Reason for escalating: "+strings.TrimSpace(a.cmd.Text)), a.actionsFor(u))
		m.History = hist
	}
	for _, u := range before {
		if !contains(h.All(), u) {
			a.dm(u, MsgEscalatedFrom, fmt.Sprintf("%s was escalated to %s by %s; it is now held by %s", a.d.Ref, p.StageName(next), a.name(a.cmd.Actor), a.names(h.All())), nil, []Action{a.action(ActNote, "Add note", "")})
		}
	}
	a.feedStage(fmt.Sprintf("Escalated to %s by %s", p.StageName(next), a.name(a.cmd.Actor)))
	return nil
}

// holdersFor chooses who holds stage n: the people named in the form, else
// the directory's holders of the stage's role in each agency.
func (a *applier) holdersFor(n int, chosen *StageHolders) (StageHolders, error) {
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
	if st.Role == RolePractitioner {
		// Professional to professional: the two people who disagree, not
		// every practitioner of their agencies (who would all be sent the
		// case's free text).
		h.Raiser = uniq([]UserID{a.d.Raiser.Person})
		h.Responder = uniq([]UserID{a.d.Responder.Person})
	} else {
		h.Raiser = dir.Holders(a.d.Raiser.Agency, st.Role)
		h.Responder = dir.Holders(a.d.Responder.Agency, st.Role)
	}
	if c := people(chosen, SideRaiser); len(c) > 0 {
		h.Raiser = c
	}
	if c := people(chosen, SideResponder); len(c) > 0 {
		h.Responder = c
	}
	var missing []string
	fields := map[string]string{}
	if len(h.Raiser) == 0 {
		missing = append(missing, dir.AgencyName(a.d.Raiser.Agency))
		fields[FieldRaiserHolders] = ""
	}
	if len(h.Responder) == 0 {
		missing = append(missing, dir.AgencyName(a.d.Responder.Agency))
		fields[FieldResponderHolders] = ""
	}
	if len(missing) > 0 {
		r := refuse(RefuseNoHolders, "the directory has no %s for %s; choose the people in the form", st.Role.Label(), strings.Join(missing, " or "))
		for f := range fields {
			fields[f] = r.Message
		}
		r.Fields = fields
		return h, r
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
	d.StageStarted, d.Deadline = WindowFrom(a.env.Calendar, a.cmd.At, st.Window)
	a.res.ClearTimers = true
	a.res.Timers = stageTimers(a.env.Calendar, d, st, a.cmd.At)
}

// WindowFrom opens a window at t: working windows start at the next working
// instant; calendar-hour windows run from t. check-config uses it to print
// each stage's deadline exactly as a case would get it.
func WindowFrom(cal Calendar, t time.Time, w Window) (start, deadline time.Time) {
	switch w.Unit {
	case WorkingHours:
		return cal.NextWorkingStart(t), cal.AddWorkingHours(t, time.Duration(w.Amount)*time.Hour)
	case Hours:
		return t, t.Add(time.Duration(w.Amount) * time.Hour)
	default:
		return cal.NextWorkingStart(t), cal.AddWorkingDays(t, w.Amount)
	}
}

// stageTimers are the reminder and the lapse of the stage d is at. Timers
// only ever fall in working time: nobody is nudged at night.
func stageTimers(cal Calendar, d *Dispute, st Stage, now time.Time) []Timer {
	var ts []Timer
	mk := func(k TimerKind, due time.Time) Timer {
		return Timer{Ref: d.Ref, Kind: k, Stage: d.Stage, StageVersion: d.StageVersion, Due: due}
	}
	if st.Remind.Amount > 0 {
		var at time.Time
		switch st.Remind.Unit {
		case Hours:
			at = cal.NextWorkingStart(d.Deadline.Add(-time.Duration(st.Remind.Amount) * time.Hour))
		default:
			at = cal.SubWorkingHours(d.Deadline, remindDuration(st.Remind))
		}
		if at.After(now) && at.Before(d.Deadline) {
			ts = append(ts, mk(TimerRemind, at))
		}
	}
	return append(ts, mk(TimerLapse, cal.NextWorkingStart(d.Deadline)))
}

// remindDuration: a reminder lead in working days counts 8 working hours a day.
func remindDuration(w Window) time.Duration {
	if w.Unit == WorkingDays {
		return time.Duration(w.Amount) * 8 * time.Hour
	}
	return time.Duration(w.Amount) * time.Hour
}

func (a *applier) withdraw() error {
	if a.cmd.Actor != a.d.Raiser.Person {
		return refuse(RefuseNotAllowed, "only the person who raised %s (%s) can withdraw it", a.d.Ref, a.name(a.d.Raiser.Person))
	}
	if r := requireText(FieldText, "The reason for withdrawing", a.cmd.Text); r != nil {
		return r
	}
	a.d.WithdrawReason = strings.TrimSpace(a.cmd.Text)
	a.close(StateWithdrawn, nil)
	a.event("Withdrawn by the raiser", a.d.WithdrawReason, nil)
	for _, u := range a.audience() {
		a.dm(u, MsgWithdrawn, fmt.Sprintf("%s was withdrawn by %s", a.d.Ref, a.name(a.cmd.Actor)), []string{"Reason: " + a.d.WithdrawReason}, nil)
	}
	a.feedOnResolution("Withdrawn by the raiser")
	return nil
}

// timerValid: a timer set for an earlier stage, or for a stage entered
// again later, does nothing.
func (a *applier) timerValid() error {
	t := a.cmd.Timer
	if t == nil || t.Ref != a.d.Ref || t.Stage != a.d.Stage || t.StageVersion != a.d.StageVersion {
		return refuse(RefuseStaleTimer, "timer outlived its stage")
	}
	return nil
}

func (a *applier) nudge() error {
	if err := a.timerValid(); err != nil {
		return err
	}
	// After downtime a "closing soon" reminder whose window already closed
	// is not sent; the lapse says what needs saying.
	if !a.cmd.At.Before(a.d.Deadline) || a.d.Lapsed {
		return refuse(RefuseStaleTimer, "the window already closed")
	}
	p := a.env.Policy
	a.event("Reminder sent: the window closes at "+a.when(a.d.Deadline), "", nil)
	dl := a.d.Deadline
	for _, u := range a.d.Current().All() {
		// The case's facts already say when the window closes.
		line := "The policy asks for this stage to be resolved within " + p.Stage(a.d.Stage).Window.String() + "."
		if a.d.Stage < p.Last() {
			line += " If you cannot agree, escalate it."
		}
		a.dm(u, MsgReminder, fmt.Sprintf("%s: %s closes at %s", a.d.Ref, p.StageName(a.d.Stage), a.when(dl)), []string{line}, a.actionsFor(u))
	}
	return nil
}

// lapse runs at the window's close (Lapse) and once a working day after it
// (Prompt) until somebody acts.
func (a *applier) lapse() error {
	if err := a.timerValid(); err != nil {
		return err
	}
	p := a.env.Policy
	first := a.cmd.Kind == CmdLapse
	if first && a.d.Lapsed {
		return refuse(RefuseStaleTimer, "the window already lapsed")
	}
	if first && a.cmd.At.Before(a.d.Deadline) {
		return refuse(RefuseStaleTimer, "the window has not closed yet")
	}
	if !first && !a.d.Lapsed {
		return refuse(RefuseStaleTimer, "the window has not lapsed")
	}
	if first {
		a.d.Lapsed = true
		a.d.LapsedCount++
		a.event("Window lapsed at "+a.when(a.d.Deadline), "", nil)
	} else {
		a.event("Daily reminder: the window lapsed at "+a.when(a.d.Deadline), "", nil)
	}
	overdue := fmt.Sprintf("%s: the window for %s closed at %s without a resolution", a.d.Ref, p.StageName(a.d.Stage), a.when(a.d.Deadline))
	if a.d.Stage < p.Last() {
		esc := Action{Kind: ActEscalate, Label: fmt.Sprintf("Escalate to stage %s", stageLabel(p, a.d.Stage+1)), Ref: a.d.Ref, Stage: a.d.Stage, Version: a.d.Version, Style: "primary"}
		cur := a.d.Current()
		raiserSide := uniq(append(append([]UserID(nil), cur.Raiser...), a.d.Raiser.Person))
		for _, u := range raiserSide {
			// The escalate button first, then what this person can do now
			// (a raiser who no longer holds the case cannot record a
			// resolution; a proposal waiting is confirmed or not agreed).
			acts := []Action{esc}
			for _, act := range a.actionsFor(u) {
				if act.Kind != ActEscalate {
					acts = append(acts, act)
				}
			}
			a.dm(u, MsgLapsed, overdue, []string{"The policy says unresolved disagreements go to the next tier. Escalate it, or record the resolution if you have agreed one."}, acts)
		}
		for _, u := range cur.Responder {
			a.dm(u, MsgLapsed, overdue, []string{"The raiser's side has been asked to escalate it."}, a.actionsFor(u))
		}
		if first && p.LapseNotifiesNextTier {
			if h, err := a.holdersFor(a.d.Stage+1, nil); err == nil {
				for _, u := range h.All() {
					if !contains(raiserSide, u) && !contains(cur.Responder, u) {
						a.dm(u, MsgLapsed, overdue, []string{"It may be escalated to you at " + p.StageName(a.d.Stage+1) + "."}, nil)
					}
				}
			}
		}
	} else {
		for _, u := range append(a.d.Current().All(), a.env.Directory.BusinessTeam...) {
			a.dm(u, MsgLapsed, overdue, []string{"This is the last stage of the policy: the chair decides how it is resolved."}, a.actionsFor(u))
		}
	}
	if first {
		a.feedIfFollowed("Window lapsed at " + p.StageName(a.d.Stage))
	}
	// Once a working day until someone acts, always inside working hours.
	a.res.Timers = append(a.res.Timers, PromptTimer(a.env.Calendar, a.d, a.cmd.At))
	return nil
}

func stageLabel(p *Policy, n int) string {
	if l := p.Stage(n).Label; l != "" {
		return l
	}
	return itoa(n)
}

func (a *applier) assign() error {
	dir := a.env.Directory
	if !dir.InBusinessTeam(a.cmd.Actor) && !dir.IsChair(a.cmd.Actor) {
		return refuse(RefuseNotAllowed, "only the business team can change who holds a case")
	}
	// As for escalation (holdersFor), the chair holds the chair's stage and
	// the two sides hold every other: the sides a stage does not have are
	// ignored, so nobody holds a stage on a side it does not have.
	chosen := StageHolders{Raiser: people(a.cmd.Holders, SideRaiser), Responder: people(a.cmd.Holders, SideResponder), Chair: people(a.cmd.Holders, SideChair)}
	if a.env.Policy.Stage(a.d.Stage).Role == RoleChair {
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

func (a *applier) panel() error {
	st := a.env.Policy.Stage(a.d.Stage)
	if !a.env.Directory.IsChair(a.cmd.Actor) || a.d.Stage != a.env.Policy.Last() {
		return refuse(RefuseNotAllowed, "only the partnership chair can convene a resolution panel, at the last stage")
	}
	if st.Final != FinalChairOrPanel {
		return refuse(RefuseNotAllowed, "this partnership's policy has the chair resolve directly, without a panel")
	}
	if a.d.State == StatePanel {
		return refuse(RefuseState, "a resolution panel is already convened for %s", a.d.Ref)
	}
	agencies := uniqStrings(a.cmd.Panel)
	if len(agencies) != 3 {
		return &Refusal{Code: RefuseInvalid, Message: "a resolution panel has representatives of three agencies", Fields: map[string]string{FieldPanel: "Choose three agencies"}}
	}
	for _, ag := range agencies {
		if _, ok := a.env.Directory.Agency(ag); !ok {
			return &Refusal{Code: RefuseInvalid, Message: "unknown agency " + ag, Fields: map[string]string{FieldPanel: "Unknown agency " + ag}}
		}
	}
	// The panel includes the agencies in dispute "where possible": a chair
	// may leave one out, but the record says so.
	summary := "Resolution panel convened: " + a.agencyNames(agencies)
	if !slices.Contains(agencies, a.d.Raiser.Agency) || !slices.Contains(agencies, a.d.Responder.Agency) {
		summary += " (without one of the agencies in dispute)"
	}
	a.d.Panel = agencies
	a.d.State = StatePanel
	a.event(summary, strings.TrimSpace(a.cmd.Text), nil)
	for _, u := range a.audience() {
		a.dm(u, MsgPanel, fmt.Sprintf("The chair has convened a resolution panel for %s: %s", a.d.Ref, a.agencyNames(agencies)), nil, a.actionsFor(u))
	}
	a.feedStage(summary)
	return nil
}

func (a *applier) agencyNames(ids []string) string {
	n := make([]string, len(ids))
	for i, id := range ids {
		n[i] = a.env.Directory.AgencyName(id)
	}
	return strings.Join(n, ", ")
}

func uniqStrings(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func (a *applier) resolve() error {
	if !a.env.Directory.IsChair(a.cmd.Actor) || a.d.Stage != a.env.Policy.Last() || a.env.Policy.Stage(a.d.Stage).Final == FinalNone {
		return refuse(RefuseNotAllowed, "only the partnership chair resolves a case directly, at the last stage")
	}
	p, r := cleanProposal(a.cmd.Proposal)
	if r != nil {
		return r
	}
	p.ProposedBy, p.ProposedBySide, p.ProposedAt = a.cmd.Actor, SideChair, a.cmd.At
	p.ConfirmedBy, p.ConfirmedAt, p.ResolvedByChair = a.cmd.Actor, a.cmd.At, true
	a.close(StateResolved, &p)
	a.event("Resolved by the chair", "", &p)
	a.recordToAll(fmt.Sprintf("%s is resolved by the chair, %s", a.d.Ref, a.name(a.cmd.Actor)))
	a.feedOnResolution("Resolved by the chair")
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

// purge removes the free text of a closed case past retention; the counts
// and dates reports need stay.
func (a *applier) purge() error {
	if a.d.Purged {
		return refuse(RefuseState, "%s was already purged", a.d.Ref)
	}
	for _, f := range a.d.FreeText() {
		*f = ""
	}
	a.d.Purged = true
	a.res.PurgeHistory = true
	a.event("Free text removed after the retention period", "", nil)
	return nil
}
