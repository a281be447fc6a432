package workflow

// Written responses inside a stage: "the receiving agency must respond
// within 3 working days", "confirm the outcome by letter within a further
// 2 working days". A stage may ask one side for a written response by a
// deadline of its own, with its own reminder and lapse, inside the stage's
// window; the response goes on the record and to the other side.

import (
	"fmt"
	"strings"
	"time"
)

// ResponseRule is the written response a stage asks of one side.
type ResponseRule struct {
	From   Side   `yaml:"from" json:"from"` // raiser or responder
	Within Window `yaml:"within" json:"within"`
	Remind Window `yaml:"remind,omitempty" json:"remind,omitzero"`
	// What is what is asked, as people say it ("a written response",
	// "the outcome confirmed by letter").
	What string `yaml:"what,omitempty" json:"what,omitempty"`
}

// Timers and commands of a written response.
const (
	TimerResponseRemind TimerKind   = "response_remind"
	TimerResponseDue    TimerKind   = "response_due"
	CmdRespond          CommandKind = "respond"          // the side gives its written response
	CmdResponseNudge    CommandKind = "response_nudge"   // timer: the response is due soon
	CmdResponseLapse    CommandKind = "response_overdue" // timer: the response was not given in time
	ActRespond          ActionKind  = "respond"          // opens the response form
	FormRespond         FormKind    = "respond"
	MsgResponse         MessageKind = "response" // a written response, or one due or overdue
)

func (r *ResponseRule) what() string {
	if r.What != "" {
		return r.What
	}
	return "a written response"
}

// responseTimers are the written response's reminder and lapse while it is
// awaited.
func responseTimers(cal Calendar, d *Dispute, st Stage, now time.Time) []Timer {
	r := st.Response
	if r == nil || d.ResponseDue.IsZero() || !d.RespondedAt.IsZero() {
		return nil
	}
	mk := func(k TimerKind, due time.Time) Timer {
		return Timer{Ref: d.Ref, Kind: k, Stage: d.Stage, StageVersion: d.StageVersion, Due: due}
	}
	var ts []Timer
	if r.Remind.Amount > 0 {
		if at := cal.SubWorkingHours(d.ResponseDue, remindDuration(r.Remind)); at.After(now) && at.Before(d.ResponseDue) {
			ts = append(ts, mk(TimerResponseRemind, at))
		}
	}
	return append(ts, mk(TimerResponseDue, cal.NextWorkingStart(d.ResponseDue)))
}

// openResponse starts the wait for the stage's written response, if it asks
// for one.
func (a *applier) openResponse(st Stage) {
	a.d.ResponseDue, a.d.RespondedAt = time.Time{}, time.Time{}
	if st.Response != nil {
		_, a.d.ResponseDue = WindowFrom(a.env.Calendar, a.cmd.At, st.Response.Within)
	}
}

// respond: a holder on the side the stage asks gives its written response.
func (a *applier) respond() error {
	if a.d.State == StateResolved {
		return a.respondAfter()
	}
	side, err := a.requireHolder()
	if err != nil {
		return err
	}
	st := a.env.Policy.Stage(a.d.Stage)
	r := st.Response
	switch {
	case r == nil:
		return refuse(RefuseState, "%s asks for no written response", a.env.Policy.StageName(a.d.Stage))
	case side != r.From:
		return refuse(RefuseNotAllowed, "the policy asks %s for %s at %s", a.sideName(r.From), r.what(), a.env.Policy.StageName(a.d.Stage))
	case !a.d.RespondedAt.IsZero():
		return refuse(RefuseState, "%s was given on %s", upperFirst(r.what()), a.when(a.d.RespondedAt))
	}
	if rf := requireText(FieldText, "The response", a.cmd.Text); rf != nil {
		return rf
	}
	a.d.RespondedAt = a.cmd.At
	late := ""
	if a.cmd.At.After(a.d.ResponseDue) {
		late = fmt.Sprintf(" (due %s)", a.when(a.d.ResponseDue))
	}
	a.event(fmt.Sprintf("%s given by %s for %s%s", upperFirst(r.what()), a.name(a.cmd.Actor), a.sideName(r.From), late), strings.TrimSpace(a.cmd.Text), nil)
	a.res.ClearTimers = true
	a.res.Timers = stageTimers(a.env.Calendar, a.d, st, a.cmd.At)
	for _, u := range a.d.Current().All() {
		if u != a.cmd.Actor {
			a.dm(u, MsgResponse, fmt.Sprintf("%s: %s from %s", a.d.Ref, r.what(), a.name(a.cmd.Actor)),
				[]string{"Response: " + strings.TrimSpace(a.cmd.Text)}, a.actionsFor(u))
		}
	}
	a.feedIfFollowed(upperFirst(r.what()) + " given for " + a.sideName(r.From))
	return nil
}

