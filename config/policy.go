package config

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/escalate-app/escalate/workflow"
)

// The presets are written in the same YAML a partnership uses for its own
// policy, so any of them can be copied into a configuration file and
// changed. Each stage's source quotes the policy it comes from.
//
//go:embed presets/*.yaml
var presetFiles embed.FS

// ErrUnknownPreset is returned by Preset for a name that is not built in.
var ErrUnknownPreset = errors.New("no such preset")

// Presets lists the built-in policies by name.
func Presets() []string {
	entries, err := fs.ReadDir(presetFiles, "presets")
	if err != nil {
		return nil // cannot happen: the directory is embedded
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// Preset is a built-in policy, validated.
func Preset(name string) (*workflow.Policy, error) {
	p, _, err := loadPreset(name)
	return p, err
}

// loadPreset reads a preset and its policy-wide source notes.
func loadPreset(name string) (*workflow.Policy, string, error) {
	if !contains(Presets(), name) {
		return nil, "", fmt.Errorf("%w %q; the presets are %s", ErrUnknownPreset, name, strings.Join(Presets(), ", "))
	}
	data, err := presetFiles.ReadFile("presets/" + name + ".yaml")
	if err != nil {
		return nil, "", fmt.Errorf("read preset %s: %w", name, err)
	}
	probs := newProblems()
	var fc *fileConfig
	fc, ok := decodeFile(data, probs)
	if ok {
		if fc.Policy == nil || fc.Policy.Preset != "" {
			probs.add("policy", "a preset file must write its policy out in full")
		} else {
			p, source := policyFromFile(fc.Policy, probs)
			if err := probs.err("preset " + name); err != nil {
				return nil, "", err
			}
			p.ID = name
			return p, source, nil
		}
	}
	return nil, "", probs.err("preset " + name)
}

// resolvePolicy is the file's policy: a preset by name, or one written out.
// No policy at all means the West Sussex preset, the one the practice
// console demonstrates.
func resolvePolicy(pf *policyFile, probs *problems) (*workflow.Policy, string, string) {
	if pf == nil {
		pf = &policyFile{Preset: defaultPreset}
	}
	if pf.Preset != "" {
		if !onlyPreset(probs) {
			probs.add("policy.preset", "a preset is used as it is: give either preset (alone) or a whole policy (partnership, subjects, stages…); to change a preset, copy it from config/presets/%s.yaml into this file", pf.Preset)
			return nil, "", ""
		}
		p, source, err := loadPreset(pf.Preset)
		if err != nil {
			probs.add("policy.preset", "%v", err)
			return nil, "", ""
		}
		return p, pf.Preset, source
	}
	p, source := policyFromFile(pf, probs)
	return p, "", source
}

const defaultPreset = "west-sussex"

// onlyPreset reports whether the file's policy gives nothing but a preset
// (any other key, even one set to its zero value, is a change the preset
// would silently ignore).
func onlyPreset(probs *problems) bool {
	for path := range probs.lines {
		if strings.HasPrefix(path, "policy.") && path != "policy.preset" {
			return false
		}
	}
	return true
}

// policyFromFile builds a policy written out in YAML and validates it with
// the workflow's own rules, so a file and the workflow never disagree on
// what a valid policy is.
func policyFromFile(pf *policyFile, probs *problems) (*workflow.Policy, string) {
	p := &workflow.Policy{
		ID:                    strings.TrimSpace(pf.ID),
		Partnership:           strings.TrimSpace(pf.Partnership),
		NotifyOnResolution:    pf.NotifyOnResolution,
		LapseNotifiesNextTier: pf.LapseNotifiesNextTier,
		WithinAgency:          pf.WithinAgency,
		AnyoneWhereUnlisted:   pf.AnyoneWhereUnlisted,
		ImmediateRiskMaxStage: pf.ImmediateRiskMaxStage,
	}
	if p.ID == "" {
		p.ID = slug(p.Partnership)
	} else if !validSlug(p.ID) {
		probs.add("policy.id", "must be lower-case letters, digits and dashes, not %q", p.ID)
	}
	for _, s := range pf.Subjects {
		p.Subjects = append(p.Subjects, workflow.SubjectType(strings.TrimSpace(s)))
	}
	for _, r := range pf.Roles {
		p.Roles = append(p.Roles, workflow.RoleDef{ID: workflow.Role(strings.TrimSpace(r.ID)), Label: strings.TrimSpace(r.Label), RanksWith: workflow.Role(strings.TrimSpace(r.RanksWith))})
	}
	// reported are the windows already reported as unreadable: the
	// workflow's own complaints about them would only repeat it.
	var reported []string
	p.ImmediateRiskTell = roles(pf.ImmediateRiskTell)
	if w, ok := parseWindow(pf.ImmediateRiskWindow.node, "policy.immediate_risk_window", probs); ok {
		p.ImmediateRiskWindow = w
	} else {
		reported = append(reported, "policy.immediate_risk_window")
	}
	if w, ok := parseWindow(pf.RaiseWithin.node, "policy.raise_within", probs); ok {
		p.RaiseWithin = w
	} else {
		reported = append(reported, "policy.raise_within")
	}
	p.Stages = parseStages(pf.Stages, "policy.stages", probs, &reported)
	for i, rf := range pf.Routes {
		path := fmt.Sprintf("policy.routes[%d]", i)
		r := workflow.Route{ID: strings.TrimSpace(rf.ID), Name: strings.TrimSpace(rf.Name), Source: strings.TrimSpace(rf.Source),
			Stages: parseStages(rf.Stages, path+".stages", probs, &reported)}
		if w, ok := parseWindow(rf.RaiseWithin.node, path+".raise_within", probs); ok {
			r.RaiseWithin = w
		} else {
			reported = append(reported, path+".raise_within")
		}
		for _, c := range rf.Categories {
			r.Categories = append(r.Categories, workflow.Category(strings.TrimSpace(c)))
		}
		p.Routes = append(p.Routes, r)
	}
	for i, st := range p.Stages {
		for j := range i {
			if p.Stages[j].Label == st.Label {
				probs.add(fmt.Sprintf("policy.stages[%d].label", i), "%q is already the label of stages[%d]", st.Label, j)
			}
		}
	}
	for _, e := range p.Validate() {
		path := "policy." + e.Path
		if slices.ContainsFunc(reported, func(r string) bool { return path == r || strings.HasPrefix(path, r+".") }) {
			continue
		}
		if strings.HasSuffix(path, ".role") && strings.Contains(e.Message, "lower tier") && unknownRoleAt(p, path) {
			continue // the unknown role is reported already; it has no tier to compare
		}
		probs.add(path, "%s", e.Message)
	}
	return p, strings.TrimSpace(pf.Source)
}

// unknownRoleAt reports whether the stage at path ("policy.stages[3].role")
// or the stage before it has a role the workflow does not know.
func unknownRoleAt(p *workflow.Policy, path string) bool {
	var i int
	if _, err := fmt.Sscanf(path, "policy.stages[%d].role", &i); err != nil || i >= len(p.Stages) {
		return false
	}
	return !p.KnownRole(p.Stages[i].Role) || (i > 0 && !p.KnownRole(p.Stages[i-1].Role))
}

var windowPattern = regexp.MustCompile(`^(\d+|an?|one)\s+(working\s+days?|working\s+hours?|hours?|working\s+weeks?)$`)

// parseWindow reads a window written as "1 working day", "4 working
// hours", "48 hours", "a working week" (5 working days) or as
// {amount, unit}. A missing window is the zero window; ok is false only
// when the window is present and unreadable (the problem is recorded).
func parseWindow(n *yaml.Node, path string, probs *problems) (workflow.Window, bool) {
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return workflow.Window{}, true
	}
	if n.Kind == yaml.MappingNode {
		var w workflow.Window
		if err := n.Decode(&w); err != nil {
			probs.add(path, "cannot be read: %v", err)
			return workflow.Window{}, false
		}
		return w, true
	}
	s := strings.ToLower(strings.Join(strings.Fields(n.Value), " "))
	m := windowPattern.FindStringSubmatch(s)
	if m == nil {
		probs.add(path, "write a window as \"1 working day\", \"3 working days\", \"4 working hours\", \"48 hours\" or \"a working week\", not %q", n.Value)
		return workflow.Window{}, false
	}
	amount := 1
	if m[1] != "a" && m[1] != "an" && m[1] != "one" {
		amount, _ = strconv.Atoi(m[1])
	}
	var w workflow.Window
	switch unit := m[2]; {
	case strings.HasPrefix(unit, "working week"):
		w = workflow.Window{Amount: amount * 5, Unit: workflow.WorkingDays}
	case strings.HasPrefix(unit, "working day"):
		w = workflow.Window{Amount: amount, Unit: workflow.WorkingDays}
	case strings.HasPrefix(unit, "working hour"):
		w = workflow.Window{Amount: amount, Unit: workflow.WorkingHours}
	default:
		w = workflow.Window{Amount: amount, Unit: workflow.Hours}
	}
	return w, true
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

func validSlug(s string) bool { return slugPattern.MatchString(s) }

// slug makes an id from a name: "Coventry (CSCP)" → "coventry-cscp".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	if b.Len() == 0 {
		return "policy"
	}
	return b.String()
}

