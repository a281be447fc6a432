package record_test

import (
	"errors"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// fakeCalendar is a plain working-day clock for these tests: 09:00–17:00
// Europe/London, Monday to Friday, no bank holidays.
type fakeCalendar struct{ loc *time.Location }

const (
	dayStart = 9 * time.Hour
	dayEnd   = 17 * time.Hour
)

func (c fakeCalendar) Location() *time.Location { return c.loc }

func (c fakeCalendar) day(t time.Time) time.Time {
	t = t.In(c.loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.loc)
}

func (c fakeCalendar) at(day time.Time, clock time.Duration) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, c.loc).Add(clock)
}

func (c fakeCalendar) nextDay(t time.Time) time.Time {
	d := c.day(t)
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, c.loc)
}

func (c fakeCalendar) workingDay(t time.Time) bool {
	wd := t.In(c.loc).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

func (c fakeCalendar) IsWorkingTime(t time.Time) bool {
	k := t.Sub(c.day(t))
	return c.workingDay(t) && k >= dayStart && k < dayEnd
}

func (c fakeCalendar) NextWorkingStart(t time.Time) time.Time {
	if c.IsWorkingTime(t) {
		return t
	}
	if c.workingDay(t) && t.Sub(c.day(t)) < dayStart {
		return c.at(c.day(t), dayStart)
	}
	d := c.nextDay(t)
	for !c.workingDay(d) {
		d = c.nextDay(d)
	}
	return c.at(d, dayStart)
}

func (c fakeCalendar) AddWorkingDays(t time.Time, n int) time.Time {
	s := c.NextWorkingStart(t)
	k := s.Sub(c.day(s))
	d := c.day(s)
	for range n {
		d = c.nextDay(d)
		for !c.workingDay(d) {
			d = c.nextDay(d)
		}
	}
	return c.at(d, k)
}

func (c fakeCalendar) AddWorkingHours(t time.Time, h time.Duration) time.Time {
	s := c.NextWorkingStart(t)
	for {
		end := c.at(c.day(s), dayEnd)
		if h <= end.Sub(s) {
			return s.Add(h)
		}
		h -= end.Sub(s)
		s = c.NextWorkingStart(end)
	}
}

// SubWorkingHours goes back h working hours from t (a meeting's day ends
// at the last working instant before its midnight).
func (c fakeCalendar) SubWorkingHours(t time.Time, h time.Duration) time.Time {
	e := c.lastWorkingAtOrBefore(t)
	for {
		start := c.at(c.day(e), dayStart)
		if h <= e.Sub(start) {
			return e.Add(-h)
		}
		h -= e.Sub(start)
		e = c.lastWorkingAtOrBefore(start.Add(-time.Nanosecond))
	}
}

func (c fakeCalendar) lastWorkingAtOrBefore(t time.Time) time.Time {
	k := t.Sub(c.day(t))
	switch {
	case c.workingDay(t) && k >= dayStart && k <= dayEnd:
		return t
	case c.workingDay(t) && k > dayEnd:
		return c.at(c.day(t), dayEnd)
	}
	d := c.day(t).AddDate(0, 0, -1)
	for !c.workingDay(d) {
		d = d.AddDate(0, 0, -1)
	}
	return c.at(d, dayEnd)
}

func london(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

const (
	sw       workflow.UserID = "slack:USW"
	hv       workflow.UserID = "teams:29:hv"
	lmA      workflow.UserID = "slack:ULMA"
	lmB      workflow.UserID = "teams:29:lmb"
	smA      workflow.UserID = "slack:USMA"
	smB      workflow.UserID = "teams:29:smb"
	chair    workflow.UserID = "slack:UCHAIR"
	bt       workflow.UserID = "slack:UBT"
	stranger workflow.UserID = "slack:USTRANGER"
)

func testEnv(t testing.TB) workflow.Env {
	t.Helper()
	st := func(label, name string, role workflow.Role, feed bool) workflow.Stage {
		return workflow.Stage{Label: label, Name: name, Role: role, NotifyBusinessTeam: feed,
			Window: workflow.Window{Amount: 1, Unit: workflow.WorkingDays}}
	}
	last := st("4", "Partnership chair", workflow.RoleChair, true)
	last.Final = workflow.FinalChairOrPanel
	return workflow.Env{
		Policy: &workflow.Policy{
			ID: "west-sussex", Partnership: "West Sussex Safeguarding Children Partnership",
			Subjects: []workflow.SubjectType{workflow.SubjectChild},
			Stages: []workflow.Stage{
				st("1", "Professional to professional", workflow.RolePractitioner, false),
				st("2", "Manager to manager", workflow.RoleLineManager, true),
				st("3", "Senior manager to senior manager", workflow.RoleSeniorManager, true),
				last,
			},
			NotifyOnResolution: true,
		},
		Directory: &workflow.Directory{
			Agencies: []workflow.Agency{{ID: "csc", Name: "Children's Social Care"}, {ID: "nhs", Name: "Sussex Community NHS Trust"}, {ID: "edu", Name: "West Sussex Education"}},
			People: []workflow.Person{
				{ID: sw, Name: "Sam Walker", Agency: "csc", Role: workflow.RolePractitioner},
				{ID: hv, Name: "Harriet Vale", Agency: "nhs", Role: workflow.RolePractitioner},
				{ID: lmA, Name: "Lena Marsh", Agency: "csc", Role: workflow.RoleLineManager},
				{ID: lmB, Name: "Laura Bell", Agency: "nhs", Role: workflow.RoleLineManager},
				{ID: smA, Name: "Simon Moss", Agency: "csc", Role: workflow.RoleSeniorManager},
				{ID: smB, Name: "Sanjay Bhatt", Agency: "nhs", Role: workflow.RoleSeniorManager},
				{ID: chair, Name: "Clare Hughes", Role: workflow.RoleChair},
				{ID: bt, Name: "Ben Taylor"},
				{ID: stranger, Name: "Stella Grant", Agency: "edu", Role: workflow.RolePractitioner},
			},
			BusinessTeam: []workflow.UserID{bt},
			Chair:        []workflow.UserID{chair},
		},
		Calendar:  fakeCalendar{loc: london(t)},
		Emergency: []string{"If a child is in immediate danger, call 999."},
	}
}

// The people's words in the scenario, with the punctuation people type
// (an em dash, a curly apostrophe, an arrow) that the PDF fonts must cope with.
const (
	subjectRef    = "CSC-4471-22"
	decision      = "Health visiting involvement to close at the end of the month"
	disagreement  = "The family still needs a health visitor — there were two missed appointments"
	outcomeSought = "Involvement continues for three months"
	evidence      = "Two missed appointments and a home visit on 24 February"
	note          = "Spoke to the GP this morning; she’ll share the notes (GP ↔ school)"
	proposal      = "Visits continue monthly"
	rejectReason  = "Monthly is not enough for a baby of four months"
	escalate1     = "Stage 1 talked for a day without agreement"
	managerNote   = "Caseload figures attached to the NHS file"
	escalate2     = "The managers could not agree on the frequency"
	escalate3     = "Senior managers differ on thresholds; the chair should decide"
	panelNote     = "Education joins as the third agency"
	agreed        = "Visits continue fortnightly until the review conference"
	outstanding   = "Who chairs the review conference"
	howPursued    = "The two senior managers decide by Friday and tell the raiser"
	debrief       = "Talking earlier would have helped; we now share caseload data"
	withdrawn     = "The family moved out of the area"
)

// scenario plays a whole case through the real workflow: raised, a note,
// a proposal not agreed, a lapsed window, three escalations, a resolution
// panel, the chair's resolution, a debrief and learning themes.
func scenario(t testing.TB, env workflow.Env) (*workflow.Dispute, []workflow.Event) {
	t.Helper()
	loc := env.Calendar.Location()
	at := func(d, h, m int) time.Time { return time.Date(2026, time.March, d, h, m, 0, 0, loc) }
	var d *workflow.Dispute
	var events []workflow.Event
	apply := func(cmd workflow.Command) {
		t.Helper()
		if cmd.Kind != workflow.CmdRaise {
			cmd.ExpectStage = d.Stage
		}
		res, err := workflow.Apply(env, d, events, cmd)
		if err != nil {
			var r *workflow.Refusal
			errors.As(err, &r)
			t.Fatalf("%s by %s refused: %v %v", cmd.Kind, cmd.Actor, err, r.Fields)
		}
		d, events = res.Dispute, append(events, res.Events...)
	}
	apply(workflow.Command{Kind: workflow.CmdRaise, Actor: sw, At: at(2, 10, 0), Raise: &workflow.RaiseInput{
		Ref: "ESC-2026-0001", SubjectType: workflow.SubjectChild, SubjectRef: subjectRef, Category: workflow.CatNeedForAction,
		DecisionDisputed: decision, DecisionDate: "2026-02-27", Plan: workflow.PlanChildInNeed,
		Disagreement: disagreement, OutcomeSought: outcomeSought, Evidence: evidence,
		ResponderAgency: "nhs", Responder: hv,
	}})
	apply(workflow.Command{Kind: workflow.CmdComment, Actor: hv, At: at(2, 11, 0), Text: note})
	apply(workflow.Command{Kind: workflow.CmdPropose, Actor: hv, At: at(2, 14, 0), Proposal: &workflow.Proposal{Outcome: proposal}})
	apply(workflow.Command{Kind: workflow.CmdReject, Actor: sw, At: at(2, 15, 30), Text: rejectReason})
	lapse := workflow.Timer{Ref: d.Ref, Kind: workflow.TimerLapse, Stage: d.Stage, StageVersion: d.StageVersion, Due: d.Deadline}
	apply(lapse.Command(d.Deadline))
	apply(workflow.Command{Kind: workflow.CmdEscalate, Actor: sw, At: at(3, 11, 0), Text: escalate1})
	apply(workflow.Command{Kind: workflow.CmdComment, Actor: lmB, At: at(3, 15, 0), Text: managerNote})
	apply(workflow.Command{Kind: workflow.CmdEscalate, Actor: lmA, At: at(4, 10, 0), Text: escalate2})
	apply(workflow.Command{Kind: workflow.CmdEscalate, Actor: smB, At: at(5, 16, 45), Text: escalate3})
	apply(workflow.Command{Kind: workflow.CmdConvenePanel, Actor: chair, At: at(9, 9, 30), Panel: []string{"csc", "nhs", "edu"}, Text: panelNote,
		Meeting: &workflow.Meeting{On: "2026-03-09", Attendees: []workflow.UserID{chair}}})
	apply(workflow.Command{Kind: workflow.CmdResolve, Actor: chair, At: at(11, 16, 0), Proposal: &workflow.Proposal{
		Outcome: agreed, Outstanding: outstanding, HowPursued: howPursued, RecordedOnFile: true}})
	apply(workflow.Command{Kind: workflow.CmdDebrief, Actor: sw, At: at(13, 12, 0), Text: debrief})
	apply(workflow.Command{Kind: workflow.CmdLearning, Actor: bt, At: at(16, 9, 15), Themes: []string{"Information sharing", "Thresholds"}})
	return d, events
}
