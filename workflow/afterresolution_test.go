package workflow

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const secretLetter = "SECRET-LETTER: we confirm visits continue fortnightly"

// letterEnv: at stage 2 "the receiving agency will write to the complainant
// agency confirming the outcome within 2 working days", reminded a working
// day before; at the chair's stage the chair confirms it within 1.
func letterEnv(t testing.TB) Env {
	env := newEnv(t)
	env.Policy.Stages[1].AfterResolution = &ResponseRule{From: SideResponder, Within: Window{2, WorkingDays}, Remind: Window{1, WorkingDays}, What: "a letter confirming the outcome"}
	env.Policy.Stages[3].AfterResolution = &ResponseRule{From: SideChair, Within: Window{1, WorkingDays}}
	return env
}

// resolvedAtStage2: raised at t0, escalated at 11:00, resolved at 13:00
// (proposed by the NHS's line manager, confirmed by children's social care's).
func resolvedAtStage2(t *testing.T, env Env) (*tcase, *Result) {
	t.Helper()
	c := newCase(t, env)
	c.do(raiseCmd(raiseInput(), t0))
	c.do(Command{Kind: CmdEscalate, Actor: sw, At: lt(2026, 3, 2, 11, 0), Text: secretReason, ExpectStage: 1})
	c.do(Command{Kind: CmdPropose, Actor: lmB, At: lt(2026, 3, 2, 12, 0), Proposal: &Proposal{Outcome: secretAgreed, RecordedOnFile: true}})
	return c, c.do(Command{Kind: CmdConfirm, Actor: lmA, At: lt(2026, 3, 2, 13, 0)})
}

