package workflow

import (
	"slices"
	"strings"
	"testing"
)

// respondingEnv: at stage 2 "the receiving agency must respond within 3
// working days", inside a working week, reminded a working day before.
func respondingEnv(t testing.TB) Env {
	env := newEnv(t)
	st := &env.Policy.Stages[1]
	st.Window = Window{5, WorkingDays}
	st.Response = &ResponseRule{From: SideResponder, Within: Window{3, WorkingDays}, Remind: Window{1, WorkingDays}}
	return env
}

func TestAWrittenResponseInsideAStage(t *testing.T) {
	env := respondingEnv(t)
	if errs := env.Policy.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	c := newCase(t, env)
	c.do(raiseCmd(raiseInput(), t0))
	res := c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0, Text: secretReason, ExpectStage: 1})
	d := res.Dispute
	if !d.ResponseDue.Equal(lt(2026, 3, 5, 10, 0)) {
		t.Errorf("response due %v", d.ResponseDue)
	}
	sameStrings(t, "timers", timerList(res), []string{"remind 2@2 Fri 6 Mar 16:00", "lapse 2@2 Mon 9 Mar 10:00", "response_remind 2@2 Wed 4 Mar 10:00", "response_due 2@2 Thu 5 Mar 10:00"})
	if !slices.Contains(actionKinds(ActionsFor(env, d, lmB)), ActRespond) || slices.Contains(actionKinds(ActionsFor(env, d, lmA)), ActRespond) {
		t.Error("Written response is offered to the wrong side")
	}
	f := mustForm(t, env, d, ActRespond)
	if f.Kind != FormRespond || !strings.Contains(f.Intro[0], "asks for a written response by Thu 5 Mar, 10:00") {
		t.Errorf("form %+v", f)
	}

	// The reminder goes to the side asked; then the lapse tells both.
	res = c.do(c.timer(TimerResponseRemind).Command(lt(2026, 3, 4, 10, 0)))
	sameStrings(t, "reminder to", msgs(res), []string{"teams:29:lmb response [resolved escalate respond note]"})
	res = c.do(c.timer(TimerResponseDue).Command(lt(2026, 3, 5, 10, 0)))
	if e := res.Events[0]; e.Summary != "A written response from Sussex Community NHS Trust was due by Thu 5 Mar, 10:00 and has not been given" {
		t.Errorf("overdue %q", e.Summary)
	}
	if len(msgs(res)) != 3 || len(feedOf(res)) != 1 {
		t.Errorf("overdue told %v feed %d", msgs(res), len(feedOf(res)))
	}

	// Only the side asked responds; once.
	if r, inside := c.refusedInside(Command{Kind: CmdRespond, Actor: lmA, At: lt(2026, 3, 5, 11, 0), Text: secretNote}, RefuseNotAllowed); inside && r.Message != "the policy asks Sussex Community NHS Trust for a written response at Stage 2 (Manager to manager)" {
		t.Errorf("raiser's side: %q", r.Message)
	}
	c.refused(Command{Kind: CmdRespond, Actor: lmB, At: lt(2026, 3, 5, 11, 0), Text: "  "}, RefuseInvalid)
	res = c.do(Command{Kind: CmdRespond, Actor: lmB, At: lt(2026, 3, 5, 11, 0), Text: secretNote})
	if e := res.Events[0]; e.Text != secretNote || e.Summary != "A written response given by Laura Bell for Sussex Community NHS Trust (due Thu 5 Mar, 10:00)" {
		t.Errorf("event %+v", e)
	}
	if m := msgTo(t, res, lmA); m.Kind != MsgResponse || !slices.Contains(m.Lines, "Response: "+secretNote) {
		t.Errorf("the other side is told %+v", m)
	}
	sameStrings(t, "timers", timerList(res), []string{"remind 2@2 Fri 6 Mar 16:00", "lapse 2@2 Mon 9 Mar 10:00"})
	c.refused(Command{Kind: CmdRespond, Actor: lmB, At: lt(2026, 3, 5, 12, 0), Text: secretNote}, RefuseState)
	// The auditor rebuilds the same timers.
	if got := StageTimers(env.Calendar, c.d, env.Policy, lt(2026, 3, 5, 12, 0)); len(got) != 2 {
		t.Errorf("StageTimers %v", got)
	}
}

func TestResponseValidates(t *testing.T) {
	p := respondingEnv(t).Policy
	p.Stages[1].Response.From = "chair"
	p.Stages[1].Response.Within = Window{6, WorkingDays}
	p.Stages[3].Response = &ResponseRule{From: SideRaiser, Within: Window{1, WorkingDays}}
	var got []string
	for _, e := range p.Validate() {
		got = append(got, e.Path+": "+e.Message)
	}
	for _, w := range []string{`stages[1].response.from: must be raiser or responder, not "chair"`, "stages[1].response.within: must fit in the stage's window", "stages[3].response: a stage decided by one person"} {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
			t.Errorf("want %q in %q", w, got)
		}
	}
}
