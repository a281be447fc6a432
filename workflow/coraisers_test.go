package workflow

import (
	"strings"
	"testing"
)

// Several raisers on one case: the others who share the concern hold the
// first stage with the raiser, are told it was raised in their names, and
// see every step; later stages go to the raiser's agency's managers.
func TestSeveralRaisers(t *testing.T) {
	env := newEnv(t)
	in := raiseInput()
	in.CoRaisers = []UserID{sw2, "slack:UPOL"}
	c := newCase(t, env)
	res := c.do(raiseCmd(in, t0))
	d := res.Dispute
	if h := d.Current(); !sameIDs(h.Raiser, []UserID{sw, sw2, "slack:UPOL"}) || !sameIDs(h.Responder, []UserID{hv}) {
		t.Errorf("holders %+v", h)
	}
	if !strings.Contains(res.Events[0].Summary, "sharing the concern") {
		t.Errorf("summary %q", res.Events[0].Summary)
	}
	m := msgTo(t, res, sw2)
	if !strings.Contains(m.Title, "naming you as sharing the concern: ESC-2026-0001") {
		t.Errorf("co-raiser told %q", m.Title)
	}
	// A co-raiser may propose a resolution at stage 1, as a holder.
	c.do(Command{Kind: CmdComment, Actor: "slack:UPOL", At: t0.Add(1), Text: secretNote})
	res = c.do(Command{Kind: CmdEscalate, Actor: sw2, At: t0.Add(2), Text: secretReason, ExpectStage: 1})
	if h := res.Dispute.Current(); !sameIDs(h.Raiser, []UserID{lmA}) {
		t.Errorf("stage 2 holders %+v", h)
	}
	if !CanView(res.Dispute, env.Directory, "slack:UPOL") {
		t.Error("a co-raiser cannot see the case at stage 2")
	}

	for _, tc := range []struct {
		who  []UserID
		want string
	}{
		{[]UserID{sw}, "You raise it already"},
		{[]UserID{hv}, "cannot share your concern"},
		{[]UserID{bt}, "not the business team or the chair"},
	} {
		in := raiseInput()
		in.CoRaisers = tc.who
		if r := newCase(t, env).refused(raiseCmd(in, t0), RefuseInvalid); !strings.Contains(r.Fields[FieldCoRaisers], tc.want) {
			t.Errorf("%v: %v", tc.who, r.Fields)
		}
	}
	v := Values{FieldCoRaisers: {string(sw2), " slack:UPOL "}}
	if got := ParseRaise(v).CoRaisers; !sameIDs(got, []UserID{sw2, "slack:UPOL"}) {
		t.Errorf("parsed %v", got)
	}
}
