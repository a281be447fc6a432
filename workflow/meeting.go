package workflow

// Meetings: "the receiving service manager will convene a meeting within a
// further 5 working days", "an independently chaired meeting". A stage may
// be a meeting: one side's holders convene it by the stage's deadline,
// choosing who attends for this case; the attendees are told and may read
// the case and add notes; the meeting's outcome is recorded, and when it
// resolved the disagreement the case closes with it.

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// MeetingRule says a stage is a meeting.
type MeetingRule struct {
	ConvenedBy Side `yaml:"convened_by" json:"convened_by"` // raiser or responder
	// IndependentlyChaired: the meeting is chaired by someone independent
	// of both sides, named when it is convened.
	IndependentlyChaired bool `yaml:"independently_chaired,omitempty" json:"independently_chaired,omitempty"`
}

// Meeting is a meeting convened for a case.
type Meeting struct {
	Stage      int       `json:"stage"`
	ConvenedBy UserID    `json:"convened_by"`
	ConvenedAt time.Time `json:"convened_at"`
	On         Date      `json:"on"`
	Attendees  []UserID  `json:"attendees"`
	Chair      UserID    `json:"chair,omitempty"`
	OutcomeAt  time.Time `json:"outcome_at,omitzero"`
	Resolved   bool      `json:"resolved,omitempty"`
}

const (
	CmdConveneMeeting      CommandKind = "convene_meeting"
	CmdMeetingOutcome      CommandKind = "meeting_outcome"
	ActMeeting             ActionKind  = "meeting"         // convene (opens the form)
	ActMeetingOutcome      ActionKind  = "meeting_outcome" // record its outcome (opens the form)
	FormMeeting            FormKind    = "meeting"
	FormMeetingResult      FormKind    = "meeting_outcome"
	MsgMeeting             MessageKind = "meeting"
	FieldAttendees                     = "attendees"
	FieldMeetingOn                     = "meeting_on"
	FieldMeetingChair                  = "meeting_chair"
	FieldResolvedAtMeeting             = "resolved_at_meeting"
)

// meetingHere is the meeting convened at the case's current stage, if any.
func meetingHere(d *Dispute) *Meeting {
	if d.Meeting != nil && d.Meeting.Stage == d.Stage {
		return d.Meeting
	}
	return nil
}

// meetingActions are the buttons a holder on side sees at a meeting stage.
func meetingActions(st Stage, d *Dispute, side Side, act func(ActionKind, string, string) Action) []Action {
	m := st.Meeting
	if m == nil || side == SideChair {
		return nil
	}
	here := meetingHere(d)
	switch {
	case here == nil && side == m.ConvenedBy:
		return []Action{act(ActMeeting, "Convene meeting", "primary")}
	case here != nil && here.OutcomeAt.IsZero():
		return []Action{act(ActMeetingOutcome, "Meeting outcome", "")}
	}
	return nil
}

func meetingForm(env Env, d *Dispute, k ActionKind, base Form) (Form, bool) {
	st := env.Policy.Stage(d.Stage)
	if st.Meeting == nil {
		return Form{}, false
	}
	loc := env.Calendar.Location()
	if k == ActMeeting {
		base.Kind, base.Title, base.Submit = FormMeeting, "Convene a meeting", "Convene"
		base.Intro = []string{fmt.Sprintf("%s is a meeting, to be held by %s. Choose who attends; they are told and may read the case.", env.Policy.StageName(d.Stage), formatTime(d.Deadline, loc))}
		base.Fields = []FormField{
			{Name: FieldMeetingOn, Label: "Date of the meeting", Type: FieldDate, Required: true},
			{Name: FieldAttendees, Label: "Who attends", Type: FieldUsers, Required: true, Values: ids(d.Current().All())},
		}
		if st.Meeting.IndependentlyChaired {
			base.Fields = append(base.Fields, FormField{Name: FieldMeetingChair, Label: "Independent chair", Type: FieldUser, Required: true, Hint: "Someone independent of both sides."})
		}
		base.Fields = append(base.Fields, FormField{Name: FieldText, Label: "Note", Type: FieldArea, Max: MaxText})
		return base, true
	}
	base.Kind, base.Title, base.Submit = FormMeetingResult, "Meeting outcome", "Record"
	base.Fields = []FormField{
		{Name: FieldOutcome, Label: "What the meeting decided", Type: FieldArea, Required: true, Max: MaxText},
		{Name: FieldResolvedAtMeeting, Label: "The meeting resolved the disagreement", Type: FieldCheckbox, Hint: "Leave unticked if it was not resolved: the case can then be escalated."},
	}
	return base, true
}

