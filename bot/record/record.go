// Package record builds a case's complete written record: what the
// disagreement was, who held it at each stage, every step in order with the
// people's own words, the agreed outcome and how outstanding issues will be
// pursued. Every policy Escalate implements asks for this record, shared
// with the worker who raised the concern and put on the child's or adult's
// file. It is written as Markdown, JSON, PDF or an accessible HTML page.
//
// The record carries free text and the subject reference: it goes only to
// people allowed to see the case (ForViewer) or to an operator at the
// command line (Write), never to a channel.
package record

import (
	"strconv"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// Record is the written record of one case, with every name, label and time
// already resolved for reading (times in the partnership's time zone).
type Record struct {
	// Practice marks a record made in the practice console: every page of
	// it says so, so that it can never be taken for a real child's record.
	Practice bool `json:"practice,omitempty"`

	Ref         string `json:"ref"`
	Partnership string `json:"partnership"`
	PolicyID    string `json:"policy_id"`
	// TimeZone names the zone every time of the record is in.
	TimeZone string `json:"time_zone"`

	SubjectType      string `json:"subject_type"`
	SubjectRef       string `json:"subject_ref"`
	Plan             string `json:"plan"`
	Category         string `json:"category"`
	DecisionDisputed string `json:"decision_disputed,omitempty"`
	DecisionDate     string `json:"decision_date,omitempty"`
	Disagreement     string `json:"disagreement"`
	OutcomeSought    string `json:"outcome_sought"`
	Evidence         string `json:"evidence"`

	Raiser    Party `json:"raiser"`
	Responder Party `json:"responder"`

	ImmediateRisk bool   `json:"immediate_risk"`
	StartStage    string `json:"start_stage"`
	StartReason   string `json:"start_reason,omitempty"`
	// LateReason is why it was raised after the policy's time limit on
	// raising (RaisedLate).
	RaisedLate bool   `json:"raised_late,omitempty"`
	LateReason string `json:"late_reason,omitempty"`
	// StageReached is the furthest stage the case went to.
	StageReached string `json:"stage_reached"`
	// Route is the policy's route the case followed, when not the main one.
	Route  string    `json:"route,omitempty"`
	State  string    `json:"state"`
	Raised time.Time `json:"raised"`
	Closed time.Time `json:"closed,omitzero"`
	// LapsedWindows counts the stage windows that closed without a resolution.
	LapsedWindows int `json:"lapsed_windows"`

	// Stages are the people who held the case at each stage it reached.
	Stages []Stage `json:"stages"`
	// Events are every step, in order.
	Events []Event `json:"events"`

	// Outcome is the agreed (or the chair's) outcome of a resolved case.
	Outcome *Outcome `json:"outcome,omitempty"`
	// AfterResolution is the written response the resolving stage asks
	// after resolution ("a letter confirming the outcome"): due and not
	// yet given, or who gave it and when (their words are its event's).
	AfterResolution *AfterResolution `json:"after_resolution,omitempty"`
	// WithdrawReason is the raiser's reason for withdrawing a withdrawn case.
	WithdrawReason string    `json:"withdraw_reason,omitempty"`
	Panel          []string  `json:"panel,omitempty"` // agencies on the resolution panel
	Debriefs       []Debrief `json:"debriefs,omitempty"`
	Themes         []string  `json:"themes,omitempty"`

	// Purged says retention removed the case's free text: the record keeps
	// its steps, people and dates, not its words.
	Purged bool `json:"purged,omitempty"`
}

// Party is one side of the disagreement as it was raised.
type Party struct {
	Agency string `json:"agency"`
	Person string `json:"person"`
}

// Stage is who held the case at one stage.
type Stage struct {
	Number int       `json:"number"`
	Name   string    `json:"name"`
	Role   string    `json:"role"`
	Window string    `json:"window"`
	Since  time.Time `json:"since"`
	// The people on each side (the chair's stage has only Chair).
	Raiser    []string `json:"raiser,omitempty"`
	Responder []string `json:"responder,omitempty"`
	Chair     []string `json:"chair,omitempty"`
	// RaiserAgency and ResponderAgency name the agencies of the two sides.
	RaiserAgency    string `json:"raiser_agency,omitempty"`
	ResponderAgency string `json:"responder_agency,omitempty"`
}

// Event is one step of the case.
type Event struct {
	Seq     int       `json:"seq"`
	At      time.Time `json:"at"`
	Stage   string    `json:"stage"`
	Actor   string    `json:"actor"`
	Kind    string    `json:"kind"`
	Summary string    `json:"summary"`
	// WordsLabel says what Words are ("Reason for escalating", "Note").
	WordsLabel string `json:"words_label,omitempty"`
	Words      string `json:"words,omitempty"`
	// Proposal is a proposed, confirmed or chair's resolution.
	Proposal *Outcome `json:"proposal,omitempty"`
}

// Outcome is a resolution: the written confirmation between the parties
// of the agreed outcome and how any outstanding issues will be pursued.
type Outcome struct {
	Agreed          string    `json:"agreed"`
	Outstanding     string    `json:"outstanding,omitempty"`
	HowPursued      string    `json:"how_pursued,omitempty"`
	RecordedOnFile  bool      `json:"recorded_on_file"`
	ProposedBy      string    `json:"proposed_by"`
	ProposedAt      time.Time `json:"proposed_at"`
	ConfirmedBy     string    `json:"confirmed_by,omitempty"`
	ConfirmedAt     time.Time `json:"confirmed_at,omitzero"`
	ResolvedByChair bool      `json:"resolved_by_chair,omitempty"`
}

// AfterResolution is a written response due after resolution, as the
// record shows it: "Letter confirming the outcome: due Fri 6 Mar 2026,
// 10:00 from …, not yet given".
type AfterResolution struct {
	What   string `json:"what"`
	Status string `json:"status"`
}

// Debrief is a party's reflection after the case closed.
type Debrief struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// Build makes the record of d from its event log. Names come from the
// directory, else the names the case kept from the platforms (for events,
// the name the person had when they acted), never a platform id; times
// are put in the calendar's time zone.
func Build(env workflow.Env, d *workflow.Dispute, events []workflow.Event) Record {
	loc := location(env)
	p, dir := env.Policy.For(d), env.Directory
	in := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.In(loc)
	}
	names := func(ids []workflow.UserID) []string {
		var n []string
		for _, id := range ids {
			n = append(n, d.NameOf(dir, id))
		}
		return n
	}
	outcome := func(o *workflow.Proposal) *Outcome {
		if o == nil {
			return nil
		}
		r := &Outcome{
			Agreed: o.Outcome, Outstanding: o.Outstanding, HowPursued: o.HowPursued, RecordedOnFile: o.RecordedOnFile,
			ProposedBy: d.NameOf(dir, o.ProposedBy), ProposedAt: in(o.ProposedAt), ConfirmedAt: in(o.ConfirmedAt),
			ResolvedByChair: o.ResolvedByChair,
		}
		if o.ConfirmedBy != "" {
			r.ConfirmedBy = d.NameOf(dir, o.ConfirmedBy)
		}
		return r
	}

	r := Record{
		Ref: d.Ref, Partnership: p.Partnership, PolicyID: d.PolicyID, TimeZone: loc.String(),
		SubjectType: d.SubjectType.Label(), SubjectRef: d.SubjectRef, Plan: d.Plan.Label(), Category: d.Category.Label(),
		DecisionDisputed: d.DecisionDisputed, DecisionDate: string(d.DecisionDate),
		Disagreement: d.Disagreement, OutcomeSought: d.OutcomeSought, Evidence: d.Evidence,
		Raiser:        Party{Agency: dir.AgencyName(d.Raiser.Agency), Person: d.NameOf(dir, d.Raiser.Person)},
		Responder:     Party{Agency: dir.AgencyName(d.Responder.Agency), Person: d.NameOf(dir, d.Responder.Person)},
		ImmediateRisk: d.ImmediateRisk, StartStage: p.StageName(max(d.StartStage, 1)), StartReason: d.StartReason,
		RaisedLate: d.RaisedLate, LateReason: d.LateReason,
		StageReached: p.StageName(d.Stage), State: StateLabel(d.State), Route: routeName(env.Policy, d),
		Raised: in(d.CreatedAt), Closed: in(d.ClosedAt), LapsedWindows: d.LapsedCount,
		Outcome: outcome(d.Outcome), WithdrawReason: d.WithdrawReason,
		Themes: append([]string(nil), d.Themes...), Purged: d.Purged,
	}
	for _, ag := range d.Panel {
		r.Panel = append(r.Panel, dir.AgencyName(ag))
	}
	if what, status, ok := workflow.AfterResolutionStatus(env, d); ok {
		r.AfterResolution = &AfterResolution{What: what, Status: status}
	}
	for _, h := range d.Holders {
		st := p.Stage(h.Stage)
		s := Stage{
			Number: h.Stage, Name: p.StageName(h.Stage), Role: p.StageRoles(h.Stage), Window: st.Window.String(), Since: in(h.Since),
			Raiser: names(h.Raiser), Responder: names(h.Responder), Chair: names(h.Chair),
		}
		if len(h.Raiser) > 0 {
			s.RaiserAgency = r.Raiser.Agency
		}
		if len(h.Responder) > 0 {
			s.ResponderAgency = r.Responder.Agency
		}
		r.Stages = append(r.Stages, s)
	}
	for _, e := range events {
		actor := e.ActorName
		if actor == "" {
			actor = d.NameOf(dir, e.Actor)
		}
		ev := Event{
			Seq: e.Seq, At: in(e.At), Stage: p.StageName(e.Stage), Actor: actor, Kind: string(e.Kind),
			Summary: e.Summary, Words: e.Text, Proposal: outcome(e.Proposal),
		}
		if ev.Words != "" {
			ev.WordsLabel = wordsLabel(e.Kind)
			if e.Kind == workflow.CmdRaise && d.RaisedLate {
				ev.WordsLabel = "Reasons given" // each reason says what it is for
			}
		}
		r.Events = append(r.Events, ev)
	}
	for _, db := range d.Debriefs {
		r.Debriefs = append(r.Debriefs, Debrief{By: d.NameOf(dir, db.By), At: in(db.At), Text: db.Text})
	}
	return r
}