func TestAWrittenResponseAfterResolution(t *testing.T) {
	env := letterEnv(t)
	if errs := env.Policy.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	c, res := resolvedAtStage2(t, env)
	d := res.Dispute
	if d.State != StateResolved || !d.AfterDue.Equal(lt(2026, 3, 4, 13, 0)) {
		t.Fatalf("state %s, letter due %v", d.State, d.AfterDue)
	}
	// Closing cleared the stage's timers and set the letter's.
	if !res.ClearTimers {
		t.Error("closing did not clear the stage's timers")
	}
	sameStrings(t, "timers", timerList(res), []string{"after_resolution_remind 2@2 Tue 3 Mar 13:00", "after_resolution_due 2@2 Wed 4 Mar 13:00"})
	if got := StageTimers(env.Calendar, d, env.Policy, d.ClosedAt); len(got) != 2 || got[0] != res.Timers[0] || got[1] != res.Timers[1] {
		t.Errorf("the auditor would rebuild %v", got)
	}

	// The written record everyone gets says the letter is outstanding; the
	// side asked gets the button.
	const outstanding = "Letter confirming the outcome: due Wed 4 Mar, 13:00 from Sussex Community NHS Trust, not yet given"
	for _, u := range []UserID{sw, hv, lmA, lmB} {
		m := msgTo(t, res, u)
		if m.Kind != MsgRecord || !slices.Contains(m.Lines, outstanding) {
			t.Errorf("%s's record: %q", u, m.Lines)
		}
		if got := slices.Contains(actionKinds(m.Actions), ActRespond); got != (u == lmB) {
			t.Errorf("%s offered the written response: %v", u, got)
		}
	}
	if f, n := fact(msgTo(t, res, lmB), "Letter confirming the outcome due"); n != 1 || f.Value != "Wed 4 Mar, 13:00" || f.Time == nil {
		t.Errorf("due fact %+v ×%d", f, n)
	}
	if label, status, ok := AfterResolutionStatus(env, d); !ok || label+": "+status != outstanding {
		t.Errorf("status %q %q %v", label, status, ok)
	}
	f := mustForm(t, env, d, ActRespond)
	if f.Kind != FormRespond || f.Title != "Letter confirming the outcome" || !strings.Contains(f.Intro[0], "The policy asks for a letter confirming the outcome by Wed 4 Mar, 13:00") {
		t.Errorf("form %+v", f)
	}
	if err := CheckTarget(env, d, c.hist, lmB, ActRespond, ActionTarget{Ref: d.Ref, Stage: 2, Version: d.Version}); err != nil {
		t.Errorf("the side asked cannot open the form: %v", err)
	}
	if err := CheckTarget(env, d, c.hist, lmA, ActRespond, ActionTarget{Ref: d.Ref, Stage: 2, Version: d.Version}); err == nil {
		t.Error("the other side may open the form")
	}

	// The reminder goes to the side asked; the lapse tells both sides and
	// the worker who raised it, and the business team's feed.
	res = c.do(c.timer(TimerAfterRemind).Command(lt(2026, 3, 3, 13, 0)))
	sameStrings(t, "reminder to", msgs(res), []string{"teams:29:lmb response [respond debrief]"})
	if e := res.Events[0]; e.Summary != "Reminder sent: a letter confirming the outcome from Sussex Community NHS Trust is due by Wed 4 Mar, 13:00" {
		t.Errorf("reminder %q", e.Summary)
	}
	res = c.do(c.timer(TimerAfterDue).Command(lt(2026, 3, 4, 13, 0)))
	if e := res.Events[0]; e.Summary != "A letter confirming the outcome from Sussex Community NHS Trust was due by Wed 4 Mar, 13:00 and has not been given" {
		t.Errorf("overdue %q", e.Summary)
	}
	sameStrings(t, "overdue to", msgs(res), []string{"slack:ULMA response [debrief]", "teams:29:lmb response [respond debrief]", "slack:USW response [debrief]", "feed"})
	if fd := feedOf(res); len(fd) != 1 || fd[0].Title != ref1+": A letter confirming the outcome overdue from Sussex Community NHS Trust" {
		t.Errorf("feed %v", fd)
	}
	if len(res.Timers) != 0 || c.d.State != StateResolved {
		t.Errorf("after the lapse: timers %v, state %s", res.Timers, c.d.State)
	}

	// Only the side asked gives it, with words, once; it is still taken late.
	at := lt(2026, 3, 4, 15, 0)
	if r := c.refused(Command{Kind: CmdRespond, Actor: lmA, At: at, Text: secretLetter}, RefuseNotAllowed); !strings.Contains(r.Message, "the policy asks Sussex Community NHS Trust for a letter confirming the outcome after Stage 2 (Manager to manager) resolved") {
		t.Errorf("the other side: %q", r.Message)
	}
	c.refused(Command{Kind: CmdRespond, Actor: hv, At: at, Text: secretLetter}, RefuseNotAllowed)
	c.refused(Command{Kind: CmdRespond, Actor: lmB, At: at, Text: " "}, RefuseInvalid)
	c.refused(Command{Kind: CmdComment, Actor: lmB, At: at, Text: secretNote}, RefuseClosed)
	c.refused(Command{Kind: CmdEscalate, Actor: lmA, At: at, Text: secretReason}, RefuseClosed)
	res = c.do(Command{Kind: CmdRespond, Actor: lmB, At: at, Text: secretLetter, ExpectStage: 2, ExpectVersion: c.d.Version})
	if e := res.Events[0]; e.Text != secretLetter || e.Summary != "A letter confirming the outcome given by Laura Bell for Sussex Community NHS Trust (due Wed 4 Mar, 13:00)" {
		t.Errorf("event %+v", e)
	}
	sameStrings(t, "told", msgs(res), []string{"slack:USW response [debrief]", "teams:29:hv response [debrief]", "slack:ULMA response [debrief]", "feed"})
	if m := msgTo(t, res, sw); !slices.Contains(m.Lines, "Letter confirming the outcome: "+secretLetter) {
		t.Errorf("the raiser is told %q", m.Lines)
	}
	if !res.ClearTimers || len(res.Timers) != 0 || len(feedOf(res)) != 1 || feedOf(res)[0].Title != ref1+": A letter confirming the outcome given for Sussex Community NHS Trust" {
		t.Errorf("timers cleared %v set %v, feed %v", res.ClearTimers, res.Timers, feedOf(res))
	}
	if _, status, _ := AfterResolutionStatus(env, c.d); status != "given by Laura Bell for Sussex Community NHS Trust on Wed 4 Mar, 15:00 (due Wed 4 Mar, 13:00)" {
		t.Errorf("status %q", status)
	}
	if slices.Contains(actionKinds(ActionsFor(env, c.d, lmB)), ActRespond) {
		t.Error("offered again once given")
	}
	c.refused(Command{Kind: CmdRespond, Actor: lmB, At: at.Add(time.Hour), Text: secretLetter}, RefuseState)
	if got := StageTimers(env.Calendar, c.d, env.Policy, at); len(got) != 0 {
		t.Errorf("StageTimers once given %v", got)
	}
	// A debrief still follows.
	c.do(Command{Kind: CmdDebrief, Actor: lmB, At: at.Add(time.Hour), Text: secretDebrief})
}

