package workflow

import (
	"fmt"
	"strings"
	"time"
)

// CommandKind names a command.
type CommandKind string

const (
	CmdRaise        CommandKind = "raise"
	CmdComment      CommandKind = "comment"
	CmdPropose      CommandKind = "propose"
	CmdConfirm      CommandKind = "confirm"
	CmdReject       CommandKind = "reject"
	CmdEscalate     CommandKind = "escalate"
	CmdWithdraw     CommandKind = "withdraw"
	CmdNudge        CommandKind = "nudge"  // timer: the window closes soon
	CmdLapse        CommandKind = "lapse"  // timer: the window closed
	CmdPrompt       CommandKind = "prompt" // timer: daily reminder after a lapse
	CmdAssignHolder CommandKind = "assign_holder"
	CmdConvenePanel CommandKind = "convene_panel"
	CmdResolve      CommandKind = "resolve" // the chair resolves at the last stage
	CmdDebrief      CommandKind = "debrief"
	CmdLearning     CommandKind = "learning"     // tag learning themes
	CmdPurge        CommandKind = "purge"        // retention removed the free text
	CmdSetDeadline  CommandKind = "set_deadline" // a holder brings the stage's deadline forward
)

// CommandKinds lists every command, for metrics and fuzzing.
var CommandKinds = []CommandKind{CmdRaise, CmdComment, CmdPropose, CmdConfirm, CmdReject, CmdEscalate, CmdWithdraw, CmdNudge, CmdLapse, CmdPrompt, CmdAssignHolder, CmdConvenePanel, CmdResolve, CmdDebrief, CmdLearning, CmdPurge, CmdSetDeadline, CmdRespond, CmdResponseNudge, CmdResponseLapse, CmdConveneMeeting, CmdMeetingOutcome, CmdAfterNudge, CmdAfterLapse}

// RaiseInput is what the raiser fills in.
type RaiseInput struct {
	// Ref is allocated by the caller (the store's per-year counter).
	Ref              string      `json:"ref"`
	SubjectType      SubjectType `json:"subject_type"`
	SubjectRef       string      `json:"subject_ref"`
	Category         Category    `json:"category"`
	DecisionDisputed string      `json:"decision_disputed"`
	DecisionDate     Date        `json:"decision_date"`
	Plan             PlanStatus  `json:"plan"`
	Disagreement     string      `json:"disagreement"`
	OutcomeSought    string      `json:"outcome_sought"`
	Evidence         string      `json:"evidence"`
	RaiserAgency     string      `json:"raiser_agency"` // "" means the raiser's agency in the directory
	ResponderAgency  string      `json:"responder_agency"`
	Responder        UserID      `json:"responder"`
	ImmediateRisk    bool        `json:"immediate_risk"`
	StartStage       int         `json:"start_stage"` // 0 or 1 unless ImmediateRisk
	StartReason      string      `json:"start_reason"`
	// LateReason is why it is raised after the policy's time limit
	// (Policy.RaiseWithin); asked for only then.
	LateReason string `json:"late_reason,omitempty"`
	// Sooner optionally sets a deadline sooner than the policy's window.
	Sooner *Sooner `json:"sooner,omitempty"`
	// CoRaisers are other professionals who share the concern and raise it
	// together ("a range of professionals have concerns").
	CoRaisers []UserID `json:"co_raisers,omitempty"`
	// Holders optionally names the holders of a later start stage.
	Holders *StageHolders `json:"holders,omitempty"`
	// ResponderProblem is what was wrong with how the form named the
	// responder (an address that is not one, two people at once); set by
	// ParseRaise, reported by Validate.
	ResponderProblem string `json:"-"`
}

// Command is one thing a person (or a timer) asks of a dispute.
type Command struct {
	Kind  CommandKind `json:"kind"`
	Actor UserID      `json:"actor"`
	At    time.Time   `json:"at"`
	// ExpectStage, when set, is the stage the person saw (from a button):
	// if the case has moved on the command is refused and changes nothing.
	ExpectStage int `json:"expect_stage,omitempty"`
	// ExpectProposal, on Confirm, is the proposed resolution the person saw
	// (Action.Proposal): a newer one is never confirmed unseen.
	ExpectProposal int64 `json:"expect_proposal,omitempty"`
	// ExpectVersion, when set, is the case version the button or form was
	// drawn for: a material change since then (see Material) refuses the
	// command, and the person is told what happened, by whom and when.
	ExpectVersion int `json:"expect_version,omitempty"`

	Raise    *RaiseInput `json:"raise,omitempty"`
	Text     string      `json:"text,omitempty"` // note, reason, debrief
	Proposal *Proposal   `json:"proposal,omitempty"`
	// Holders are chosen holders for Escalate (the next stage) or
	// AssignHolder (the current stage); nil means from the directory.
	Holders *StageHolders `json:"holders,omitempty"`
	Panel   []string      `json:"panel,omitempty"`  // agencies on a resolution panel
	Themes  []string      `json:"themes,omitempty"` // learning themes
	Timer   *Timer        `json:"timer,omitempty"`  // for Nudge, Lapse, Prompt
	// Sooner brings the stage's deadline forward (Escalate, SetDeadline).
	Sooner *Sooner `json:"sooner,omitempty"`
	// ToStage, on Escalate, is a stage beyond the next one, skipping the
	// optional stages between, for SkipReason; 0 is the next stage.
	// Meeting is the meeting convened (ConveneMeeting): its day,
	// attendees and chair.
	Meeting *Meeting `json:"meeting,omitempty"`
	// MeetingResolved, on MeetingOutcome: the meeting resolved it.
	MeetingResolved bool   `json:"meeting_resolved,omitempty"`
	ToStage         int    `json:"to_stage,omitempty"`
	SkipReason      string `json:"skip_reason,omitempty"`
	// Names are the platform's names of people the command involves whom
	// the directory does not list (see Unnamed); the case keeps them.
	Names map[UserID]string `json:"names,omitempty"`
}

