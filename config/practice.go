package config

import (
	_ "embed"

	"github.com/escalate-app/escalate/workflow"
)

// practiceYAML is the configuration Load("") returns: the West Sussex
// policy with practice people and practice emergency numbers, for the
// practice console.
//
//go:embed practice.yaml
var practiceYAML []byte

// practiceFile is the practice configuration as read from its YAML (it is
// embedded and tested, so it reads; an empty one stands in if not).
func practiceFile() *fileConfig {
	fc, ok := decodeFile(practiceYAML, newProblems())
	if !ok {
		return &fileConfig{Directory: &directoryFile{}}
	}
	return fc
}

// practiceEmergency is the practice emergency route, for a practice
// deployment whose file gives none.
func practiceEmergency() []string { return trimAll(practiceFile().Emergency) }

// resolveScope is the file's scope text, or the default: what the process
// is for, in the words of the policies, and the routes it is not.
func resolveScope(sf *scopeFile, p *workflow.Policy) Scope {
	var s Scope
	if sf != nil {
		s = Scope{For: trimAll(sf.For), NotFor: trimAll(sf.NotFor)}
	}
	who := "a child's or adult's"
	if p != nil {
		switch {
		case p.Covers(workflow.SubjectChild) && !p.Covers(workflow.SubjectAdult):
			who = "a child's"
		case p.Covers(workflow.SubjectAdult) && !p.Covers(workflow.SubjectChild):
			who = "an adult's"
		}
	}
	between := "between agencies"
	if p != nil && p.WithinAgency {
		between = "between agencies or within one (including your own management's position)"
	}
	if len(s.For) == 0 {
		s.For = []string{
			"Professional disagreements " + between + " about " + who + " safety and wellbeing: a referral, an assessment, a plan, a decision, an action not taken, thresholds, roles and responsibilities, information sharing.",
			"Resolving them at the lowest possible stage, quickly, with a written record shared with everyone involved.",
		}
	}
	if len(s.NotFor) == 0 {
		s.NotFor = []string{
			"Complaints about a service: use the agency's complaints procedure.",
			"Whistleblowing: use your organisation's whistleblowing policy.",
			"Concerns about a professional's conduct, or an allegation against someone who works with children or adults: speak to your designated safeguarding lead, who contacts the LADO or the agency's designated officer.",
			"An immediate safeguarding response: if someone is at risk of immediate harm, use the emergency route first (999, the front door / MASH, the out-of-hours team).",
		}
	}
	return s
}
