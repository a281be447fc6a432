package workflow

// Deadlines set sooner: a stage's window is the most the policy allows
// ("within a working week, or a timescale that protects the child, whichever
// is less"). Whoever raises or escalates a case may set a sooner deadline
// for this case, and the holders may bring it forward during the stage (the
// way to record a window "agreed between the two"); never a later one. The
// reason goes on the record.

import (
	"fmt"
	"strings"
	"time"
)

// Fields of the raise, escalate and deadline forms that set a sooner
// deadline.
const (
	FieldSoonerBy     = "sooner_by"
	FieldSoonerReason = "sooner_reason"
)

// Sooner is a deadline brought forward: the end of working day By, and why.
type Sooner struct {
	By     Date   `json:"by"`
	Reason string `json:"reason"`
}

func (s *Sooner) empty() bool {
	return s == nil || (strings.TrimSpace(string(s.By)) == "" && strings.TrimSpace(s.Reason) == "")
}

// soonerFields are the optional questions a raise or escalate form asks.
func soonerFields(latest, subject string) []FormField {
	return []FormField{
		{Name: FieldSoonerBy, Label: "Resolve sooner, by (optional)", Type: FieldDate,
			Hint: "If the " + subject + "'s safety needs it sooner than the policy's window (" + latest + "), the working day by which this stage must be resolved."},
		{Name: FieldSoonerReason, Label: "Why sooner?", Type: FieldArea, Max: MaxText,
			Hint: "Needed when you set a sooner day; it goes on the written record."},
	}
}

func parseSooner(v Values) *Sooner {
	s := &Sooner{By: Date(strings.TrimSpace(v.Get(FieldSoonerBy))), Reason: v.Get(FieldSoonerReason)}
	if s.empty() {
		return nil
	}
	return s
}

// EndOfWorkingDay is the end of working hours on day, or false when day is
// not a working day.
func EndOfWorkingDay(cal Calendar, day Date) (time.Time, bool) {
	d, err := time.ParseInLocation(time.DateOnly, string(day), cal.Location())
	if err != nil {
		return time.Time{}, false
	}
	// The last working instant before the next midnight is the day's end,
	// if that day works at all.
	end := cal.SubWorkingHours(d.AddDate(0, 0, 1), 0)
	if y, m, dd := end.In(cal.Location()).Date(); y != d.Year() || m != d.Month() || dd != d.Day() {
		return time.Time{}, false
	}
	return end, true
}

// soonerProblems checks a sooner deadline against the stage's latest and
// now, returning the new deadline or the fields' problems.
func soonerProblems(env Env, s *Sooner, now, latest time.Time) (time.Time, map[string]string) {
	errs := map[string]string{}
	when := func(t time.Time) string { return formatTime(t, env.Calendar.Location()) }
	var by time.Time
	switch end, ok := EndOfWorkingDay(env.Calendar, s.By); {
	case strings.TrimSpace(string(s.By)) == "":
		errs[FieldSoonerBy] = "Choose the working day by which it must be resolved, or leave both questions empty"
	case !s.By.Valid():
		errs[FieldSoonerBy] = "Give a date such as " + now.In(env.Calendar.Location()).Format(time.DateOnly)
	case !ok:
		errs[FieldSoonerBy] = "Choose a working day"
	case !end.After(now):
		errs[FieldSoonerBy] = "That day's working hours are over; choose a later working day"
	case !end.Before(latest):
		errs[FieldSoonerBy] = fmt.Sprintf("The policy's window already closes by then (%s); choose a sooner working day, or leave it empty", when(latest))
	default:
		by = end
	}
	switch r := strings.TrimSpace(s.Reason); {
	case r == "":
		errs[FieldSoonerReason] = "Say why it must be resolved sooner: it goes on the written record"
	case len(r) > MaxText:
		errs[FieldSoonerReason] = fmt.Sprintf("%d characters at most", MaxText)
	}
	return by, errs
}

