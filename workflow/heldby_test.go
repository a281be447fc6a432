package workflow

import (
	"slices"
	"testing"
)

const icbSO UserID = "teams:29:icbso" // the ICB's safeguarding officer, acting for GP practices

// A holder from a third agency: a GP practice lists only its practitioners;
// the ICB's line manager (its safeguarding officer) holds the practice's side
// above them, and the form and messages say whom they act for.
func TestAThirdAgencyHoldsASide(t *testing.T) {
	env := newEnv(t)
	env.Directory.Agencies = append(env.Directory.Agencies, Agency{ID: "icb", Name: "Sussex ICB"}, Agency{ID: "gp", Name: "Riverside Surgery", HeldBy: "icb"})
	env.Directory.People = append(env.Directory.People,
		Person{ID: "teams:29:gp", Name: "Dr Gita Patel", Agency: "gp", Role: RolePractitioner},
		Person{ID: icbSO, Name: "Ian Officer", Agency: "icb", Role: RoleLineManager})
	in := raiseInput()
	in.ResponderAgency, in.Responder = "gp", "teams:29:gp"
	c := newCase(t, env)
	c.do(raiseCmd(in, t0))
	f := mustForm(t, env, c.d, ActEscalate)
	if h := field(t, f, FieldResponderHolders); h.Label != "line manager, Sussex ICB, for Riverside Surgery" || !slices.Equal(h.Values, []string{string(icbSO)}) {
		t.Errorf("other side's holders %+v", h)
	}
	res := c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(1), Text: secretReason, ExpectStage: 1})
	if h := res.Dispute.Current(); !sameIDs(h.Responder, []UserID{icbSO}) {
		t.Errorf("holders %+v", h)
	}
	if m := msgTo(t, res, icbSO); m.Kind != MsgEscalatedTo {
		t.Errorf("the ICB officer is told %+v", m)
	}
	// The practitioners are still the practice's own; an agency with its own
	// manager keeps them.
	if got := env.Directory.Holders("gp", RolePractitioner); !sameIDs(got, []UserID{"teams:29:gp"}) {
		t.Errorf("practitioners %v", got)
	}
	env.Directory.People = append(env.Directory.People, Person{ID: "teams:29:pm", Name: "Pat Manager", Agency: "gp", Role: RoleLineManager})
	if got := env.Directory.Holders("gp", RoleLineManager); !sameIDs(got, []UserID{"teams:29:pm"}) || env.Directory.SideName("gp", RoleLineManager) != "Riverside Surgery" {
		t.Errorf("own manager %v", got)
	}
}