// Event is one entry of a case's written record.
type Event struct {
	Ref   string      `json:"ref"`
	Seq   int         `json:"seq"` // the dispute's version after the command
	Kind  CommandKind `json:"kind"`
	Actor UserID      `json:"actor"`
	// ActorName is the name at the time, for the record.
	ActorName string    `json:"actor_name"`
	At        time.Time `json:"at"`
	Stage     int       `json:"stage"`
	// Summary carries no free text: safe for the feed, reports and logs.
	Summary string `json:"summary"`
	// Text is the person's words (reason, note, proposal, debrief).
	Text     string    `json:"text,omitempty"`
	Proposal *Proposal `json:"proposal,omitempty"`
}

// TimerKind names a timer.
type TimerKind string

const (
	TimerRemind TimerKind = "remind" // before the window closes
	TimerLapse  TimerKind = "lapse"  // when it closes
	TimerPrompt TimerKind = "prompt" // once a working day after it closed
)

// Timer is a due time for a dispute. Stage and StageVersion say what it was
// set for, so one that outlived its stage does nothing.
type Timer struct {
	Ref          string    `json:"ref"`
	Kind         TimerKind `json:"kind"`
	Stage        int       `json:"stage"`
	StageVersion int       `json:"stage_version"`
	Due          time.Time `json:"due"`
}

// ID is unique per dispute, kind and stage.
func (t Timer) ID() string { return fmt.Sprintf("%s|%s|%d", t.Ref, t.Kind, t.Stage) }

// Command is the command the timer runs.
func (t Timer) Command(now time.Time) Command {
	k := map[TimerKind]CommandKind{TimerRemind: CmdNudge, TimerLapse: CmdLapse, TimerPrompt: CmdPrompt,
		TimerResponseRemind: CmdResponseNudge, TimerResponseDue: CmdResponseLapse,
		TimerAfterRemind: CmdAfterNudge, TimerAfterDue: CmdAfterLapse}[t.Kind]
	tt := t
	return Command{Kind: k, Actor: SystemActor, At: now, Timer: &tt}
}

// Result is what an accepted command produces; the store writes it in one
// atomic operation.
type Result struct {
	Dispute *Dispute `json:"dispute"`
	// PrevVersion is the version the command was applied to (0 for Raise).
	PrevVersion int     `json:"prev_version"`
	Events      []Event `json:"events"`
	// ClearTimers removes every pending timer of the dispute before Timers are set.
	ClearTimers bool      `json:"clear_timers"`
	Timers      []Timer   `json:"timers,omitempty"`
	Messages    []Message `json:"messages,omitempty"`
	// PurgeHistory asks the store to blank the free text of every event
	// already in the log (retention).
	PurgeHistory bool `json:"purge_history,omitempty"`
}

// RefusalCode classifies a refusal.
type RefusalCode string

const (
	RefuseNotHolder   RefusalCode = "not_holder"   // you don't hold this case
	RefuseNotAllowed  RefusalCode = "not_allowed"  // your role may not do this
	RefuseMovedOn     RefusalCode = "moved_on"     // the case changed since you saw it
	RefuseClosed      RefusalCode = "closed"       // the case is closed
	RefuseInvalid     RefusalCode = "invalid"      // the input is wrong (see Fields)
	RefuseState       RefusalCode = "state"        // not possible in the case's state
	RefuseStaleTimer  RefusalCode = "stale_timer"  // a timer that outlived its stage
	RefuseNoHolders   RefusalCode = "no_holders"   // nobody to hand the case to
	RefuseUnknownCase RefusalCode = "unknown_case" // no such case
)

// Refusal is a command the workflow declined, with a sentence the adapter
// shows the person as it is. A refusal changes nothing.
type Refusal struct {
	Code    RefusalCode
	Message string
	// Fields are per-field problems for forms (field name → message).
	Fields map[string]string
}

func (r *Refusal) Error() string { return r.Message }

// Sentence is the refusal as a person reads it: a capital first and a full
// stop at the end ("You don't hold ESC-2026-0001 at Stage 2.").
func (r *Refusal) Sentence() string { return Sentence(r.Message) }

// Sentence makes s start with a capital and end with a full stop, so every
// surface shows the workflow's words in sentence case.
func Sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = upperFirst(s)
	switch s[len(s)-1] {
	case '.', '?', '!':
		return s
	}
	return s + "."
}

func refuse(code RefusalCode, format string, a ...any) *Refusal {
	return &Refusal{Code: code, Message: fmt.Sprintf(format, a...)}
}
