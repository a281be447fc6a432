package workflow

import (
	"slices"
	"strings"
	"testing"
)

const iro UserID = "slack:UIRO" // an independent reviewing officer, to chair the meeting

// meetingEnv: stage 2 is "a meeting within 5 working days", convened by
// the receiving agency and independently chaired.
func meetingEnv(t testing.TB) Env {
	env := newEnv(t)
	st := &env.Policy.Stages[1]
	st.Window = Window{5, WorkingDays}
	st.Meeting = &MeetingRule{ConvenedBy: SideResponder, IndependentlyChaired: true}
	return env
}

func TestAMeetingStage(t *testing.T) {
	env := meetingEnv(t)
	if errs := env.Policy.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	c := newCase(t, env)
	c.do(raiseCmd(raiseInput(), t0))
	c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0, Text: secretReason, ExpectStage: 1})
	if !slices.Contains(actionKinds(ActionsFor(env, c.d, lmB)), ActMeeting) || slices.Contains(actionKinds(ActionsFor(env, c.d, lmA)), ActMeeting) {
		t.Error("Convene meeting offered to the wrong side")
	}
	f := mustForm(t, env, c.d, ActMeeting)
	if f.Kind != FormMeeting || !hasField(f, FieldMeetingChair) || !slices.Equal(field(t, f, FieldAttendees).Values, []string{string(lmA), string(lmB)}) {
		t.Errorf("form %+v", f)
	}
	cmd, err := FormCommand(FormMeeting, 2, c.d.Version, Values{FieldMeetingOn: {"2026-03-05"}, FieldAttendees: {string(lmA), string(lmB), string(smA)}, FieldMeetingChair: {string(iro)}})
	if err != nil || cmd.Kind != CmdConveneMeeting || cmd.Meeting.On != "2026-03-05" {
		t.Fatalf("%+v %v", cmd, err)
	}
	cmd.Actor, cmd.At = lmB, t0.Add(1)

	// A day after the deadline, a day off, no independent chair, a chair
	// who is a party: each refused on its field.
	for _, bad := range []struct {
		edit  func(m *Meeting)
		field string
	}{
		{func(m *Meeting) { m.On = "2026-03-10" }, FieldMeetingOn},
		{func(m *Meeting) { m.On = "2026-03-07" }, FieldMeetingOn},
		{func(m *Meeting) { m.Chair = "" }, FieldMeetingChair},
		{func(m *Meeting) { m.Chair = sw }, FieldMeetingChair},
		{func(m *Meeting) { m.Attendees = nil }, FieldAttendees},
	} {
		b := cmd
		m := *cmd.Meeting
		bad.edit(&m)
		b.Meeting = &m
		if r := c.refused(b, RefuseInvalid); r.Fields[bad.field] == "" {
			t.Errorf("%+v: %v", m, r.Fields)
		}
	}
	c.refusedInside(Command{Kind: CmdConveneMeeting, Actor: lmA, At: t0.Add(1), Meeting: cmd.Meeting}, RefuseNotAllowed)

	res := c.do(cmd)
	d := res.Dispute
	if d.Meeting == nil || !sameIDs(d.Meeting.Attendees, []UserID{lmA, lmB, smA, iro}) || !slices.Contains(d.Consulted, iro) || !slices.Contains(d.Consulted, smA) {
		t.Errorf("meeting %+v consulted %v", d.Meeting, d.Consulted)
	}
	if e := res.Events[0]; e.Summary != "Meeting convened by Laura Bell for Thu 5 Mar, attended by Lee Adams, Laura Bell, Sally Morgan and the IRO, chaired by the IRO" && !strings.HasPrefix(e.Summary, "Meeting convened by Laura Bell for Thu 5 Mar, attended by") {
		t.Errorf("summary %q", e.Summary)
	}
	if m := msgTo(t, res, iro); m.Kind != MsgMeeting || len(m.History) == 0 {
		t.Errorf("the chair is told %+v", m)
	}
	if !slices.Contains(actionKinds(ActionsFor(env, d, lmA)), ActMeetingOutcome) {
		t.Error("no Meeting outcome button once convened")
	}

	// Not resolved: recorded, and the case can be escalated.
	notYet, _ := FormCommand(FormMeetingResult, 2, d.Version, Values{FieldOutcome: {secretAgreed}})
	notYet.Actor, notYet.At = lmA, t0.Add(2)
	res = c.do(notYet)
	if res.Dispute.State != StateOpen || res.Events[0].Text != secretAgreed || !strings.HasPrefix(res.Events[0].Summary, "Meeting held without resolving it") {
		t.Errorf("not resolved: %s %+v", res.Dispute.State, res.Events[0])
	}
	// Sent again from the same form, it is refused as moved on; sent anew,
	// as already recorded.
	c.refused(notYet, RefuseMovedOn)
	notYet.ExpectVersion = 0
	c.refused(notYet, RefuseState)
}

func TestAMeetingThatResolves(t *testing.T) {
	env := meetingEnv(t)
	env.Policy.Stages[1].Meeting.IndependentlyChaired = false
	c := newCase(t, env)
	c.do(raiseCmd(raiseInput(), t0))
	c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0, Text: secretReason, ExpectStage: 1})
	c.do(Command{Kind: CmdConveneMeeting, Actor: lmB, At: t0.Add(1), Meeting: &Meeting{On: "2026-03-04", Attendees: []UserID{lmA, lmB}}})
	done, _ := FormCommand(FormMeetingResult, 2, c.d.Version, Values{FieldOutcome: {secretAgreed}, FieldResolvedAtMeeting: {"on"}})
	done.Actor, done.At = lmB, t0.Add(2)
	res := c.do(done)
	if res.Dispute.State != StateResolved || res.Dispute.Outcome == nil || res.Dispute.Outcome.Outcome != secretAgreed {
		t.Errorf("state %s outcome %+v", res.Dispute.State, res.Dispute.Outcome)
	}
	if msgTo(t, res, lmA).Kind != MsgRecord {
		t.Error("no record after the meeting resolved it")
	}

	p := meetingEnv(t).Policy
	p.Stages[1].Meeting.ConvenedBy = "chair"
	p.Stages[3].Meeting = &MeetingRule{ConvenedBy: SideRaiser}
	var got []string
	for _, e := range p.Validate() {
		got = append(got, e.Path)
	}
	if !slices.Contains(got, "stages[1].meeting.convened_by") || !slices.Contains(got, "stages[3].meeting") {
		t.Errorf("errors %v", got)
	}
}
