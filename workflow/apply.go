package workflow

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Calendar is the working-day clock the workflow needs
// (workflow/calendar implements it).
type Calendar interface {
	Location() *time.Location
	IsWorkingTime(t time.Time) bool
	NextWorkingStart(t time.Time) time.Time
	AddWorkingDays(t time.Time, n int) time.Time
	AddWorkingHours(t time.Time, d time.Duration) time.Time
	SubWorkingHours(t time.Time, d time.Duration) time.Time
}

// Env is what Apply needs besides the dispute: data, never a connection.
type Env struct {
	Policy    *Policy
	Directory *Directory
	Calendar  Calendar
	// Emergency is the partnership's emergency route (999, the front door /
	// MASH, the out-of-hours team), shown whenever immediate risk is named.
	Emergency []string
	// SubjectRef is the partnership's shape for case numbers, if it set one.
	SubjectRef SubjectRefRule
}

// MaxText bounds every free-text field.
const MaxText = 3000

// Apply runs one command. d is nil for Raise. history is the dispute's event
// log so far (used to give people new to a case its whole history). The
// dispute passed in is never changed: an accepted command returns a new
// one, a refused command returns a *Refusal and nothing else.
func Apply(env Env, d *Dispute, history []Event, cmd Command) (*Result, error) {
	if cmd.At.IsZero() {
		return nil, refuse(RefuseInvalid, "the command has no time")
	}
	if cmd.Actor == "" {
		// An empty actor would match the empty holder entries of a case.
		return nil, refuse(RefuseInvalid, "the command says nobody did it")
	}
	if cmd.Kind == CmdRaise {
		if d != nil {
			if cmd.Actor != SystemActor && !CanView(d, env.Directory, cmd.Actor) {
				return nil, UnknownCase(d.Ref)
			}
			return nil, refuse(RefuseState, "%s has already been raised", d.Ref)
		}
		if cmd.Actor == SystemActor {
			return nil, refuse(RefuseNotAllowed, "only a person can raise a disagreement, not Escalate itself")
		}
		return raise(env, cmd)
	}
	if d == nil {
		return nil, refuse(RefuseUnknownCase, "there is no such case")
	}
	env = env.forCase(d)
	// Permission first: someone who may not see the case learns nothing
	// about it, not even that it exists (see UnknownCase).
	if cmd.Actor != SystemActor && !CanView(d, env.Directory, cmd.Actor) {
		return nil, UnknownCase(d.Ref)
	}
	a := &applier{env: env, old: d, d: d.Clone(), history: history, cmd: cmd}
	if err := a.check(); err != nil {
		return nil, err
	}
	var err error
	switch cmd.Kind {
	case CmdComment:
		err = a.comment()
	case CmdPropose:
		err = a.propose()
	case CmdConfirm:
		err = a.confirm()
	case CmdReject:
		err = a.reject()
	case CmdEscalate:
		err = a.escalate()
	case CmdWithdraw:
		err = a.withdraw()
	case CmdNudge:
		err = a.nudge()
	case CmdLapse, CmdPrompt:
		err = a.lapse()
	case CmdAssignHolder:
		err = a.assign()
	case CmdConvenePanel:
		// Panels are meetings now (Stage.MeetingRule); a command of the
		// older kind convenes the same way.
		err = a.convene()
	case CmdResolve:
		err = a.resolve()
	case CmdDebrief:
		err = a.debrief()
	case CmdLearning:
		err = a.learning()
	case CmdPurge:
		err = a.purge()
	case CmdSetDeadline:
		err = a.setDeadline()
	case CmdRespond:
		err = a.respond()
	case CmdConveneMeeting:
		err = a.convene()
	case CmdMeetingOutcome:
		err = a.meetingOutcome()
	case CmdResponseNudge, CmdResponseLapse:
		err = a.responseTimer()
	case CmdAfterNudge, CmdAfterLapse:
		err = a.afterTimer()
	default:
		err = refuse(RefuseInvalid, "unknown command %q", cmd.Kind)
	}
	if err != nil {
		return nil, err
	}
	return a.result(), nil
}

type applier struct {
	env     Env
	old     *Dispute
	d       *Dispute
	history []Event
	cmd     Command
	res     Result
	msgN    int
	sooner  *soonerNote // a sooner deadline the command's event records
	// told are the people consulted at the stage being entered; the
	// command's event names them once (toldNoted).
	told      []UserID
	toldNoted bool
	// chosenNote says who chose whom to hold a stage the directory lists
	// nobody for (Policy.AnyoneWhereUnlisted), for the command's event.
	chosenNote []string
}

