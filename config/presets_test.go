package config

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/escalate-app/escalate/workflow"
)

type wantStage struct {
	label, name string
	role        workflow.Role
	window      workflow.Window
	feed        bool // the business team follows the case at this stage
	final       workflow.FinalAction
}

var oneDay = workflow.Window{Amount: 1, Unit: workflow.WorkingDays}
var workingWeek = workflow.Window{Amount: 5, Unit: workflow.WorkingDays}

// presetWants is each preset's structure, from the policy texts (see each
// preset's source: for the words).
var presetWants = map[string]struct {
	partnership        string
	subjects           []workflow.SubjectType
	withinAgency       bool
	notifyOnResolution bool
	stages             []wantStage
	// quotes must appear in the sources, word for word from the policy.
	quotes []string
}{
	"west-sussex": {
		partnership: "West Sussex Safeguarding Children Partnership (WSSCP)",
		subjects:    []workflow.SubjectType{workflow.SubjectChild},
		stages: []wantStage{
			{"1", "Professional to professional", workflow.RolePractitioner, oneDay, false, ""},
			{"2", "Manager to manager", workflow.RoleLineManager, oneDay, true, ""},
			{"3", "Senior manager to senior manager", workflow.RoleSeniorManager, oneDay, true, ""},
			{"4", "Partnership chair", workflow.RoleChair, workingWeek, true, workflow.FinalChairOrPanel},
		},
		quotes: []string{
			"WSSCB Business Team must be notified at stage two onwards",
			"operations manager or named/designated safeguarding representative",
			"discretion should be used as to which stage is initiated",
			"shortest possible timescale",
			"be informed when resolution is reached",
			"convene a Resolution Panel",
		},
	},
	"coventry": {
		partnership: "Coventry Safeguarding Children Partnership (CSCP)",
		subjects:    []workflow.SubjectType{workflow.SubjectChild},
		stages: []wantStage{
			{"1", "Frontline staff", workflow.RolePractitioner, oneDay, false, ""},
			{"1b", "Line managers", workflow.RoleLineManager, oneDay, false, ""},
			{"2", "Second tier managers", workflow.RoleSeniorManager, oneDay, false, ""},
			{"3", "Head of Service", workflow.RoleHeadOfService, oneDay, false, ""},
			{"4", "Head of Safeguarding", workflow.RoleHeadOfSafeguarding, oneDay, true, ""},
		},
		quotes: []string{
			"This should be done within 1 working day.",
			"within a further 1 working day",
			"escalated to second tier management within both agencies",
			"reporting it to the Chair of Coventry Safeguarding",
			"any agreed action should be fed back and recorded on the child's file",
		},
	},
	"warwickshire": {
		partnership:        "Warwickshire Safeguarding",
		subjects:           []workflow.SubjectType{workflow.SubjectChild, workflow.SubjectAdult},
		withinAgency:       true,
		notifyOnResolution: true,
		stages: []wantStage{
			{"1", "Practitioner to practitioner", workflow.RolePractitioner, oneDay, true, ""},
			{"2", "Line manager to line manager", workflow.RoleLineManager, oneDay, true, ""},
			{"3", "Senior manager to senior manager", workflow.RoleSeniorManager, oneDay, true, ""},
		},
		quotes: []string{
			"three stage procedure",
			"reporting and monitoring",
			"uncomfortable about the position taken by their own management",
			"adults with care and support needs",
		},
	},
	"wolverhampton": {
		partnership: "Wolverhampton Safeguarding Together (WST)",
		subjects:    []workflow.SubjectType{workflow.SubjectChild, workflow.SubjectAdult},
		stages: []wantStage{
			{"1", "Practitioner to practitioner", workflow.RolePractitioner, oneDay, false, ""},
			{"2", "Manager to manager", workflow.RoleLineManager, oneDay, true, ""},
			{"3", "Senior manager to senior manager", workflow.RoleSeniorManager, oneDay, true, ""},
			{"4", "Partnership chair", workflow.RoleChair, workingWeek, true, workflow.FinalChairResolve},
		},
		quotes: []string{
			"an adult with care and support needs",
			"without causing any unnecessary delay",
		},
	},
}

