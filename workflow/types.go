package workflow

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// UserID identifies a person on one platform, qualified by the platform so
// that ids from Slack, Teams and the practice console never collide:
// "slack:U024BE7LH", "teams:29:1abc…", "console:sw", and "email:a@school.org"
// for someone on no chat platform, reached by email.
type UserID string

// SystemActor is the actor of timer-driven commands (Nudge, Lapse, Prompt).
const SystemActor UserID = "system:escalate"

// Platform is the part of the id before the first colon.
func (u UserID) Platform() string {
	p, _, _ := strings.Cut(string(u), ":")
	return p
}

// Local is the platform's own id (after the first colon).
func (u UserID) Local() string {
	_, l, _ := strings.Cut(string(u), ":")
	return l
}

// Role is what a person is to the policy. The stage of a policy names the
// role that holds the case on each side at that stage.
type Role string

const (
	RolePractitioner       Role = "practitioner"
	RoleLineManager        Role = "line_manager"
	RoleSeniorManager      Role = "senior_manager" // second-tier / operations manager, or named/designated safeguarding lead
	RoleHeadOfService      Role = "head_of_service"
	RoleHeadOfSafeguarding Role = "head_of_safeguarding"
	RoleChair              Role = "chair"
)

// Roles lists the holder roles in tier order.
var Roles = []Role{RolePractitioner, RoleLineManager, RoleSeniorManager, RoleHeadOfService, RoleHeadOfSafeguarding, RoleChair}

// Valid reports whether r is a known holder role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if k == r {
			return true
		}
	}
	return false
}

// Label is the role as people say it.
func (r Role) Label() string {
	switch r {
	case RolePractitioner:
		return "practitioner"
	case RoleLineManager:
		return "line manager"
	case RoleSeniorManager:
		return "senior manager / named or designated safeguarding lead"
	case RoleHeadOfService:
		return "head of service"
	case RoleHeadOfSafeguarding:
		return "head of safeguarding"
	case RoleChair:
		return "partnership chair"
	}
	return string(r)
}

// SubjectType is who the disagreement is about.
type SubjectType string

const (
	SubjectChild SubjectType = "child"
	SubjectAdult SubjectType = "adult" // an adult with care and support needs
)

// Label is the subject type as people say it.
func (s SubjectType) Label() string {
	if s == SubjectAdult {
		return "adult with care and support needs"
	}
	return "child"
}

// Category is the kind of disagreement. The list is the recurring areas the
// policies name (Coventry's "potential areas", West Sussex's "most likely to
// arise around", Warwickshire's and Wolverhampton's examples).
type Category string

const (
	CatReferralCriteria     Category = "referral_criteria"
	CatThresholds           Category = "thresholds"
	CatAssessmentOutcome    Category = "assessment_outcome"
	CatRoles                Category = "roles_responsibilities"
	CatNeedForAction        Category = "need_for_action"
	CatActionNotCompleted   Category = "action_not_completed"
	CatServiceProvision     Category = "service_provision"
	CatInformationSharing   Category = "information_sharing"
	CatConferenceRefused    Category = "conference_refused"
	CatDriftDelay           Category = "drift_delay"
	CatPractitionerPractice Category = "practitioner_practice"
	CatOwnManagement        Category = "own_management"
	CatSafeguardingEnquiry  Category = "safeguarding_enquiry" // adults only
)

// CategoryInfo describes one category for forms and reports.
type CategoryInfo struct {
	Category  Category
	Label     string
	AdultOnly bool
}

// Categories lists every category in the order forms show them.
var Categories = []CategoryInfo{
	{CatReferralCriteria, "Referral criteria or a referral not made", false},
	{CatThresholds, "Thresholds / level of need", false},
	{CatAssessmentOutcome, "Outcome of an assessment, plan or decision", false},
	{CatRoles, "Roles and responsibilities", false},
	{CatNeedForAction, "Need for action, or closing involvement", false},
	{CatActionNotCompleted, "An agreed action not completed", false},
	{CatServiceProvision, "Service provision", false},
	{CatInformationSharing, "Information sharing and communication", false},
	{CatConferenceRefused, "Child protection conference / safeguarding meeting refused", false},
	{CatDriftDelay, "Drift or delay", false},
	{CatPractitionerPractice, "Practitioner practice", false},
	{CatOwnManagement, "My own management's position", false},
	{CatSafeguardingEnquiry, "Whether a safeguarding enquiry is warranted", true},
}

// Label is the category as people say it.
func (c Category) Label() string {
	for _, i := range Categories {
		if i.Category == c {
			return i.Label
		}
	}
	return string(c)
}

