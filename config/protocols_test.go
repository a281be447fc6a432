package config

import (
	"bytes"
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// The protocols in testdata/policies are eight partnerships' published
// escalation protocols written as Escalate configurations, each beside a
// .txt of the passages its source: lines quote. These tests keep them
// honest (every quotation is the protocol's own words), valid (check-config
// prints them without a problem), using the rules their protocols need, and
// runnable: a case goes through every stage of each to its resolution.

// protocolJourney is the case run through a protocol: who raises it with
// whom, which optional stages are skipped, and what the case must look
// like at each stage and at the end.
type protocolJourney struct {
	raiser, responder string // console ids
	responderAgency   string
	subject           workflow.SubjectType
	category          workflow.Category // "" is need_for_action
	coRaisers         []string
	// skip are stages (1-based) skipped by whoever escalates from the stage
	// before, with a reason.
	skip []int
	// holders are stage number → the raiser's and the responder's side (or
	// the chair / decider as the only holder: raiser side empty).
	holders map[int][2][]string
	// chosen are holders chosen when escalating to a stage, where the
	// directory lists none for a side.
	chosen map[int][2][]string
	// consulted are the people told, at some stage, who hold none.
	consulted []string
	// visited are the stages the case reaches, in order.
	visited []int
	// sooner is a deadline sooner than stage 1's window, set at raise
	// ("whichever is less"); agreed is stage → the deadline its holders
	// agree (window_agreed).
	sooner Date
	agreed map[int]workflow.Date
	// decided is the date of the decision given at raise ("" is Friday 27
	// February, in time for every protocol's limit on raising when raised
	// on Monday 2 March); late is the reason given when it is past the
	// limit ("" when in time).
	decided Date
	late    string
	// resolveAt is the stage the case is resolved at, when before the last.
	resolveAt int
	// letter: the written response the resolving stage asks after
	// resolution is given (else left outstanding, as the record says).
	letter bool
}

// Date is a working day as the forms give it.
type Date = workflow.Date

type protocolWant struct {
	partnership  string
	subjects     []workflow.SubjectType
	withinAgency bool
	stages       []string // stage names
	// features asserts the rules this protocol needs are written out.
	features func(t *testing.T, p *workflow.Policy)
	journeys []protocolJourney
	// quotes must appear in the file's sources.
	quotes []string
}

var protocolWants = map[string]protocolWant{
	"sefton": {
		partnership: "Sefton Local Safeguarding Children Board",
		subjects:    []workflow.SubjectType{workflow.SubjectChild},
		stages:      []string{"Practitioner and team manager", "Lead for safeguarding and service manager", "Meeting convened by the receiving service manager", "Heads of service"},
		features: func(t *testing.T, p *workflow.Policy) {
			s1, s2 := p.Stages[0], p.Stages[1]
			if s1.Window != (workflow.Window{Amount: 3, Unit: workflow.WorkingDays}) || !slices.Equal(s1.Tell, []workflow.Role{"team_manager"}) {
				t.Errorf("stage 1: window %s, told %v; want 3 working days and the team managers told", s1.Window, s1.Tell)
			}
			if r := s1.Response; r == nil || r.From != workflow.SideResponder || r.Within != (workflow.Window{Amount: 3, Unit: workflow.WorkingDays}) {
				t.Errorf("stage 1: the receiving agency's reply within 3 working days: %+v", r)
			}
			if s2.RoleOn(workflow.SideRaiser) != "lead_for_safeguarding" || s2.RoleOn(workflow.SideResponder) != "service_manager" || s2.Window != (workflow.Window{Amount: 2, Unit: workflow.WorkingDays}) || !s2.NotifyBusinessTeam {
				t.Errorf("stage 2: %s / %s, %s, business team %v", s2.RoleOn(workflow.SideRaiser), s2.RoleOn(workflow.SideResponder), s2.Window, s2.NotifyBusinessTeam)
			}
			if s := p.Stages[2]; s.Window != (workflow.Window{Amount: 5, Unit: workflow.WorkingDays}) || s.Meeting == nil || s.Meeting.ConvenedBy != workflow.SideResponder {
				t.Errorf("the meeting stage: %s, %+v; want 5 working days, a meeting the receiving side convenes", s.Window, s.Meeting)
			}
			if w := p.RaiseWithin; w != (workflow.Window{Amount: 2, Unit: workflow.WorkingDays}) {
				t.Errorf("raised within %s, want 2 working days of the disagreement", w)
			}
			// The outcome by letter: within a further 2 working days at
			// stages 1 and 2, 48 hours after the meeting; stage 3 is a default.
			for i, w := range []workflow.Window{{Amount: 2, Unit: workflow.WorkingDays}, {Amount: 2, Unit: workflow.WorkingDays}, {Amount: 48, Unit: workflow.Hours}} {
				if r := p.Stages[i].AfterResolution; r == nil || r.From != workflow.SideResponder || r.Within != w || !strings.Contains(r.What, "letter") {
					t.Errorf("stage %d: the outcome by letter within %s: %+v", i+1, w, r)
				}
			}
			if r := p.Stages[3].AfterResolution; r != nil {
				t.Errorf("stage 4 (a default) asks %+v after resolution", r)
			}
		},
		journeys: []protocolJourney{{
			raiser: "hv", responder: "sw", responderAgency: "sefton-csc", subject: workflow.SubjectChild,
			visited:   []int{1, 2, 3, 4},
			consulted: []string{"hv-tm", "sw-tm"},
			holders: map[int][2][]string{
				1: {{"hv"}, {"sw"}},
				2: {{"hv-lead"}, {"sw-svc"}},
				3: {{"hv-lead"}, {"sw-svc"}},
				4: {{"hv-hos"}, {"sw-hos"}},
			},
		}, {
			// Raised after the 2 working days, with a reason; resolved
			// between the service managers, who confirm it by letter.
			raiser: "hv", responder: "sw", responderAgency: "sefton-csc", subject: workflow.SubjectChild,
			decided: "2026-02-20", late: "The decision letter reached health visiting only this morning.",
			resolveAt: 2, letter: true,
			visited:   []int{1, 2},
			consulted: []string{"hv-tm", "sw-tm"},
			holders:   map[int][2][]string{2: {{"hv-lead"}, {"sw-svc"}}},
		}, {
			// Resolved between the practitioners; the letter advising the
			// outcome is left outstanding, as the record says.
			raiser: "hv", responder: "sw", responderAgency: "sefton-csc", subject: workflow.SubjectChild,
			resolveAt: 1,
			visited:   []int{1},
			consulted: []string{"hv-tm", "sw-tm"},
		}, {
			// Resolved at the service managers' meeting; the complainant
			// agency is notified by letter.
			raiser: "hv", responder: "sw", responderAgency: "sefton-csc", subject: workflow.SubjectChild,
			resolveAt: 3, letter: true,
			visited:   []int{1, 2, 3},
			consulted: []string{"hv-tm", "sw-tm"},
			holders:   map[int][2][]string{3: {{"hv-lead"}, {"sw-svc"}}},
		}},
		quotes: []string{
			"verbally or in writing within 2 working days of the disagreement",
			"advise the agency of the outcome by letter within a further 2 working days",
			"write to the complainant agency confirming the outcome within 2 working days",
			"notified of the outcome by letter within 48 hours",
			"must speak to the agency within 3 working days",
			"each practitioner should raise their concerns with their lead for safeguarding",
			"The receiving service manager must aim to come to an agreement within 2 working days",
			"At Stage 2, the LSCB Business Manager must be informed",
		},
	},
	"darlington": {
		partnership:  "Darlington Safeguarding Partnership",
		subjects:     []workflow.SubjectType{workflow.SubjectChild, workflow.SubjectAdult},
		withinAgency: true,
		stages:       []string{"Practitioner to practitioner", "Line manager to line manager", "Interagency meeting", "Senior managers"},
		features: func(t *testing.T, p *workflow.Policy) {
			if w := p.Stages[1].Window; w != (workflow.Window{Amount: 3, Unit: workflow.WorkingDays}) {
				t.Errorf("stage 2 window %s, want 3 working days", w)
			}
			if !slices.Equal(p.Stages[1].Tell, []workflow.Role{"named_practitioner", "designated_safeguarding_lead"}) {
				t.Errorf("stage 2 told %v", p.Stages[1].Tell)
			}
			if s := p.Stages[2]; !s.Optional || !s.WindowAgreed || !s.NotifyBusinessTeam || s.Meeting == nil || s.Meeting.ConvenedBy != workflow.SideRaiser {
				t.Errorf("stage 3 (the meeting 'if manager deems appropriate'): optional %v, agreed %v, business team %v, meeting %+v", s.Optional, s.WindowAgreed, s.NotifyBusinessTeam, s.Meeting)
			}
		},
		journeys: []protocolJourney{
			{
				// Between agencies, the meeting skipped.
				raiser: "hv", responder: "sw", responderAgency: "darlington-csc", subject: workflow.SubjectAdult,
				skip:      []int{3},
				visited:   []int{1, 2, 4},
				consulted: []string{"hv-np", "sw-dsl"},
				holders: map[int][2][]string{
					1: {{"hv"}, {"sw"}},
					2: {{"hv-lm"}, {"sw-lm", "sw-lm2"}},
					4: {{"hv-sm"}, {"sw-sm", "sw-sm2"}},
				},
			},
			{
				// Within one agency, through the meeting. Both sides are
				// one agency's: the managers are chosen, one a side, where
				// the directory would give all of them to each (nobody may
				// hold both sides).
				raiser: "sw2", responder: "sw", responderAgency: "darlington-csc", subject: workflow.SubjectChild,
				chosen:    map[int][2][]string{2: {{"sw-lm2"}, {"sw-lm"}}, 3: {{"sw-lm2"}, {"sw-lm"}}, 4: {{"sw-sm2"}, {"sw-sm"}}},
				visited:   []int{1, 2, 3, 4},
				consulted: []string{"sw-dsl"},
				holders: map[int][2][]string{
					1: {{"sw2"}, {"sw"}},
					2: {{"sw-lm2"}, {"sw-lm"}},
					4: {{"sw-sm2"}, {"sw-sm"}},
				},
			},
		},
		quotes: []string{
			"This should be completed within one working day.",
			"Where possible, this should be completed within 3 working days.",
			"if manager deems appropriate, an interagency meeting",
			"or within the same agency",
		},
	},
	"pan-london": {
		partnership: "London Safeguarding Children Partnership (pan-London procedures)",
		subjects:    []workflow.SubjectType{workflow.SubjectChild},
		stages:      []string{"Professional to professional", "First line managers", "Senior managers", "Heads of service"},
		features: func(t *testing.T, p *workflow.Policy) {
			if m := p.Stages[0].Meeting; m == nil || m.ConvenedBy != workflow.SideRaiser {
				t.Errorf("stage 1's \"discussion and/or meeting\": %+v", m)
			}
			if w := p.Stages[0].Window; w != (workflow.Window{Amount: 5, Unit: workflow.WorkingDays}) {
				t.Errorf("stage 1: %s, want a working week at most", w)
			}
			if !slices.Equal(p.Stages[1].Tell, []workflow.Role{"designated_safeguarding_children_professional"}) {
				t.Errorf("stage 2 told %v, want each agency's designated safeguarding children professional", p.Stages[1].Tell)
			}
		},
		journeys: []protocolJourney{{
			raiser: "pc", responder: "sw", responderAgency: "csc", subject: workflow.SubjectChild,
			sooner:    "2026-03-03", // "a timescale that protects the child from harm (whichever is less)"
			visited:   []int{1, 2, 3, 4},
			consulted: []string{"pol-adv", "csc-adv"},
			holders: map[int][2][]string{
				1: {{"pc"}, {"sw"}},
				2: {{"ds"}, {"sw-lm"}},
				3: {{"di"}, {"sw-sm"}},
				4: {{"dci"}, {"sw-hos"}},
			},
		}},
		quotes: []string{
			"within a working week or a timescale that protects the child from harm (whichever is less)",
			"These first line managers should seek advice from their agency's designated safeguarding children professional",
		},
	},
	"wirral": {
		partnership: "Wirral Safeguarding Children Partnership",
		subjects:    []workflow.SubjectType{workflow.SubjectChild},
		stages:      []string{"Professionals resolving disagreement", "Safeguarding leads", "Partnership members", "Partnership chair"},
		features: func(t *testing.T, p *workflow.Policy) {
			if p.Stages[0].Window != (workflow.Window{Amount: 1, Unit: workflow.WorkingDays}) || p.Stages[1].Role != "safeguarding_lead" || p.Stages[2].Role != "partnership_representative" {
				t.Errorf("stages 1-3: %s, %s, %s", p.Stages[0].Window, p.Stages[1].Role, p.Stages[2].Role)
			}
			if s := p.Stages[3]; s.Role != workflow.RoleChair || s.Final != workflow.FinalChairResolve || !p.NotifyOnResolution {
				t.Errorf("stage 4: %s %s; notify on resolution %v", s.Role, s.Final, p.NotifyOnResolution)
			}
		},
		journeys: []protocolJourney{{
			raiser: "sn", responder: "lp", responderAgency: "wirral-csc", subject: workflow.SubjectChild,
			visited: []int{1, 2, 3, 4},
			holders: map[int][2][]string{
				1: {{"sn"}, {"lp"}},
				2: {{"sn-sl"}, {"csc-sl"}},
				3: {{"wcht-rep"}, {"csc-rep"}},
				4: {nil, {"chair"}},
			},
		}},
		quotes: []string{
			"their manager should be contacted within one working day",
			"Safeguarding Lead - Stage Two",
			"will not intervene unless an escalation reaches Stage 4",
		},
	},
	"pan-lancashire-adults": {
		partnership: "Pan-Lancashire Safeguarding Adults Boards",
		subjects:    []workflow.SubjectType{workflow.SubjectAdult},
		stages:      []string{"Professionals", "First line managers", "Head of Service or equivalent", "Strategic Head of Service or Director"},
		features: func(t *testing.T, p *workflow.Policy) {
			if s := p.Stages[2]; !s.Optional || s.Role != workflow.RoleHeadOfService {
				t.Errorf("the Head of Service tier (flat management structures): optional %v, role %s", s.Optional, s.Role)
			}
			if s := p.Stages[3]; s.Role != "director" || !s.NotifyBusinessTeam || p.FeedFrom() != 4 {
				t.Errorf("the director's stage: %s, business team %v from %d", s.Role, s.NotifyBusinessTeam, p.FeedFrom())
			}
		},
		journeys: []protocolJourney{{
			// The care home has a flat management structure: no head of
			// service, so its manager skips that tier.
			raiser: "cn", responder: "asw", responderAgency: "lcc-adults", subject: workflow.SubjectAdult,
			category: workflow.CatSafeguardingEnquiry,
			skip:     []int{3},
			visited:  []int{1, 2, 4},
			holders: map[int][2][]string{
				2: {{"cn-lm"}, {"asw-lm"}},
				4: {{"cn-dir"}, {"asw-dir"}},
			},
		}},
		quotes: []string{
			"the first line managers of the agencies involved",
			"some organisations have flat management structures",
			"the LSAB Team must be made aware of this",
		},
	},
	"leeds": {
		partnership: "Leeds Safeguarding Children Partnership",
		subjects:    []workflow.SubjectType{workflow.SubjectChild},
		stages:      []string{"Practitioners", "First line managers or safeguarding leads", "Senior managers"},
		features: func(t *testing.T, p *workflow.Policy) {
			if !slices.Equal(p.Stages[0].Tell, []workflow.Role{"iro"}) || p.Stages[1].RoleOn(workflow.SideRaiser) != "safeguarding_lead" || p.Stages[1].RoleOn(workflow.SideResponder) != workflow.RoleLineManager {
				t.Errorf("stage 1 told %v; stage 2 %s / %s", p.Stages[0].Tell, p.Stages[1].RoleOn(workflow.SideRaiser), p.Stages[1].RoleOn(workflow.SideResponder))
			}
			if r := p.RouteFor(workflow.CatConferenceRefused); r == nil || r.ID != "conference" || len(r.Stages) != 2 || r.Stages[1].RoleOn(workflow.SideResponder) != "iro" {
				t.Errorf("conference dissent route: %+v", r)
			}
		},
		journeys: []protocolJourney{
			{
				raiser: "hv", responder: "sw", responderAgency: "leeds-csc", subject: workflow.SubjectChild,
				visited:   []int{1, 2, 3},
				consulted: []string{"iro"},
				holders: map[int][2][]string{
					2: {{"hv-sl"}, {"sw-lm"}},
					3: {{"hv-sm"}, {"sw-sm"}},
				},
			},
			{
				// Dissent from a conference follows Appendix 1.
				raiser: "hv", responder: "cc", responderAgency: "leeds-csc", subject: workflow.SubjectChild,
				category: workflow.CatConferenceRefused,
				visited:  []int{1, 2},
				holders: map[int][2][]string{
					1: {{"hv"}, {"cc"}},
					2: {{"hv-sm"}, {"iro"}},
				},
			},
		},
		quotes: []string{
			"escalated up to first line managers or safeguarding leads",
			"(and beyond if appropriate)",
			"they should be informed",
			"should follow the process outlined within Appendix 1",
		},
	},
	"lincolnshire": {
		partnership: "Lincolnshire Safeguarding Adults Board and Lincolnshire Safeguarding Children Partnership",
		subjects:    []workflow.SubjectType{workflow.SubjectChild, workflow.SubjectAdult},
		stages:      []string{"Professional to professional", "Manager to manager", "Senior liaison officers", "Independently chaired meeting"},
		features: func(t *testing.T, p *workflow.Policy) {
			windows := []workflow.Window{{Amount: 2, Unit: workflow.WorkingDays}, {Amount: 5, Unit: workflow.WorkingDays}, {Amount: 2, Unit: workflow.WorkingDays}}
			for i, w := range windows {
				if p.Stages[i].Window != w {
					t.Errorf("stage %d: %s, want %s", i+1, p.Stages[i].Window, w)
				}
			}
			if r := p.Stages[0].Response; r == nil || r.From != workflow.SideResponder || r.Within != (workflow.Window{Amount: 2, Unit: workflow.WorkingHours}) {
				t.Errorf("the acknowledgement: %+v", r)
			}
			if s := p.Stages[3]; s.Role != workflow.RoleChair || s.Final != workflow.FinalChairResolve || s.Meeting == nil || s.Meeting.ConvenedBy != workflow.SideChair {
				t.Errorf("step 4, the independently chaired meeting: %s %s %+v", s.Role, s.Final, s.Meeting)
			}
		},
		journeys: []protocolJourney{{
			// A GP practice has no SLO: the ICB's holds its side at step 3.
			raiser: "gp", responder: "sw", responderAgency: "lincs-csc", subject: workflow.SubjectChild,
			visited: []int{1, 2, 3, 4},
			holders: map[int][2][]string{
				1: {{"gp"}, {"sw"}},
				2: {{"gp-lead"}, {"sw-lm"}},
				3: {{"icb-slo"}, {"csc-slo"}},
				4: {nil, {"chair"}},
			},
		}},
		quotes: []string{
			"An acknowledgement must be provided immediately",
			"This discussion must occur within five working days of step 1",
			"General practices do not have an SLO",
			"For disagreements within the same agency, staff should consult their internal escalation protocol.",
		},
	},
	"pan-sussex": {
		partnership: "Pan-Sussex Safeguarding Children Partnerships",
		subjects:    []workflow.SubjectType{workflow.SubjectChild},
		stages:      []string{"Professionals", "First line managers", "Service managers"},
		features: func(t *testing.T, p *workflow.Policy) {
			if s := p.Stages[0]; !s.WindowAgreed || s.Window != (workflow.Window{Amount: 5, Unit: workflow.WorkingDays}) {
				t.Errorf("stage 1 (a time scale acceptable to both): agreed %v, %s", s.WindowAgreed, s.Window)
			}
			for _, i := range []int{1, 2} {
				if !slices.Equal(p.Stages[i].Tell, []workflow.Role{"child_protection_adviser"}) {
					t.Errorf("stage %d told %v", i+1, p.Stages[i].Tell)
				}
			}
			if r := p.RouteFor(workflow.CatConferenceRefused); r == nil || r.ID != "conference" || r.RaiseWithin != (workflow.Window{Amount: 72, Unit: workflow.Hours}) {
				t.Errorf("conference dissent route (raised within 72 hours of the conference): %+v", r)
			}
			if p.RaiseWithin != (workflow.Window{}) {
				t.Errorf("7.2 sets no limit on raising, the file says %s", p.RaiseWithin)
			}
		},
		journeys: []protocolJourney{
			{
				// 7.2 sets no limit on raising: a decision weeks ago is raised
				// with no reason asked.
				raiser: "dc", responder: "sw", responderAgency: "wscc-csc", subject: workflow.SubjectChild,
				decided:   "2026-01-05",
				agreed:    map[int]workflow.Date{1: "2026-03-04"},
				visited:   []int{1, 2, 3},
				consulted: []string{"csc-cpa"},
				holders: map[int][2][]string{
					2: {{"ds"}, {"sw-tm"}},
					3: {{"di"}, {"sw-sm"}},
				},
			},
			{
				raiser: "dc", responder: "cc", responderAgency: "wscc-csc", subject: workflow.SubjectChild,
				category: workflow.CatConferenceRefused,
				visited:  []int{1, 2},
				holders: map[int][2][]string{
					1: {{"dc"}, {"cc"}},
					2: {{"di"}, {"sw-sm"}},
				},
			},
			{
				// Dissent raised more than 72 hours after Thursday's
				// conference, with the reason.
				raiser: "dc", responder: "cc", responderAgency: "wscc-csc", subject: workflow.SubjectChild,
				category: workflow.CatConferenceRefused,
				decided:  "2026-02-26", late: "The conference minutes reached us only this morning.",
				visited: []int{1, 2},
			},
		},
		quotes: []string{
			"within a time scale, which is acceptable to both of them, usually within a working week",
			"At any stage advice should be sought from designated/named/lead officer/ child protection adviser",
			"These must be raised within 72 hours of the conference meeting",
		},
	},
}

func console(ids ...string) []workflow.UserID {
	var out []workflow.UserID
	for _, id := range ids {
		out = append(out, workflow.UserID("console:"+id))
	}
	return out
}

func protocolFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/policies/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".yaml"))
	}
	return names
}

