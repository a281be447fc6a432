package workflow

import (
	"maps"
	"slices"
	"time"
)

// Party is one side of the disagreement as it was raised.
type Party struct {
	Agency string `json:"agency"`
	Person UserID `json:"person"`
}

// StageHolders are the people holding the case at one stage.
type StageHolders struct {
	Stage     int       `json:"stage"`
	Raiser    []UserID  `json:"raiser,omitempty"`
	Responder []UserID  `json:"responder,omitempty"`
	Chair     []UserID  `json:"chair,omitempty"`
	Since     time.Time `json:"since"`
}

// All is every holder at this stage.
func (h StageHolders) All() []UserID {
	return uniq(append(append(append([]UserID(nil), h.Raiser...), h.Responder...), h.Chair...))
}

// Side is the people on one side.
func (h StageHolders) Side(s Side) []UserID {
	switch s {
	case SideRaiser:
		return h.Raiser
	case SideResponder:
		return h.Responder
	}
	return h.Chair
}

// Proposal is a proposed resolution: the written confirmation between the
// parties the policies ask for.
type Proposal struct {
	Outcome         string    `json:"outcome"`
	Outstanding     string    `json:"outstanding,omitempty"`
	HowPursued      string    `json:"how_pursued,omitempty"`
	RecordedOnFile  bool      `json:"recorded_on_file"`
	ProposedBy      UserID    `json:"proposed_by"`
	ProposedBySide  Side      `json:"proposed_by_side"`
	ProposedAt      time.Time `json:"proposed_at"`
	ConfirmedBy     UserID    `json:"confirmed_by,omitempty"`
	ConfirmedAt     time.Time `json:"confirmed_at,omitzero"`
	ResolvedByChair bool      `json:"resolved_by_chair,omitempty"`
}

