package workflow

import (
	"strings"
	"testing"
)

const (
	tmA  UserID = "slack:UTMA"   // team manager, children's social care
	dslB UserID = "teams:29:dsl" // designated safeguarding lead, NHS
)

// sidedEnv is the test partnership with a stage 2 held by the raiser's
// team manager and the other side's designated safeguarding lead, two
// roles the policy defines.
func sidedEnv(t testing.TB) Env {
	env := newEnv(t)
	env.Policy.Roles = []RoleDef{
		{ID: "team_manager", Label: "team manager", RanksWith: RoleLineManager},
		{ID: "designated_safeguarding_lead", Label: "designated safeguarding lead", RanksWith: RoleSeniorManager},
	}
	env.Policy.Stages[1].RaiserRole = "team_manager"
	env.Policy.Stages[1].ResponderRole = "designated_safeguarding_lead"
	env.Directory.People = append(env.Directory.People,
		Person{ID: tmA, Name: "Tara Manager", Agency: agCSC, Role: "team_manager"},
		Person{ID: dslB, Name: "Dana Lead", Agency: agNHS, Role: "designated_safeguarding_lead"})
	return env
}

// Each side's own role holds the stage: the form, the holders, the words.
func TestARolePerSide(t *testing.T) {
	env := sidedEnv(t)
	if errs := env.Policy.Validate(); len(errs) > 0 {
		t.Fatalf("policy: %v", errs)
	}
	c := newCase(t, env)
	c.do(raiseCmd(raiseInput(), t0))
	f := mustForm(t, env, c.d, ActEscalate)
	if f.Intro[0] != "ESC-2026-0001 goes to Stage 2 (Manager to manager): team manager (the raiser's side) and designated safeguarding lead (the other side)." {
		t.Errorf("intro %q", f.Intro)
	}
	if r, s := field(t, f, FieldRaiserHolders), field(t, f, FieldResponderHolders); r.Label != "team manager, Children's Social Care" || s.Label != "designated safeguarding lead, Sussex Community NHS Trust" ||
		!sameStrings2(r.Values, []string{string(tmA)}) || !sameStrings2(s.Values, []string{string(dslB)}) {
		t.Errorf("holders fields %+v %+v", r, s)
	}
	res := c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(1), Text: secretReason, ExpectStage: 1})
	if h := res.Dispute.Current(); !sameIDs(h.Raiser, []UserID{tmA}) || !sameIDs(h.Responder, []UserID{dslB}) {
		t.Errorf("holders %+v", h)
	}
	if env.Policy.StageRoles(3) != "senior manager / named or designated safeguarding lead" || env.Policy.RoleLabel("team_manager") != "team manager" {
		t.Errorf("labels %q %q", env.Policy.StageRoles(3), env.Policy.RoleLabel("team_manager"))
	}

	// Nobody with the other side's role: the refusal names the role and
	// the agency it is missing in.
	env2 := sidedEnv(t)
	env2.Directory.People = env2.Directory.People[:len(env2.Directory.People)-1]
	c2 := newCase(t, env2)
	c2.do(raiseCmd(raiseInput(), t0))
	r := c2.refused(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(1), Text: secretReason, ExpectStage: 1}, RefuseNoHolders)
	if r.Message != "the directory has no designated safeguarding lead for Sussex Community NHS Trust; choose the people in the form" || r.Fields[FieldResponderHolders] == "" || r.Fields[FieldRaiserHolders] != "" {
		t.Errorf("refusal %+v", r)
	}
}

func sameStrings2(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

// Every mistake in a policy's own roles is named by its path.
func TestRolesValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(p *Policy)
		path  string
		words string
	}{
		{"no id", func(p *Policy) { p.Roles = []RoleDef{{Label: "x", RanksWith: RoleLineManager}} }, "roles[0].id", "is required"},
		{"bad id", func(p *Policy) { p.Roles = []RoleDef{{ID: "Team Manager", Label: "x", RanksWith: RoleLineManager}} }, "roles[0].id", "lower-case"},
		{"built-in id", func(p *Policy) { p.Roles = []RoleDef{{ID: RoleLineManager, Label: "x", RanksWith: RoleLineManager}} }, "roles[0].id", "built-in"},
		{"twice", func(p *Policy) {
			p.Roles = []RoleDef{{ID: "iro", Label: "IRO", RanksWith: RoleSeniorManager}, {ID: "iro", Label: "IRO", RanksWith: RoleSeniorManager}}
		}, "roles[1].id", "already defined by roles[0]"},
		{"no label", func(p *Policy) { p.Roles = []RoleDef{{ID: "iro", RanksWith: RoleSeniorManager}} }, "roles[0].label", "is required"},
		{"ranks with the chair", func(p *Policy) { p.Roles = []RoleDef{{ID: "iro", Label: "IRO", RanksWith: RoleChair}} }, "roles[0].ranks_with", "manager's role"},
		{"ranks with nothing", func(p *Policy) { p.Roles = []RoleDef{{ID: "iro", Label: "IRO", RanksWith: "boss"}} }, "roles[0].ranks_with", `not "boss"`},
		{"unknown side role", func(p *Policy) { p.Stages[1].ResponderRole = "dsl" }, "stages[1].responder_role", `unknown role "dsl"`},
		{"side roles at stage 1", func(p *Policy) { p.Stages[0].RaiserRole = RoleLineManager }, "stages[0].raiser_role", "no per-side roles"},
		{"a practitioner on a side", func(p *Policy) { p.Stages[1].RaiserRole = RolePractitioner }, "stages[1].raiser_role", "manager's role"},
		{"down a tier on one side", func(p *Policy) {
			p.Stages[2].ResponderRole = RoleLineManager
			p.Stages[1].ResponderRole = RoleHeadOfService
		}, "stages[2].responder_role", "lower tier"},
		{"unknown stage role", func(p *Policy) { p.Stages[1].Role = "dsl" }, "stages[1].role", `not "dsl"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := testPolicy()
			tc.edit(p)
			found := false
			for _, e := range p.Validate() {
				if e.Path == tc.path && strings.Contains(e.Message, tc.words) {
					found = true
				}
			}
			if !found {
				t.Errorf("want %s: …%s…; got %v", tc.path, tc.words, p.Validate())
			}
		})
	}
	// A defined role may hold a stage on both sides, ranking with its
	// built-in role.
	p := testPolicy()
	p.Roles = []RoleDef{{ID: "service_manager", Label: "service manager", RanksWith: RoleSeniorManager}}
	p.Stages[2].Role = "service_manager"
	if errs := p.Validate(); len(errs) > 0 {
		t.Errorf("a defined role on both sides: %v", errs)
	}
	p.Stages[2].Role, p.Roles[0].RanksWith = "service_manager", RoleLineManager
	p.Stages[1].Role = RoleSeniorManager
	if errs := p.Validate(); len(errs) == 0 {
		t.Error("a stage below the one before it is accepted")
	}
}
