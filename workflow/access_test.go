package workflow

import (
	"slices"
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
	want := "ESC-2026-0001 was escalated to Stage 3 (Senior manager to senior manager) by Lena Marsh at Mon 2 Mar 2026, 12:00; reload it"
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
		if r.Message != "ESC-2026-0001 is now at Stage 3 (Senior manager to senior manager); reload it" {
			t.Errorf("message %q", r.Message)
		}
	})
	t.Run("the current stage is fine", func(t *testing.T) {
		c.do(Command{Kind: CmdComment, Actor: smA, At: c.d.UpdatedAt, Text: secretNote, ExpectStage: 3})
	})
}

// Someone who neither holds nor was part of a case is refused whatever they
// try, at every point of the case's life, and nothing changes.
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
			c.do(Command{Kind: CmdConvenePanel, Actor: chair, At: c.d.UpdatedAt, Panel: []string{agCSC, agNHS, agEdu}})
			return c
		},
		"closed": func(t *testing.T) *tcase { return closedCase(t) },
	}
	allowed := []RefusalCode{RefuseNotHolder, RefuseNotAllowed, RefuseClosed, RefuseState}
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
						if !slices.Contains(allowed, r.Code) {
							t.Errorf("%s from %s refused with %s: %q", k, who, r.Code, r.Message)
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
