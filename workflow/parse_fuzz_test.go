package workflow

import (
	"strings"
	"testing"
)

// FuzzParseAction: a button's value comes back from Slack or Teams and
// anyone can forge it. What parses is a reference without "|", a stage
// and version that are not negative, and it round-trips: the value drawn
// for what was parsed parses to the same target. What does not parse is
// refused whole (the zero target).
func FuzzParseAction(f *testing.F) {
	for _, s := range []string{"ESC-2026-0042|3|v7", "ESC-2026-0042|3|1773136800000000|v7", "ESC-2026-0042|3", "ESC-2026-0042|3|12",
		"|1", "ESC|-1", "ESC|1|v0", "ESC|1|v", "ESC|1|2|3|4", "ESC|01|v01", "ESC|+1", "ESC|1|-5", "ESC|1| 5", "ESC|99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, ok := ParseAction(v)
		if !ok {
			if got != (ActionTarget{}) {
				t.Fatalf("%q refused but parsed as %+v", v, got)
			}
			return
		}
		if got.Ref == "" || strings.Contains(got.Ref, "|") || got.Stage < 0 || got.Version < 0 || got.Proposal < 0 {
			t.Fatalf("%q parsed as %+v", v, got)
		}
		drawn := Action{Ref: got.Ref, Stage: got.Stage, Proposal: got.Proposal, Version: got.Version}.Value()
		again, ok := ParseAction(drawn)
		if !ok || again != got {
			t.Fatalf("%q parsed as %+v, drawn again as %q, parsed as %+v (%v)", v, got, drawn, again, ok)
		}
		if c, ok := CommandForValue(ActConfirm, got); !ok || c.ExpectStage != got.Stage || c.ExpectVersion != got.Version || c.ExpectProposal != got.Proposal {
			t.Fatalf("a Confirm on %q runs %+v", v, c)
		}
	})
}

// FuzzFormCommand: a submitted form's kind and values arrive from outside
// (Slack's modal metadata, a Teams card's data). A known form becomes the
// command it names, expecting the stage and version the form was drawn
// for and carrying only what was submitted (trimmed, as every submitted
// value is read); an unknown one is refused.
func FuzzFormCommand(f *testing.F) {
	for _, k := range []FormKind{FormPropose, FormResolve, FormEscalate, FormNote, FormReject, FormWithdraw, FormDebrief, FormLearning, FormPanel, FormRaise, "nonsense"} {
		f.Add(string(k), 1, 1, "A note", "Agreed", "teams:abc", "safeguarding, thresholds;\nvoice")
	}
	f.Add("", -1, -5, "", "", "", "")
	f.Fuzz(func(t *testing.T, kind string, stage, version int, text, outcome, holder, themes string) {
		v := Values{FieldText: {text}, FieldOutcome: {outcome}, FieldRaiserHolders: {holder}, FieldThemes: {themes}, FieldPanel: {holder}}
		c, err := FormCommand(FormKind(kind), stage, version, v)
		if err != nil {
			if !strings.Contains(err.Error(), "unknown form") {
				t.Fatalf("form %q refused with %v", kind, err)
			}
			return
		}
		if c.ExpectStage != stage || c.ExpectVersion != version || c.Text != strings.TrimSpace(text) || c.Kind == "" {
			t.Fatalf("form %q became %+v", kind, c)
		}
		if c.Actor != "" || !c.At.IsZero() {
			t.Fatalf("form %q set who and when: %+v", kind, c)
		}
		if c.Proposal != nil && c.Proposal.Outcome != strings.TrimSpace(outcome) {
			t.Fatalf("form %q proposed %q, submitted %q", kind, c.Proposal.Outcome, outcome)
		}
		for _, th := range c.Themes {
			if strings.ContainsAny(th, ",;\n") {
				t.Fatalf("theme %q was not split", th)
			}
		}
	})
}