// responseTimer runs the written response's reminder and lapse.
func (a *applier) responseTimer() error {
	if err := a.timerValid(); err != nil {
		return err
	}
	r := a.env.Policy.Stage(a.d.Stage).Response
	if r == nil || !a.d.RespondedAt.IsZero() || a.d.ResponseDue.IsZero() {
		return refuse(RefuseStaleTimer, "no written response is awaited")
	}
	side := a.d.Current().Side(r.From)
	if a.cmd.Kind == CmdResponseNudge {
		if !a.cmd.At.Before(a.d.ResponseDue) {
			return refuse(RefuseStaleTimer, "the response is already due")
		}
		a.event(fmt.Sprintf("Reminder sent: %s from %s is due by %s", r.what(), a.sideName(r.From), a.when(a.d.ResponseDue)), "", nil)
		for _, u := range side {
			a.dm(u, MsgResponse, fmt.Sprintf("%s: %s is due from you by %s", a.d.Ref, r.what(), a.when(a.d.ResponseDue)),
				[]string{fmt.Sprintf("The policy asks for it within %s of %s opening.", r.Within, a.env.Policy.StageName(a.d.Stage))}, a.actionsFor(u))
		}
		return nil
	}
	a.event(fmt.Sprintf("%s from %s was due by %s and has not been given", upperFirst(r.what()), a.sideName(r.From), a.when(a.d.ResponseDue)), "", nil)
	for _, u := range a.d.Current().All() {
		a.dm(u, MsgResponse, fmt.Sprintf("%s: %s from %s is overdue", a.d.Ref, r.what(), a.sideName(r.From)),
			[]string{fmt.Sprintf("It was due by %s.", a.when(a.d.ResponseDue))}, a.actionsFor(u))
	}
	a.feedIfFollowed(upperFirst(r.what()) + " overdue from " + a.sideName(r.From))
	return nil
}

// sideName is "Sussex Community NHS Trust (the other side)".
func (a *applier) sideName(s Side) string {
	if s == SideChair {
		if st := a.env.Policy.Stage(a.d.Stage); st.Final == FinalDecider {
			return "the " + a.env.Policy.RoleLabel(st.Role) + " of " + a.env.Directory.AgencyName(st.DeciderAgency)
		}
		return "the partnership chair"
	}
	if s == SideRaiser {
		return a.env.Directory.AgencyName(a.d.Raiser.Agency)
	}
	return a.env.Directory.AgencyName(a.d.Responder.Agency)
}

// validateMeeting checks a stage's meeting rule.
func validateMeeting(path string, s Stage, add func(path, format string, a ...any)) {
	m := s.Meeting
	if m == nil {
		return
	}
	if s.Final == FinalChairOrPanel {
		add(path+".meeting", "final: chair_or_panel already makes the chair's resolution panel this stage's meeting; write final: chair_resolves with this meeting instead")
	}
	switch {
	case m.ConvenedBy == SideChair && !s.DecidedByOne():
		add(path+".meeting.convened_by", "is chair, but one person does not decide this stage: the raiser's or the other side (raiser or responder) convenes its meeting")
	case m.ConvenedBy == SideChair:
	case s.DecidedByOne():
		add(path+".meeting.convened_by", "must be chair at a stage one person decides (they convene its meeting), not %q", m.ConvenedBy)
	case m.ConvenedBy != SideRaiser && m.ConvenedBy != SideResponder:
		add(path+".meeting.convened_by", "must be raiser or responder, not %q", m.ConvenedBy)
	}
	if m.Agencies < 0 || m.Agencies > 20 {
		add(path+".meeting.agencies", "is how many agencies a panel brings together (e.g. 3), not %d", m.Agencies)
	}
	if len(m.Name) > 60 {
		add(path+".meeting.name", "is what the policy calls the meeting, in a few words (60 characters at most)")
	}
}

// validateResponse checks a stage's written response rule.
func validateResponse(path string, s Stage, add func(path, format string, a ...any)) []PolicyError {
	r := s.Response
	if r == nil {
		return nil
	}
	if s.DecidedByOne() {
		add(path+".response", "a stage decided by one person asks no side for a written response")
	}
	if r.From != SideRaiser && r.From != SideResponder {
		add(path+".response.from", "must be raiser or responder, not %q", r.From)
	}
	errs := validateWindow(path+".response.within", r.Within, true)
	errs = append(errs, validateWindow(path+".response.remind", r.Remind, false)...)
	if r.Within.Amount > 0 && s.Window.Amount > 0 && validUnit(r.Within.Unit) && validUnit(s.Window.Unit) && approx(r.Within) > approx(s.Window) {
		add(path+".response.within", "must fit in the stage's window (%s)", s.Window)
	}
	return errs
}