func roles(in []string) []workflow.Role {
	var out []workflow.Role
	for _, r := range in {
		out = append(out, workflow.Role(strings.TrimSpace(r)))
	}
	return out
}

// parseStages reads the stages at prefix (the main ones, or a route's),
// adding the windows it could not read to reported.
func parseStages(sfs []stageFile, prefix string, probs *problems, reported *[]string) []workflow.Stage {
	var out []workflow.Stage
	var ok bool
	for i, sf := range sfs {
		path := fmt.Sprintf("%s[%d]", prefix, i)
		st := workflow.Stage{
			Label:              strings.TrimSpace(sf.Label),
			Name:               strings.TrimSpace(sf.Name),
			Role:               workflow.Role(strings.TrimSpace(sf.Role)),
			RaiserRole:         workflow.Role(strings.TrimSpace(sf.RaiserRole)),
			ResponderRole:      workflow.Role(strings.TrimSpace(sf.ResponderRole)),
			NotifyBusinessTeam: sf.NotifyBusinessTeam,
			WindowAgreed:       sf.WindowAgreed,
			Optional:           sf.Optional,
			Tell:               roles(sf.Tell),
			DeciderAgency:      strings.TrimSpace(sf.DeciderAgency),
			Final:              workflow.FinalAction(strings.TrimSpace(sf.Final)),
			Source:             strings.TrimSpace(sf.Source),
		}
		if st.Label == "" {
			st.Label = strconv.Itoa(i + 1)
		}
		if sf.Window.node == nil || sf.Window.node.Tag == "!!null" {
			probs.add(path+".window", "is required (e.g. \"1 working day\")")
			*reported = append(*reported, path+".window")
		} else if st.Window, ok = parseWindow(sf.Window.node, path+".window", probs); !ok {
			*reported = append(*reported, path+".window")
		}
		if st.Remind, ok = parseWindow(sf.Remind.node, path+".remind", probs); !ok {
			*reported = append(*reported, path+".remind")
		}
		if mf := sf.Meeting; mf != nil {
			st.Meeting = &workflow.MeetingRule{ConvenedBy: workflow.Side(strings.TrimSpace(mf.ConvenedBy)), IndependentlyChaired: mf.IndependentlyChaired,
				Agencies: mf.Agencies, Name: strings.TrimSpace(mf.Name)}
		}
		st.Response = parseResponse(sf.Response, path+".response", "3 working days", probs, reported)
		st.AfterResolution = parseResponse(sf.AfterResolution, path+".after_resolution", "2 working days", probs, reported)
		out = append(out, st)
	}
	return out
}

// parseResponse reads a written response a stage asks of one side (its
// response:, or its after_resolution:), adding the windows it could not
// read to reported; nil when the stage asks none.
func parseResponse(rf *responseFile, path, example string, probs *problems, reported *[]string) *workflow.ResponseRule {
	if rf == nil {
		return nil
	}
	var ok bool
	r := &workflow.ResponseRule{From: workflow.Side(strings.TrimSpace(rf.From)), What: strings.TrimSpace(rf.What)}
	if rf.Within.node == nil || rf.Within.node.Tag == "!!null" {
		probs.add(path+".within", "is required (e.g. %q)", example)
		*reported = append(*reported, path+".within")
	} else if r.Within, ok = parseWindow(rf.Within.node, path+".within", probs); !ok {
		*reported = append(*reported, path+".within")
	}
	if r.Remind, ok = parseWindow(rf.Remind.node, path+".remind", probs); !ok {
		*reported = append(*reported, path+".remind")
	}
	return r
}
