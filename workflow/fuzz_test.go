package workflow

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// The fuzz input is a small header (policy and raise variants) followed by
// 8 bytes per command: kind, actor, expected stage, text, payload, time
// advance, timer choice, extra (a person for chosen holders).
const fuzzStepLen = 8

var fuzzActors = []UserID{sw, sw2, lmA, smA, hv, hv2, lmB, smB, chair, bt, stranger, unknown, SystemActor, "", hsgA}

type fuzzBytes struct {
	b []byte
	i int
}

func (r *fuzzBytes) next() byte {
	if r.i >= len(r.b) {
		return 0
	}
	v := r.b[r.i]
	r.i++
	return v
}

func fuzzText(b byte, step int) string {
	switch b % 6 {
	case 0:
		return ""
	case 1:
		return "  \n\t"
	case 4:
		return strings.Repeat("SECRET ", MaxText/7+1) // too long
	case 5:
		return fmt.Sprintf(" SECRET-%d <b>&amp;</b> \"quoted\" ", step)
	}
	return fmt.Sprintf("SECRET-%d-%d", step, b)
}

// fuzzCommand decodes one command; pending are the timers the store would hold.
func fuzzCommand(r *fuzzBytes, step int, d *Dispute, at *time.Time, pending map[string]Timer) Command {
	kb, ab, eb, tb, pb, adv, tmb, xb := r.next(), r.next(), r.next(), r.next(), r.next(), r.next(), r.next(), r.next()
	kind := CommandKind("bogus")
	if int(kb)%(len(CommandKinds)+1) < len(CommandKinds) {
		kind = CommandKinds[int(kb)%(len(CommandKinds)+1)]
	}
	*at = at.Add(time.Duration(adv) * 11 * time.Minute)
	cmd := Command{Kind: kind, Actor: fuzzActors[int(ab)%len(fuzzActors)], At: *at, Text: fuzzText(tb, step)}
	switch e := eb % 8; e {
	case 4:
		cmd.ExpectStage = d.Stage
	case 5:
		cmd.ExpectStage = d.Stage - 1
	case 6:
		cmd.ExpectStage = d.Stage + 1
	case 7:
		cmd.ExpectStage = int(eb/8) % 6
	}
	person := fuzzActors[int(xb)%len(fuzzActors)]
	other := fuzzActors[int(xb/16)%len(fuzzActors)]
	text2 := fuzzText(tb/6, step+1000)
	switch kind {
	case CmdRaise:
		cmd.Raise = raiseInput()
	case CmdPropose, CmdResolve:
		switch pb % 5 {
		case 1:
			cmd.Proposal = &Proposal{Outcome: cmd.Text}
		case 2:
			cmd.Proposal = &Proposal{Outcome: cmd.Text, Outstanding: text2}
		case 3:
			cmd.Proposal = &Proposal{Outcome: cmd.Text, Outstanding: text2, HowPursued: text2, RecordedOnFile: pb&8 != 0}
		case 4:
			cmd.Proposal = &Proposal{}
		}
	case CmdEscalate, CmdAssignHolder:
		switch pb % 7 {
		case 1:
			cmd.Holders = &StageHolders{}
		case 2:
			cmd.Holders = &StageHolders{Raiser: []UserID{person}}
		case 3:
			cmd.Holders = &StageHolders{Responder: []UserID{person}}
		case 4:
			cmd.Holders = &StageHolders{Chair: []UserID{person}}
		case 5:
			cmd.Holders = &StageHolders{Raiser: []UserID{person}, Responder: []UserID{other}, Chair: []UserID{person}}
		}
	case CmdConvenePanel:
		cmd.Panel = [][]string{{agCSC, agNHS, agEdu}, {agCSC, agPolice, agEdu}, {agCSC, agNHS}, {agCSC, agNHS, "mi5"}, {agCSC, agNHS, agEdu, agPolice}, {" nhs", "csc ", agPolice}}[pb%6]
		// A panel is a meeting: a day (the deadline's, a later one, or
		// none) and who attends (the chair, someone, or nobody).
		if d != nil && xb%4 != 3 {
			day := d.Deadline.Format(time.DateOnly)
			if xb%4 == 2 {
				day = d.Deadline.AddDate(0, 0, 9).Format(time.DateOnly)
			}
			cmd.Meeting = &Meeting{On: Date(day), Attendees: [][]UserID{{chair}, {person}, nil}[int(xb/4)%3]}
		}
	case CmdLearning:
		cmd.Themes = [][]string{{fmt.Sprintf("Theme-%d", pb)}, nil, {strings.Repeat("t", 81)}, {"Drift", "Thresholds", "Drift"}}[pb%4]
	case CmdNudge, CmdLapse, CmdPrompt, CmdAfterNudge, CmdAfterLapse:
		tk := map[CommandKind]TimerKind{CmdNudge: TimerRemind, CmdLapse: TimerLapse, CmdPrompt: TimerPrompt,
			CmdAfterNudge: TimerAfterRemind, CmdAfterLapse: TimerAfterDue}[kind]
		var real []Timer
		for _, tm := range pending {
			if tm.Kind == tk {
				real = append(real, tm)
			}
		}
		slices.SortFunc(real, func(a, b Timer) int { return strings.Compare(a.ID(), b.ID()) })
		if tmb%3 == 0 && len(real) > 0 {
			// A due timer, as the scheduler would run it.
			tm := real[int(xb)%len(real)]
			if at.Before(tm.Due) {
				*at = tm.Due
			}
			cmd = tm.Command(*at) // exactly as the scheduler builds it
			if ab%4 == 3 {
				cmd.Actor = fuzzActors[int(ab)%len(fuzzActors)] // or somebody pretending to
			}
		} else if tmb%3 == 1 {
			// A forged or stale one.
			tm := Timer{Ref: d.Ref, Kind: tk, Stage: int(xb) % 6, StageVersion: d.StageVersion - int(pb)%3, Due: *at}
			if pb&16 != 0 {
				tm.Ref = "ESC-2026-0999"
			}
			cmd.Timer = &tm
		}
	}
	return cmd
}