// Debrief is a party's short reflection after closure.
type Debrief struct {
	By   UserID    `json:"by"`
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// Dispute is one professional disagreement.
type Dispute struct {
	Ref      string `json:"ref"`
	PolicyID string `json:"policy_id"`
	// Route is the policy's route the case follows ("" the main one).
	Route            string      `json:"route,omitempty"`
	SubjectType      SubjectType `json:"subject_type"`
	SubjectRef       string      `json:"subject_ref"` // the agency's case number; never a name
	Category         Category    `json:"category"`
	DecisionDisputed string      `json:"decision_disputed"`
	DecisionDate     Date        `json:"decision_date,omitempty"`
	Plan             PlanStatus  `json:"plan"`
	Disagreement     string      `json:"disagreement"`
	OutcomeSought    string      `json:"outcome_sought"`
	Evidence         string      `json:"evidence"`
	Raiser           Party       `json:"raiser"`
	// CoRaisers share the raiser's concern: they hold the first stage with
	// the raiser, are told every step and may add notes.
	CoRaisers     []UserID `json:"co_raisers,omitempty"`
	Responder     Party    `json:"responder"`
	ImmediateRisk bool     `json:"immediate_risk"`
	StartStage    int      `json:"start_stage"`
	StartReason   string   `json:"start_reason,omitempty"`
	// RaisedLate: raised after the policy's time limit (Policy.RaiseWithin),
	// for LateReason.
	RaisedLate bool   `json:"raised_late,omitempty"`
	LateReason string `json:"late_reason,omitempty"`

	Stage int   `json:"stage"`
	State State `json:"state"`
	// Holders has one entry per stage reached, in order.
	Holders []StageHolders `json:"holders"`
	// StageVersion is the version at which the current stage began; timers
	// carry it so that one set for an earlier stage does nothing.
	StageVersion int       `json:"stage_version"`
	StageStarted time.Time `json:"stage_started"` // when the window opened (normalised to working time)
	Deadline     time.Time `json:"deadline"`
	Lapsed       bool      `json:"lapsed"`
	// ResponseDue is when the stage's written response is due (Stage.Response),
	// RespondedAt when it was given.
	ResponseDue time.Time `json:"response_due,omitzero"`
	RespondedAt time.Time `json:"responded_at,omitzero"`
	LapsedCount int       `json:"lapsed_count"` // windows that lapsed over the case's life
	// AfterDue is when the written response the resolving stage asks after
	// resolution is due (Stage.AfterResolution); AfterGivenAt and
	// AfterGivenBy say when it was given and by whom.
	AfterDue     time.Time `json:"after_resolution_due,omitzero"`
	AfterGivenAt time.Time `json:"after_resolution_given_at,omitzero"`
	AfterGivenBy UserID    `json:"after_resolution_given_by,omitempty"`

	Proposal       *Proposal `json:"proposal,omitempty"`
	Outcome        *Proposal `json:"outcome,omitempty"`
	WithdrawReason string    `json:"withdraw_reason,omitempty"`
	Panel          []string  `json:"panel,omitempty"` // agencies on the resolution panel
	// Meeting is the latest meeting convened for the case (Stage.Meeting).
	Meeting  *Meeting  `json:"meeting,omitempty"`
	Debriefs []Debrief `json:"debriefs,omitempty"`
	// Consulted are the people told at a stage who hold none (Stage.Tell):
	// they see the case and add notes, and cannot act.
	Consulted []UserID `json:"consulted,omitempty"`
	Themes    []string `json:"themes,omitempty"`
	// Names are the platform's names of the people of the case whom the
	// directory does not list, kept when they joined it (see NameOf).
	Names map[UserID]string `json:"names,omitempty"`

	// Changed is the latest material change (see Material): a button or
	// form drawn at an earlier version is refused.
	Changed *Change `json:"changed,omitempty"`

	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	ClosedAt  time.Time `json:"closed_at,omitzero"`
	// Purged is set when retention removed the free text.
	Purged bool `json:"purged,omitempty"`
}

// Current is who holds the case now.
func (d *Dispute) Current() StageHolders {
	for i := len(d.Holders) - 1; i >= 0; i-- {
		if d.Holders[i].Stage == d.Stage {
			return d.Holders[i]
		}
	}
	return StageHolders{Stage: d.Stage}
}

// SideOf is the side the person holds the case on now, if any.
func (d *Dispute) SideOf(u UserID) (Side, bool) {
	h := d.Current()
	switch {
	case contains(h.Raiser, u):
		return SideRaiser, true
	case contains(h.Responder, u):
		return SideResponder, true
	case contains(h.Chair, u):
		return SideChair, true
	}
	return "", false
}

// Holds reports whether the person holds the case at its current stage.
func (d *Dispute) Holds(u UserID) bool {
	_, ok := d.SideOf(u)
	return ok
}

// Involved is everyone who has held the case, raised it or been raised with.
func (d *Dispute) Involved() []UserID {
	ids := append([]UserID{d.Raiser.Person, d.Responder.Person}, d.CoRaisers...)
	for _, h := range d.Holders {
		ids = append(ids, h.All()...)
	}
	return uniq(append(ids, d.Consulted...))
}

// IsInvolved reports whether the person has been part of the case.
func (d *Dispute) IsInvolved(u UserID) bool { return contains(d.Involved(), u) }

// CanView reports whether the person may see the case and its free text:
// the people holding or having held it, the business team and the chair.
func CanView(d *Dispute, dir *Directory, u UserID) bool {
	return d.IsInvolved(u) || dir.InBusinessTeam(u) || dir.IsChair(u)
}

// Clone is a deep copy, so that Apply never changes what it was given.
func (d *Dispute) Clone() *Dispute {
	c := *d
	c.Holders = make([]StageHolders, len(d.Holders))
	for i, h := range d.Holders {
		h.Raiser = slices.Clone(h.Raiser)
		h.Responder = slices.Clone(h.Responder)
		h.Chair = slices.Clone(h.Chair)
		c.Holders[i] = h
	}
	if d.Proposal != nil {
		p := *d.Proposal
		c.Proposal = &p
	}
	if d.Outcome != nil {
		p := *d.Outcome
		c.Outcome = &p
	}
	if d.Changed != nil {
		ch := *d.Changed
		c.Changed = &ch
	}
	c.Panel = slices.Clone(d.Panel)
	c.Debriefs = slices.Clone(d.Debriefs)
	c.Consulted = slices.Clone(d.Consulted)
	c.CoRaisers = slices.Clone(d.CoRaisers)
	if d.Meeting != nil {
		m := *d.Meeting
		m.Attendees = slices.Clone(m.Attendees)
		m.Agencies = slices.Clone(m.Agencies)
		c.Meeting = &m
	}
	c.Themes = slices.Clone(d.Themes)
	c.Names = maps.Clone(d.Names)
	return &c
}

// FreeText lists every field that holds free text or the subject reference:
// what is encrypted at rest, kept out of channels and logs, and removed by
// retention.
func (d *Dispute) FreeText() []*string {
	f := []*string{&d.SubjectRef, &d.DecisionDisputed, &d.Disagreement, &d.OutcomeSought, &d.Evidence, &d.StartReason, &d.LateReason, &d.WithdrawReason}
	for _, p := range []*Proposal{d.Proposal, d.Outcome} {
		if p != nil {
			f = append(f, &p.Outcome, &p.Outstanding, &p.HowPursued)
		}
	}
	for i := range d.Debriefs {
		f = append(f, &d.Debriefs[i].Text)
	}
	return f
}

func uniq(ids []UserID) []UserID {
	var out []UserID
	for _, id := range ids {
		if id != "" && !contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
