package workflow

import (
	"testing"
	"time"
)

// Every button and every form carries the case version it was drawn for.
func TestButtonsAndFormsCarryTheirVersion(t *testing.T) {
	c := atStage(t, 2)
	for _, u := range []UserID{lmA, lmB, sw, hv} {
		for _, a := range ActionsFor(c.env, c.d, u) {
			if a.Version != c.d.Version || a.Stage != 2 {
				t.Errorf("%s's %s button: stage %d version %d, case at %d/%d", u, a.Kind, a.Stage, a.Version, c.d.Stage, c.d.Version)
			}
			tg, ok := ParseAction(a.Value())
			if !ok || tg != a.Target() {
				t.Errorf("%s's %s button value %q parses as %+v %v", u, a.Kind, a.Value(), tg, ok)
			}
		}
	}
	for _, m := range c.last.Messages {
		for _, a := range m.Actions {
			if a.Version != c.d.Version {
				t.Errorf("the %s message to %s has a %s button at version %d, want %d", m.Kind, m.To, a.Kind, a.Version, c.d.Version)
			}
		}
	}
	for _, k := range []ActionKind{ActResolved, ActEscalate, ActNote, ActWithdraw} {
		f, ok := ActionForm(c.env, c.d, k)
		if !ok || f.Version != c.d.Version || f.Stage != 2 {
			t.Errorf("the %s form: %+v", k, f)
		}
		cmd, err := FormCommand(f.Kind, f.Stage, f.Version, Values{FieldText: {secretNote}})
		if err != nil || cmd.ExpectVersion != c.d.Version || cmd.ExpectStage != 2 {
			t.Errorf("the %s form's command: %+v %v", k, cmd, err)
		}
	}
	// A Confirm button carries the proposal and the version.
	c.do(Command{Kind: CmdPropose, Actor: lmA, At: c.d.UpdatedAt.Add(time.Minute), Proposal: proposal()})
	confirm := ActionsFor(c.env, c.d, lmB)[0]
	if confirm.Kind != ActConfirm || confirm.Proposal == 0 || confirm.Version != c.d.Version {
		t.Fatalf("confirm %+v", confirm)
	}
	tg, _ := ParseAction(confirm.Value())
	if cmd, _ := CommandForValue(ActConfirm, tg); cmd.ExpectVersion != c.d.Version || cmd.ExpectProposal != confirm.Proposal {
		t.Errorf("confirm command %+v", cmd)
	}
}

func TestActionValueWithVersion(t *testing.T) {
	cases := []struct {
		v    string
		want ActionTarget
		ok   bool
	}{
		{"ESC-2026-0042|3|v7", ActionTarget{Ref: "ESC-2026-0042", Stage: 3, Version: 7}, true},
		{"ESC-2026-0042|3|1764000000000000|v12", ActionTarget{Ref: "ESC-2026-0042", Stage: 3, Proposal: 1764000000000000, Version: 12}, true},
		{"ESC-2026-0042|3|1764000000000000", ActionTarget{Ref: "ESC-2026-0042", Stage: 3, Proposal: 1764000000000000}, true},
		{"ESC-2026-0042|3|v0", ActionTarget{}, false},
		{"ESC-2026-0042|3|v", ActionTarget{}, false},
		{"ESC-2026-0042|3|v-1", ActionTarget{}, false},
		{"ESC-2026-0042|3|v7x", ActionTarget{}, false},
		{"ESC-2026-0042|3|v7|1764000000000000", ActionTarget{}, false},
		{"ESC-2026-0042|3|1|2|v7", ActionTarget{}, false},
		{"ESC-2026-0042|3|1|2", ActionTarget{}, false},
	}
	for _, c := range cases {
		got, ok := ParseAction(c.v)
		if ok != c.ok || got != c.want {
			t.Errorf("%q: %+v %v", c.v, got, ok)
		}
		if ok && (Action{Ref: got.Ref, Stage: got.Stage, Proposal: got.Proposal, Version: got.Version}).Value() != c.v {
			t.Errorf("%q does not round-trip", c.v)
		}
	}
}

// What moves a case on materially is recorded on the dispute, with who and
// when; notes, reminders and lapses are not.
func TestMaterialChangesAreRecorded(t *testing.T) {
	c := atStage(t, 2)
	esc := c.d.Changed
	if esc == nil || esc.Kind != CmdEscalate || esc.Seq != c.d.Version || esc.Actor != sw || esc.ActorName != "Sam Walker" || esc.Stage != 2 || esc.Summary != "Escalated to Stage 2 (Manager to manager)" {
		t.Fatalf("after escalation: %+v", esc)
	}
	c.do(Command{Kind: CmdComment, Actor: lmB, At: c.d.UpdatedAt.Add(time.Minute), Text: secretNote})
	c.fire(TimerRemind, 0)
	c.fire(TimerLapse, 0)
	if *c.d.Changed != *esc {
		t.Errorf("a note, a reminder or a lapse changed the latest change: %+v", c.d.Changed)
	}
	at := c.d.UpdatedAt.Add(time.Minute)
	c.do(Command{Kind: CmdAssignHolder, Actor: bt, At: at, Holders: &StageHolders{Responder: []UserID{hv2}}})
	if ch := c.d.Changed; ch.Kind != CmdAssignHolder || ch.Seq != c.d.Version || ch.At != at || ch.ActorName != "Ben Taylor" {
		t.Errorf("after the holders changed: %+v", ch)
	}
	// A case written before disputes recorded it falls back on its log.
	old := c.d.Clone()
	old.Changed = nil
	if ch := LastChange(old, c.hist); ch == nil || *ch != *c.d.Changed {
		t.Errorf("from the log: %+v, want %+v", ch, c.d.Changed)
	}
}