func isPostClosure(k CommandKind) bool {
	return k == CmdDebrief || k == CmdLearning || k == CmdPurge
}

func FuzzCommands(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) { runCommands(t, data) })
}

// runCommands applies the commands data decodes to, checking the
// invariants after each, and returns the case as it ends.
func runCommands(t *testing.T, data []byte) *tcase {
	{
		r := &fuzzBytes{b: data}
		env := newEnv(t, "2026-04-03", "2026-04-06")
		h0, h1 := r.next(), r.next()
		env.Policy.LapseNotifiesNextTier = h0&1 != 0
		if h0&2 != 0 {
			env.Policy.Stages[3].Final = FinalChairResolve
		}
		env.Policy.NotifyOnResolution = h0&4 == 0
		if h0&8 != 0 {
			// A letter confirming the outcome after stage 2 and the chair's.
			env.Policy.Stages[1].AfterResolution = &ResponseRule{From: SideResponder, Within: Window{2, WorkingDays}, Remind: Window{1, WorkingDays}}
			env.Policy.Stages[3].AfterResolution = &ResponseRule{From: SideChair, Within: Window{1, WorkingDays}}
		}
		in := raiseInput()
		if s := int(h1 % 4); s > 0 {
			in.ImmediateRisk, in.StartStage, in.StartReason = true, s+1, "SECRET start reason"
		}
		at := t0.Add(time.Duration(h1/4) * 37 * time.Minute)
		c := newCase(t, env)
		c.do(raiseCmd(in, at))
		pending := map[string]Timer{}
		for _, tm := range c.last.Timers {
			pending[tm.ID()] = tm
		}

		for step := 0; r.i < len(data) && step < 80; step++ {
			old := c.d
			cmd := fuzzCommand(r, step, old, &at, pending)
			res, err := c.try(cmd) // checks the refusal and acceptance invariants
			var ref *Refusal
			if err != nil && !errors.As(err, &ref) {
				t.Fatalf("step %d: %v", step, err)
			}
			t.Logf("step %d: %s by %q (expect %d) at stage %d: %v", step, cmd.Kind, cmd.Actor, cmd.ExpectStage, old.Stage, err)
			// The scheduler acknowledges a timer it ran, accepted or not.
			if cmd.Timer != nil && cmd.Actor == SystemActor {
				if p, ok := pending[cmd.Timer.ID()]; ok && p == *cmd.Timer {
					delete(pending, p.ID())
				}
			}
			if err != nil {
				continue
			}
			if res.ClearTimers {
				clear(pending)
			}
			for _, tm := range res.Timers {
				pending[tm.ID()] = tm
			}
			d := res.Dispute
			if cmd.ExpectStage != 0 && cmd.ExpectStage != old.Stage {
				t.Fatalf("step %d: %s accepted from a button drawn at stage %d, case at %d", step, cmd.Kind, cmd.ExpectStage, old.Stage)
			}
			if old.State.Closed() && !isPostClosure(cmd.Kind) && !afterCommand(old, cmd.Kind) {
				t.Fatalf("step %d: closed case accepted %s", step, cmd.Kind)
			}
			if !old.State.Closed() && isPostClosure(cmd.Kind) {
				t.Fatalf("step %d: open case accepted %s", step, cmd.Kind)
			}
			outsider := cmd.Actor != SystemActor && !old.IsInvolved(cmd.Actor) && !env.Directory.InBusinessTeam(cmd.Actor) && !env.Directory.IsChair(cmd.Actor)
			if outsider {
				t.Fatalf("step %d: %s accepted from %s, who has no part in the case", step, cmd.Kind, cmd.Actor)
			}
			if cmd.Kind != CmdEscalate && d.Stage != old.Stage {
				t.Fatalf("step %d: %s moved the stage", step, cmd.Kind)
			}
			// An open case always has a timer that will bring it back to
			// people's attention: it can never be silently forgotten.
			if !d.State.Closed() {
				alive := false
				for _, tm := range pending {
					if (tm.Kind == TimerLapse || tm.Kind == TimerPrompt) && tm.Stage == d.Stage && tm.StageVersion == d.StageVersion {
						alive = true
					}
				}
				if !alive {
					t.Fatalf("step %d: after %s the open case has no lapse or prompt pending: %v", step, cmd.Kind, pending)
				}
			} else {
				// A closed case keeps no timers, but a resolved one waiting
				// for its written response after resolution keeps that
				// response's lapse until it is given.
				due := false
				for _, tm := range pending {
					if !afterAwaited(d) || tm.Kind != TimerAfterRemind && tm.Kind != TimerAfterDue {
						t.Fatalf("step %d: a closed case keeps timers %v", step, pending)
					}
					due = due || tm.Kind == TimerAfterDue
				}
				if afterAwaited(d) && !due && !slices.ContainsFunc(c.hist, func(e Event) bool { return e.Kind == CmdAfterLapse }) {
					t.Fatalf("step %d: a written response after resolution is awaited with no lapse pending: %v", step, pending)
				}
			}
		}
		return c
	}
}

