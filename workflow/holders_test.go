package workflow

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestEscalationHoldersMustHoldTheStage: each person named to hold the
// next stage must be able to hold that side's role in that side's agency;
// otherwise the form comes back with an inline error naming who and why,
// nothing changes and nobody is told.
func TestEscalationHoldersMustHoldTheStage(t *testing.T) {
	at := t0.Add(time.Hour)
	cases := []struct {
		name   string
		chosen StageHolders
		field  string
		want   []string // all in the field's error
	}{
		{"another practitioner", StageHolders{Raiser: []UserID{sw2}}, FieldRaiserHolders,
			[]string{"Sue Webb is a practitioner in Children's Social Care, not a line manager", "choose a line manager for Children's Social Care"}},
		{"the business team's officer", StageHolders{Responder: []UserID{bt}}, FieldResponderHolders,
			[]string{"Ben Taylor holds no role in Sussex Community NHS Trust's stages"}},
		{"the other agency's manager", StageHolders{Raiser: []UserID{lmB}}, FieldRaiserHolders,
			[]string{"Laura Bell is in Sussex Community NHS Trust, not Children's Social Care"}},
		{"someone the directory does not know", StageHolders{Responder: []UserID{unknown}}, FieldResponderHolders,
			[]string{"is not in the directory as a line manager for Sussex Community NHS Trust"}},
		{"a police officer", StageHolders{Responder: []UserID{lmB, stranger}}, FieldResponderHolders,
			[]string{"Stella Grant is a practitioner in Sussex Police, not a line manager for Sussex Community NHS Trust"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := raised(t)
			before := c.d.Version
			r := c.refused(Command{Kind: CmdEscalate, Actor: sw, At: at, Text: secretReason, Holders: &tc.chosen}, RefuseInvalid)
			for _, w := range tc.want {
				if !strings.Contains(r.Fields[tc.field], w) {
					t.Errorf("%s: %q, want it to say %q", tc.field, r.Fields[tc.field], w)
				}
			}
			if c.d.Version != before || c.d.Stage != 1 {
				t.Errorf("a refused escalation changed the case: v%d stage %d", c.d.Version, c.d.Stage)
			}
		})
	}
	t.Run("a manager of the tier or above, and through held_by", func(t *testing.T) {
		c := raised(t)
		res := c.do(Command{Kind: CmdEscalate, Actor: sw, At: at, Text: secretReason, Holders: &StageHolders{Raiser: []UserID{smA}, Responder: []UserID{lmB}}})
		if h := res.Dispute.Current(); !slices.Equal(h.Raiser, []UserID{smA}) {
			t.Errorf("holders %+v", h)
		}
		// A head of safeguarding is not a line manager's junior: above a
		// senior manager's stage is allowed, below a line manager is not.
		dir := newEnv(t).Directory
		p := newEnv(t).Policy
		if !dir.MayHold(p, agCSC, RoleSeniorManager, hsgA) || dir.MayHold(p, agCSC, RoleHeadOfService, smA) {
			t.Error("the rank rule")
		}
		dir.Agencies = append(dir.Agencies, Agency{ID: "gp", Name: "Riverside Surgery", HeldBy: agNHS})
		if !dir.MayHold(p, "gp", RoleLineManager, lmB) || dir.MayHold(p, "gp", RolePractitioner, hv) {
			t.Error("held_by: the NHS trust's managers hold the surgery's stages above the practitioners")
		}
	})
	t.Run("the chair's stage", func(t *testing.T) {
		c := atStage(t, 3)
		r := c.refused(Command{Kind: CmdEscalate, Actor: smA, At: c.d.UpdatedAt.Add(time.Hour), Text: secretReason, Holders: &StageHolders{Chair: []UserID{bt}}}, RefuseInvalid)
		if !strings.Contains(r.Fields[FieldRaiserHolders], "Ben Taylor is not a chair of the partnership") {
			t.Errorf("refusal %+v", r)
		}
	})
}

// TestRaisePartiesFromTheDirectory: a raiser the directory knows is of
// their agency (a form naming another is refused, one naming none takes
// it); the other practitioner, when known, must be of the other agency,
// whose id the directory gives when the form gives none.
func TestRaisePartiesFromTheDirectory(t *testing.T) {
	env := newEnv(t)
	in := raiseInput()
	in.RaiserAgency = agPolice
	if errs := in.Validate(env, sw); !strings.Contains(errs[FieldRaiserAgency], "The directory has you in Children's Social Care") {
		t.Errorf("raiser in another agency: %v", errs)
	}
	in = raiseInput()
	in.ResponderAgency = agPolice
	if errs := in.Validate(env, sw); !strings.Contains(errs[FieldResponder], "Harriet Vale is in Sussex Community NHS Trust, not Sussex Police") {
		t.Errorf("responder in another agency: %v", errs)
	}
	in = raiseInput()
	in.RaiserAgency, in.ResponderAgency = "", ""
	c := newCase(t, env)
	res := c.do(raiseCmd(in, t0))
	if d := res.Dispute; d.Raiser.Agency != agCSC || d.Responder.Agency != agNHS {
		t.Errorf("agencies %q and %q, want the directory's", d.Raiser.Agency, d.Responder.Agency)
	}
	// Someone the directory does not know raises for the agency they say.
	in = raiseInput()
	in.RaiserAgency = agPolice
	if errs := in.Validate(env, unknown); len(errs) > 0 {
		t.Errorf("an unlisted raiser: %v", errs)
	}
}

// TestGaps: per agency and stage role, where nobody could hold a stage.
func TestGaps(t *testing.T) {
	env := newEnv(t)
	gaps := Gaps(env.Policy, env.Directory)
	has := func(agency string, stage int) bool {
		return slices.ContainsFunc(gaps, func(g Gap) bool { return g.Agency == agency && g.Stage == stage })
	}
	if !has(agEdu, 2) || !has(agPolice, 3) || has(agCSC, 2) || has(agNHS, 3) || has(agCSC, 1) {
		t.Errorf("gaps %+v", gaps)
	}
	env.Directory.Chair = nil
	if !slices.ContainsFunc(Gaps(env.Policy, env.Directory), func(g Gap) bool { return g.Role == RoleChair }) {
		t.Error("no chair is a gap")
	}
}