func location(env workflow.Env) *time.Location {
	if env.Calendar != nil {
		if loc := env.Calendar.Location(); loc != nil {
			return loc
		}
	}
	if loc, err := time.LoadLocation("Europe/London"); err == nil {
		return loc
	}
	return time.UTC
}

// StateLabel is a case's state as people say it.
func StateLabel(s workflow.State) string {
	switch s {
	case workflow.StateOpen:
		return "open"
	case workflow.StateProposed:
		return "open, a resolution proposed"
	case workflow.StatePanel:
		return "open, a resolution panel convened"
	case workflow.StateResolved:
		return "resolved"
	case workflow.StateWithdrawn:
		return "withdrawn"
	}
	return string(s)
}

// wordsLabel says what a person's words on a step are.
func wordsLabel(k workflow.CommandKind) string {
	switch k {
	case workflow.CmdRaise:
		return "Why it started at a later stage"
	case workflow.CmdComment:
		return "Note"
	case workflow.CmdReject:
		return "Why the proposed resolution was not agreed"
	case workflow.CmdEscalate:
		return "Reason for escalating"
	case workflow.CmdWithdraw:
		return "Reason for withdrawing"
	case workflow.CmdConvenePanel:
		return "The chair's note"
	case workflow.CmdDebrief:
		return "Debrief"
	case workflow.CmdRespond:
		return "Written response"
	}
	return "Words"
}