// fuzzStep encodes one command for the seed corpus.
type fuzzStep struct {
	kind    CommandKind
	actor   UserID
	expect  byte // 0 none, 4 current, 5 previous
	text    byte // 2: a short text
	payload byte
	advance byte // ×11 minutes
	timer   byte // 0: a pending timer, 1: a forged one, 2: none
	extra   byte
}

func encodeSeed(h0, h1 byte, steps ...fuzzStep) []byte {
	b := []byte{h0, h1}
	for _, s := range steps {
		k := slices.Index(CommandKinds, s.kind)
		if k < 0 {
			k = len(CommandKinds)
		}
		a := slices.Index(fuzzActors, s.actor)
		b = append(b, byte(k), byte(a), s.expect, s.text, s.payload, s.advance, s.timer, s.extra)
	}
	return b
}

func fuzzSeeds() [][]byte {
	say := func(k CommandKind, who UserID) fuzzStep {
		s := fuzzStep{kind: k, actor: who, expect: 4, text: 2, advance: 3}
		if k == CmdPropose || k == CmdResolve {
			s.payload = 3 // a complete resolution
		}
		return s
	}
	timer := func(k CommandKind) fuzzStep { return fuzzStep{kind: k, actor: SystemActor} }
	panel := fuzzStep{kind: CmdConvenePanel, actor: chair, expect: 4, text: 2, payload: 0, advance: 2}
	learn := fuzzStep{kind: CmdLearning, actor: bt, payload: 0, advance: 1}
	seeds := [][]byte{
		// Reminded, lapsed, prompted, escalated to stage 3, agreed there; debrief, learning, purge.
		encodeSeed(0, 0, timer(CmdNudge), timer(CmdLapse), timer(CmdPrompt), say(CmdEscalate, sw), timer(CmdNudge),
			say(CmdEscalate, lmB), say(CmdPropose, smB), say(CmdConfirm, smA), say(CmdDebrief, sw), learn, timer(CmdPurge)),
		// Not agreed, escalated to the chair, a panel, the chair resolves.
		encodeSeed(1, 0, say(CmdPropose, sw), say(CmdReject, hv), say(CmdEscalate, hv), say(CmdEscalate, lmA), say(CmdEscalate, smB),
			panel, timer(CmdLapse), timer(CmdPrompt), say(CmdResolve, chair), say(CmdDebrief, chair)),
		// Immediate risk at stage 3; the business team reassigns; withdrawn.
		encodeSeed(4, 2, say(CmdComment, bt), fuzzStep{kind: CmdAssignHolder, actor: bt, payload: 3, extra: 5}, say(CmdPropose, hv2),
			say(CmdConfirm, smA), say(CmdWithdraw, sw), say(CmdDebrief, hv2)),
		// Stale buttons and stale timers.
		encodeSeed(0, 0, say(CmdEscalate, sw), fuzzStep{kind: CmdComment, actor: sw, expect: 5, text: 2},
			fuzzStep{kind: CmdNudge, actor: SystemActor, timer: 1, extra: 1}, fuzzStep{kind: CmdLapse, actor: SystemActor, timer: 1, payload: 16},
			fuzzStep{kind: CmdPrompt, actor: SystemActor, timer: 1, extra: 1}, say(CmdWithdraw, sw)),
		// Strangers and the system try everything.
		func() []byte {
			var steps []fuzzStep
			for _, who := range []UserID{stranger, unknown, sw2, SystemActor, ""} {
				for _, k := range CommandKinds {
					steps = append(steps, fuzzStep{kind: k, actor: who, text: 2, payload: 3, timer: 2})
				}
			}
			return encodeSeed(2, 3, steps...)
		}(),
		// Bad input of every kind.
		// A letter confirming the outcome after stage 2: reminded, overdue,
		// refused from the wrong side, given late; then a debrief.
		encodeSeed(8, 0, say(CmdEscalate, sw), say(CmdPropose, lmB), say(CmdConfirm, lmA), timer(CmdAfterNudge), timer(CmdAfterLapse),
			say(CmdRespond, lmA), say(CmdRespond, lmB), say(CmdDebrief, lmB)),
		encodeSeed(0, 0, fuzzStep{kind: CmdComment, actor: hv, text: 4}, fuzzStep{kind: CmdPropose, actor: hv, payload: 2, text: 2},
			fuzzStep{kind: CmdPropose, actor: hv, payload: 4}, fuzzStep{kind: CmdEscalate, actor: sw, text: 1},
			fuzzStep{kind: "bogus", actor: sw}, fuzzStep{kind: CmdRaise, actor: sw, text: 2}),
		{},
		{0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
	}
	return seeds
}

// The seed corpus walks the paths it says it does, so that plain go test
// (which runs only the seeds) covers them.
func TestFuzzSeedsWalkTheirPaths(t *testing.T) {
	seeds := fuzzSeeds()
	c := runCommands(t, seeds[0])
	if d := c.d; d.State != StateResolved || d.Stage != 3 || !d.Purged || d.LapsedCount != 1 || len(d.Themes) != 1 || len(c.hist) != 12 {
		t.Errorf("seed 0 ends %s at stage %d purged %v lapses %d themes %q after %d events", d.State, d.Stage, d.Purged, d.LapsedCount, d.Themes, len(c.hist))
	}
	c = runCommands(t, seeds[1])
	if d := c.d; d.State != StateResolved || d.Stage != 4 || d.Outcome == nil || !d.Outcome.ResolvedByChair || len(d.Panel) != 3 || len(d.Debriefs) != 1 {
		t.Errorf("seed 1 ends %+v", d)
	}
	c = runCommands(t, seeds[2])
	if d := c.d; d.State != StateResolved || d.StartStage != 3 || !slices.Equal(d.Current().Responder, []UserID{hv2}) || len(d.Debriefs) != 1 {
		t.Errorf("seed 2 ends %+v", d)
	}
	c = runCommands(t, seeds[3])
	if d := c.d; d.State != StateWithdrawn || d.Stage != 2 || d.Version != 3 {
		t.Errorf("seed 3 ends %s at stage %d version %d", d.State, d.Stage, d.Version)
	}
	c = runCommands(t, seeds[4])
	if d := c.d; d.Version != 1 {
		t.Errorf("strangers changed the case: version %d", d.Version)
	}
	c = runCommands(t, seeds[5])
	if d := c.d; d.State != StateResolved || d.AfterGivenBy != lmB || !d.AfterGivenAt.After(d.AfterDue) || len(d.Debriefs) != 1 || len(c.hist) != 8 {
		t.Errorf("seed 5 ends %s, letter given by %q at %v (due %v), %d debriefs, %d events", d.State, d.AfterGivenBy, d.AfterGivenAt, d.AfterDue, len(d.Debriefs), len(c.hist))
	}
}
