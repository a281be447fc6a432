package workflow

// Meetings: "the receiving service manager will convene a meeting within a
// further 5 working days", "an independently chaired meeting", "the chair
// may convene a resolution panel of three agencies". A stage may be a
// meeting: one side's holders (or, at a stage one person decides, that
// person) convene it by the stage's deadline, choosing who attends for this
// case, and for a panel the agencies represented; the attendees are told
// and may read the case and add notes; the meeting's outcome is recorded,
// and when it resolved the disagreement the case closes with it. The
// resolution panel of final: chair_or_panel is one such meeting (see
// Stage.MeetingRule).

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// MeetingRule says a stage is a meeting.
type MeetingRule struct {
	// ConvenedBy is raiser or responder; chair at a stage one person
	// decides (the chair's, or a decider's), who then convenes it.
	ConvenedBy Side `yaml:"convened_by" json:"convened_by"`
	// IndependentlyChaired: the meeting is chaired by someone independent
	// of both sides, named when it is convened.
	IndependentlyChaired bool `yaml:"independently_chaired,omitempty" json:"independently_chaired,omitempty"`
	// Agencies, when set, makes the meeting a panel of representatives of
	// that many agencies, chosen per case ("three agencies, including the
	// two in dispute where possible").
	Agencies int `yaml:"agencies,omitempty" json:"agencies,omitempty"`
	// Name is what the policy calls it ("" is "meeting").
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
}

// panelRule is the resolution panel of final: chair_or_panel: a meeting the
// chair convenes of representatives of three agencies.
var panelRule = MeetingRule{ConvenedBy: SideChair, Agencies: 3, Name: "resolution panel"}

// MeetingRule is the meeting the stage is, if any: its meeting:, or for a
// chair_or_panel stage the chair's resolution panel.
func (s Stage) MeetingRule() *MeetingRule {
	if s.Meeting != nil {
		return s.Meeting
	}
	if s.Final == FinalChairOrPanel {
		r := panelRule
		return &r
	}
	return nil
}

// name is what the meeting is called.
func (m *MeetingRule) name() string {
	if n := strings.TrimSpace(m.Name); n != "" {
		return n
	}
	return "meeting"
}

// title is the name with a capital.
func (m *MeetingRule) title() string { return upperFirst(m.name()) }

// Meeting is a meeting convened for a case.
type Meeting struct {
	Stage      int       `json:"stage"`
	ConvenedBy UserID    `json:"convened_by"`
	ConvenedAt time.Time `json:"convened_at"`
	On         Date      `json:"on"`
	Attendees  []UserID  `json:"attendees"`
	Chair      UserID    `json:"chair,omitempty"`
	// Agencies are those represented, for a panel (MeetingRule.Agencies).
	Agencies  []string  `json:"agencies,omitempty"`
	OutcomeAt time.Time `json:"outcome_at,omitzero"`
	Resolved  bool      `json:"resolved,omitempty"`
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
	m := st.MeetingRule()
	if m == nil {
		return nil
	}
	here := meetingHere(d)
	switch {
	case here == nil && d.State == StatePanel:
		// A panel convened before panels were meetings: it has no
		// outcome to record here; the chair resolves the case.
		return nil
	case here == nil && side == m.ConvenedBy && side == SideChair && m.Agencies > 0:
		// The chair's panel keeps its button (and the buttons already
		// posted keep working); its form is the meeting's.
		return []Action{act(ActPanel, "Convene panel", "")}
	case here == nil && side == m.ConvenedBy:
		style := "primary"
		if side == SideChair {
			style = "" // the chair's first button is Resolve
		}
		return []Action{act(ActMeeting, "Convene "+m.name(), style)}
	case here != nil && here.OutcomeAt.IsZero() && (side != SideChair || m.ConvenedBy == SideChair):
		return []Action{act(ActMeetingOutcome, m.title()+" outcome", "")}
	}
	return nil
}

