package workflow

import "time"

// StageTimers are the timers an open case needs at now, computed exactly as
// the transitions compute them: before its window lapses, the stage's
// reminder (while it is still ahead) and its lapse; once lapsed, the daily
// prompt. The scheduler's auditor compares them with the store's timer index
// and puts back any that went missing. A closed case needs none, except
// while a resolved one waits for the written response its stage asks
// after resolution (its reminder and lapse).
func StageTimers(cal Calendar, d *Dispute, p *Policy, now time.Time) []Timer {
	p = p.For(d)
	if d.State.Closed() {
		return afterTimers(cal, d, afterRule(p, d), now)
	}
	if d.Lapsed {
		return []Timer{PromptTimer(cal, d, now)}
	}
	return stageTimers(cal, d, p.Stage(d.Stage), now)
}

// PromptTimer is the next daily prompt of a lapsed case, a working day after
// now and always inside working hours (as lapse sets it).
func PromptTimer(cal Calendar, d *Dispute, now time.Time) Timer {
	next := cal.NextWorkingStart(cal.AddWorkingDays(now, 1))
	return Timer{Ref: d.Ref, Kind: TimerPrompt, Stage: d.Stage, StageVersion: d.StageVersion, Due: next}
}