// check applies the rules every command shares, after permission to see
// the case (Apply): system-only commands, closed cases, then buttons and
// forms drawn before the case moved on.
func (a *applier) check() error {
	d, c := a.old, a.cmd
	timerCmd := c.Kind == CmdNudge || c.Kind == CmdLapse || c.Kind == CmdPrompt || c.Kind == CmdPurge || c.Kind == CmdResponseNudge || c.Kind == CmdResponseLapse ||
		c.Kind == CmdAfterNudge || c.Kind == CmdAfterLapse
	if timerCmd && c.Actor != SystemActor {
		return refuse(RefuseNotAllowed, "only Escalate itself can do that")
	}
	if !timerCmd && c.Actor == SystemActor {
		return refuse(RefuseNotAllowed, "only a person can do that, not Escalate itself")
	}
	post := c.Kind == CmdDebrief || c.Kind == CmdLearning || c.Kind == CmdPurge
	// A resolved case still takes the written response its stage asks
	// after resolution, and that response's timers.
	if d.State.Closed() && !post && !afterCommand(d, c.Kind) {
		return closedRefusal(d, a.when(d.ClosedAt))
	}
	if !d.State.Closed() && post {
		return refuse(RefuseState, "%s is still open; that comes after it closes", d.Ref)
	}
	return checkDrawn(a.env, d, a.history, c.Kind, c.ExpectStage, c.ExpectVersion)
}

// checkDrawn refuses a button or form drawn before the case moved on: to
// another stage (stage, when set), or, within the stage, on by a material
// change since version (when set). A note is refused only for a change of
// stage: it contradicts nothing, so nobody retypes one because a
// resolution was proposed meanwhile.
func checkDrawn(env Env, d *Dispute, history []Event, k CommandKind, stage, version int) error {
	if stage != 0 && stage != d.Stage {
		return movedOn(env, d, history)
	}
	if version == 0 || k == CmdComment {
		return nil
	}
	if version > d.Version {
		return refuse(RefuseInvalid, "that button or form does not match %s; open the case again", d.Ref)
	}
	if ch := LastChange(d, history); ch != nil && ch.Seq > version {
		return refuse(RefuseMovedOn, "%s has moved on since this was shown to you: %s, by %s on %s. Nothing you sent was recorded", d.Ref, lowerFirst(ch.Summary), ch.ActorName, formatTime(ch.At, env.Calendar.Location()))
	}
	return nil
}

// movedOn explains, from the log, what happened since the person looked.
func movedOn(env Env, d *Dispute, history []Event) error {
	for i := len(history) - 1; i >= 0; i-- {
		e := history[i]
		if e.Kind == CmdEscalate {
			return refuse(RefuseMovedOn, "%s was escalated to %s by %s on %s, so nothing you sent was recorded", d.Ref, env.Policy.StageName(e.Stage), e.ActorName, formatTime(e.At, env.Calendar.Location()))
		}
	}
	return refuse(RefuseMovedOn, "%s is now at %s, so nothing you sent was recorded", d.Ref, env.Policy.StageName(d.Stage))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func (a *applier) when(t time.Time) string {
	return formatTime(t, a.env.Calendar.Location())
}

func formatTime(t time.Time, loc *time.Location) string { return FormatTime(t, loc) }

func (a *applier) name(u UserID) string {
	if p, ok := a.env.Directory.Person(u); ok && p.Name != "" {
		return p.Name
	}
	if n := a.d.Names[u]; n != "" {
		return n
	}
	if n := a.cmd.Names[u]; n != "" {
		return n
	}
	return a.env.Directory.Name(u)
}

// event records one step. Summary must carry no free text.
func (a *applier) event(summary, text string, p *Proposal) {
	summary, text = a.withSooner(summary, text)
	if len(a.told) > 0 && !a.toldNoted {
		summary += "; told: " + a.toldNames()
		a.toldNoted = true
	}
	a.d.Version++
	e := Event{
		Ref: a.d.Ref, Seq: a.d.Version, Kind: a.cmd.Kind, Actor: a.cmd.Actor, ActorName: a.name(a.cmd.Actor),
		At: a.cmd.At, Stage: a.d.Stage, Summary: summary, Text: text, Proposal: p,
	}
	a.res.Events = append(a.res.Events, e)
	if Material(e.Kind) {
		a.d.Changed = changeOf(e)
	}
}

func (a *applier) result() *Result {
	a.keepNames()
	a.d.UpdatedAt = a.cmd.At
	a.res.Dispute = a.d
	a.res.PrevVersion = a.old.Version
	r := a.res
	return &r
}

// requireHolder refuses anyone not holding the case now.
func (a *applier) requireHolder() (Side, error) {
	s, ok := a.d.SideOf(a.cmd.Actor)
	if !ok {
		return "", refuse(RefuseNotHolder, "you don't hold %s at %s, so you can't do that; the people holding it are %s", a.d.Ref, a.env.Policy.StageName(a.d.Stage), a.names(a.d.Current().All()))
	}
	return s, nil
}

func (a *applier) names(ids []UserID) string {
	if len(ids) == 0 {
		return "nobody yet"
	}
	n := make([]string, len(ids))
	for i, id := range ids {
		n[i] = a.name(id)
	}
	return andList(n)
}

// andList is "A", "A and B", "A, B and C".
func andList(n []string) string {
	if len(n) < 2 {
		return strings.Join(n, "")
	}
	return strings.Join(n[:len(n)-1], ", ") + " and " + n[len(n)-1]
}

func requireText(field, what, s string) *Refusal {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return &Refusal{Code: RefuseInvalid, Message: what + " is required", Fields: map[string]string{field: what + " is required"}}
	case len(s) > MaxText:
		return &Refusal{Code: RefuseInvalid, Message: fmt.Sprintf("%s is too long (%d characters at most)", what, MaxText), Fields: map[string]string{field: fmt.Sprintf("%d characters at most", MaxText)}}
	}
	return nil
}