// latestDeadline is when the policy's window for the current stage closes
// at the latest.
func (a *applier) latestDeadline() time.Time {
	_, latest := stageWindow(a.env, a.d, a.d.StageStarted)
	return latest
}

// stageWindow opens the current stage's window at t: the stage's own, or,
// for a case at risk of immediate harm, the policy's immediate-risk window
// when that closes sooner.
func stageWindow(env Env, d *Dispute, t time.Time) (start, deadline time.Time) {
	p := env.Policy
	start, deadline = WindowFrom(env.Calendar, t, p.Stage(d.Stage).Window)
	if d.ImmediateRisk && p.ImmediateRiskWindow.Amount > 0 {
		if _, urgent := WindowFrom(env.Calendar, t, p.ImmediateRiskWindow); urgent.Before(deadline) {
			deadline = urgent
		}
	}
	return start, deadline
}

// bringForward sets the current stage's deadline sooner, resets its
// reminder and lapse, and records who did it, when and why.
func (a *applier) bringForward(s *Sooner) error {
	latest := a.latestDeadline()
	by, errs := soonerProblems(a.env, s, a.cmd.At, latest)
	if len(errs) > 0 {
		return &Refusal{Code: RefuseInvalid, Message: "some answers need a look", Fields: errs}
	}
	if !by.Before(a.d.Deadline) && a.cmd.Kind == CmdSetDeadline {
		return &Refusal{Code: RefuseInvalid, Message: "some answers need a look", Fields: map[string]string{
			FieldSoonerBy: fmt.Sprintf("It must already be resolved by %s; choose a sooner working day", a.when(a.d.Deadline))}}
	}
	a.d.Deadline = by
	a.res.ClearTimers = true
	a.res.Timers = stageTimers(a.env.Calendar, a.d, a.env.Policy.Stage(a.d.Stage), a.cmd.At)
	// One command is one event: a raise or an escalation that sets a
	// sooner deadline says so in its own entry (see event).
	a.sooner = &soonerNote{
		summary: fmt.Sprintf("deadline for %s brought forward by %s to %s (the policy's window closes %s)",
			a.env.Policy.StageName(a.d.Stage), a.name(a.cmd.Actor), a.when(by), a.when(latest)),
		reason: strings.TrimSpace(s.Reason),
	}
	return nil
}

// soonerNote is what a sooner deadline adds to the command's event.
type soonerNote struct{ summary, reason string }

// withSooner folds a sooner deadline into the event being written: its
// summary (no free text) after the command's own, its reason after the
// command's words.
func (a *applier) withSooner(summary, text string) (string, string) {
	n := a.sooner
	if n == nil {
		return summary, text
	}
	a.sooner = nil
	if a.cmd.Kind == CmdSetDeadline {
		return upperFirst(n.summary), n.reason
	}
	why := "Why sooner: " + n.reason
	if text != "" {
		why = text + "\n\n" + why
	}
	return summary + "; " + n.summary, why
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// setDeadline: a holder of the current stage brings its deadline forward.
func (a *applier) setDeadline() error {
	if _, err := a.requireHolder(); err != nil {
		return err
	}
	if a.cmd.Sooner.empty() {
		return &Refusal{Code: RefuseInvalid, Message: "some answers need a look", Fields: map[string]string{
			FieldSoonerBy: "Choose the working day by which it must be resolved"}}
	}
	if err := a.bringForward(a.cmd.Sooner); err != nil {
		return err
	}
	a.event("", "", nil)
	for _, u := range a.d.Current().All() {
		if u != a.cmd.Actor {
			a.dm(u, MsgDeadline, fmt.Sprintf("%s must now be resolved by %s", a.d.Ref, a.when(a.d.Deadline)),
				[]string{fmt.Sprintf("%s brought the deadline for %s forward. Their reason is on the case.", a.name(a.cmd.Actor), a.env.Policy.StageName(a.d.Stage))},
				a.actionsFor(u))
		}
	}
	return nil
}
