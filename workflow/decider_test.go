package workflow

import (
	"slices"
	"strings"
	"testing"
)

// deciderEnv is the test partnership with Coventry's last stage: the
// head of safeguarding of children's social care decides, and the chair is
// told for learning without holding the case.
func deciderEnv(t testing.TB) Env {
	env := newEnv(t)
	last := &env.Policy.Stages[3]
	last.Name, last.Role, last.Final, last.DeciderAgency = "Head of Safeguarding", RoleHeadOfSafeguarding, FinalDecider, agCSC
	last.Tell = []Role{RoleChair}
	return env
}

func TestASingleDeciderWhoIsNotTheChair(t *testing.T) {
	env := deciderEnv(t)
	if errs := env.Policy.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	c := newCase(t, env)
	c.do(raiseCmd(raiseInput(), t0))
	for s := 2; s <= 3; s++ {
		c.do(Command{Kind: CmdEscalate, Actor: c.d.Current().Raiser[0], At: c.d.UpdatedAt.Add(1), Text: secretReason, ExpectStage: s - 1})
	}
	f := mustForm(t, env, c.d, ActEscalate)
	if h := field(t, f, FieldRaiserHolders); h.Label != "head of safeguarding, Children's Social Care" || !slices.Equal(h.Values, []string{string(hsgA)}) || len(f.Fields) != 4 {
		t.Errorf("form %+v", f)
	}
	res := c.do(Command{Kind: CmdEscalate, Actor: smA, At: c.d.UpdatedAt.Add(1), Text: secretReason, ExpectStage: 3})
	d := res.Dispute
	if h := d.Current(); !sameIDs(h.Chair, []UserID{hsgA}) || len(h.Raiser)+len(h.Responder) != 0 {
		t.Errorf("holders %+v", h)
	}
	if !sameIDs(d.Consulted, []UserID{chair}) || msgTo(t, res, chair).Kind != MsgConsulted {
		t.Errorf("the chair is not told for learning: %v", d.Consulted)
	}
	if acts := actionKinds(ActionsFor(env, d, hsgA)); !slices.Equal(acts, []ActionKind{ActResolve, ActNote}) {
		t.Errorf("the decider's buttons %v", acts)
	}
	if acts := actionKinds(ActionsFor(env, d, chair)); !slices.Equal(acts, []ActionKind{ActNote}) {
		t.Errorf("the chair's buttons %v", acts)
	}
	if f := mustForm(t, env, d, ActResolve); f.Title != "Resolve as head of safeguarding" {
		t.Errorf("resolve form %q", f.Title)
	}
	// The chair and the other side's head of safeguarding cannot resolve.
	for _, u := range []UserID{chair, hsgB} {
		if r, inside := c.refusedInside(Command{Kind: CmdResolve, Actor: u, At: d.UpdatedAt.Add(1), Proposal: &Proposal{Outcome: secretAgreed}}, RefuseNotAllowed); inside &&
			r.Message != "only the head of safeguarding deciding ESC-2026-0001 resolves it directly" {
			t.Errorf("%s: %q", u, r.Message)
		}
	}
	if r := c.refused(Command{Kind: CmdPropose, Actor: hsgA, At: d.UpdatedAt.Add(1), Proposal: &Proposal{Outcome: secretAgreed}}, RefuseNotAllowed); !strings.Contains(r.Message, "the head of safeguarding resolves the case with Resolve") {
		t.Errorf("propose: %q", r.Message)
	}
	res = c.do(Command{Kind: CmdResolve, Actor: hsgA, At: d.UpdatedAt.Add(2), Proposal: &Proposal{Outcome: secretAgreed}})
	if res.Dispute.State != StateResolved || res.Events[0].Summary != "Resolved by the head of safeguarding" {
		t.Errorf("state %s summary %q", res.Dispute.State, res.Events[0].Summary)
	}
	// The chair gets the record and may tag learning.
	if m := msgTo(t, res, chair); m.Kind != MsgRecord || !slices.Contains(actionKinds(m.Actions), ActLearning) {
		t.Errorf("chair's record %+v", m)
	}
}

func TestDeciderValidates(t *testing.T) {
	p := deciderEnv(t).Policy
	p.Stages[3].DeciderAgency = ""
	p.Stages[2].Final = FinalDecider
	var got []string
	for _, e := range p.Validate() {
		got = append(got, e.Path+": "+e.Message)
	}
	for _, w := range []string{"stages[3].decider_agency: is required: the agency whose head of safeguarding decides", `stages[2].final: only the last stage can be "decider"`, "stages[2].decider_agency: is required"} {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
			t.Errorf("want %q in %q", w, got)
		}
	}
	p = deciderEnv(t).Policy
	p.Stages[3].Role = RoleChair
	if errs := p.Validate(); !slices.ContainsFunc(errs, func(e PolicyError) bool { return e.Path == "stages[3].role" }) {
		t.Errorf("a chair as decider: %v", errs)
	}
}
