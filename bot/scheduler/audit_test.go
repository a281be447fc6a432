package scheduler

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// deleteTimer removes one of a case's timers through the store's own
// operations (claim everything, acknowledge that one, put the others back):
// what an operator's mistake or a partial restore leaves behind.
func (r *rig) deleteTimer(ref string, kind workflow.TimerKind) {
	r.t.Helper()
	claimed, err := r.st.ClaimDueTimers(r.ctx, r.clock.Now().AddDate(1, 0, 0), 1000, time.Minute)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, c := range claimed {
		if c.Ref == ref && c.Kind == kind {
			err = r.st.AckTimer(r.ctx, c)
		} else {
			err = r.st.DeferTimer(r.ctx, c, c.Due)
		}
		if err != nil {
			r.t.Fatal(err)
		}
	}
}

func TestAuditorRepairsADeletedTimer(t *testing.T) {
	r := newRig(t, time.Date(2027, 1, 4, 10, 0, 0, 0, london(t)), 1, Options{DigestOff: true})
	ref := r.raise()
	healthy := r.raise()
	r.delivered()
	want := r.timers(ref)
	r.deleteTimer(ref, workflow.TimerLapse)
	if got := r.describe(r.timers(ref)); !slices.Equal(got, []string{"remind@1 Mon 4 Jan 16:00"}) {
		t.Fatalf("setup: timers %v", got)
	}

	r.clock.Set(r.at(2027, 1, 4, 11, 0))
	rep, err := r.s.Audit(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Open != 2 || len(rep.Repaired) != 1 {
		t.Fatalf("audit %+v, want 2 open and one repair", rep)
	}
	if fixed := rep.Repaired[0]; fixed.Ref != ref || fixed.Kind != workflow.TimerLapse || fixed.Stage != 1 || !fixed.Due.Equal(r.at(2027, 1, 5, 10, 0)) {
		t.Fatalf("repaired %+v", fixed)
	}
	if got := r.timers(ref); !slices.EqualFunc(got, want, func(a, b workflow.Timer) bool {
		return a.ID() == b.ID() && a.StageVersion == b.StageVersion && a.Due.Equal(b.Due)
	}) {
		t.Fatalf("timers after repair %v, want %v", r.describe(got), r.describe(want))
	}
	if len(r.timers(healthy)) != 2 {
		t.Fatal("the healthy case's timers changed")
	}
	if r.m.get("timer_lapse") != 1 {
		t.Fatalf("repair metric %v", r.m.n)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, "auditor: repaired a missing timer") || !strings.Contains(logs, "ref="+ref) || !strings.Contains(logs, "kind=lapse") {
		t.Fatalf("repair not logged:\n%s", logs)
	}
	assertLogsClean(t, r)

	// Nothing more to repair.
	if rep, err := r.s.Audit(r.ctx); err != nil || len(rep.Repaired) != 0 {
		t.Fatalf("second audit %+v, %v", rep, err)
	}
	// The repaired timer works.
	r.clock.Set(r.at(2027, 1, 5, 10, 0))
	r.tick()
	if got := kinds(r.delivered()); got[workflow.MsgLapsed] != 4 {
		t.Fatalf("at the deadline: %v, want both cases' lapse DMs", got)
	}

	// A lapsed case that lost its daily prompt gets it back, a working day on.
	r.deleteTimer(healthy, workflow.TimerPrompt)
	r.clock.Set(r.at(2027, 1, 5, 11, 0))
	rep, err = r.s.Audit(r.ctx)
	if err != nil || len(rep.Repaired) != 1 || rep.Repaired[0].Kind != workflow.TimerPrompt || rep.Repaired[0].Ref != healthy {
		t.Fatalf("prompt repair: %+v, %v", rep, err)
	}
	if got := r.describe(r.timers(healthy)); !slices.Equal(got, []string{"prompt@1 Wed 6 Jan 11:00"}) {
		t.Fatalf("prompt after repair %v", got)
	}
	if r.m.get("timer_prompt") != 1 {
		t.Fatalf("repair metric %v", r.m.n)
	}
}

// A reminder still ahead is put back too; one whose time has passed is not
// (it would only be refused, or nudge people late).
func TestAuditorRepairsOnlyRemindersStillAhead(t *testing.T) {
	r := newRig(t, time.Date(2027, 1, 4, 10, 0, 0, 0, london(t)), 1, Options{DigestOff: true})
	ref := r.raise()
	r.deleteTimer(ref, workflow.TimerRemind)
	r.clock.Set(r.at(2027, 1, 4, 15, 0))
	rep, err := r.s.Audit(r.ctx)
	if err != nil || len(rep.Repaired) != 1 || rep.Repaired[0].Kind != workflow.TimerRemind {
		t.Fatalf("audit before the reminder: %+v, %v", rep, err)
	}
	r.deleteTimer(ref, workflow.TimerRemind)
	r.clock.Set(r.at(2027, 1, 4, 16, 30))
	if rep, err := r.s.Audit(r.ctx); err != nil || len(rep.Repaired) != 0 {
		t.Fatalf("audit after the reminder's time: %+v, %v", rep, err)
	}
}

func TestAuditorWarnsWhenTheOutboxIsNotDraining(t *testing.T) {
	r := newRig(t, time.Date(2027, 1, 4, 10, 0, 0, 0, london(t)), 1, Options{DigestOff: true, OutboxStall: 15 * time.Minute})
	r.raise() // two DMs wait in the outbox; nobody sends them
	r.clock.Advance(5 * time.Minute)
	rep, err := r.s.Audit(r.ctx)
	if err != nil || rep.OutboxStalled || rep.OutboxDepth != 2 {
		t.Fatalf("fresh outbox: %+v, %v", rep, err)
	}
	r.clock.Advance(20 * time.Minute)
	rep, err = r.s.Audit(r.ctx)
	if err != nil || !rep.OutboxStalled || rep.OutboxOldest != 25*time.Minute {
		t.Fatalf("stalled outbox: %+v, %v", rep, err)
	}
	if !strings.Contains(r.logs.String(), "the outbox is not draining") {
		t.Fatal("no warning logged")
	}
	r.delivered()
	if rep, _ := r.s.Audit(r.ctx); rep.OutboxStalled || rep.OutboxDepth != 0 {
		t.Fatalf("drained outbox: %+v", rep)
	}
}

// The auditor checks what changed since it last ran and a slice of a slow
// sweep, not every open case: a case nobody touched is looked at when the
// sweep reaches it, and a timer it lost is put back then.
func TestAuditorChecksWhatChangedAndSweepsTheRest(t *testing.T) {
	r := newRig(t, time.Date(2027, 1, 4, 10, 0, 0, 0, london(t)), 1, Options{DigestOff: true, AuditSweep: 2})
	refs := r.raiseMany(6)
	r.delivered()
	r.clock.Set(r.at(2027, 1, 4, 11, 0))
	audit := func() AuditReport {
		t.Helper()
		rep, err := r.s.Audit(r.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := audit(); rep.Open != 6 || rep.Changed != 6 || rep.Checked != 6 || len(rep.Repaired) != 0 {
		t.Fatalf("first audit %+v, want the six new cases checked", rep)
	}
	if rep := audit(); rep.Open != 6 || rep.Changed != 0 || rep.Checked != 2 || rep.Swept != 2 {
		t.Fatalf("second audit %+v, want nothing changed and two swept", rep)
	}
	// A note on one case: it is checked next time, with the sweep's two.
	r.do(refs[0], workflow.Command{Kind: workflow.CmdComment, Actor: raiser, Text: "Spoke to the school"})
	if rep := audit(); rep.Changed != 1 || rep.Checked < 2 || rep.Checked > 3 {
		t.Fatalf("after a note %+v, want the changed case and the sweep's slice", rep)
	}
	// A timer lost from a case nobody touches is found by the sweep
	// within open/AuditSweep audits.
	r.deleteTimer(refs[3], workflow.TimerLapse)
	var repaired []workflow.Timer
	for range 3 {
		rep := audit()
		if rep.Changed != 0 || rep.Checked != 2 {
			t.Fatalf("sweeping audit %+v, want two checked", rep)
		}
		repaired = append(repaired, rep.Repaired...)
	}
	if len(repaired) != 1 || repaired[0].Ref != refs[3] || repaired[0].Kind != workflow.TimerLapse {
		t.Fatalf("the sweep repaired %v, want the lapse of %s", repaired, refs[3])
	}
	// A closed case leaves the changed set and the sweep.
	r.do(refs[1], workflow.Command{Kind: workflow.CmdWithdraw, Actor: raiser, Text: "Resolved by phone"})
	if rep := audit(); rep.Open != 5 || rep.Changed != 0 {
		t.Fatalf("after a withdrawal %+v, want five open and nothing changed open", rep)
	}
}
