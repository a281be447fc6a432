package workflow

// A written response due after a stage resolves: "the responsible team
// manager will advise the agency of the outcome by letter within a further
// 2 working days", "the receiving agency will write to the complainant
// agency confirming the outcome within 2 working days". A stage may ask one
// side for it (Stage.AfterResolution); when a case is resolved at that
// stage the closed case has it due, with its own reminder and lapse, the
// side's holders are offered Written response on the resolved case, and
// the record holds it — or says it is outstanding.

import (
	"fmt"
	"strings"
	"time"
)

// Timers and commands of a written response after resolution.
const (
	TimerAfterRemind TimerKind   = "after_resolution_remind"
	TimerAfterDue    TimerKind   = "after_resolution_due"
	CmdAfterNudge    CommandKind = "after_resolution_nudge"   // timer: it is due soon
	CmdAfterLapse    CommandKind = "after_resolution_overdue" // timer: it was not given in time
)

// afterWhat is what is asked after resolution, as people say it.
func afterWhat(r *ResponseRule) string {
	if r.What != "" {
		return r.What
	}
	return "a written confirmation of the outcome"
}

// afterLabel is what is asked as a heading: "Letter confirming the
// outcome" for "a letter confirming the outcome".
func afterLabel(r *ResponseRule) string {
	w := afterWhat(r)
	for _, article := range []string{"a ", "an ", "the "} {
		if rest, ok := strings.CutPrefix(w, article); ok && rest != "" {
			w = rest
			break
		}
	}
	return upperFirst(w)
}

// afterRule is the rule of the stage case d was resolved at, if it asks a
// written response after resolution.
func afterRule(p *Policy, d *Dispute) *ResponseRule {
	if d.State != StateResolved {
		return nil
	}
	return p.For(d).Stage(d.Stage).AfterResolution
}

// afterAwaited reports whether case d, resolved, still waits for the
// written response its stage asks after resolution.
func afterAwaited(d *Dispute) bool {
	return d.State == StateResolved && !d.AfterDue.IsZero() && d.AfterGivenAt.IsZero() && !d.Purged
}

// afterTimers are the reminder and the lapse of the response awaited after
// resolution, always in working time.
func afterTimers(cal Calendar, d *Dispute, r *ResponseRule, now time.Time) []Timer {
	if r == nil || !afterAwaited(d) {
		return nil
	}
	mk := func(k TimerKind, due time.Time) Timer {
		return Timer{Ref: d.Ref, Kind: k, Stage: d.Stage, StageVersion: d.StageVersion, Due: due}
	}
	var ts []Timer
	if r.Remind.Amount > 0 {
		if at := cal.SubWorkingHours(d.AfterDue, remindDuration(r.Remind)); at.After(now) && at.Before(d.AfterDue) {
			ts = append(ts, mk(TimerAfterRemind, at))
		}
	}
	return append(ts, mk(TimerAfterDue, cal.NextWorkingStart(d.AfterDue)))
}

// openAfterResolution starts the wait for the written response the stage
// asks after resolution, as the case closes resolved.
func (a *applier) openAfterResolution() {
	a.d.AfterDue, a.d.AfterGivenAt, a.d.AfterGivenBy = time.Time{}, time.Time{}, ""
	r := afterRule(a.env.Policy, a.d)
	if r == nil {
		return
	}
	_, a.d.AfterDue = WindowFrom(a.env.Calendar, a.cmd.At, r.Within)
	a.res.Timers = afterTimers(a.env.Calendar, a.d, r, a.cmd.At)
}

// afterCommand reports whether k is one a resolved case accepts while its
// written response after resolution is due (or to say it was given).
func afterCommand(d *Dispute, k CommandKind) bool {
	return d.State == StateResolved && !d.AfterDue.IsZero() && (k == CmdRespond || k == CmdAfterNudge || k == CmdAfterLapse)
}

// respondAfter: a holder of the side the stage asks gives its written
// response on the resolved case.
func (a *applier) respondAfter() error {
	r := afterRule(a.env.Policy, a.d)
	if r == nil {
		return closedRefusal(a.d, a.when(a.d.ClosedAt))
	}
	side, held := a.d.SideOf(a.cmd.Actor)
	switch {
	case a.d.Purged:
		return refuse(RefuseState, "%s is past its retention period and its record was cleared; nothing more can be added", a.d.Ref)
	case !a.d.AfterGivenAt.IsZero():
		return refuse(RefuseState, "%s was given on %s", upperFirst(afterWhat(r)), a.when(a.d.AfterGivenAt))
	case !held || side != r.From:
		return refuse(RefuseNotAllowed, "the policy asks %s for %s after %s resolved %s; it is for %s", a.sideName(r.From), afterWhat(r), a.env.Policy.StageName(a.d.Stage), a.d.Ref, a.names(a.d.Current().Side(r.From)))
	}
	if rf := requireText(FieldText, "The response", a.cmd.Text); rf != nil {
		return rf
	}
	text := strings.TrimSpace(a.cmd.Text)
	a.d.AfterGivenAt, a.d.AfterGivenBy = a.cmd.At, a.cmd.Actor
	late := ""
	if a.cmd.At.After(a.d.AfterDue) {
		late = fmt.Sprintf(" (due %s)", a.when(a.d.AfterDue))
	}
	a.event(fmt.Sprintf("%s given by %s for %s%s", upperFirst(afterWhat(r)), a.name(a.cmd.Actor), a.sideName(r.From), late), text, nil)
	a.res.ClearTimers = true
	for _, u := range a.audience() {
		if u != a.cmd.Actor {
			a.dm(u, MsgResponse, fmt.Sprintf("%s: %s from %s", a.d.Ref, afterWhat(r), a.name(a.cmd.Actor)),
				[]string{afterLabel(r) + ": " + text}, a.actionsFor(u))
		}
	}
	a.feedOnResolution(upperFirst(afterWhat(r)) + " given for " + a.sideName(r.From))
	return nil
}

