package config

import (
	"strings"
	"testing"

	"github.com/escalate-app/escalate/workflow"
)

// A time limit on raising, the policy's and a route's, read, printed by
// check-config, and named by path and line when it cannot be.
func TestARaiseLimitInTheFile(t *testing.T) {
	file := `
policy:
  partnership: P
  subjects: [child]
  raise_within: 2 working days
  stages:
    - {name: One, role: practitioner, window: a working week}
    - {name: Two, role: chair, window: 1 working day, final: chair_resolves}
  routes:
    - id: conference
      name: Conference dissent
      categories: [conference_refused]
      raise_within: 72 hours
      stages:
        - {name: C1, role: practitioner, window: 2 working days}
        - {name: C2, role: chair, window: 1 working day, final: chair_resolves}
`
	c, err := Parse([]byte(file), env())
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Policy.RaiseWithin; w != (workflow.Window{Amount: 2, Unit: workflow.WorkingDays}) {
		t.Errorf("raise_within %+v", w)
	}
	if w := c.Policy.RaiseLimit(workflow.CatConferenceRefused); w != (workflow.Window{Amount: 72, Unit: workflow.Hours}) {
		t.Errorf("the route's raise_within %+v", w)
	}
	out := describeText(t, c)
	for _, want := range []string{
		"Raising:        within 2 working days of the decision disputed (the raise form's date of the decision); a later raise is still accepted, with the raiser's reason on the record",
		"  raising:       within 72 hours of the decision disputed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check-config lacks %q:\n%s", want, out)
		}
	}
	none, err := Parse([]byte(strings.Replace(file, "  raise_within: 2 working days\n", "", 1)), env())
	if err != nil {
		t.Fatal(err)
	}
	if out := describeText(t, none); !strings.Contains(out, "Raising:        no time limit from the decision disputed") {
		t.Errorf("check-config without a limit:\n%s", out)
	}
	for bad, want := range map[string]string{
		"raise_within: 2 working days":  "policy.raise_within: write a window as",
		"raise_within: 4 working hours": "policy.raise_within: is counted from the date of the decision, which has no time of day",
		"raise_within: 72 hours":        "policy.routes[0].raise_within: write a window as",
		"raise_within: 0 hours":         "policy.routes[0].raise_within: must be positive",
	} {
		var broken string
		switch bad {
		case "raise_within: 2 working days":
			broken = strings.Replace(file, bad, "raise_within: soon", 1)
		case "raise_within: 4 working hours":
			broken = strings.Replace(file, "raise_within: 2 working days", bad, 1)
		case "raise_within: 72 hours":
			broken = strings.Replace(file, bad, "raise_within: a fortnight", 1)
		default:
			broken = strings.Replace(file, "raise_within: 72 hours", bad, 1)
		}
		msg := errString(func() error { _, err := Parse([]byte(broken), env()); return err }())
		if !strings.Contains(msg, want) {
			t.Errorf("%s: error lacks %q: %s", bad, want, msg)
		}
		// Named by its line, and once.
		line := "(line 5)"
		if strings.Contains(want, "routes[0]") {
			line = "(line 13)"
		}
		if !strings.Contains(msg, line) || strings.Count(msg, "raise_within") != 1 {
			t.Errorf("%s: not named once by its line %s: %s", bad, line, msg)
		}
	}
}

// A written response after resolution, read, printed by check-config, and
// named by path and line when it cannot be.
func TestAWrittenResponseAfterResolutionInTheFile(t *testing.T) {
	file := `
policy:
  partnership: P
  subjects: [child]
  stages:
    - name: One
      role: practitioner
      window: a working week
      after_resolution: {from: responder, within: 2 working days, remind: 1 working day, what: a letter confirming the outcome}
    - name: Two
      role: chair
      window: 1 working day
      final: chair_resolves
      after_resolution: {from: chair, within: 48 hours}
`
	c, err := Parse([]byte(file), env())
	if err != nil {
		t.Fatal(err)
	}
	r := c.Policy.Stage(1).AfterResolution
	if r == nil || r.From != workflow.SideResponder || r.Within != (workflow.Window{Amount: 2, Unit: workflow.WorkingDays}) || r.Remind != (workflow.Window{Amount: 1, Unit: workflow.WorkingDays}) || r.What != "a letter confirming the outcome" {
		t.Fatalf("after_resolution %+v", r)
	}
	if r := c.Policy.Stage(2).AfterResolution; r == nil || r.From != workflow.SideChair || r.Within != (workflow.Window{Amount: 48, Unit: workflow.Hours}) {
		t.Fatalf("the chair's after_resolution %+v", r)
	}
	out := describeText(t, c)
	for _, want := range []string{
		"  afterwards:    when resolved here, a letter confirming the outcome from the other side within 2 working days of the resolution (reminded 1 working day before); it goes on the record, which says while it is outstanding",
		"  afterwards:    when resolved here, a written confirmation of the outcome from whoever decides the stage within 48 hours of the resolution (no reminder)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check-config lacks %q:\n%s", want, out)
		}
	}
	for _, tc := range []struct{ from, to, want string }{
		{"from: responder", "from: them", `policy.stages[0].after_resolution.from: must be raiser or responder, not "them" (line 9)`},
		{"within: 2 working days", "within: later", "policy.stages[0].after_resolution.within: write a window as"},
		{"within: 2 working days, ", "", `policy.stages[0].after_resolution.within: is required (e.g. "2 working days") (line 9)`},
		{"remind: 1 working day", "remind: 2 working days", "policy.stages[0].after_resolution.remind: must be shorter than within (2 working days) (line 9)"},
		{"from: chair", "from: responder", `policy.stages[1].after_resolution.from: must be chair at a stage one person decides (whoever decides writes it), not "responder" (line 14)`},
	} {
		msg := errString(func() error { _, err := Parse([]byte(strings.Replace(file, tc.from, tc.to, 1)), env()); return err }())
		if !strings.Contains(msg, tc.want) || strings.Count(msg, "after_resolution") != 1 {
			t.Errorf("%s → %s: error lacks %q (once): %s", tc.from, tc.to, tc.want, msg)
		}
	}
}