func meetingForm(env Env, d *Dispute, k ActionKind, base Form) (Form, bool) {
	m := env.Policy.Stage(d.Stage).MeetingRule()
	if m == nil {
		return Form{}, false
	}
	loc := env.Calendar.Location()
	if k == ActMeeting {
		base.Kind, base.Title, base.Submit = FormMeeting, "Convene a "+m.name(), "Convene"
		base.Intro = []string{fmt.Sprintf("%s is a %s, to be held by %s. Choose who attends; they are told and may read the case.", env.Policy.StageName(d.Stage), m.name(), formatTime(d.Deadline, loc))}
		base.Fields = []FormField{{Name: FieldMeetingOn, Label: "Date of the " + m.name(), Type: FieldDate, Required: true}}
		if m.Agencies > 0 {
			var ag []Option
			for _, a := range env.Directory.Agencies {
				ag = append(ag, Option{a.ID, a.Name})
			}
			base.Fields = append(base.Fields, FormField{Name: FieldPanel, Label: "Agencies represented", Type: FieldMulti, Required: true, Options: ag,
				Values: []string{d.Raiser.Agency, d.Responder.Agency}, Hint: fmt.Sprintf("%d agencies, including the two in dispute where possible.", m.Agencies)})
		}
		base.Fields = append(base.Fields, FormField{Name: FieldAttendees, Label: "Who attends", Type: FieldUsers, Required: true, Values: ids(d.Current().All())})
		if m.IndependentlyChaired {
			base.Fields = append(base.Fields, FormField{Name: FieldMeetingChair, Label: "Independent chair", Type: FieldUser, Required: true, Hint: "Someone independent of both sides."})
		}
		base.Fields = append(base.Fields, FormField{Name: FieldText, Label: "Note", Type: FieldArea, Max: MaxText})
		return base, true
	}
	base.Kind, base.Title, base.Submit = FormMeetingResult, m.title()+" outcome", "Record"
	base.Fields = []FormField{
		{Name: FieldOutcome, Label: "What the " + m.name() + " decided", Type: FieldArea, Required: true, Max: MaxText},
		{Name: FieldResolvedAtMeeting, Label: "The " + m.name() + " resolved the disagreement", Type: FieldCheckbox, Hint: "Leave unticked if it was not resolved: the case can then be escalated, or resolved by whoever decides this stage."},
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
	rule := st.MeetingRule()
	switch {
	case rule == nil:
		return refuse(RefuseState, "%s is not a meeting", a.env.Policy.StageName(a.d.Stage))
	case side != rule.ConvenedBy:
		return refuse(RefuseNotAllowed, "the policy has %s convene the %s", a.sideName(rule.ConvenedBy), rule.name())
	case meetingHere(a.d) != nil || a.d.State == StatePanel:
		return refuse(RefuseState, "a %s is already convened for %s", rule.name(), a.d.Ref)
	}
	in := a.cmd.Meeting
	errs := map[string]string{}
	if in == nil {
		in = &Meeting{}
	}
	if len(in.Agencies) == 0 && len(a.cmd.Panel) > 0 {
		in.Agencies = a.cmd.Panel // a panel form drawn before panels were meetings
	}
	on, okDate := EndOfWorkingDay(a.env.Calendar, in.On)
	switch {
	case !in.On.Valid():
		errs[FieldMeetingOn] = "Give the date of the meeting"
	case !okDate:
		errs[FieldMeetingOn] = "Choose a working day"
	case !on.After(a.cmd.At):
		errs[FieldMeetingOn] = "That day is over; choose a later working day"
	case a.d.Deadline.After(a.cmd.At) && string(in.On) > a.d.Deadline.In(a.env.Calendar.Location()).Format(time.DateOnly):
		// Once the window has closed the people holding it are prompted
		// to act; a meeting is still the way on, on whichever day it can be.
		// "Within 5 working days": the deadline's own day is within.
		errs[FieldMeetingOn] = "The policy asks for the " + rule.name() + " by " + a.when(a.d.Deadline) + "; choose a working day no later"
	}
	attendees := slices.DeleteFunc(uniq(in.Attendees), func(u UserID) bool { return u == SystemActor })
	if len(attendees) == 0 {
		errs[FieldAttendees] = "Choose who attends"
	}
	agencies := uniqStrings(in.Agencies)
	if rule.Agencies > 0 {
		if len(agencies) != rule.Agencies {
			errs[FieldPanel] = fmt.Sprintf("Choose %d agencies", rule.Agencies)
		}
		for _, ag := range agencies {
			if _, ok := a.env.Directory.Agency(ag); !ok {
				errs[FieldPanel] = "Unknown agency " + ag
			}
		}
	}
	if rule.IndependentlyChaired {
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
	a.d.Meeting = &Meeting{Stage: a.d.Stage, ConvenedBy: a.cmd.Actor, ConvenedAt: a.cmd.At, On: in.On, Attendees: attendees, Chair: in.Chair, Agencies: agencies}
	for _, u := range attendees {
		if !a.d.IsInvolved(u) {
			a.d.Consulted = append(a.d.Consulted, u)
		}
	}
	summary := fmt.Sprintf("%s convened by %s for %s, attended by %s", rule.title(), a.name(a.cmd.Actor), dayWords(in.On, a.cmd.At, a.env.Calendar), a.names(attendees))
	told := uniq(append(append([]UserID(nil), attendees...), a.d.Current().All()...))
	if len(agencies) > 0 {
		// A panel: the agencies it brings together are the news, and
		// everyone in the case hears of it (the policies share every step
		// with the people who raised and answered it).
		without := ""
		if !slices.Contains(agencies, a.d.Raiser.Agency) || !slices.Contains(agencies, a.d.Responder.Agency) {
			without = " (without one of the agencies in dispute)"
		}
		summary = fmt.Sprintf("%s convened: %s%s, for %s, attended by %s", rule.title(), a.agencyNames(agencies), without, dayWords(in.On, a.cmd.At, a.env.Calendar), a.names(attendees))
		a.d.Panel, a.d.State = agencies, StatePanel
		told = uniq(append(told, a.audience()...))
	}
	if in.Chair != "" {
		summary += ", chaired by " + a.name(in.Chair)
	}
	a.event(summary, strings.TrimSpace(a.cmd.Text), nil)
	hist := a.historyWith()
	for _, u := range told {
		if u == a.cmd.Actor {
			continue
		}
		kind := MsgMeeting
		if len(agencies) > 0 {
			kind = MsgPanel
		}
		m := a.dm(u, kind, fmt.Sprintf("%s: a %s on %s", a.d.Ref, rule.name(), dayWords(in.On, a.cmd.At, a.env.Calendar)),
			append([]string{fmt.Sprintf("%s has convened a %s at %s; attending: %s.", a.name(a.cmd.Actor), rule.name(), a.env.Policy.StageName(a.d.Stage), a.names(attendees))}, a.caseLines()...), a.actionsFor(u))
		if a.d.IsInvolved(u) || contains(attendees, u) || contains(a.d.Current().All(), u) {
			m.History = hist
		}
	}
	if len(agencies) > 0 {
		a.feedStage(summary)
	} else {
		a.feedStage(rule.title() + " convened at " + a.env.Policy.StageName(a.d.Stage))
	}
	return nil
}

// meetingOutcome records what the meeting decided; a meeting that resolved
// the disagreement closes the case with its outcome.
func (a *applier) meetingOutcome() error {
	if _, err := a.requireHolder(); err != nil {
		return err
	}
	rule := a.env.Policy.Stage(a.d.Stage).MeetingRule()
	m := meetingHere(a.d)
	if m == nil || rule == nil {
		return refuse(RefuseState, "no meeting is convened for %s at %s", a.d.Ref, a.env.Policy.StageName(a.d.Stage))
	}
	if !m.OutcomeAt.IsZero() {
		return refuse(RefuseState, "the %s's outcome was recorded on %s", rule.name(), a.when(m.OutcomeAt))
	}
	p, r := cleanProposal(a.cmd.Proposal)
	if r != nil {
		return r
	}
	m.OutcomeAt, m.Resolved = a.cmd.At, a.cmd.MeetingResolved
	if a.d.State == StatePanel {
		a.d.State = StateOpen // the panel has met
	}
	name := rule.name()
	if m.Resolved {
		p.ProposedBy, p.ProposedAt, p.ConfirmedBy, p.ConfirmedAt = a.cmd.Actor, a.cmd.At, a.cmd.Actor, a.cmd.At
		if side, _ := a.d.SideOf(a.cmd.Actor); side == SideChair {
			p.ProposedBySide, p.ResolvedByChair = SideChair, true
		}
		a.close(StateResolved, &p)
		a.event("Resolved at the "+name+"; outcome recorded by "+a.name(a.cmd.Actor), "", &p)
		a.recordToAll(fmt.Sprintf("%s is resolved at the %s", a.d.Ref, name))
		a.feedOnResolution("Resolved at the " + name)
		return nil
	}
	a.event(rule.title()+" held without resolving it; outcome recorded by "+a.name(a.cmd.Actor), p.Outcome, nil)
	for _, u := range a.d.Current().All() {
		if u != a.cmd.Actor {
			a.dm(u, MsgMeeting, fmt.Sprintf("%s: the %s did not resolve it", a.d.Ref, name), []string{"What the " + name + " decided: " + p.Outcome}, a.actionsFor(u))
		}
	}
	a.feedStage(rule.title() + " held at " + a.env.Policy.StageName(a.d.Stage) + ": not resolved")
	return nil
}

// dayWords is "Thu 5 Mar" (with the year when it is not ref's).
func dayWords(d Date, ref time.Time, cal Calendar) string {
	return DateWords(d, ref, cal.Location())
}
