package workflow

import (
	"slices"
	"strings"
	"testing"
)

// routedEnv: disagreements about a refused child protection conference
// follow their own route, straight from the practitioners to the chair.
func routedEnv(t testing.TB) Env {
	env := newEnv(t)
	env.Policy.Routes = []Route{{
		ID: "conference", Name: "Conference dissent", Categories: []Category{CatConferenceRefused},
		Stages: []Stage{
			{Label: "C1", Name: "Practitioner and conference chair", Role: RolePractitioner, Window: Window{2, WorkingDays}},
			{Label: "C2", Name: "Partnership chair", Role: RoleChair, Window: Window{3, WorkingDays}, Final: FinalChairResolve},
		},
	}}
	return env
}

func TestARouteByCategory(t *testing.T) {
	env := routedEnv(t)
	if errs := env.Policy.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	in := raiseInput()
	in.Category = CatConferenceRefused
	c := newCase(t, env)
	res := c.do(raiseCmd(in, t0))
	d := res.Dispute
	if d.Route != "conference" || !d.Deadline.Equal(lt(2026, 3, 4, 10, 0)) {
		t.Errorf("route %q deadline %v", d.Route, d.Deadline)
	}
	if !strings.Contains(res.Events[0].Summary, "at Stage C1 (Practitioner and conference chair)") {
		t.Errorf("summary %q", res.Events[0].Summary)
	}
	// The route's next stage is its chair, not the main route's stage 2.
	f := mustForm(t, env, d, ActEscalate)
	if f.Title != "Escalate to stage C2" || !hasField(f, FieldRaiserHolders) || hasField(f, FieldResponderHolders) {
		t.Errorf("form %+v", f)
	}
	res = c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(1), Text: secretReason, ExpectStage: 1})
	if d := res.Dispute; d.Stage != 2 || !sameIDs(d.Current().Chair, []UserID{chair}) || !slices.Contains(actionKinds(ActionsFor(env, d, chair)), ActResolve) {
		t.Errorf("stage %d holders %+v", d.Stage, d.Current())
	}
	if acts := actionKinds(ActionsFor(env, res.Dispute, sw)); slices.Contains(acts, ActEscalate) {
		t.Errorf("escalate offered past the route's last stage: %v", acts)
	}
	// Another category follows the main route.
	plain := newCase(t, env)
	if d := plain.do(raiseCmd(raiseInput(), t0)).Dispute; d.Route != "" || env.Policy.For(d).Last() != 4 {
		t.Errorf("main route %q", d.Route)
	}
	// A case may start only at a stage its route has.
	in.ImmediateRisk, in.StartStage, in.StartReason = true, 3, secretStartReason
	if r := newCase(t, env).refused(raiseCmd(in, t0), RefuseInvalid); r.Fields[FieldStartStage] != "Choose a stage from 1 to 2" {
		t.Errorf("start stage %v", r.Fields)
	}
}

func TestRoutesValidate(t *testing.T) {
	p := routedEnv(t).Policy
	p.Routes = append(p.Routes, Route{ID: "conference", Categories: []Category{CatConferenceRefused, "bogus"},
		Stages: []Stage{{Name: "Only", Role: RoleLineManager, Window: Window{1, WorkingDays}}}})
	var got []string
	for _, e := range p.Validate() {
		got = append(got, e.Path+": "+e.Message)
	}
	for _, w := range []string{`routes[1].id: "conference" is listed twice`, "routes[1].name: is required", `routes[1].categories[0]: conference_refused already follows the route "conference"`,
		`routes[1].categories[1]: unknown category "bogus"`, "routes[1].stages: a policy has 2 to 6 stages"} {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
			t.Errorf("want %q in %q", w, got)
		}
	}
}