// TestProtocolsAreAllTested: every protocol file has expectations, and
// every expectation a file.
func TestProtocolsAreAllTested(t *testing.T) {
	files := protocolFiles(t)
	for _, name := range files {
		if _, ok := protocolWants[name]; !ok {
			t.Errorf("testdata/policies/%s.yaml has no expectations in protocolWants", name)
		}
	}
	for name := range protocolWants {
		if !slices.Contains(files, name) {
			t.Errorf("protocolWants[%q] has no testdata/policies/%s.yaml", name, name)
		}
	}
}

func loadProtocol(t *testing.T, name string) (*Config, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "policies", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(data, env())
	if err != nil {
		t.Fatalf("%s.yaml: %v", name, err)
	}
	return c, data
}

func TestProtocols(t *testing.T) {
	for _, name := range protocolFiles(t) {
		want, ok := protocolWants[name]
		if !ok {
			continue // reported by TestProtocolsAreAllTested
		}
		t.Run(name, func(t *testing.T) {
			c, _ := loadProtocol(t, name)
			p := c.Policy
			if errs := p.Validate(); len(errs) > 0 {
				t.Fatalf("invalid: %v", errs)
			}
			if c.Preset != "" || p.ID != name || p.Partnership != want.partnership || c.Partnership != want.partnership || !slices.Equal(p.Subjects, want.subjects) || p.WithinAgency != want.withinAgency {
				t.Errorf("policy: preset %q id %q partnership %q/%q subjects %v within %v", c.Preset, p.ID, p.Partnership, c.Partnership, p.Subjects, p.WithinAgency)
			}
			var names []string
			for _, s := range p.Stages {
				names = append(names, s.Name)
			}
			if !slices.Equal(names, want.stages) {
				t.Errorf("stages %q, want %q", names, want.stages)
			}
			want.features(t, p)

			// check-config prints it, every stage and its source.
			var out bytes.Buffer
			path := filepath.Join("testdata", "policies", name+".yaml")
			if err := CheckConfigEnv(&out, path, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), env()); err != nil {
				t.Fatalf("check-config: %v", err)
			}
			printed := normalise(out.String())
			if !strings.Contains(printed, path+" is valid.") || !strings.Contains(printed, want.partnership) {
				t.Errorf("check-config output:\n%s", out.String())
			}
			for i, s := range p.Stages {
				if !strings.Contains(printed, "Stage "+s.Label+" ("+s.Name+")") {
					t.Errorf("check-config does not print stage %d %q", i+1, s.Name)
				}
			}

			// Every stage says where it comes from, and that its reminder
			// is a default where the protocol sets none.
			all := normalise(c.PolicySource)
			for i, s := range p.Stages {
				if len(s.Source) < 40 {
					t.Errorf("stage %d has no real source: %q", i+1, s.Source)
				}
				if src := strings.ToLower(s.Source); s.Remind.Amount > 0 && !strings.Contains(src, "remind") {
					t.Errorf("stage %d does not say where its reminder comes from: %q", i+1, s.Source)
				}
				all += " " + normalise(s.Source)
			}
			for _, r := range p.Routes {
				all += " " + normalise(r.Source)
				for _, s := range r.Stages {
					all += " " + normalise(s.Source)
				}
			}
			for _, q := range want.quotes {
				if !strings.Contains(all, normalise(q)) {
					t.Errorf("the sources do not quote %q", q)
				}
			}
			// Every quotation is the protocol's own words, from its text.
			text, err := os.ReadFile(filepath.Join("testdata", "policies", name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			texts := normalise(string(text))
			if !strings.HasPrefix(texts, "https://") && !strings.HasPrefix(texts, "http://") {
				t.Errorf("%s.txt does not start with the address of its text", name)
			}
			qs := quotations(all)
			if len(qs) < 4 {
				t.Errorf("the sources quote the protocol only %d times", len(qs))
			}
			for _, q := range qs {
				if !containsText(texts, q) {
					t.Errorf("the source quotes %q, which is not in %s.txt", q, name)
				}
			}
		})
	}
}

// TestProtocolJourneys runs a case through every stage of each protocol:
// raised, escalated (skipping where the journey says), responded to where
// a stage asks a written response, and resolved at the last stage by whoever
// resolves it there.
func TestProtocolJourneys(t *testing.T) {
	for _, name := range protocolFiles(t) {
		want, ok := protocolWants[name]
		if !ok {
			continue
		}
		for ji, j := range want.journeys {
			t.Run(name+"/"+string(rune('a'+ji)), func(t *testing.T) {
				c, _ := loadProtocol(t, name)
				env, _, err := c.WorkflowEnv()
				if err != nil {
					t.Fatal(err)
				}
				runJourney(t, env, j)
			})
		}
	}
}

// meetingsOn counts the meeting stages (not panels) among those visited.
func meetingsOn(stages []workflow.Stage, visited []int) int {
	n := 0
	for _, v := range visited {
		if m := stages[v-1].MeetingRule(); m != nil && m.Agencies == 0 {
			n++
		}
	}
	return n
}

func runJourney(t *testing.T, env workflow.Env, j protocolJourney) {
	t.Helper()
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, london) // a Monday morning
	var d *workflow.Dispute
	var hist []workflow.Event
	do := func(cmd workflow.Command) *workflow.Result {
		t.Helper()
		at = at.Add(time.Hour)
		cmd.At = at
		res, err := workflow.Apply(env, d, hist, cmd)
		if err != nil {
			t.Fatalf("stage %d: %s by %s refused: %v", stageOf(d), cmd.Kind, cmd.Actor, err)
		}
		d = res.Dispute
		hist = append(hist, res.Events...)
		return res
	}
	category := j.category
	if category == "" {
		category = workflow.CatNeedForAction
	}
	plan := workflow.PlanChildInNeed
	if j.subject == workflow.SubjectAdult {
		plan = workflow.PlanCareAndSupport
	}
	do(workflow.Command{Kind: workflow.CmdRaise, Actor: console(j.raiser)[0], Raise: &workflow.RaiseInput{
		Ref: "ESC-2026-0001", SubjectType: j.subject, SubjectRef: "CS-123456", Category: category,
		DecisionDisputed: "The referral was closed with no assessment.", DecisionDate: cmp.Or(j.decided, "2026-02-27"), Plan: plan, LateReason: j.late,
		Disagreement: "The risks at home are not resolved.", OutcomeSought: "An assessment.", Evidence: "Two missed appointments.",
		ResponderAgency: j.responderAgency, Responder: console(j.responder)[0], CoRaisers: console(j.coRaisers...),
		Sooner: sooner(j.sooner),
	}})
	if j.sooner != "" {
		checkDeadline(t, env, d, j.sooner)
	}
	checkRaisedLate(t, d, hist[0], j.late)
	visited := []int{d.Stage}
	met, resolvedAtMeeting := 0, false
	checkHolders := func() {
		t.Helper()
		w, ok := j.holders[d.Stage]
		if !ok {
			return
		}
		h := d.Current()
		if len(w[0]) == 0 {
			if !slices.Equal(h.Chair, console(w[1]...)) {
				t.Errorf("stage %d decided by %v, want %v", d.Stage, h.Chair, console(w[1]...))
			}
			return
		}
		if !slices.Equal(h.Raiser, console(w[0]...)) || !slices.Equal(h.Responder, console(w[1]...)) {
			t.Errorf("stage %d held by %v / %v, want %v / %v", d.Stage, h.Raiser, h.Responder, console(w[0]...), console(w[1]...))
		}
	}
	checkHolders()
	p := env.Policy
	stages := p.For(d).Stages
	for {
		st := stages[d.Stage-1]
		if by, ok := j.agreed[d.Stage]; ok {
			if !st.WindowAgreed {
				t.Errorf("stage %d's window is not agreed between the holders", d.Stage)
			}
			do(workflow.Command{Kind: workflow.CmdSetDeadline, Actor: d.Current().Responder[0], Sooner: &workflow.Sooner{By: by, Reason: "Agreed between us: the child is seen on Wednesday."}, ExpectStage: d.Stage})
			checkDeadline(t, env, d, by)
		}
		if st.Response != nil && d.RespondedAt.IsZero() {
			h := d.Current()
			do(workflow.Command{Kind: workflow.CmdRespond, Actor: h.Side(st.Response.From)[0], Text: "Our written response.", ExpectStage: d.Stage})
			if d.RespondedAt.IsZero() {
				t.Errorf("stage %d: the response is not recorded", d.Stage)
			}
		}
		if m := st.MeetingRule(); m != nil && m.Agencies == 0 {
			// A meeting stage: its convener calls it for the deadline's day,
			// with everyone holding the stage; at the last stage it resolves
			// the case, before it the meeting does not and the case goes on.
			h := d.Current()
			convener := h.Chair
			if m.ConvenedBy != workflow.SideChair {
				convener = h.Side(m.ConvenedBy)
			}
			day := workflow.Date(d.Deadline.In(london).Format(time.DateOnly))
			do(workflow.Command{Kind: workflow.CmdConveneMeeting, Actor: convener[0], ExpectStage: d.Stage,
				Meeting: &workflow.Meeting{On: day, Attendees: h.All()}, Text: "Everyone who holds it, with the case file."})
			if d.Meeting == nil || d.Meeting.Stage != d.Stage || !slices.Equal(d.Meeting.Attendees, h.All()) {
				t.Fatalf("stage %d: the meeting is not recorded: %+v", d.Stage, d.Meeting)
			}
			last := d.Stage == len(stages) || d.Stage == j.resolveAt
			do(workflow.Command{Kind: workflow.CmdMeetingOutcome, Actor: convener[0], ExpectStage: d.Stage, MeetingResolved: last,
				Proposal: &workflow.Proposal{Outcome: "An assessment will start this week.", RecordedOnFile: true}})
			met++
			if last {
				resolvedAtMeeting = true
				break
			}
		}
		if d.Stage == len(stages) || d.Stage == j.resolveAt {
			break
		}
		next := d.Stage + 1
		cmd := workflow.Command{Kind: workflow.CmdEscalate, Actor: d.Current().Raiser[0], Text: "Not resolved at this stage.", ExpectStage: d.Stage}
		for slices.Contains(j.skip, next) {
			next++
			cmd.ToStage, cmd.SkipReason = next, "A flat management structure: there is no tier between."
		}
		if ch, ok := j.chosen[next]; ok {
			cmd.Holders = &workflow.StageHolders{Stage: next, Raiser: console(ch[0]...), Responder: console(ch[1]...)}
		}
		do(cmd)
		if d.Stage != next {
			t.Fatalf("escalated to stage %d, want %d", d.Stage, next)
		}
		visited = append(visited, d.Stage)
		checkHolders()
	}
	last := stages[d.Stage-1]
	if want := meetingsOn(stages, visited); met != want {
		t.Errorf("%d meetings held, want %d (one at each meeting stage visited)", met, want)
	}
	switch {
	case resolvedAtMeeting:
	case last.DecidedByOne():
		do(workflow.Command{Kind: workflow.CmdResolve, Actor: d.Current().Chair[0], Proposal: &workflow.Proposal{Outcome: "An assessment will start this week.", RecordedOnFile: true}, ExpectStage: d.Stage})
	default:
		h := d.Current()
		do(workflow.Command{Kind: workflow.CmdPropose, Actor: h.Responder[0], Proposal: &workflow.Proposal{Outcome: "An assessment will start this week.", RecordedOnFile: true}, ExpectStage: d.Stage})
		do(workflow.Command{Kind: workflow.CmdConfirm, Actor: h.Raiser[0], ExpectStage: d.Stage})
	}
	if r := last.AfterResolution; r != nil {
		// The written response after resolution: due, on the record as
		// outstanding, offered to its side; given when the journey says.
		writer := d.Current().Side(r.From)[0]
		what, status, ok := workflow.AfterResolutionStatus(env, d)
		if !ok || !strings.HasSuffix(status, "not yet given") || !slices.ContainsFunc(workflow.ActionsFor(env, d, writer), func(a workflow.Action) bool { return a.Kind == workflow.ActRespond }) {
			t.Errorf("stage %d: after resolution %q %q %v, or not offered to %s", d.Stage, what, status, ok, writer)
		}
		if j.letter {
			do(workflow.Command{Kind: workflow.CmdRespond, Actor: writer, Text: "We confirm the outcome: an assessment starts this week.", ExpectStage: d.Stage})
			if _, status, _ := workflow.AfterResolutionStatus(env, d); !strings.HasPrefix(status, "given by ") || d.AfterGivenBy != writer {
				t.Errorf("stage %d: the letter is not recorded: %q", d.Stage, status)
			}
		}
	} else if j.letter {
		t.Errorf("stage %d asks for nothing after resolution", d.Stage)
	}
	if !slices.Equal(visited, j.visited) {
		t.Errorf("stages visited %v, want %v", visited, j.visited)
	}
	if d.State != workflow.StateResolved || d.Outcome == nil || d.Stage != j.visited[len(j.visited)-1] {
		t.Errorf("final state %s at stage %d, outcome %+v", d.State, d.Stage, d.Outcome)
	}
	if !slices.Equal(d.Consulted, console(j.consulted...)) {
		t.Errorf("consulted %v, want %v", d.Consulted, console(j.consulted...))
	}
	for _, s := range j.skip {
		skipped := "skipping " + p.For(d).StageName(s)
		if !slices.ContainsFunc(hist, func(e workflow.Event) bool { return strings.Contains(e.Summary, skipped) }) {
			t.Errorf("the record does not say %q: %v", skipped, summariesOf(hist))
		}
	}
}