func (a *applier) comment() error {
	if !CanView(a.d, a.env.Directory, a.cmd.Actor) {
		return refuse(RefuseNotHolder, "you are not part of %s, so you can't add a note to it", a.d.Ref)
	}
	if r := requireText(FieldText, "The note", a.cmd.Text); r != nil {
		return r
	}
	a.event("Note added", strings.TrimSpace(a.cmd.Text), nil)
	for _, u := range a.audience() {
		if u == a.cmd.Actor {
			continue
		}
		a.dm(u, MsgNote, fmt.Sprintf("%s added a note to %s", a.name(a.cmd.Actor), a.d.Ref), []string{strings.TrimSpace(a.cmd.Text)}, a.actionsFor(u))
	}
	return nil
}

func (a *applier) withdraw() error {
	if a.cmd.Actor != a.d.Raiser.Person {
		return refuse(RefuseNotAllowed, "only the person who raised %s (%s) can withdraw it", a.d.Ref, a.name(a.d.Raiser.Person))
	}
	if r := requireText(FieldText, "The reason for withdrawing", a.cmd.Text); r != nil {
		return r
	}
	a.d.WithdrawReason = strings.TrimSpace(a.cmd.Text)
	a.close(StateWithdrawn, nil)
	a.event("Withdrawn by the raiser", a.d.WithdrawReason, nil)
	for _, u := range a.audience() {
		a.dm(u, MsgWithdrawn, fmt.Sprintf("%s was withdrawn by %s", a.d.Ref, a.name(a.cmd.Actor)), []string{"Reason: " + a.d.WithdrawReason}, nil)
	}
	a.feedOnResolution("Withdrawn by the raiser")
	return nil
}

func stageLabel(p *Policy, n int) string {
	if l := p.Stage(n).Label; l != "" {
		return l
	}
	return itoa(n)
}

func (a *applier) agencyNames(ids []string) string {
	n := make([]string, len(ids))
	for i, id := range ids {
		n[i] = a.env.Directory.AgencyName(id)
	}
	return strings.Join(n, ", ")
}

func uniqStrings(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// purge removes the free text of a closed case past retention; the counts
// and dates reports need stay.
func (a *applier) purge() error {
	if a.d.Purged {
		return refuse(RefuseState, "%s was already purged", a.d.Ref)
	}
	for _, f := range a.d.FreeText() {
		*f = ""
	}
	// The names the case kept of people the directory does not list go
	// too: past retention the case is counts and dates, not who it was
	// about or who worked on it. The record shows them by role.
	a.d.Names = nil
	if a.d.Changed != nil {
		a.d.Changed.ActorName = ""
	}
	a.d.Purged = true
	a.res.PurgeHistory = true
	a.event("Free text removed after the retention period", "", nil)
	return nil
}
