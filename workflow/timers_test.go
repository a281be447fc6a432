package workflow

import (
	"slices"
	"testing"
	"time"
)

// fire runs a pending timer at its due time (or at when it is later, as
// after downtime).
func (c *tcase) fire(k TimerKind, late time.Duration) *Result {
	c.t.Helper()
	tm := c.timer(k)
	return c.do(tm.Command(tm.Due.Add(late)))
}

func TestNudge(t *testing.T) {
	c := raised(t)
	old := c.d
	tm := c.timer(TimerRemind)
	if !tm.Due.Equal(lt(2026, 3, 2, 16, 0)) || tm.ID() != "ESC-2026-0001|remind|1" {
		t.Fatalf("remind timer %+v", tm)
	}
	res := c.do(tm.Command(tm.Due))
	wantDispute(t, old, res.Dispute, tm.Due, nil)
	noTimerChange(t, res)
	e := res.Events[0]
	if e.Summary != "Reminder sent: the window closes on Tue 3 Mar, 10:00" || e.Actor != SystemActor || e.ActorName != "Escalate" {
		t.Errorf("event %+v", e)
	}
	sameStrings(t, "messages", msgs(res), []string{"slack:USW reminder [resolved escalate note withdraw]", "teams:29:hv reminder [resolved escalate note]"})
	m := msgTo(t, res, hv)
	if m.Title != "ESC-2026-0001: Stage 1 (Professional to professional) closes on Tue 3 Mar, 10:00" ||
		!slices.Equal(m.Lines, []string{"The policy asks for this stage to be resolved within 1 working day. If you cannot agree, escalate it."}) {
		t.Errorf("reminder %q %q", m.Title, m.Lines)
	}
	if f, n := fact(m, "Window closes"); n != 1 || f.Time == nil || !f.Time.Equal(lt(2026, 3, 3, 10, 0)) {
		t.Errorf("window fact %+v shown %d times", f, n)
	}

	t.Run("at stage 2 the managers are reminded", func(t *testing.T) {
		c := atStage(t, 2)
		res := c.fire(TimerRemind, 0)
		sameStrings(t, "messages", msgs(res), []string{"slack:ULMA reminder [resolved escalate note]", "teams:29:lmb reminder [resolved escalate note]"})
	})
}

func TestNudgeStale(t *testing.T) {
	deadline := lt(2026, 3, 3, 10, 0)
	t.Run("after the window closed", func(t *testing.T) {
		c := raised(t)
		tm := c.timer(TimerRemind)
		for _, at := range []time.Time{deadline, deadline.Add(time.Hour)} {
			r := c.refused(tm.Command(at), RefuseStaleTimer)
			if r.Message != "the window already closed" {
				t.Errorf("message %q", r.Message)
			}
		}
	})
	t.Run("after it lapsed", func(t *testing.T) {
		c := raised(t)
		remind := c.timer(TimerRemind)
		c.fire(TimerLapse, 0)
		c.refused(remind.Command(deadline.Add(-time.Minute)), RefuseStaleTimer)
	})
	t.Run("for an earlier stage", func(t *testing.T) {
		c := raised(t)
		remind := c.timer(TimerRemind)
		c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(time.Hour), Text: secretReason})
		r := c.refused(remind.Command(remind.Due), RefuseStaleTimer)
		if r.Message != "timer outlived its stage" {
			t.Errorf("message %q", r.Message)
		}
	})
	t.Run("for an earlier stage version", func(t *testing.T) {
		c := raised(t)
		tm := c.timer(TimerRemind)
		tm.StageVersion = 0
		c.refused(tm.Command(tm.Due), RefuseStaleTimer)
		tm.StageVersion, tm.Ref = c.d.StageVersion, "ESC-2026-0002"
		c.refused(tm.Command(tm.Due), RefuseStaleTimer)
		c.refused(Command{Kind: CmdNudge, Actor: SystemActor, At: tm.Due}, RefuseStaleTimer)
	})
	t.Run("only Escalate itself", func(t *testing.T) {
		c := raised(t)
		tm := c.timer(TimerRemind)
		for _, u := range []UserID{sw, hv, bt, chair, stranger, ""} {
			cmd := tm.Command(tm.Due)
			cmd.Actor = u
			code := RefuseNotAllowed
			if u == "" {
				code = RefuseInvalid
			}
			if c.outsider(u) && u != "" {
				code = RefuseUnknownCase
			}
			c.refused(cmd, code)
		}
	})
	t.Run("on a closed case", func(t *testing.T) {
		c := raised(t)
		tm := c.timer(TimerRemind)
		c.do(Command{Kind: CmdWithdraw, Actor: sw, At: t0.Add(time.Minute), Text: secretWithdraw})
		c.refused(tm.Command(tm.Due), RefuseClosed)
	})
}