// Given in time, the response needs no "(due …)"; and the timers it
// outlived do nothing.
func TestAWrittenResponseAfterResolutionInTime(t *testing.T) {
	env := letterEnv(t)
	c, _ := resolvedAtStage2(t, env)
	remind, due := c.timer(TimerAfterRemind), c.timer(TimerAfterDue)
	res := c.do(Command{Kind: CmdRespond, Actor: lmB, At: lt(2026, 3, 3, 10, 0), Text: secretLetter})
	if e := res.Events[0]; e.Summary != "A letter confirming the outcome given by Laura Bell for Sussex Community NHS Trust" {
		t.Errorf("summary %q", e.Summary)
	}
	c.refused(remind.Command(lt(2026, 3, 3, 13, 0)), RefuseStaleTimer)
	c.refused(due.Command(lt(2026, 3, 4, 13, 0)), RefuseStaleTimer)
	if _, status, _ := AfterResolutionStatus(env, c.d); status != "given by Laura Bell for Sussex Community NHS Trust on Tue 3 Mar, 10:00" {
		t.Errorf("status %q", status)
	}
}

func TestAWrittenResponseAfterResolutionRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, c *tcase)
	}{
		{"resolved at a stage that asks none: nothing is due, the case is closed", func(t *testing.T, c *tcase) {
			c.do(raiseCmd(raiseInput(), t0))
			c.do(Command{Kind: CmdPropose, Actor: hv, At: lt(2026, 3, 2, 11, 0), Proposal: &Proposal{Outcome: secretAgreed}})
			res := c.do(Command{Kind: CmdConfirm, Actor: sw, At: lt(2026, 3, 2, 12, 0)})
			if !res.Dispute.AfterDue.IsZero() || len(res.Timers) != 0 {
				t.Errorf("due %v timers %v", res.Dispute.AfterDue, res.Timers)
			}
			if _, _, ok := AfterResolutionStatus(c.env, res.Dispute); ok {
				t.Error("a status with nothing asked")
			}
			c.refused(Command{Kind: CmdRespond, Actor: hv, At: lt(2026, 3, 2, 13, 0), Text: secretLetter}, RefuseClosed)
		}},
		{"withdrawn at a stage that asks one: nothing is due", func(t *testing.T, c *tcase) {
			c.do(raiseCmd(raiseInput(), t0))
			c.do(Command{Kind: CmdEscalate, Actor: sw, At: lt(2026, 3, 2, 11, 0), Text: secretReason, ExpectStage: 1})
			res := c.do(Command{Kind: CmdWithdraw, Actor: sw, At: lt(2026, 3, 2, 12, 0), Text: secretWithdraw})
			if !res.Dispute.AfterDue.IsZero() || len(res.Timers) != 0 {
				t.Errorf("due %v timers %v", res.Dispute.AfterDue, res.Timers)
			}
			c.refused(Command{Kind: CmdRespond, Actor: lmB, At: lt(2026, 3, 2, 13, 0), Text: secretLetter}, RefuseClosed)
		}},
		{"at the chair's stage the chair gives it", func(t *testing.T, c *tcase) {
			c.do(raiseCmd(raiseInput(), t0))
			for s, who := range []UserID{sw, lmA, smA} {
				c.do(Command{Kind: CmdEscalate, Actor: who, At: lt(2026, 3, 2, 11+s, 0), Text: secretReason, ExpectStage: s + 1})
			}
			res := c.do(Command{Kind: CmdResolve, Actor: chair, At: lt(2026, 3, 2, 15, 0), Proposal: &Proposal{Outcome: secretAgreed}})
			if !res.Dispute.AfterDue.Equal(lt(2026, 3, 3, 15, 0)) {
				t.Errorf("due %v", res.Dispute.AfterDue)
			}
			if m := msgTo(t, res, chair); !slices.Contains(actionKinds(m.Actions), ActRespond) ||
				!slices.Contains(m.Lines, "Written confirmation of the outcome: due Tue 3 Mar, 15:00 from the partnership chair, not yet given") {
				t.Errorf("the chair's record %q %v", m.Lines, actionKinds(m.Actions))
			}
			sameStrings(t, "timers", timerList(res), []string{"after_resolution_due 4@4 Tue 3 Mar 15:00"})
			c.refused(Command{Kind: CmdRespond, Actor: smA, At: lt(2026, 3, 2, 16, 0), Text: secretLetter}, RefuseNotAllowed)
			c.do(Command{Kind: CmdRespond, Actor: chair, At: lt(2026, 3, 2, 16, 0), Text: secretLetter})
		}},
		{"past retention nothing more is added", func(t *testing.T, c *tcase) {
			c.do(raiseCmd(raiseInput(), t0))
			c.do(Command{Kind: CmdEscalate, Actor: sw, At: lt(2026, 3, 2, 11, 0), Text: secretReason, ExpectStage: 1})
			c.do(Command{Kind: CmdPropose, Actor: lmB, At: lt(2026, 3, 2, 12, 0), Proposal: &Proposal{Outcome: secretAgreed}})
			c.do(Command{Kind: CmdConfirm, Actor: lmA, At: lt(2026, 3, 2, 13, 0)})
			due := c.timer(TimerAfterDue)
			res := c.do(Command{Kind: CmdPurge, Actor: SystemActor, At: lt(2033, 3, 2, 13, 0)})
			if got := StageTimers(c.env.Calendar, res.Dispute, c.env.Policy, lt(2033, 3, 2, 13, 0)); len(got) != 0 {
				t.Errorf("a purged case needs timers %v", got)
			}
			if slices.Contains(actionKinds(ActionsFor(c.env, res.Dispute, lmB)), ActRespond) {
				t.Error("offered on a purged case")
			}
			c.refused(Command{Kind: CmdRespond, Actor: lmB, At: lt(2033, 3, 2, 14, 0), Text: secretLetter}, RefuseState)
			c.refused(due.Command(lt(2033, 3, 3, 9, 0)), RefuseStaleTimer)
		}},
		{"its timers do nothing on an open case, or for another stage", func(t *testing.T, c *tcase) {
			c.do(raiseCmd(raiseInput(), t0))
			forged := Timer{Ref: ref1, Kind: TimerAfterDue, Stage: 1, StageVersion: 1, Due: lt(2026, 3, 3, 10, 0)}
			c.refused(forged.Command(lt(2026, 3, 3, 10, 0)), RefuseStaleTimer)
			c.refused(Command{Kind: CmdAfterLapse, Actor: sw, At: lt(2026, 3, 3, 10, 0), Timer: &forged}, RefuseNotAllowed)
		}},
		{"a reminder after the response fell due is not sent", func(t *testing.T, c *tcase) {
			c.do(raiseCmd(raiseInput(), t0))
			c.do(Command{Kind: CmdEscalate, Actor: sw, At: lt(2026, 3, 2, 11, 0), Text: secretReason, ExpectStage: 1})
			c.do(Command{Kind: CmdPropose, Actor: lmB, At: lt(2026, 3, 2, 12, 0), Proposal: &Proposal{Outcome: secretAgreed}})
			c.do(Command{Kind: CmdConfirm, Actor: lmA, At: lt(2026, 3, 2, 13, 0)})
			c.refused(c.timer(TimerAfterRemind).Command(lt(2026, 3, 5, 9, 0)), RefuseStaleTimer)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newCase(t, letterEnv(t))) })
	}
}