// convene: a holder on the convening side convenes the stage's meeting.
func (a *applier) convene() error {
	side, err := a.requireHolder()
	if err != nil {
		return err
	}
	st := a.env.Policy.Stage(a.d.Stage)
	switch {
	case st.Meeting == nil:
		return refuse(RefuseState, "%s is not a meeting", a.env.Policy.StageName(a.d.Stage))
	case side != st.Meeting.ConvenedBy:
		return refuse(RefuseNotAllowed, "the policy has %s convene the meeting", a.sideName(st.Meeting.ConvenedBy))
	case meetingHere(a.d) != nil:
		return refuse(RefuseState, "a meeting is already convened for %s", a.d.Ref)
	}
	in := a.cmd.Meeting
	errs := map[string]string{}
	if in == nil {
		in = &Meeting{}
	}
	on, okDate := EndOfWorkingDay(a.env.Calendar, in.On)
	switch {
	case !in.On.Valid():
		errs[FieldMeetingOn] = "Give the date of the meeting"
	case !okDate:
		errs[FieldMeetingOn] = "Choose a working day"
	case !on.After(a.cmd.At):
		errs[FieldMeetingOn] = "That day is over; choose a later working day"
	case on.After(a.d.Deadline):
		errs[FieldMeetingOn] = "The policy asks for the meeting by " + a.when(a.d.Deadline) + "; choose a working day before then"
	}
	attendees := slices.DeleteFunc(uniq(in.Attendees), func(u UserID) bool { return u == SystemActor })
	if len(attendees) == 0 {
		errs[FieldAttendees] = "Choose who attends"
	}
	if st.Meeting.IndependentlyChaired {
		switch {
		case in.Chair == "":
			errs[FieldMeetingChair] = "Name the independent chair"
		case contains(a.d.Current().All(), in.Chair) || in.Chair == a.d.Raiser.Person || in.Chair == a.d.Responder.Person:
			errs[FieldMeetingChair] = "The chair must be independent of both sides: not someone holding or party to the case"
		}
	}
	if len(errs) > 0 {
		return &Refusal{Code: RefuseInvalid, Message: "some answers need a look", Fields: errs}
	}
	if in.Chair != "" && !contains(attendees, in.Chair) {
		attendees = append(attendees, in.Chair)
	}
	a.d.Meeting = &Meeting{Stage: a.d.Stage, ConvenedBy: a.cmd.Actor, ConvenedAt: a.cmd.At, On: in.On, Attendees: attendees, Chair: in.Chair}
	for _, u := range attendees {
		if !a.d.IsInvolved(u) {
			a.d.Consulted = append(a.d.Consulted, u)
		}
	}
	summary := fmt.Sprintf("Meeting convened by %s for %s, attended by %s", a.name(a.cmd.Actor), dayWords(in.On, a.env.Calendar), a.names(attendees))
	if in.Chair != "" {
		summary += ", chaired by " + a.name(in.Chair)
	}
	a.event(summary, strings.TrimSpace(a.cmd.Text), nil)
	hist := a.historyWith()
	for _, u := range uniq(append(append([]UserID(nil), attendees...), a.d.Current().All()...)) {
		if u == a.cmd.Actor {
			continue
		}
		m := a.dm(u, MsgMeeting, fmt.Sprintf("%s: a meeting on %s", a.d.Ref, dayWords(in.On, a.env.Calendar)),
			append([]string{fmt.Sprintf("%s has convened a meeting at %s; attending: %s.", a.name(a.cmd.Actor), a.env.Policy.StageName(a.d.Stage), a.names(attendees))}, a.caseLines()...), a.actionsFor(u))
		m.History = hist
	}
	a.feedStage("Meeting convened at " + a.env.Policy.StageName(a.d.Stage))
	return nil
}

// meetingOutcome records what the meeting decided; a meeting that resolved
// the disagreement closes the case with its outcome.
func (a *applier) meetingOutcome() error {
	if _, err := a.requireHolder(); err != nil {
		return err
	}
	m := meetingHere(a.d)
	if m == nil {
		return refuse(RefuseState, "no meeting is convened for %s at %s", a.d.Ref, a.env.Policy.StageName(a.d.Stage))
	}
	if !m.OutcomeAt.IsZero() {
		return refuse(RefuseState, "the meeting's outcome was recorded on %s", a.when(m.OutcomeAt))
	}
	p, r := cleanProposal(a.cmd.Proposal)
	if r != nil {
		return r
	}
	m.OutcomeAt, m.Resolved = a.cmd.At, a.cmd.MeetingResolved
	if m.Resolved {
		p.ProposedBy, p.ProposedAt, p.ConfirmedBy, p.ConfirmedAt = a.cmd.Actor, a.cmd.At, a.cmd.Actor, a.cmd.At
		a.close(StateResolved, &p)
		a.event("Resolved at the meeting; outcome recorded by "+a.name(a.cmd.Actor), "", &p)
		a.recordToAll(fmt.Sprintf("%s is resolved at the meeting", a.d.Ref))
		a.feedOnResolution("Resolved at the meeting")
		return nil
	}
	a.event("Meeting held without resolving it; outcome recorded by "+a.name(a.cmd.Actor), p.Outcome, nil)
	for _, u := range a.d.Current().All() {
		if u != a.cmd.Actor {
			a.dm(u, MsgMeeting, fmt.Sprintf("%s: the meeting did not resolve it", a.d.Ref), []string{"What the meeting decided: " + p.Outcome}, a.actionsFor(u))
		}
	}
	a.feedStage("Meeting held at " + a.env.Policy.StageName(a.d.Stage) + ": not resolved")
	return nil
}

// dayWords is "Thu 5 Mar 2026".
func dayWords(d Date, cal Calendar) string {
	t, err := time.ParseInLocation(time.DateOnly, string(d), cal.Location())
	if err != nil {
		return string(d)
	}
	return t.Format("Mon 2 Jan 2006")
}