func (c Category) valid(s SubjectType) bool {
	for _, i := range Categories {
		if i.Category == c {
			return !i.AdultOnly || s == SubjectAdult
		}
	}
	return false
}

// PlanStatus is the child's or adult's current plan.
type PlanStatus string

const (
	PlanNone           PlanStatus = "none"
	PlanEarlyHelp      PlanStatus = "early_help"
	PlanChildInNeed    PlanStatus = "child_in_need"
	PlanChildProtect   PlanStatus = "child_protection"
	PlanLookedAfter    PlanStatus = "looked_after"
	PlanSection42      PlanStatus = "section_42"
	PlanCareAndSupport PlanStatus = "care_and_support"
)

// PlanInfo describes one plan status for forms.
type PlanInfo struct {
	Plan  PlanStatus
	Label string
	For   SubjectType // "" means both
}

// Plans lists every plan status in the order forms show them.
var Plans = []PlanInfo{
	{PlanNone, "No plan", ""},
	{PlanEarlyHelp, "Early help", SubjectChild},
	{PlanChildInNeed, "Child in need", SubjectChild},
	{PlanChildProtect, "Child protection plan", SubjectChild},
	{PlanLookedAfter, "Looked after", SubjectChild},
	{PlanSection42, "Section 42 safeguarding enquiry", SubjectAdult},
	{PlanCareAndSupport, "Care and support plan", SubjectAdult},
}

// Label is the plan status as people say it.
func (p PlanStatus) Label() string {
	for _, i := range Plans {
		if i.Plan == p {
			return i.Label
		}
	}
	return string(p)
}

func (p PlanStatus) valid(s SubjectType) bool {
	for _, i := range Plans {
		if i.Plan == p {
			return i.For == "" || i.For == s
		}
	}
	return false
}

// State is where a dispute is in its life.
type State string

const (
	StateOpen      State = "open"      // at a stage, being discussed
	StateProposed  State = "proposed"  // a resolution is proposed, awaiting the other side
	StatePanel     State = "panel"     // the chair convened a resolution panel
	StateResolved  State = "resolved"  // closed with an agreed (or chair's) outcome
	StateWithdrawn State = "withdrawn" // closed by the raiser
)

// Label is the state in words for people: never the raw "proposed".
func (s State) Label() string {
	switch s {
	case StateOpen:
		return "Open"
	case StateProposed:
		return "Resolution proposed, awaiting confirmation"
	case StatePanel:
		return "Resolution panel convened"
	case StateResolved:
		return "Resolved"
	case StateWithdrawn:
		return "Withdrawn"
	}
	return upperFirst(string(s))
}

// closedRefusal answers anything but the after-closure steps on a closed
// case, in words: "ESC-2026-0001 was resolved on Fri 4 Dec, 09:00".
func closedRefusal(d *Dispute, when string) error {
	return refuse(RefuseClosed, "%s was %s on %s, so nothing more can be done on it", d.Ref, lowerFirst(d.State.Label()), when)
}

// Closed reports whether the case is over.
func (s State) Closed() bool { return s == StateResolved || s == StateWithdrawn }

// Side is one of the two parties to a disagreement.
type Side string

const (
	SideRaiser    Side = "raiser"
	SideResponder Side = "responder"
	SideChair     Side = "chair" // the last stage, held by the chair for both
)

// Other is the opposite party.
func (s Side) Other() Side {
	switch s {
	case SideRaiser:
		return SideResponder
	case SideResponder:
		return SideRaiser
	}
	return s
}

// RefPattern formats a case reference: ESC-2026-0042.
func FormatRef(year, n int) string { return fmt.Sprintf("ESC-%d-%04d", year, n) }

// ParseRef checks a reference typed by a person and normalises its case
// and zero padding ("esc-2026-42" is ESC-2026-0042). Anything more than the
// reference ("ESC-2026-42abc") is not one.
func ParseRef(s string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.ToUpper(strings.TrimSpace(s)), "ESC-")
	year, num, ok2 := strings.Cut(rest, "-")
	if !ok || !ok2 || len(year) != 4 || !digits(year) || len(num) > 9 || !digits(num) {
		return "", false
	}
	y, _ := strconv.Atoi(year)
	n, _ := strconv.Atoi(num)
	if y < 2000 || n <= 0 {
		return "", false
	}
	return FormatRef(y, n), true
}

func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// Date is a civil date as typed in a form ("2026-11-20").
type Date string

// Valid reports whether the date parses.
func (d Date) Valid() bool {
	_, err := time.Parse(time.DateOnly, string(d))
	return err == nil
}
