package workflow

import (
	"slices"
	"strings"
	"testing"
)

// A stage that tells an adviser: the designated safeguarding leads of both
// agencies are told with the case and its history, may add notes, see the
// record at the end, and cannot act; the chair, told for learning, likewise.
func TestToldWithoutHolding(t *testing.T) {
	env := sidedEnv(t)
	env.Policy.Stages[1].RaiserRole, env.Policy.Stages[1].ResponderRole = "", ""
	env.Policy.Stages[1].Tell = []Role{"designated_safeguarding_lead", RoleChair}
	if errs := env.Policy.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	c := newCase(t, env)
	c.do(raiseCmd(raiseInput(), t0))
	if len(c.d.Consulted) != 0 {
		t.Fatalf("stage 1 tells nobody: %v", c.d.Consulted)
	}
	res := c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(1), Text: secretReason, ExpectStage: 1})
	if !sameIDs(res.Dispute.Consulted, []UserID{dslB, chair}) {
		t.Errorf("consulted %v", res.Dispute.Consulted)
	}
	if s := res.Events[0].Summary; s != "Escalated to Stage 2 (Manager to manager); told: Dana Lead (designated safeguarding lead, Sussex Community NHS Trust), Clare Hughes (partnership chair)" {
		t.Errorf("summary %q", s)
	}
	m := msgTo(t, res, dslB)
	if m.Kind != MsgConsulted || m.Title != "ESC-2026-0001 has reached Stage 2 (Manager to manager): you are told as designated safeguarding lead" || len(m.History) != 2 ||
		!slices.Contains(m.Lines, "The disagreement: "+secretDisagreement) {
		t.Errorf("message %+v", m)
	}
	if acts := actionKinds(m.Actions); !slices.Equal(acts, []ActionKind{ActNote}) {
		t.Errorf("a consulted person's buttons %v", acts)
	}
	// They add a note; they cannot propose, escalate or set a deadline.
	c.do(Command{Kind: CmdComment, Actor: dslB, At: t0.Add(2), Text: secretNote})
	c.refused(Command{Kind: CmdPropose, Actor: dslB, At: t0.Add(3), Proposal: &Proposal{Outcome: secretAgreed}}, RefuseNotHolder)
	c.refused(Command{Kind: CmdEscalate, Actor: dslB, At: t0.Add(3), Text: secretReason}, RefuseNotHolder)
	if !CanView(c.d, env.Directory, dslB) {
		t.Error("a consulted person cannot see the case")
	}
	// Escalating again tells nobody twice.
	res = c.do(Command{Kind: CmdEscalate, Actor: lmA, At: t0.Add(4), Text: secretReason, ExpectStage: 2})
	if len(res.Dispute.Consulted) != 2 || strings.Contains(res.Events[0].Summary, "told:") {
		t.Errorf("told again: %v %q", res.Dispute.Consulted, res.Events[0].Summary)
	}
}

func TestTellValidates(t *testing.T) {
	p := testPolicy()
	p.Stages[1].Tell = []Role{RolePractitioner, "iro", RoleChair, RoleChair}
	var paths []string
	for _, e := range p.Validate() {
		paths = append(paths, e.Path+": "+e.Message)
	}
	want := []string{"stages[1].tell[0]: practitioners are not told by role", `stages[1].tell[1]: unknown role "iro"`, "stages[1].tell[3]: chair is told already"}
	for _, w := range want {
		if !slices.ContainsFunc(paths, func(p string) bool { return strings.HasPrefix(p, w) }) {
			t.Errorf("want %q in %q", w, paths)
		}
	}
}

func actionKinds(a []Action) []ActionKind {
	var k []ActionKind
	for _, x := range a {
		k = append(k, x.Kind)
	}
	return k
}

// Immediate risk as its own process: a case raised at risk of immediate
// harm has the policy's same-day window at every stage and the named
// people told at once.
func TestImmediateRiskProcess(t *testing.T) {
	env := sidedEnv(t)
	env.Policy.Stages[1].RaiserRole, env.Policy.Stages[1].ResponderRole = "", ""
	env.Policy.ImmediateRiskWindow = Window{4, WorkingHours}
	env.Policy.ImmediateRiskTell = []Role{"designated_safeguarding_lead"}
	if errs := env.Policy.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	in := raiseInput()
	in.ImmediateRisk = true
	c := newCase(t, env)
	res := c.do(raiseCmd(in, t0))
	if d := res.Dispute; !d.Deadline.Equal(lt(2026, 3, 2, 14, 0)) || !sameIDs(d.Consulted, []UserID{dslB}) {
		t.Errorf("deadline %v consulted %v", d.Deadline, d.Consulted)
	}
	if m := msgTo(t, res, dslB); m.Kind != MsgConsulted || !strings.Contains(m.Lines[0], "resolved by Mon 2 Mar, 14:00") {
		t.Errorf("the designated safeguarding lead %+v", m)
	}
	// Escalated, the next stage's window is the same-day one too.
	res = c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(1), Text: secretReason, ExpectStage: 1})
	if !res.Dispute.Deadline.Equal(lt(2026, 3, 2, 14, 0).Add(1)) {
		t.Errorf("stage 2 deadline %v", res.Dispute.Deadline)
	}
	// Without immediate risk the stage's own window runs, and nobody is told.
	plain := newCase(t, env)
	res = plain.do(raiseCmd(raiseInput(), t0))
	if !res.Dispute.Deadline.Equal(lt(2026, 3, 3, 10, 0)) || len(res.Dispute.Consulted) != 0 {
		t.Errorf("no immediate risk: %v %v", res.Dispute.Deadline, res.Dispute.Consulted)
	}

	bad := testPolicy()
	bad.ImmediateRiskTell = []Role{"nobody"}
	bad.ImmediateRiskWindow = Window{0, WorkingHours}
	var got []string
	for _, e := range bad.Validate() {
		got = append(got, e.Path)
	}
	if !slices.Contains(got, "immediate_risk_tell[0]") || !slices.Contains(got, "immediate_risk_window") {
		t.Errorf("errors %v", got)
	}
}