func TestAfterResolutionValidates(t *testing.T) {
	for _, tc := range []struct {
		stage int // 0-based
		rule  ResponseRule
		want  string // "" valid
	}{
		{1, ResponseRule{From: SideResponder, Within: Window{2, WorkingDays}}, ""},
		{1, ResponseRule{From: SideRaiser, Within: Window{48, Hours}, Remind: Window{4, WorkingHours}}, ""},
		{3, ResponseRule{From: SideChair, Within: Window{1, WorkingDays}}, ""},
		{1, ResponseRule{From: "them", Within: Window{2, WorkingDays}}, `stages[1].after_resolution.from: must be raiser or responder, not "them"`},
		{1, ResponseRule{From: SideChair, Within: Window{2, WorkingDays}}, `stages[1].after_resolution.from: must be raiser or responder, not "chair"`},
		{3, ResponseRule{From: SideResponder, Within: Window{2, WorkingDays}}, `stages[3].after_resolution.from: must be chair at a stage one person decides`},
		{1, ResponseRule{From: SideResponder}, "stages[1].after_resolution.within: must be positive"},
		{1, ResponseRule{From: SideResponder, Within: Window{2, "fortnights"}}, "stages[1].after_resolution.within.unit: must be working_days"},
		{1, ResponseRule{From: SideResponder, Within: Window{1, WorkingDays}, Remind: Window{1, WorkingDays}}, "stages[1].after_resolution.remind: must be shorter than within (1 working day)"},
		{1, ResponseRule{From: SideResponder, Within: Window{2, WorkingDays}, What: strings.Repeat("a letter ", 20)}, "stages[1].after_resolution.what: is what is asked"},
	} {
		p := testPolicy()
		r := tc.rule
		p.Stages[tc.stage].AfterResolution = &r
		var got []string
		for _, e := range p.Validate() {
			got = append(got, e.Path+": "+e.Message)
		}
		if tc.want == "" && len(got) > 0 || tc.want != "" && !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, tc.want) }) {
			t.Errorf("%+v: %q, want %q", tc.rule, got, tc.want)
		}
	}
}