func TestLapse(t *testing.T) {
	deadline := lt(2026, 3, 3, 10, 0)
	t.Run("at stage 1", func(t *testing.T) {
		c := raised(t)
		old := c.d
		tm := c.timer(TimerLapse)
		if !tm.Due.Equal(deadline) {
			t.Fatalf("lapse due %s", tm.Due)
		}
		res := c.do(tm.Command(tm.Due))
		wantDispute(t, old, res.Dispute, tm.Due, func(d *Dispute) { d.Lapsed, d.LapsedCount = true, 1 })
		if e := res.Events[0]; e.Summary != "Window lapsed on Tue 3 Mar, 10:00" {
			t.Errorf("event %+v", e)
		}
		if res.ClearTimers {
			t.Error("a lapse clears the timers")
		}
		// Once a working day, inside working hours, until someone acts.
		sameStrings(t, "timers", timerList(res), []string{"prompt 1@1 Wed 4 Mar 10:00"})
		sameStrings(t, "messages", msgs(res), []string{
			"slack:USW lapsed [escalate resolved note withdraw]",
			"teams:29:hv lapsed [resolved escalate note]",
		})
		m := msgTo(t, res, sw)
		if m.Title != "ESC-2026-0001: the window for Stage 1 (Professional to professional) closed on Tue 3 Mar, 10:00 without a resolution" ||
			!slices.Equal(m.Lines, []string{"The policy says unresolved disagreements go to the next tier. Escalate it, or record the resolution if you have agreed one."}) {
			t.Errorf("lapsed %q %q", m.Title, m.Lines)
		}
		if esc := m.Actions[0]; esc.Label != "Escalate to stage 2" || esc.Style != "primary" || esc.Stage != 1 || esc.Value() != "ESC-2026-0001|1|v2" {
			t.Errorf("escalate button %+v", esc)
		}
		if f, n := fact(m, "Window closes"); n != 1 || f.Value != "Tue 3 Mar, 10:00 (lapsed)" {
			t.Errorf("window fact %+v ×%d", f, n)
		}
		if l := msgTo(t, res, hv).Lines; !slices.Equal(l, []string{"If nothing is agreed, Sam Walker may now escalate it to Stage 2 (Manager to manager). You can still record a resolution together."}) {
			t.Errorf("to the responder: %q", l)
		}
		r := c.refused(tm.Command(tm.Due.Add(time.Minute)), RefuseStaleTimer)
		if r.Message != "the window already lapsed" {
			t.Errorf("message %q", r.Message)
		}
	})
	t.Run("at stage 2 the raiser is prompted too and the feed hears", func(t *testing.T) {
		c := atStage(t, 2)
		res := c.fire(TimerLapse, 0)
		sameStrings(t, "messages", msgs(res), []string{
			"slack:ULMA lapsed [escalate resolved note]",
			"slack:USW lapsed [escalate note withdraw]", // the raiser no longer holds it: no Resolved button that would be refused
			"teams:29:lmb lapsed [resolved escalate note]",
			"feed",
		})
		if f := feedOf(res)[0]; f.Title != "ESC-2026-0001: Window lapsed at Stage 2 (Manager to manager)" {
			t.Errorf("feed %q", f.Title)
		}
		if esc := msgTo(t, res, sw).Actions[0]; esc.Label != "Escalate to stage 3" {
			t.Errorf("button %+v", esc)
		}
	})
	t.Run("with a proposal waiting", func(t *testing.T) {
		c := raised(t)
		c.do(Command{Kind: CmdPropose, Actor: hv, At: t0.Add(time.Hour), Proposal: proposal()})
		res := c.fire(TimerLapse, 0)
		sameStrings(t, "messages", msgs(res), []string{
			"slack:USW lapsed [escalate confirm reject note withdraw]",
			"teams:29:hv lapsed [note]",
		})
	})
	t.Run("the next tier is told when the policy says so", func(t *testing.T) {
		env := newEnv(t)
		env.Policy.LapseNotifiesNextTier = true
		c := newCase(t, env)
		c.do(raiseCmd(raiseInput(), t0))
		res := c.fire(TimerLapse, 0)
		sameStrings(t, "messages", msgs(res), []string{
			"slack:USW lapsed [escalate resolved note withdraw]",
			"teams:29:hv lapsed [resolved escalate note]",
			"slack:ULMA lapsed []",
			"teams:29:lmb lapsed []",
		})
		if l := msgTo(t, res, lmA).Lines; !slices.Equal(l, []string{"It may be escalated to you at Stage 2 (Manager to manager)."}) {
			t.Errorf("next tier %q", l)
		}
		// The daily prompt does not tell them again.
		res = c.fire(TimerPrompt, 0)
		sameStrings(t, "messages", msgs(res), []string{
			"slack:USW lapsed [escalate resolved note withdraw]",
			"teams:29:hv lapsed [resolved escalate note]",
		})
		// Before the chair's stage, the chair is the next tier.
		c.do(Command{Kind: CmdEscalate, Actor: sw, At: c.d.UpdatedAt.Add(time.Hour), Text: secretReason})
		c.do(Command{Kind: CmdEscalate, Actor: sw, At: c.d.UpdatedAt.Add(time.Hour), Text: secretReason})
		res = c.fire(TimerLapse, 0)
		if m := msgTo(t, res, chair); len(m.Actions) != 0 {
			t.Errorf("the chair is told, without buttons: %+v", m)
		}
	})
	t.Run("at the last stage the chair and the business team hear", func(t *testing.T) {
		c := atStage(t, 4)
		res := c.fire(TimerLapse, 0)
		sameStrings(t, "messages", msgs(res), []string{"slack:UCHAIR lapsed [resolve panel note]", "slack:UBT lapsed []", "feed"})
		if l := msgTo(t, res, chair).Lines; !slices.Equal(l, []string{"This is the last stage of the policy: the chair decides how it is resolved."}) {
			t.Errorf("lines %q", l)
		}
		if len(res.Timers) != 1 || res.Timers[0].Kind != TimerPrompt {
			t.Errorf("timers %q", timerList(res))
		}
	})
	t.Run("not before the window closes", func(t *testing.T) {
		c := raised(t)
		tm := c.timer(TimerLapse)
		c.refused(tm.Command(tm.Due.Add(-time.Minute)), RefuseStaleTimer)
	})
	t.Run("stale after escalation", func(t *testing.T) {
		c := raised(t)
		tm := c.timer(TimerLapse)
		c.do(Command{Kind: CmdEscalate, Actor: hv, At: t0.Add(time.Hour), Text: secretReason})
		c.refused(tm.Command(tm.Due), RefuseStaleTimer)
	})
}

