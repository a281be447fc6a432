package workflow

import (
	"strconv"
	"strings"
	"testing"
)

// An optional stage may be skipped by whoever escalates from the stage
// before it, with a reason on the record; the later stage's holders come
// from the directory. A stage that is not optional cannot be skipped.
func TestSkipAnOptionalStage(t *testing.T) {
	env := newEnv(t)
	env.Policy.Stages[2].Optional = true // stage 3, senior managers
	c := newCase(t, env)
	c.do(raiseCmd(raiseInput(), t0))
	c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(1), Text: secretReason, ExpectStage: 1})

	f := mustForm(t, env, c.d, ActEscalate)
	to := field(t, f, FieldToStage)
	if to.Value != "3" || len(to.Options) != 2 || to.Options[1].Label != "Stage 4 (Partnership chair)" {
		t.Errorf("escalate to %+v", to)
	}
	field(t, f, FieldSkipReason)
	cmd, err := FormCommand(FormEscalate, 2, c.d.Version, Values{FieldText: {secretReason}, FieldToStage: {"4"}, FieldSkipReason: {secretStartReason},
		FieldRaiserHolders: {string(smA)}})
	if err != nil || cmd.ToStage != 4 || cmd.SkipReason != secretStartReason {
		t.Fatalf("%+v %v", cmd, err)
	}

	// No reason: refused on its field.
	noReason := cmd
	noReason.Actor, noReason.At, noReason.SkipReason = lmA, t0.Add(2), ""
	if r := c.refused(noReason, RefuseInvalid); r.Fields[FieldSkipReason] == "" {
		t.Errorf("no reason: %+v", r)
	}

	cmd.Actor, cmd.At = lmA, t0.Add(2)
	res := c.do(cmd)
	d := res.Dispute
	if d.Stage != 4 || !sameIDs(d.Current().Chair, []UserID{chair}) {
		t.Errorf("stage %d holders %+v", d.Stage, d.Current())
	}
	e := res.Events[0]
	if e.Summary != "Escalated to Stage 4 (Partnership chair), skipping Stage 3 (Senior manager to senior manager)" || e.Text != secretReason+"\n\nWhy skipped: "+secretStartReason {
		t.Errorf("event %+v", e)
	}
	if m := msgTo(t, res, chair); !strings.Contains(m.Title, "escalated to you at Stage 4") {
		t.Errorf("chair told %q", m.Title)
	}

	// Stage 2 is not optional: from stage 1 only stage 2 is offered, and
	// asking for stage 3 is refused on its field.
	c2 := newCase(t, env)
	c2.do(raiseCmd(raiseInput(), t0))
	if f := mustForm(t, env, c2.d, ActEscalate); hasField(f, FieldToStage) {
		t.Error("a stage that is not optional is offered to be skipped")
	}
	r := c2.refused(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(1), Text: secretReason, ExpectStage: 1, ToStage: 3, SkipReason: secretStartReason}, RefuseInvalid)
	if r.Fields[FieldToStage] != "Stage 2 (Manager to manager) cannot be skipped under this policy; escalate to Stage 2 (Manager to manager)" {
		t.Errorf("fields %v", r.Fields)
	}
	for _, bad := range []int{1, 5, 99, -1} {
		c2.refused(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(1), Text: secretReason, ExpectStage: 1, ToStage: bad, SkipReason: "x" + strconv.Itoa(bad)}, RefuseInvalid)
	}
}

func TestOptionalStagesValidate(t *testing.T) {
	p := testPolicy()
	p.Stages[0].Optional, p.Stages[3].Optional = true, true
	errs := p.Validate()
	if len(errs) != 2 || errs[0].Path != "stages[0].optional" || errs[1].Path != "stages[3].optional" {
		t.Errorf("errors %v", errs)
	}
}

func hasField(f Form, name string) bool {
	for _, fl := range f.Fields {
		if fl.Name == name {
			return true
		}
	}
	return false
}

func sameIDs(a, b []UserID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