// checkRaisedLate: a case raised after its protocol's time limit is raised,
// with the reason on the raise's record; one in time says nothing of it.
func checkRaisedLate(t *testing.T, d *workflow.Dispute, raised workflow.Event, late string) {
	t.Helper()
	said := strings.Contains(raised.Summary, "raised after the policy's time limit")
	if d.RaisedLate != (late != "") || d.LateReason != late || said != (late != "") || !strings.Contains(raised.Text, late) {
		t.Errorf("raised late %v (reason %q), the raise says %q %q; want late %v", d.RaisedLate, d.LateReason, raised.Summary, raised.Text, late != "")
	}
}

func sooner(by Date) *workflow.Sooner {
	if by == "" {
		return nil
	}
	return &workflow.Sooner{By: by, Reason: "The child is seen at home on that day."}
}

// checkDeadline: the case's deadline is on the day set, sooner than the
// stage's window.
func checkDeadline(t *testing.T, env workflow.Env, d *workflow.Dispute, by Date) {
	t.Helper()
	if got := d.Deadline.In(env.Calendar.Location()).Format("2006-01-02"); got != string(by) {
		t.Errorf("stage %d deadline %s, want on %s", d.Stage, d.Deadline, by)
	}
	if _, full := workflow.WindowFrom(env.Calendar, d.StageStarted, env.Policy.For(d).Stage(d.Stage).Window); !d.Deadline.Before(full) {
		t.Errorf("stage %d deadline %s is not sooner than the window's %s", d.Stage, d.Deadline, full)
	}
}

func stageOf(d *workflow.Dispute) int {
	if d == nil {
		return 0
	}
	return d.Stage
}

func summariesOf(events []workflow.Event) []string {
	var s []string
	for _, e := range events {
		s = append(s, e.Summary)
	}
	return s
}