func TestPrompt(t *testing.T) {
	t.Run("once a working day after the lapse", func(t *testing.T) {
		c := raised(t)
		c.fire(TimerLapse, 0)
		old := c.d
		tm := c.timer(TimerPrompt)
		res := c.do(tm.Command(tm.Due))
		wantDispute(t, old, res.Dispute, tm.Due, nil) // still one lapse
		if e := res.Events[0]; e.Summary != "Daily reminder: the window lapsed on Tue 3 Mar, 10:00" || e.Kind != CmdPrompt {
			t.Errorf("event %+v", e)
		}
		sameStrings(t, "messages", msgs(res), []string{"slack:USW lapsed [escalate resolved note withdraw]", "teams:29:hv lapsed [resolved escalate note]"})
		sameStrings(t, "timers", timerList(res), []string{"prompt 1@1 Thu 5 Mar 10:00"})
		res = c.fire(TimerPrompt, 0)
		sameStrings(t, "timers", timerList(res), []string{"prompt 1@1 Fri 6 Mar 10:00"})
		res = c.fire(TimerPrompt, 0)
		sameStrings(t, "timers", timerList(res), []string{"prompt 1@1 Mon 9 Mar 10:00"})
		if c.d.LapsedCount != 1 {
			t.Errorf("lapsed count %d", c.d.LapsedCount)
		}
	})
	t.Run("over a bank holiday", func(t *testing.T) {
		c := newCase(t, newEnv(t, "2026-03-09"))
		c.do(raiseCmd(raiseInput(), lt(2026, 3, 4, 10, 0))) // Wednesday
		c.fire(TimerLapse, 0)                               // Thursday
		res := c.fire(TimerPrompt, 0)                       // Friday
		sameStrings(t, "timers", timerList(res), []string{"prompt 1@1 Tue 10 Mar 10:00"})
	})
	t.Run("run late, after hours", func(t *testing.T) {
		c := raised(t)
		res := c.fire(TimerLapse, 8*time.Hour+30*time.Minute) // Tuesday 18:30
		sameStrings(t, "timers", timerList(res), []string{"prompt 1@1 Thu 5 Mar 09:00"})
	})
	t.Run("not before a lapse", func(t *testing.T) {
		c := raised(t)
		lapse := c.timer(TimerLapse)
		prompt := Timer{Ref: ref1, Kind: TimerPrompt, Stage: 1, StageVersion: c.d.StageVersion, Due: lapse.Due}
		c.refused(prompt.Command(lapse.Due.Add(time.Hour)), RefuseStaleTimer)
	})
	t.Run("stale after escalation", func(t *testing.T) {
		c := raised(t)
		c.fire(TimerLapse, 0)
		tm := c.timer(TimerPrompt)
		res := c.do(Command{Kind: CmdEscalate, Actor: sw, At: tm.Due.Add(-time.Hour), Text: secretReason})
		if res.Dispute.Lapsed || res.Dispute.LapsedCount != 1 {
			t.Errorf("lapsed %v count %d", res.Dispute.Lapsed, res.Dispute.LapsedCount)
		}
		c.refused(tm.Command(tm.Due), RefuseStaleTimer)
	})
}

