package workflow

// Windows and timers: when a stage's window opens and closes, the reminder
// before it closes, and what a lapse does.

import (
	"fmt"
	"time"
)

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
	ts = append(ts, mk(TimerLapse, cal.NextWorkingStart(d.Deadline)))
	return append(ts, responseTimers(cal, d, st, now)...)
}

// remindDuration: a reminder lead in working days counts 8 working hours a day.
func remindDuration(w Window) time.Duration {
	if w.Unit == WorkingDays {
		return time.Duration(w.Amount) * 8 * time.Hour
	}
	return time.Duration(w.Amount) * time.Hour
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
	a.event("Reminder sent: the window closes on "+a.when(a.d.Deadline), "", nil)
	dl := a.d.Deadline
	for _, u := range a.d.Current().All() {
		// The case's facts already say when the window closes.
		line := "The policy asks for this stage to be resolved within " + p.Stage(a.d.Stage).Window.String() + "."
		if a.d.Stage < p.Last() {
			line += " If you cannot agree, escalate it."
		}
		a.dm(u, MsgReminder, fmt.Sprintf("%s: %s closes on %s", a.d.Ref, p.StageName(a.d.Stage), a.when(dl)), []string{line}, a.actionsFor(u))
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
		a.event("Window lapsed on "+a.when(a.d.Deadline), "", nil)
	} else {
		a.event("Daily reminder: the window lapsed on "+a.when(a.d.Deadline), "", nil)
	}
	overdue := fmt.Sprintf("%s: the window for %s closed on %s without a resolution", a.d.Ref, p.StageName(a.d.Stage), a.when(a.d.Deadline))
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
			a.dm(u, MsgLapsed, overdue, []string{"If nothing is agreed, " + a.names(raiserSide) + " may now escalate it to " + p.StageName(a.d.Stage+1) + ". You can still record a resolution together."}, a.actionsFor(u))
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
			a.dm(u, MsgLapsed, overdue, []string{"This is the last stage of the policy: " + a.decider() + " decides how it is resolved."}, a.actionsFor(u))
		}
	}
	if first {
		a.feedIfFollowed("Window lapsed at " + p.StageName(a.d.Stage))
	}
	// Once a working day until someone acts, always inside working hours.
	a.res.Timers = append(a.res.Timers, PromptTimer(a.env.Calendar, a.d, a.cmd.At))
	return nil
}