func TestPresetNames(t *testing.T) {
	want := []string{"coventry", "warwickshire", "west-sussex", "wolverhampton"}
	if got := Presets(); !slices.Equal(got, want) {
		t.Errorf("Presets() = %v, want %v", got, want)
	}
	if _, err := Preset("anyshire"); !errors.Is(err, ErrUnknownPreset) || !strings.Contains(err.Error(), "coventry, warwickshire, west-sussex, wolverhampton") {
		t.Errorf("unknown preset: %v", err)
	}
}

func TestPresets(t *testing.T) {
	policyTexts := readPolicyTexts(t)
	if containsText(policyTexts, "the business team must be told within 48 hours") || !containsText(policyTexts, "recorded on the child's file") {
		t.Fatal("containsText does not tell quotations from inventions")
	}
	for _, name := range Presets() {
		t.Run(name, func(t *testing.T) {
			want, ok := presetWants[name]
			if !ok {
				t.Fatalf("no expectations for preset %s", name)
			}
			p, err := Preset(name)
			if err != nil {
				t.Fatal(err)
			}
			if errs := p.Validate(); len(errs) > 0 {
				t.Fatalf("invalid: %v", errs)
			}
			if p.ID != name || p.Partnership != want.partnership || !slices.Equal(p.Subjects, want.subjects) || p.WithinAgency != want.withinAgency || p.NotifyOnResolution != want.notifyOnResolution {
				t.Errorf("policy: id %q partnership %q subjects %v within %v notify %v", p.ID, p.Partnership, p.Subjects, p.WithinAgency, p.NotifyOnResolution)
			}
			if p.ImmediateRiskMaxStage != 0 {
				t.Errorf("a case at immediate risk may start at any stage; got at most %d", p.ImmediateRiskMaxStage)
			}
			if len(p.Stages) != len(want.stages) {
				t.Fatalf("%d stages, want %d", len(p.Stages), len(want.stages))
			}
			for i, w := range want.stages {
				s := p.Stages[i]
				if s.Label != w.label || s.Name != w.name || s.Role != w.role || s.Window != w.window || p.FeedAt(i+1) != w.feed || s.Final != w.final {
					t.Errorf("stage %d = {%q %q %s %s feed=%v %q}, want %+v", i+1, s.Label, s.Name, s.Role, s.Window, p.FeedAt(i+1), s.Final, w)
				}
				if s.Remind.Amount == 0 {
					t.Errorf("stage %d has no reminder", i+1)
				}
				if len(s.Source) < 40 {
					t.Errorf("stage %d has no real source: %q", i+1, s.Source)
				}
				// No preset's text sets a reminder: each stage says its
				// reminder is a default, and where its window comes from.
				if src := strings.ToLower(s.Source); !strings.Contains(src, "window") || !strings.Contains(src, "remind") || !(strings.Contains(src, "default") || strings.Contains(src, "silent")) {
					t.Errorf("stage %d does not say where its window comes from and that its reminder is a default: %q", i+1, s.Source)
				}
			}
			_, policySource, err := loadPreset(name)
			if err != nil {
				t.Fatal(err)
			}
			all := policySource
			for _, s := range p.Stages {
				all += " " + s.Source
			}
			all = strings.Join(strings.Fields(all), " ")
			for _, q := range want.quotes {
				if !strings.Contains(all, q) {
					t.Errorf("the sources do not quote %q", q)
				}
			}
			// Every quotation in a source is the policy's own words.
			qs := quotations(all)
			if len(qs) < 3 {
				t.Errorf("the sources quote the policy only %d times", len(qs))
			}
			for _, q := range qs {
				if !containsText(policyTexts, q) {
					t.Errorf("the source quotes %q, which is not in the policy texts", q)
				}
			}
			// The preset loads as a partnership would name it.
			c, err := Parse([]byte("policy:\n  preset: "+name+"\n"), env())
			if err != nil || c.Policy.ID != name || c.Preset != name || len(c.Policy.Stages) != len(want.stages) {
				t.Errorf("policy: {preset: %s}: %v", name, err)
			}
		})
	}
}

// quotations are the "…" passages of a source long enough to be the
// policy's words rather than a name.
func quotations(s string) []string {
	var qs []string
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			return qs
		}
		j := strings.IndexByte(s[i+1:], '"')
		if j < 0 {
			return qs
		}
		if q := s[i+1 : i+1+j]; len(q) > 12 {
			qs = append(qs, q)
		}
		s = s[i+j+2:]
	}
}
