package workflow

// A time limit on raising: "raise the matter … verbally or in writing
// within 2 working days of the disagreement", "These must be raised within
// 72 hours of the conference meeting". The limit is counted from the date
// of the decision disputed, as the raise form gives it. A disagreement
// raised after it is never refused for lateness (a child's safety comes
// first): the raiser is asked why it comes later, and the reason goes on
// the record with the raise.

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// FieldLateReason is the raise form's "Why is this raised after the
// policy's 2 working days?".
const FieldLateReason = "late_reason"

// maxRaiseWithin bounds the limits a policy may set: a year of working
// days, or of hours.
const (
	maxRaiseWithinDays  = 260
	maxRaiseWithinHours = 24 * 366
)

// RaiseLimit is the time limit on raising a case of category c (its
// route's own, else the policy's), the zero Window when there is none.
func (p *Policy) RaiseLimit(c Category) Window { return p.ForCategory(c).RaiseWithin }

// RaiseLimitPassed is the last day a disagreement about a decision taken
// on decided is raised in time under limit w, and whether now is after that
// day. A limit in working days runs to the end of the Nth working day after
// the decision (weekends, bank holidays and closure days are not counted);
// one in hours runs to the end of the day those hours reach, counted from
// the end of the decision's day (a date has no time of day, so the raiser
// is given the benefit of it). No limit, or no decision date, is never late.
func RaiseLimitPassed(cal Calendar, w Window, decided Date, now time.Time) (lastDay time.Time, late bool) {
	if w.Amount <= 0 || !decided.Valid() {
		return time.Time{}, false
	}
	loc := cal.Location()
	day, err := time.ParseInLocation(time.DateOnly, string(decided), loc)
	if err != nil {
		return time.Time{}, false
	}
	switch w.Unit {
	case WorkingDays:
		for n := 0; n < min(w.Amount, maxRaiseWithinDays); {
			day = day.AddDate(0, 0, 1)
			if workingDay(cal, day) {
				n++
			}
		}
	case Hours:
		day = day.AddDate(0, 0, (min(w.Amount, maxRaiseWithinHours)+23)/24)
	default:
		return time.Time{}, false // validation refuses other units
	}
	y, m, d := now.In(loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	return day, today.After(day)
}

// workingDay reports whether the calendar day starting at midnight day is
// a working day: its next working instant falls on it.
func workingDay(cal Calendar, day time.Time) bool {
	next := cal.NextWorkingStart(day).In(cal.Location())
	y, m, d := day.Date()
	ny, nm, nd := next.Date()
	return y == ny && m == nm && d == nd
}

// lateReasonField is the raise form's question for a late raise, when the
// policy (or one of its routes) sets a limit.
func lateReasonField(p *Policy) (FormField, bool) {
	var limits []string
	add := func(w Window) {
		if w.Amount > 0 && !slices.Contains(limits, w.String()) {
			limits = append(limits, w.String())
		}
	}
	add(p.RaiseWithin)
	for _, r := range p.Routes {
		if r.RaiseWithin.Amount > 0 {
			add(r.RaiseWithin)
		} else {
			add(p.RaiseWithin)
		}
	}
	switch len(limits) {
	case 0:
		return FormField{}, false
	case 1:
		return FormField{Name: FieldLateReason, Label: "Why is this raised after the policy's " + limits[0] + "?", Type: FieldArea, Max: MaxText,
			Hint: "Only if the decision was more than " + limits[0] + " ago: the policy asks for a disagreement to be raised by then. A later one is still raised, with your reason on the record."}, true
	}
	return FormField{Name: FieldLateReason, Label: "Why is this raised after the policy's time limit?", Type: FieldArea, Max: MaxText,
		Hint: "Only if the decision was longer ago than the policy's limit for this kind of disagreement (" + strings.Join(limits, " or ") + "). A later one is still raised, with your reason on the record."}, true
}

// lateProblem is the raise form's problem with its late reason at now, if
// any: a reason is asked for when the decision date is past the limit.
// The raise itself is never refused for being late.
func lateProblem(env Env, in RaiseInput, now time.Time) (field, problem string) {
	w := env.Policy.RaiseWithin
	last, late := RaiseLimitPassed(env.Calendar, w, in.DecisionDate, now)
	reason := strings.TrimSpace(in.LateReason)
	switch {
	case late && reason == "":
		return FieldLateReason, fmt.Sprintf("The decision was on %s: the policy's %s passed at the end of %s. Say why it is raised now; it will still be raised.",
			dayWords(in.DecisionDate, now, env.Calendar), w, DateWords(Date(last.Format(time.DateOnly)), now, env.Calendar.Location()))
	case late && len(reason) > MaxText:
		return FieldLateReason, fmt.Sprintf("%d characters at most", MaxText)
	}
	return "", ""
}

// ValidateAt is Validate for a raise submitted at now: it also asks why a
// disagreement is raised after the policy's time limit, and checks a
// sooner deadline against the starting stage's window. Raise applies
// exactly these checks, so a form that passes them is raised.
func (in RaiseInput) ValidateAt(env Env, actor UserID, now time.Time) map[string]string {
	errs := in.Validate(env, actor)
	env, _ = env.withRoute(in.Category)
	if f, m := lateProblem(env, in, now); f != "" && errs[FieldDecisionDate] == "" {
		errs[f] = m
	}
	if !in.Sooner.empty() && errs[FieldStartStage] == "" {
		_, latest := stageWindow(env, &Dispute{Stage: max(in.StartStage, 1), ImmediateRisk: in.ImmediateRisk}, now)
		_, problems := soonerProblems(env, in.Sooner, now, latest)
		for f, m := range problems {
			errs[f] = m
		}
	}
	return errs
}

// raisedLate records, on a case raised at now, that it came after the
// policy's time limit and why; it returns the words the raise event adds
// to its summary and those the business team's feed adds ("" when in
// time).
func (a *applier) raisedLate(in RaiseInput) (summary, feed string) {
	w := a.env.Policy.RaiseWithin
	if _, late := RaiseLimitPassed(a.env.Calendar, w, in.DecisionDate, a.cmd.At); !late {
		return "", ""
	}
	a.d.RaisedLate, a.d.LateReason = true, strings.TrimSpace(in.LateReason)
	feed = "; raised after the policy's time limit"
	return fmt.Sprintf("%s (%s from the decision on %s)", feed, w, dayWords(in.DecisionDate, a.cmd.At, a.env.Calendar)), feed
}

// raiseText is the raise event's words: why it starts at a later stage,
// and why it is raised after the time limit, each said when there is one.
func raiseText(d *Dispute) string {
	if d.LateReason == "" {
		return d.StartReason
	}
	var parts []string
	if d.StartReason != "" {
		parts = append(parts, "Why it started at a later stage: "+d.StartReason)
	}
	return strings.Join(append(parts, LateReasonLabel+": "+d.LateReason), "\n\n")
}

// LateReasonLabel is how the record and the messages introduce the
// raiser's reason for raising after the time limit.
const LateReasonLabel = "Why it is raised after the policy's time limit"

// validateRaiseWithin checks a time limit on raising (path is where it is).
func validateRaiseWithin(path string, w Window) []PolicyError {
	if w == (Window{}) {
		return nil
	}
	errs := validateWindow(path, w, false)
	switch {
	case w.Unit == WorkingHours:
		errs = append(errs, PolicyError{path, `is counted from the date of the decision, which has no time of day: write it in working days or hours ("2 working days", "72 hours")`})
	case w.Unit == WorkingDays && w.Amount > maxRaiseWithinDays:
		errs = append(errs, PolicyError{path, fmt.Sprintf("is %d working days at most (a year)", maxRaiseWithinDays)})
	case w.Unit == Hours && w.Amount > maxRaiseWithinHours:
		errs = append(errs, PolicyError{path, fmt.Sprintf("is %d hours at most (a year)", maxRaiseWithinHours)})
	}
	return errs
}
