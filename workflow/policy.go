package workflow

import (
	"fmt"
	"strings"
	"time"
)

// WindowUnit says how a stage's window is counted.
type WindowUnit string

const (
	WorkingDays  WindowUnit = "working_days"
	WorkingHours WindowUnit = "working_hours"
	Hours        WindowUnit = "hours" // calendar hours ("48 hours")
)

// Window is a length of time on the working-day clock.
type Window struct {
	Amount int        `yaml:"amount" json:"amount"`
	Unit   WindowUnit `yaml:"unit" json:"unit"`
}

func (w Window) String() string {
	switch w.Unit {
	case WorkingDays:
		if w.Amount == 1 {
			return "1 working day"
		}
		return fmt.Sprintf("%d working days", w.Amount)
	case WorkingHours:
		return fmt.Sprintf("%d working hours", w.Amount)
	case Hours:
		return fmt.Sprintf("%d hours", w.Amount)
	}
	return fmt.Sprintf("%d %s", w.Amount, w.Unit)
}

// FinalAction is what the last stage does.
type FinalAction string

const (
	FinalNone         FinalAction = ""               // the holders resolve between them, as at every other stage
	FinalChairResolve FinalAction = "chair_resolves" // the chair resolves directly
	FinalChairOrPanel FinalAction = "chair_or_panel" // the chair resolves directly or convenes a resolution panel
	// FinalDecider: one person who is not the chair decides (Coventry: "the
	// Head of Safeguarding who will identify how to resolve this issue"):
	// the holders of the stage's role in DeciderAgency.
	FinalDecider FinalAction = "decider"
)

// DecidedByOne reports whether one person (or one office) holds the stage
// for both sides and resolves it directly: the chair, or a decider.
func (s Stage) DecidedByOne() bool { return s.Role == RoleChair || s.Final == FinalDecider }

// Stage is one tier of a policy.
type Stage struct {
	// Label is how the policy numbers it ("1", "1b", "4").
	Label string `yaml:"label" json:"label"`
	Name  string `yaml:"name" json:"name"`
	// Role holds the case on each side at this stage, unless a side names
	// its own (RaiserRole, ResponderRole; see RoleOn).
	Role          Role   `yaml:"role" json:"role"`
	RaiserRole    Role   `yaml:"raiser_role,omitempty" json:"raiser_role,omitempty"`
	ResponderRole Role   `yaml:"responder_role,omitempty" json:"responder_role,omitempty"`
	Window        Window `yaml:"window" json:"window"`
	// Remind is how long before the window closes the holders are nudged
	// (on the working-day clock); zero means no reminder.
	Remind Window `yaml:"remind" json:"remind"`
	// WindowAgreed: the window is the most the policy allows and the
	// holders agree this case's deadline within it ("timescales agreed
	// between the two"), recorded with Set the deadline.
	WindowAgreed bool `yaml:"window_agreed,omitempty" json:"window_agreed,omitempty"`
	// Tell are roles told when a case reaches this stage without holding
	// it: an adviser, the IRO, the chair for learning. Those of each side's
	// agency (the chair: the partnership's) see the case and its history
	// and may add notes; they cannot act.
	Tell []Role `yaml:"tell,omitempty" json:"tell,omitempty"`
	// Optional: whoever escalates past the stage before it may skip this
	// one ("if the manager deems it appropriate"; a flat management
	// structure), with a recorded reason.
	Optional bool `yaml:"optional,omitempty" json:"optional,omitempty"`
	// Meeting makes the stage a meeting (see MeetingRule).
	Meeting *MeetingRule `yaml:"meeting,omitempty" json:"meeting,omitempty"`
	// Response is a written response the stage asks of one side by a
	// deadline of its own.
	Response *ResponseRule `yaml:"response,omitempty" json:"response,omitempty"`
	// AfterResolution is a written response the stage asks of one side
	// once a case is resolved at it ("confirm the outcome by letter within
	// a further 2 working days"), due from the resolution.
	AfterResolution *ResponseRule `yaml:"after_resolution,omitempty" json:"after_resolution,omitempty"`
	// DeciderAgency is the agency whose holder of Role decides the last
	// stage (Final decider).
	DeciderAgency string `yaml:"decider_agency,omitempty" json:"decider_agency,omitempty"`
	// NotifyBusinessTeam: the business team is told from this stage on.
	NotifyBusinessTeam bool        `yaml:"notify_business_team" json:"notify_business_team"`
	Final              FinalAction `yaml:"final,omitempty" json:"final,omitempty"`
	// Source quotes the policy words the stage was taken from, or says where
	// the policy is silent and which default was chosen.
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
}