// FormatTime is how the record shows a time: Escalate's one style with
// the year, since a record is kept on file for years: "Mon 2 Mar 2026,
// 10:00". Times reach the record already in the partnership's zone.
func FormatTime(t time.Time) string {
	return workflow.FormatTimeYear(t, t.Location())
}

// Field is one labelled line of a record's summary.
type Field struct{ Label, Value string }

// CaseFields is the case's summary, in order, for every format; a
// renderer leaves out fields with no value.
func (rec Record) CaseFields() []Field {
	about := rec.SubjectType
	if rec.SubjectRef != "" {
		about += ", case number " + rec.SubjectRef
	}
	f := []Field{
		{"Reference", rec.Ref}, {"About", about}, {"Current plan", rec.Plan}, {"Category", rec.Category},
		{"Raised by", rec.Raiser.Person + " (" + rec.Raiser.Agency + ")"},
		{"Raised with", rec.Responder.Person + " (" + rec.Responder.Agency + ")"},
		{"Raised", FormatTime(rec.Raised)},
	}
	if rec.ImmediateRisk {
		f = append(f, Field{"Risk of immediate harm", "yes"})
	}
	if rec.Route != "" {
		f = append(f, Field{"Route", rec.Route})
	}
	if rec.RaisedLate {
		late := rec.LateReason
		if late == "" && rec.Purged {
			late = "yes (the reason was removed after the retention period)"
		}
		f = append(f, Field{"Raised after the policy's time limit", late})
	}
	f = append(f, Field{"Started at", rec.StartStage}, Field{"Why it started at a later stage", rec.StartReason},
		Field{"Stage reached", rec.StageReached}, Field{"State", rec.State})
	if !rec.Closed.IsZero() {
		f = append(f, Field{"Closed", FormatTime(rec.Closed)})
	}
	return append(f, Field{"Windows lapsed", strconv.Itoa(rec.LapsedWindows)})
}

// DisagreementFields are the raiser's words, in order, for every format.
func (rec Record) DisagreementFields() []Field {
	var f []Field
	if rec.DecisionDisputed != "" {
		dd := rec.DecisionDisputed
		if rec.DecisionDate != "" {
			dd += " (" + workflow.DateWords(workflow.Date(rec.DecisionDate), time.Time{}, nil) + ")"
		}
		f = append(f, Field{"Decision disputed", dd})
	}
	return append(f, Field{"The disagreement", rec.Disagreement}, Field{"Outcome sought", rec.OutcomeSought}, Field{"Evidence", rec.Evidence})
}

// PracticeMark is the words every practice output carries.
const PracticeMark = "PRACTICE — not a real case"

// routeName is the name of the policy's route d followed, "" for the main one.
func routeName(p *workflow.Policy, d *workflow.Dispute) string {
	for _, r := range p.Routes {
		if r.ID == d.Route {
			return r.Name
		}
	}
	return ""
}