// afterTimer runs the reminder and the lapse of a written response due
// after resolution.
func (a *applier) afterTimer() error {
	if err := a.timerValid(); err != nil {
		return err
	}
	r := afterRule(a.env.Policy, a.d)
	if r == nil || !afterAwaited(a.d) {
		return refuse(RefuseStaleTimer, "no written response after resolution is awaited")
	}
	due := a.when(a.d.AfterDue)
	if a.cmd.Kind == CmdAfterNudge {
		if !a.cmd.At.Before(a.d.AfterDue) {
			return refuse(RefuseStaleTimer, "the response is already due")
		}
		a.event(fmt.Sprintf("Reminder sent: %s from %s is due by %s", afterWhat(r), a.sideName(r.From), due), "", nil)
		for _, u := range a.d.Current().Side(r.From) {
			a.dm(u, MsgResponse, fmt.Sprintf("%s: %s is due from you by %s", a.d.Ref, afterWhat(r), due),
				[]string{fmt.Sprintf("%s is resolved; the policy asks for it within %s of the resolution.", a.d.Ref, r.Within)}, a.actionsFor(u))
		}
		return nil
	}
	a.event(fmt.Sprintf("%s from %s was due by %s and has not been given", upperFirst(afterWhat(r)), a.sideName(r.From), due), "", nil)
	for _, u := range uniq(append(a.d.Current().All(), a.d.Raiser.Person)) {
		a.dm(u, MsgResponse, fmt.Sprintf("%s: %s from %s is overdue", a.d.Ref, afterWhat(r), a.sideName(r.From)),
			[]string{fmt.Sprintf("It was due by %s, after %s was resolved.", due, a.d.Ref)}, a.actionsFor(u))
	}
	a.feedOnResolution(upperFirst(afterWhat(r)) + " overdue from " + a.sideName(r.From))
	return nil
}

// AfterResolutionStatus is the written response a resolved case's stage
// asks after resolution, as the record and the closing messages show it:
// "Letter confirming the outcome", "due Fri 6 Mar 2026, 10:00 from …, not
// yet given" (or who gave it and when). ok is false when none is asked.
func AfterResolutionStatus(env Env, d *Dispute) (label, status string, ok bool) {
	env = env.forCase(d)
	r := afterRule(env.Policy, d)
	if r == nil || d.AfterDue.IsZero() {
		return "", "", false
	}
	a := &applier{env: env, d: d}
	due := formatTime(d.AfterDue, env.Calendar.Location())
	if d.AfterGivenAt.IsZero() {
		return afterLabel(r), fmt.Sprintf("due %s from %s, not yet given", due, a.sideName(r.From)), true
	}
	status = fmt.Sprintf("given by %s for %s on %s", d.NameOf(env.Directory, d.AfterGivenBy), a.sideName(r.From), formatTime(d.AfterGivenAt, env.Calendar.Location()))
	if d.AfterGivenAt.After(d.AfterDue) {
		status += " (due " + due + ")"
	}
	return afterLabel(r), status, true
}

// afterResolutionForm is the Written response form on a resolved case.
func afterResolutionForm(env Env, d *Dispute, base Form) (Form, bool) {
	r := afterRule(env.Policy, d)
	if r == nil || !afterAwaited(d) {
		return Form{}, false
	}
	base.Kind, base.Title, base.Submit = FormRespond, afterLabel(r), "Send"
	base.Intro = []string{fmt.Sprintf("%s is resolved at %s. The policy asks for %s by %s. It goes on the written record and to everyone involved in %s.",
		d.Ref, env.Policy.StageName(d.Stage), afterWhat(r), formatTime(d.AfterDue, env.Calendar.Location()), d.Ref)}
	base.Fields = []FormField{{Name: FieldText, Label: "Your response", Type: FieldArea, Required: true, Max: MaxText}}
	return base, true
}

// validateAfterResolution checks a stage's written response after
// resolution.
func validateAfterResolution(path string, s Stage, add func(path, format string, a ...any)) []PolicyError {
	r := s.AfterResolution
	if r == nil {
		return nil
	}
	path += ".after_resolution"
	switch {
	case s.DecidedByOne() && r.From != SideChair:
		add(path+".from", "must be chair at a stage one person decides (whoever decides writes it), not %q", r.From)
	case !s.DecidedByOne() && r.From != SideRaiser && r.From != SideResponder:
		add(path+".from", "must be raiser or responder, not %q", r.From)
	}
	if len(r.What) > 120 {
		add(path+".what", "is what is asked, in a few words (120 characters at most)")
	}
	errs := validateWindow(path+".within", r.Within, true)
	errs = append(errs, validateWindow(path+".remind", r.Remind, false)...)
	if r.Remind.Amount > 0 && r.Within.Amount > 0 && validUnit(r.Remind.Unit) && validUnit(r.Within.Unit) && approx(r.Remind) >= approx(r.Within) {
		add(path+".remind", "must be shorter than within (%s)", r.Within)
	}
	return errs
}