// Policy is a partnership's escalation policy: an ordered list of stages.
type Policy struct {
	ID          string `yaml:"id" json:"id"`
	Partnership string `yaml:"partnership" json:"partnership"`
	// Subjects this policy covers (children, adults or both).
	Subjects []SubjectType `yaml:"subjects" json:"subjects"`
	Stages   []Stage       `yaml:"stages" json:"stages"`
	// Routes are separate paths for some categories (see Route).
	Routes []Route `yaml:"routes,omitempty" json:"routes,omitempty"`
	// Roles are the partnership's own roles, beside the built-in ones.
	Roles []RoleDef `yaml:"roles,omitempty" json:"roles,omitempty"`
	// NotifyOnResolution tells the business team when a case resolves even
	// if it never reached a stage that notifies them.
	NotifyOnResolution bool `yaml:"notify_on_resolution" json:"notify_on_resolution"`
	// LapseNotifiesNextTier: when a window lapses, the next tier's holders
	// are told too, not only the raiser's side.
	LapseNotifiesNextTier bool `yaml:"lapse_notifies_next_tier" json:"lapse_notifies_next_tier"`
	// WithinAgency allows disagreements between two people of one agency.
	WithinAgency bool `yaml:"within_agency" json:"within_agency"`
	// AnyoneWhereUnlisted lets the person escalating name anyone to hold
	// a stage for an agency the directory lists nobody to hold it for;
	// the record says who chose whom (see holders.go). Off, nobody can be
	// made to hold such a stage until the directory lists someone.
	AnyoneWhereUnlisted bool `yaml:"anyone_where_unlisted,omitempty" json:"anyone_where_unlisted,omitempty"`
	// ImmediateRiskMaxStage is the latest stage a case at risk of immediate
	// harm may start at (0 means any stage).
	ImmediateRiskMaxStage int `yaml:"immediate_risk_max_stage,omitempty" json:"immediate_risk_max_stage,omitempty"`
	// ImmediateRiskWindow, when set, is the most any stage's window runs
	// while a case is at risk of immediate harm ("the same working day");
	// ImmediateRiskTell are the roles told at once when such a case is
	// raised (the designated safeguarding lead), as Stage.Tell.
	ImmediateRiskWindow Window `yaml:"immediate_risk_window,omitempty" json:"immediate_risk_window,omitzero"`
	ImmediateRiskTell   []Role `yaml:"immediate_risk_tell,omitempty" json:"immediate_risk_tell,omitempty"`
	// RaiseWithin is the time limit on raising, counted from the date of
	// the decision disputed ("within 2 working days of the disagreement");
	// zero means none. A later raise is never refused: the raiser says why
	// (see RaiseLimitPassed).
	RaiseWithin Window `yaml:"raise_within,omitempty" json:"raise_within,omitzero"`
}

// Stage returns stage n (1-based).
func (p *Policy) Stage(n int) Stage {
	if n < 1 || n > len(p.Stages) {
		return Stage{}
	}
	return p.Stages[n-1]
}

// Last is the number of the final stage.
func (p *Policy) Last() int { return len(p.Stages) }

// Covers reports whether the policy covers this subject type.
func (p *Policy) Covers(s SubjectType) bool {
	for _, k := range p.Subjects {
		if k == s {
			return true
		}
	}
	return false
}

// FeedFrom is the first stage from which the business team is told, or 0.
func (p *Policy) FeedFrom() int {
	for i, s := range p.Stages {
		if s.NotifyBusinessTeam {
			return i + 1
		}
	}
	return 0
}

// FeedAt reports whether the business team follows a case at stage n.
func (p *Policy) FeedAt(n int) bool {
	f := p.FeedFrom()
	return f > 0 && n >= f
}

// StageName is "Stage 2 (Manager to manager)".
func (p *Policy) StageName(n int) string {
	s := p.Stage(n)
	label := s.Label
	if label == "" {
		label = fmt.Sprint(n)
	}
	if s.Name == "" {
		return "Stage " + label
	}
	return fmt.Sprintf("Stage %s (%s)", label, s.Name)
}

// PolicyError is one problem in a policy, named by its path.
type PolicyError struct {
	Path    string
	Message string
}

func (e PolicyError) Error() string { return e.Path + ": " + e.Message }

