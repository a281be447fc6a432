package workflow

import (
	"slices"
	"strings"
	"testing"
)

// A raise may set a sooner deadline than the policy's window, with a reason
// that goes on the record; the reminder and the lapse follow it.
func TestRaiseSooner(t *testing.T) {
	in := raiseInput()
	in.Sooner = &Sooner{By: "2026-03-02", Reason: secretReason}
	c := newCase(t, newEnv(t))
	res := c.do(raiseCmd(in, t0))
	d := res.Dispute
	if !d.Deadline.Equal(lt(2026, 3, 2, 17, 0)) {
		t.Errorf("deadline %v, want the end of Mon 2 Mar", d.Deadline)
	}
	sameStrings(t, "timers", timerList(res), []string{"remind 1@1 Mon 2 Mar 15:00", "lapse 1@1 Tue 3 Mar 09:00"})
	// One command, one entry on the record: the raise says it set a sooner
	// deadline, and the reason is with the raiser's words.
	if len(res.Events) != 1 || res.Events[0].Kind != CmdRaise || res.Events[0].Text != "Why sooner: "+secretReason ||
		res.Events[0].Summary != "Raised by Sam Walker (Children's Social Care) with Harriet Vale (Sussex Community NHS Trust) at Stage 1 (Professional to professional); deadline for Stage 1 (Professional to professional) brought forward by Sam Walker to Mon 2 Mar, 17:00 (the policy's window closes Tue 3 Mar, 10:00)" {
		t.Errorf("events %+v", res.Events)
	}
	if strings.Contains(res.Events[0].Summary, secretReason) {
		t.Error("the reason is in the summary, which the feed may carry")
	}
	ack := msgTo(t, res, sw)
	if !strings.Contains(ack.Lines[0], "should be resolved by Mon 2 Mar, 17:00") {
		t.Errorf("ack %q", ack.Lines)
	}
	if f, _ := fact(msgTo(t, res, hv), "Window closes"); f.Value != "Mon 2 Mar, 17:00" {
		t.Errorf("the other practitioner is told %q", f.Value)
	}
}

// Never a later deadline, never a day without working hours, never one
// already over; always a reason. Each problem is on its field, alongside
// the form's other problems, and nothing is raised.
func TestRaiseSoonerRefusals(t *testing.T) {
	cases := []struct {
		name, by, reason string
		field, message   string
	}{
		{"later than the window", "2026-03-03", secretReason, FieldSoonerBy, "The policy's window already closes by then (Tue 3 Mar, 10:00); choose a sooner working day, or leave it empty"},
		{"a week later", "2026-03-09", secretReason, FieldSoonerBy, "The policy's window already closes by then (Tue 3 Mar, 10:00); choose a sooner working day, or leave it empty"},
		{"a Sunday", "2026-03-01", secretReason, FieldSoonerBy, "Choose a working day"},
		{"the past", "2026-02-27", secretReason, FieldSoonerBy, "That day's working hours are over; choose a later working day"},
		{"not a date", "02/03/2026", secretReason, FieldSoonerBy, "Give a date such as 2026-03-02"},
		{"no day", "", secretReason, FieldSoonerBy, "Choose the working day by which it must be resolved, or leave both questions empty"},
		{"no reason", "2026-03-02", "  ", FieldSoonerReason, "Say why it must be resolved sooner: it goes on the written record"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := raiseInput()
			in.Evidence = ""
			in.Sooner = &Sooner{By: Date(tc.by), Reason: tc.reason}
			r := newCase(t, newEnv(t)).refused(raiseCmd(in, t0), RefuseInvalid)
			if r.Fields[tc.field] != tc.message || r.Fields[FieldEvidence] == "" {
				t.Errorf("fields %v", r.Fields)
			}
		})
	}
	// A holiday is no working day either.
	in := raiseInput()
	in.Sooner = &Sooner{By: "2026-03-02", Reason: secretReason}
	r := newCase(t, newEnv(t, "2026-03-02")).refused(raiseCmd(in, t0), RefuseInvalid)
	if r.Fields[FieldSoonerBy] != "Choose a working day" {
		t.Errorf("holiday: %v", r.Fields)
	}
}

// Escalating may set the next stage's deadline sooner.
func TestEscalateSooner(t *testing.T) {
	c := raised(t)
	at := t0.Add(1)
	res := c.do(Command{Kind: CmdEscalate, Actor: sw, At: at, Text: secretReason, ExpectStage: 1, Sooner: &Sooner{By: "2026-03-02", Reason: secretStartReason}})
	if d := res.Dispute; d.Stage != 2 || !d.Deadline.Equal(lt(2026, 3, 2, 17, 0)) {
		t.Errorf("stage %d deadline %v", d.Stage, d.Deadline)
	}
	if len(res.Events) != 1 || res.Events[0].Kind != CmdEscalate || res.Events[0].Text != secretReason+"\n\nWhy sooner: "+secretStartReason ||
		!strings.HasSuffix(res.Events[0].Summary, "; deadline for Stage 2 (Manager to manager) brought forward by Sam Walker to Mon 2 Mar, 17:00 (the policy's window closes Tue 3 Mar, 10:00)") {
		t.Errorf("events %+v", res.Events)
	}
	if f, _ := fact(msgTo(t, res, lmB), "Window closes"); f.Value != "Mon 2 Mar, 17:00" {
		t.Errorf("the new holder is told %q", f.Value)
	}
	// A later one is refused, and the case stays at stage 1.
	c = raised(t)
	r := c.refused(Command{Kind: CmdEscalate, Actor: sw, At: at, Text: secretReason, ExpectStage: 1, Sooner: &Sooner{By: "2026-03-04", Reason: secretStartReason}}, RefuseInvalid)
	if !strings.HasPrefix(r.Fields[FieldSoonerBy], "The policy's window already closes by then") {
		t.Errorf("fields %v", r.Fields)
	}
}