// Two holders look at the case at the same version; one proposes a
// resolution, then the other's escalate form (drawn before it) is refused,
// saying what happened, by whom and when, and changes nothing. Whatever
// the order, exactly one of them wins.
func TestAFormDrawnBeforeAMaterialChangeIsRefused(t *testing.T) {
	for _, proposeFirst := range []bool{true, false} {
		c := atStage(t, 2)
		v := c.d.Version
		escForm, _ := ActionForm(c.env, c.d, ActEscalate)
		propForm, _ := ActionForm(c.env, c.d, ActResolved)
		esc, _ := FormCommand(escForm.Kind, escForm.Stage, escForm.Version, Values{FieldText: {secretReason}})
		esc.Actor, esc.At = lmA, c.d.UpdatedAt.Add(time.Minute)
		prop, _ := FormCommand(propForm.Kind, propForm.Stage, propForm.Version, Values{FieldOutcome: {secretAgreed}})
		prop.Actor, prop.At = lmB, esc.At
		first, second := prop, esc
		if !proposeFirst {
			first, second = esc, prop
		}
		c.do(first)
		before := c.d.Version
		r := c.refused(second, RefuseMovedOn)
		if proposeFirst {
			want := "ESC-2026-0001 has moved on since this was shown to you: resolution proposed by the responder side, by Laura Bell on Mon 2 Mar, 11:01. Nothing you sent was recorded"
			if r.Message != want {
				t.Errorf("the escalate form after a proposal: %q, want %q", r.Message, want)
			}
		}
		if c.d.Version != before || v+1 != before {
			t.Errorf("versions %d → %d → %d", v, before, c.d.Version)
		}
	}
	// Someone else's note does not make a form stale, nor does a lapse.
	c := atStage(t, 2)
	f, _ := ActionForm(c.env, c.d, ActResolved)
	c.do(Command{Kind: CmdComment, Actor: lmB, At: c.d.UpdatedAt.Add(time.Minute), Text: secretNote})
	c.fire(TimerLapse, 0)
	prop, _ := FormCommand(f.Kind, f.Stage, f.Version, Values{FieldOutcome: {secretAgreed}})
	prop.Actor, prop.At = lmA, c.d.UpdatedAt.Add(time.Minute)
	c.do(prop)
	// A note drawn before the proposal is still recorded: it contradicts nothing.
	nf, _ := ActionForm(c.env, c.d, ActNote)
	c.do(Command{Kind: CmdReject, Actor: lmB, At: c.d.UpdatedAt.Add(time.Minute), Text: secretReject, ExpectVersion: c.d.Version})
	note, _ := FormCommand(nf.Kind, nf.Stage, nf.Version, Values{FieldText: {secretNote}})
	note.Actor, note.At = lmB, c.d.UpdatedAt.Add(time.Minute)
	c.do(note)
	// A version from the future is not a form Escalate drew.
	bad, _ := FormCommand(FormPropose, 2, c.d.Version+5, Values{FieldOutcome: {secretAgreed}})
	bad.Actor, bad.At = lmA, c.d.UpdatedAt.Add(time.Minute)
	c.refused(bad, RefuseInvalid)
	// Pressing a button drawn before the holders changed is refused before
	// its form opens.
	drawn := ActionsFor(c.env, c.d, lmA)[0]
	c.do(Command{Kind: CmdAssignHolder, Actor: bt, At: c.d.UpdatedAt.Add(time.Minute), Holders: &StageHolders{Raiser: []UserID{lmA}, Responder: []UserID{hv2}}})
	err := CheckTarget(c.env, c.d, c.hist, lmA, drawn.Kind, drawn.Target())
	if r, ok := err.(*Refusal); !ok || r.Code != RefuseMovedOn || r.Message != "ESC-2026-0001 has moved on since this was shown to you: holders changed by the business team to Lena Marsh and Hugo Vance, by Ben Taylor on Tue 3 Mar, 11:04. Nothing you sent was recorded" {
		t.Errorf("a button drawn before the holders changed: %v", err)
	}
	if err := CheckTarget(c.env, c.d, c.hist, lmA, drawn.Kind, ActionTarget{Ref: c.d.Ref, Stage: 2, Version: c.d.Version}); err != nil {
		t.Errorf("the same button drawn now: %v", err)
	}
}