func TestWindowUnits(t *testing.T) {
	withStage1 := func(t *testing.T, window, remind Window) *tcase {
		env := newEnv(t)
		env.Policy.Stages[0].Window, env.Policy.Stages[0].Remind = window, remind
		return newCase(t, env)
	}
	cases := []struct {
		name           string
		window, remind Window
		at             time.Time
		start          time.Time
		timers         []string
	}{
		{"48 hours from Monday", Window{48, Hours}, Window{4, Hours}, t0, t0,
			[]string{"remind 1@1 Wed 4 Mar 09:00", "lapse 1@1 Wed 4 Mar 10:00"}},
		{"48 hours from Friday: the reminder would fall after the close", Window{48, Hours}, Window{4, Hours}, lt(2026, 3, 6, 15, 0), lt(2026, 3, 6, 15, 0),
			[]string{"lapse 1@1 Mon 9 Mar 09:00"}},
		{"4 working hours", Window{4, WorkingHours}, Window{1, WorkingHours}, lt(2026, 3, 2, 15, 0), lt(2026, 3, 2, 15, 0),
			[]string{"remind 1@1 Tue 3 Mar 10:00", "lapse 1@1 Tue 3 Mar 11:00"}},
		{"4 working hours raised at night", Window{4, WorkingHours}, Window{1, WorkingHours}, lt(2026, 3, 2, 22, 0), lt(2026, 3, 3, 9, 0),
			[]string{"remind 1@1 Tue 3 Mar 12:00", "lapse 1@1 Tue 3 Mar 13:00"}},
		{"a working week, reminded a day before", Window{5, WorkingDays}, Window{1, WorkingDays}, t0, t0,
			[]string{"remind 1@1 Fri 6 Mar 10:00", "lapse 1@1 Mon 9 Mar 10:00"}},
		{"no reminder", Window{3, WorkingDays}, Window{}, t0, t0,
			[]string{"lapse 1@1 Thu 5 Mar 10:00"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := withStage1(t, tc.window, tc.remind)
			res := c.do(raiseCmd(raiseInput(), tc.at))
			if !res.Dispute.StageStarted.Equal(tc.start) {
				t.Errorf("started %s, want %s", res.Dispute.StageStarted.In(london), tc.start)
			}
			sameStrings(t, "timers", timerList(res), tc.timers)
		})
	}
}

// The auditor's view of the timers a case needs (StageTimers) is what the
// transitions set.
func TestStageTimersMatchTheTransitions(t *testing.T) {
	c := raised(t)
	p, cal := c.env.Policy, c.env.Calendar
	sameStrings(t, "raised", timerList(&Result{Timers: StageTimers(cal, c.d, p, t0)}), timerList(c.last))
	remind := c.timer(TimerRemind)
	c.fire(TimerRemind, 0)
	sameStrings(t, "after the reminder", timerList(&Result{Timers: StageTimers(cal, c.d, p, remind.Due)}), []string{"lapse 1@1 Tue 3 Mar 10:00"})
	lapse := c.timer(TimerLapse)
	res := c.fire(TimerLapse, 0)
	sameStrings(t, "lapsed", timerList(&Result{Timers: StageTimers(cal, c.d, p, lapse.Due)}), timerList(res))
	res = c.do(Command{Kind: CmdEscalate, Actor: sw, At: lapse.Due.Add(time.Hour), Text: secretReason})
	sameStrings(t, "escalated", timerList(&Result{Timers: StageTimers(cal, c.d, p, lapse.Due.Add(time.Hour))}), timerList(res))
	c.do(Command{Kind: CmdWithdraw, Actor: sw, At: lapse.Due.Add(2 * time.Hour), Text: secretWithdraw})
	if ts := StageTimers(cal, c.d, p, lapse.Due.Add(2*time.Hour)); len(ts) != 0 {
		t.Errorf("a closed case needs timers %v", ts)
	}
}
