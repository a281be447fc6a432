package workflow

import (
	"testing"
	"time"
)

// commandFor builds a plausible command of kind k by actor on the case, with
// whatever input the kind needs, so that only who is asking (or when) can be
// the reason for a refusal.
func commandFor(c *tcase, k CommandKind, actor UserID, expect int) Command {
	at := c.d.UpdatedAt.Add(time.Minute)
	cmd := Command{Kind: k, Actor: actor, At: at, ExpectStage: expect, Text: secretNote}
	switch k {
	case CmdRaise:
		cmd.Raise = raiseInput()
	case CmdPropose, CmdResolve:
		cmd.Proposal = proposal()
	case CmdAssignHolder:
		cmd.Holders = &StageHolders{Raiser: []UserID{sw2}, Responder: []UserID{hv2}, Chair: []UserID{chair}}
	case CmdConvenePanel:
		cmd.Panel = []string{agCSC, agNHS, agEdu}
	case CmdLearning:
		cmd.Themes = []string{"Thresholds"}
	case CmdNudge, CmdLapse, CmdPrompt:
		kind := map[CommandKind]TimerKind{CmdNudge: TimerRemind, CmdLapse: TimerLapse, CmdPrompt: TimerPrompt}[k]
		tm := Timer{Ref: c.d.Ref, Kind: kind, Stage: c.d.Stage, StageVersion: c.d.StageVersion, Due: at}
		cmd.Timer = &tm
	}
	return cmd
}

func TestStaleClicks(t *testing.T) {
	c := atStage(t, 3)
	want := "ESC-2026-0001 was escalated to Stage 3 (Senior manager to senior manager) by Lena Marsh on Mon 2 Mar, 12:00, so nothing you sent was recorded"
	actors := map[CommandKind]UserID{CmdAssignHolder: bt, CmdConvenePanel: chair, CmdResolve: chair, CmdWithdraw: sw}
	for _, k := range []CommandKind{CmdComment, CmdPropose, CmdConfirm, CmdReject, CmdEscalate, CmdWithdraw, CmdAssignHolder, CmdConvenePanel, CmdResolve} {
		for _, expect := range []int{1, 2} {
			actor := smA
			if a, ok := actors[k]; ok {
				actor = a
			}
			r := c.refused(commandFor(c, k, actor, expect), RefuseMovedOn)
			if r.Message != want {
				t.Errorf("%s expecting stage %d: %q", k, expect, r.Message)
			}
		}
	}
	// The button of a Confirm carries the stage it was drawn at.
	cmd, ok := CommandForAction(ActConfirm, 2)
	if !ok {
		t.Fatal("Confirm acts at once")
	}
	cmd.Actor, cmd.At = smA, c.d.UpdatedAt
	c.refused(cmd, RefuseMovedOn)

	t.Run("a case that started at a later stage", func(t *testing.T) {
		in := raiseInput()
		in.ImmediateRisk, in.StartStage, in.StartReason = true, 3, secretStartReason
		c := newCase(t, newEnv(t))
		c.do(raiseCmd(in, t0))
		r := c.refused(Command{Kind: CmdComment, Actor: smA, At: t0, Text: secretNote, ExpectStage: 1}, RefuseMovedOn)
		if r.Message != "ESC-2026-0001 is now at Stage 3 (Senior manager to senior manager), so nothing you sent was recorded" {
			t.Errorf("message %q", r.Message)
		}
	})
	t.Run("the current stage is fine", func(t *testing.T) {
		c.do(Command{Kind: CmdComment, Actor: smA, At: c.d.UpdatedAt, Text: secretNote, ExpectStage: 3})
	})
}

var allButtons = []ActionKind{ActResolved, ActEscalate, ActNote, ActConfirm, ActReject, ActResolve, ActPanel, ActWithdraw, ActDebrief, ActLearning, ActShow}

// Someone who neither holds nor was part of a case is refused whatever they
// try, at every point of the case's life, with one answer that says
// nothing about the case (the same as for a case that does not exist), and
// nothing changes.
func TestStrangersAreRefusedEverything(t *testing.T) {
	points := map[string]func(t *testing.T) *tcase{
		"stage 1": func(t *testing.T) *tcase { return raised(t) },
		"stage 2, proposed": func(t *testing.T) *tcase {
			c := atStage(t, 2)
			c.do(Command{Kind: CmdPropose, Actor: lmA, At: c.d.UpdatedAt, Proposal: proposal()})
			return c
		},
		"stage 3, lapsed": func(t *testing.T) *tcase {
			c := atStage(t, 3)
			c.fire(TimerLapse, 0)
			return c
		},
		"stage 4, panel": func(t *testing.T) *tcase {
			c := atStage(t, 4)
			c.do(panelOn(c, Command{Kind: CmdConvenePanel, Actor: chair, At: c.d.UpdatedAt, Panel: []string{agCSC, agNHS, agEdu}}))
			return c
		},
		"closed": func(t *testing.T) *tcase { return closedCase(t) },
	}
	for name, setup := range points {
		t.Run(name, func(t *testing.T) {
			c := setup(t)
			for _, who := range []UserID{stranger, unknown, sw2, hv2} {
				for _, k := range CommandKinds {
					for _, expect := range []int{0, c.d.Stage} {
						_, err := c.try(commandFor(c, k, who, expect))
						r, ok := err.(*Refusal)
						if !ok {
							t.Fatalf("%s accepted %s from %s", name, k, who)
						}
						if want := UnknownCase(c.d.Ref); r.Code != want.Code || r.Message != want.Message || len(r.Fields) != 0 {
							t.Errorf("%s from %s refused with %s: %q", k, who, r.Code, r.Message)
						}
						for _, b := range allButtons {
							if err := CheckTarget(c.env, c.d, c.hist, who, b, ActionTarget{Ref: c.d.Ref, Stage: expect, Version: c.d.Version}); err == nil || err.Error() != UnknownCase(c.d.Ref).Message {
								t.Errorf("%s pressing %s: %v", who, b, err)
							}
						}
					}
				}
			}
		})
	}
}