// Validate returns every problem in the policy, each with its path
// relative to the policy ("stages[2].window: must be positive").
func (p *Policy) Validate() []PolicyError {
	var errs []PolicyError
	add := func(path, format string, a ...any) {
		errs = append(errs, PolicyError{path, fmt.Sprintf(format, a...)})
	}
	if p.Partnership == "" {
		add("partnership", "is required")
	}
	if len(p.Subjects) == 0 {
		add("subjects", "name at least one of child, adult")
	}
	for i, s := range p.Subjects {
		if s != SubjectChild && s != SubjectAdult {
			add(fmt.Sprintf("subjects[%d]", i), "must be child or adult, not %q", s)
		}
	}
	if n := len(p.Stages); n < 2 || n > 6 {
		add("stages", "a policy has 2 to 6 stages, this one has %d", n)
	}
	p.validateRoles(add)
	p.validateRoutes(add)
	for i, s := range p.Stages {
		path := fmt.Sprintf("stages[%d]", i)
		p.validateSideRoles(i, s, add)
		if s.Name == "" {
			add(path+".name", "is required")
		}
		if !p.KnownRole(s.Role) {
			add(path+".role", "must be one of %s; not %q", strings.Join(p.RoleNames(), ", "), s.Role)
		}
		errs = append(errs, validateWindow(path+".window", s.Window, true)...)
		errs = append(errs, validateWindow(path+".remind", s.Remind, false)...)
		errs = append(errs, validateResponse(path, s, add)...)
		errs = append(errs, validateAfterResolution(path, s, add)...)
		validateMeeting(path, s, add)
		// Windows of unknown units are reported above and cannot be compared.
		if s.Remind.Amount > 0 && s.Window.Amount > 0 && validUnit(s.Remind.Unit) && validUnit(s.Window.Unit) && approx(s.Remind) >= approx(s.Window) {
			add(path+".remind", "must be shorter than the window (%s)", s.Window)
		}
		last := i == len(p.Stages)-1
		switch s.Final {
		case FinalNone:
		case FinalChairResolve, FinalChairOrPanel:
			if !last {
				add(path+".final", "only the last stage can be %q", s.Final)
			}
			if s.Role != RoleChair {
				add(path+".role", "a stage the chair resolves must have role chair")
			}
		case FinalDecider:
			if !last {
				add(path+".final", "only the last stage can be %q", s.Final)
			}
			if s.Role == RoleChair || s.Role == RolePractitioner {
				add(path+".role", "a decider is a manager's role or one the policy defines (the chair resolves with chair_resolves)")
			}
			if strings.TrimSpace(s.DeciderAgency) == "" {
				add(path+".decider_agency", "is required: the agency whose %s decides", p.RoleLabel(s.Role))
			}
		default:
			add(path+".final", "must be chair_resolves, chair_or_panel or decider, not %q", s.Final)
		}
		if s.Optional && (i == 0 || last) {
			add(path+".optional", "the first and the last stage cannot be skipped")
		}
		if s.Role == RoleChair && s.Final == FinalNone {
			add(path+".final", "a stage held by the chair must say what the chair does (chair_resolves or chair_or_panel)")
		}
		// An unknown role is reported above and has no tier to compare.
		if i > 0 && p.KnownRole(s.Role) && p.KnownRole(p.Stages[i-1].Role) && p.rank(s.Role) < p.rank(p.Stages[i-1].Role) {
			add(path+".role", "%s is a lower tier than the previous stage's %s", s.Role, p.Stages[i-1].Role)
		}
	}
	if p.ImmediateRiskWindow != (Window{}) {
		errs = append(errs, validateWindow("immediate_risk_window", p.ImmediateRiskWindow, false)...)
	}
	p.validateTell("immediate_risk_tell", p.ImmediateRiskTell, add)
	errs = append(errs, validateRaiseWithin("raise_within", p.RaiseWithin)...)
	if p.ImmediateRiskMaxStage < 0 || p.ImmediateRiskMaxStage > len(p.Stages) {
		add("immediate_risk_max_stage", "must be between 0 and the number of stages (%d)", len(p.Stages))
	}
	return errs
}

func validateWindow(path string, w Window, required bool) []PolicyError {
	var errs []PolicyError
	if w.Amount == 0 && w.Unit == "" && !required {
		return nil
	}
	if w.Amount <= 0 {
		errs = append(errs, PolicyError{path, "must be positive"})
	}
	if !validUnit(w.Unit) {
		errs = append(errs, PolicyError{path + ".unit", fmt.Sprintf("must be working_days, working_hours or hours, not %q", w.Unit)})
	}
	return errs
}

func validUnit(u WindowUnit) bool {
	return u == WorkingDays || u == WorkingHours || u == Hours
}

// approx orders windows of different units for validation only: a working
// day counts as 8 hours.
func approx(w Window) time.Duration {
	switch w.Unit {
	case WorkingDays:
		return time.Duration(w.Amount) * 8 * time.Hour
	default:
		return time.Duration(w.Amount) * time.Hour
	}
}

func tier(r Role) int {
	for i, k := range Roles {
		if k == r {
			return i
		}
	}
	return -1
}