// A holder brings the deadline forward during the stage ("timescales agreed
// between the two"); it can only move sooner, and everyone else holding it
// is told.
func TestSetDeadline(t *testing.T) {
	env := newEnv(t)
	env.Policy.Stages[0].Window = Window{5, WorkingDays}
	env.Policy.Stages[0].WindowAgreed = true
	c := newCase(t, env)
	c.do(raiseCmd(raiseInput(), t0))
	if !c.d.Deadline.Equal(lt(2026, 3, 9, 10, 0)) {
		t.Fatalf("deadline %v", c.d.Deadline)
	}
	for _, u := range []UserID{sw, hv} {
		if !slices.ContainsFunc(ActionsFor(env, c.d, u), func(a Action) bool { return a.Kind == ActDeadline }) {
			t.Errorf("%s holds a stage with an agreed window but has no Set the deadline", u)
		}
	}
	f := mustForm(t, env, c.d, ActDeadline)
	if !field(t, f, FieldSoonerBy).Required || !field(t, f, FieldSoonerReason).Required || !strings.Contains(f.Intro[0], "must be resolved by Mon 9 Mar, 10:00") {
		t.Errorf("form %+v", f)
	}
	cmd, err := FormCommand(FormDeadline, 1, c.d.Version, Values{FieldSoonerBy: {"2026-03-04"}, FieldSoonerReason: {secretReason}})
	if err != nil || cmd.Kind != CmdSetDeadline || cmd.Sooner == nil || cmd.Sooner.By != "2026-03-04" {
		t.Fatalf("%+v %v", cmd, err)
	}
	cmd.Actor, cmd.At = hv, t0.Add(1)
	res := c.do(cmd)
	if !res.Dispute.Deadline.Equal(lt(2026, 3, 4, 17, 0)) || res.Dispute.Stage != 1 {
		t.Errorf("deadline %v", res.Dispute.Deadline)
	}
	sameStrings(t, "timers", timerList(res), []string{"remind 1@1 Wed 4 Mar 15:00", "lapse 1@1 Thu 5 Mar 09:00"})
	sameStrings(t, "messages", msgs(res), []string{"slack:USW deadline [resolved escalate deadline note withdraw]"})
	if e := res.Events[0]; e.Kind != CmdSetDeadline || e.Text != secretReason || e.Summary != "Deadline for Stage 1 (Professional to professional) brought forward by Harriet Vale to Wed 4 Mar, 17:00 (the policy's window closes Mon 9 Mar, 10:00)" {
		t.Errorf("event %+v", e)
	}
	if m := msgTo(t, res, sw); m.Title != "ESC-2026-0001 must now be resolved by Wed 4 Mar, 17:00" || strings.Contains(strings.Join(m.Lines, " "), secretReason) {
		t.Errorf("message %+v", m)
	}

	// Only sooner than it is now; only by a holder; an outsider learns nothing.
	later := Command{Kind: CmdSetDeadline, Actor: sw, At: t0.Add(2), Sooner: &Sooner{By: "2026-03-05", Reason: secretReason}}
	if r := c.refused(later, RefuseInvalid); r.Fields[FieldSoonerBy] != "It must already be resolved by Wed 4 Mar, 17:00; choose a sooner working day" {
		t.Errorf("later: %v", r.Fields)
	}
	notHolder := later
	notHolder.Actor, notHolder.Sooner = lmA, &Sooner{By: "2026-03-03", Reason: secretReason}
	if r, inside := c.refusedInside(notHolder, RefuseNotHolder); inside && !strings.Contains(r.Message, "you don't hold") {
		t.Errorf("not a holder: %+v", r)
	}
	stranger := notHolder
	stranger.Actor = "slack:USTRANGER"
	c.refusedInside(stranger, RefuseNotHolder)
	empty := later
	empty.Sooner = nil
	if r := c.refused(empty, RefuseInvalid); r.Fields[FieldSoonerBy] == "" {
		t.Errorf("empty: %v", r.Fields)
	}

	// Without an agreed window the button is not offered.
	plain := raised(t)
	if slices.ContainsFunc(ActionsFor(plain.env, plain.d, sw), func(a Action) bool { return a.Kind == ActDeadline }) {
		t.Error("Set the deadline offered on a stage without an agreed window")
	}
}