// The system actor runs timers and retention only.
func TestTheSystemActsOnlyByTimer(t *testing.T) {
	c := atStage(t, 2)
	for _, k := range []CommandKind{CmdComment, CmdPropose, CmdConfirm, CmdReject, CmdEscalate, CmdWithdraw, CmdAssignHolder, CmdConvenePanel, CmdResolve} {
		r := c.refused(commandFor(c, k, SystemActor, 0), RefuseNotAllowed)
		if r.Message != "only a person can do that, not Escalate itself" {
			t.Errorf("%s: %q", k, r.Message)
		}
	}
	for _, k := range []CommandKind{CmdNudge, CmdLapse, CmdPrompt} {
		r := c.refused(commandFor(c, k, lmA, 0), RefuseNotAllowed)
		if r.Message != "only Escalate itself can do that" {
			t.Errorf("%s: %q", k, r.Message)
		}
	}
}

// CheckAction answers a button press before its form opens, as Apply will
// answer the command.
func TestCheckAction(t *testing.T) {
	type press struct {
		who   UserID
		k     ActionKind
		stage int
		code  RefusalCode // "" accepted
		msg   string
	}
	check := func(name string, c *tcase, presses []press) {
		t.Helper()
		for _, p := range presses {
			err := CheckAction(c.env, c.d, c.hist, p.who, p.k, p.stage)
			switch r, _ := err.(*Refusal); {
			case p.code == "" && err != nil:
				t.Errorf("%s: %s pressing %s refused: %v", name, p.who, p.k, err)
			case p.code != "" && (r == nil || r.Code != p.code):
				t.Errorf("%s: %s pressing %s: %v, want %s", name, p.who, p.k, err, p.code)
			case r != nil && p.msg != "" && r.Message != p.msg:
				t.Errorf("%s: %s pressing %s: %q, want %q", name, p.who, p.k, r.Message, p.msg)
			case r != nil:
				for _, prob := range refusalProblems(c.env, r) {
					t.Errorf("%s: %s pressing %s: %s", name, p.who, p.k, prob)
				}
			}
		}
	}
	c := raised(t)
	check("stage 1", c, []press{
		{sw, ActWithdraw, 1, "", ""},
		{sw, ActResolved, 1, "", ""},
		{hv, ActEscalate, 1, "", ""},
		{hv, ActWithdraw, 1, RefuseState, "that is not possible on ESC-2026-0001 now"},
		{sw, ActShow, 0, "", ""},
		{bt, ActShow, 0, "", ""},
		{stranger, ActShow, 0, RefuseUnknownCase, "there is no case ESC-2026-0001 that you can see"},
		{stranger, ActNote, 1, RefuseUnknownCase, "there is no case ESC-2026-0001 that you can see"},
		{stranger, ActResolved, 7, RefuseUnknownCase, "there is no case ESC-2026-0001 that you can see"},
		{sw, ActConfirm, 1, RefuseState, ""},
		{sw, ActPanel, 1, RefuseState, ""},
	})
	c.do(Command{Kind: CmdPropose, Actor: hv, At: t0.Add(time.Minute), Proposal: proposal()})
	check("proposed", c, []press{
		{sw, ActConfirm, 1, "", ""},
		{sw, ActEscalate, 1, "", ""}, // offered again when the window lapses
		{hv, ActConfirm, 1, RefuseNotAllowed, "the other side answers the proposed resolution of ESC-2026-0001"},
		{hv, ActResolved, 1, RefuseState, "a resolution of ESC-2026-0001 is waiting for the other side's answer"},
	})
	c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(time.Hour), Text: secretReason})
	check("stage 2", c, []press{
		{sw, ActEscalate, 2, "", ""},
		{sw, ActWithdraw, 2, "", ""},
		{hv, ActNote, 2, "", ""},
		{hv, ActResolved, 2, RefuseNotHolder, "you don't hold ESC-2026-0001 at Stage 2 (Manager to manager); the people holding it are Lena Marsh and Laura Bell"},
		{lmA, ActResolved, 1, RefuseMovedOn, "ESC-2026-0001 was escalated to Stage 2 (Manager to manager) by Sam Walker on Mon 2 Mar, 11:00, so nothing you sent was recorded"},
	})
	c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(time.Hour), Text: secretReason})
	c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(time.Hour), Text: secretReason})
	check("stage 4", c, []press{
		{chair, ActPanel, 4, "", ""},
		{chair, ActResolve, 4, "", ""},
		{sw, ActEscalate, 4, RefuseNotHolder, ""},
	})
	c.do(Command{Kind: CmdResolve, Actor: chair, At: t0.Add(2 * time.Hour), Proposal: proposal()})
	check("closed", c, []press{
		{sw, ActDebrief, 4, "", ""},
		{sw, ActNote, 4, RefuseClosed, "ESC-2026-0001 was resolved on Mon 2 Mar, 12:00, so nothing more can be done on it"},
		{stranger, ActDebrief, 4, RefuseUnknownCase, "there is no case ESC-2026-0001 that you can see"},
		{stranger, ActNote, 1, RefuseUnknownCase, "there is no case ESC-2026-0001 that you can see"},
	})
}
