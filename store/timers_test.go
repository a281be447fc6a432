package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// manyTimers are n lapse timers of n cases, due one millisecond apart from t.
func manyTimers(n int, t time.Time) []workflow.Timer {
	ts := make([]workflow.Timer, n)
	for i := range ts {
		ts[i] = workflow.Timer{Ref: fmt.Sprintf("ESC-2026-%05d", i+1), Kind: workflow.TimerLapse, Stage: 1, StageVersion: 1, Due: t.Add(time.Duration(i) * time.Millisecond)}
	}
	return ts
}

func TestFourClaimersRunEachOfTenThousandTimersOnce(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	const n = 10000
	all := manyTimers(n, t0)
	for i := 0; i < n; i += 1000 {
		must(t, s.SetTimers(ctx, all[i:i+1000]))
	}
	// Not yet due: nothing to claim.
	if early, _ := s.ClaimDueTimers(ctx, t0.Add(-time.Second), 100, time.Minute); len(early) != 0 {
		t.Fatalf("claimed %d timers before they were due", len(early))
	}
	now := t0.Add(time.Hour)
	if due, _ := s.DueCount(ctx, now); due != n {
		t.Fatalf("DueCount = %d, want %d", due, n)
	}

	var mu sync.Mutex
	runs := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				batch, err := s.ClaimDueTimers(ctx, now, 250, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(batch) == 0 {
					return
				}
				mu.Lock()
				for _, c := range batch {
					runs[c.ID()]++
				}
				mu.Unlock()
				// Acked as a batch, one round trip: AckTimer is the same
				// script for one timer, and 10,000 script calls take
				// seconds on miniredis.
				if err := s.AckTimers(ctx, batch); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if len(runs) != n {
		t.Fatalf("%d distinct timers ran, want %d", len(runs), n)
	}
	for id, k := range runs {
		if k != 1 {
			t.Fatalf("timer %s ran %d times", id, k)
		}
	}
	if due, _ := s.DueCount(ctx, now); due != 0 {
		t.Errorf("DueCount after the run = %d", due)
	}
	if left, _ := s.rdb.HLen(ctx, s.key("timers:data")).Result(); left != 0 {
		t.Errorf("%d timers left behind", left)
	}
}

func TestAbandonedTimerIsRedeliveredAfterItsLease(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	r := raised("ESC-2026-0001", t0)
	must(t, s.Commit(ctx, r, ""))
	due := t0.Add(20 * time.Hour) // the reminder
	first, err := s.ClaimDueTimers(ctx, due, 10, time.Minute)
	must(t, err)
	if len(first) != 1 || first[0].Kind != workflow.TimerRemind || !first[0].Due.Equal(due) {
		t.Fatalf("first claim = %+v", first)
	}
	// The claimer dies. Within the lease nobody else gets it...
	if again, _ := s.ClaimDueTimers(ctx, due.Add(30*time.Second), 10, time.Minute); len(again) != 0 {
		t.Fatalf("a leased timer was handed out again: %+v", again)
	}
	// ...after it, someone does.
	second, err := s.ClaimDueTimers(ctx, due.Add(2*time.Minute), 10, time.Minute)
	must(t, err)
	if len(second) != 1 || second[0].ID() != first[0].ID() || second[0].Token == first[0].Token {
		t.Fatalf("redelivery = %+v", second)
	}
	// The first claimer wakes up and acks: its claim is gone, so nothing
	// happens; the second claimer's ack removes the timer.
	must(t, s.AckTimer(ctx, first[0]))
	if ts, _ := s.Timers(ctx, r.Dispute.Ref); len(ts) != 2 {
		t.Fatalf("a stale ack removed a timer: %+v", ts)
	}
	must(t, s.AckTimer(ctx, second[0]))
	ts, _ := s.Timers(ctx, r.Dispute.Ref)
	if len(ts) != 1 || ts[0].Kind != workflow.TimerLapse {
		t.Fatalf("timers after the ack = %+v", ts)
	}
}

// A prompt timer runs a transition that sets the next prompt under the
// same id; acking the claim afterwards must not remove the new one.
func TestTimerResetWhileClaimedSurvivesTheAck(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	r := raised("ESC-2026-0001", t0)
	must(t, s.Commit(ctx, r, ""))
	lapse := t0.Add(24 * time.Hour)
	claimed, err := s.ClaimDueTimers(ctx, lapse, 10, time.Minute)
	must(t, err)
	if len(claimed) != 2 {
		t.Fatalf("claimed %d timers, want the reminder and the lapse", len(claimed))
	}
	d := r.Dispute.Clone()
	d.Version++
	d.Lapsed = true
	d.UpdatedAt = lapse
	next := workflow.Timer{Ref: d.Ref, Kind: workflow.TimerLapse, Stage: 1, StageVersion: 1, Due: lapse.Add(24 * time.Hour)}
	must(t, s.Commit(ctx, &workflow.Result{Dispute: d, PrevVersion: 1, Timers: []workflow.Timer{next},
		Events: []workflow.Event{{Ref: d.Ref, Seq: 2, Kind: workflow.CmdLapse, Actor: workflow.SystemActor, At: lapse, Stage: 1, Summary: "The window closed"}}}, ""))
	for _, c := range claimed {
		must(t, s.AckTimer(ctx, c))
	}
	ts, _ := s.Timers(ctx, d.Ref)
	if len(ts) != 1 || !ts[0].Due.Equal(next.Due) {
		t.Fatalf("timers = %+v, want only the re-set lapse", ts)
	}
	if early, _ := s.ClaimDueTimers(ctx, lapse.Add(time.Hour), 10, time.Minute); len(early) != 0 {
		t.Fatalf("the re-set timer ran early: %+v", early)
	}
	later, _ := s.ClaimDueTimers(ctx, next.Due, 10, time.Minute)
	if len(later) != 1 || later[0].ID() != next.ID() {
		t.Fatalf("the re-set timer at its time: %+v", later)
	}
}

func TestClearTimersVoidsClaims(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	r := raised("ESC-2026-0001", t0)
	must(t, s.Commit(ctx, r, ""))
	claimed, _ := s.ClaimDueTimers(ctx, t0.Add(20*time.Hour), 10, time.Minute)
	if len(claimed) != 1 {
		t.Fatalf("claimed %+v", claimed)
	}
	must(t, s.Commit(ctx, resolved(r.Dispute, "agreed", t0.Add(21*time.Hour)), ""))
	if n, _ := s.DueCount(ctx, t0.Add(100*time.Hour)); n != 0 {
		t.Errorf("a closed case has %d due or claimed timers", n)
	}
	// The lease expires: a cleared timer is not redelivered.
	if again, _ := s.ClaimDueTimers(ctx, t0.Add(100*time.Hour), 10, time.Minute); len(again) != 0 {
		t.Errorf("a cleared timer came back: %+v", again)
	}
	must(t, s.AckTimer(ctx, claimed[0]))
}

func TestDeferTimerPutsItBack(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	must(t, s.Commit(ctx, raised("ESC-2026-0001", t0), ""))
	at := t0.Add(20 * time.Hour)
	c, _ := s.ClaimDueTimers(ctx, at, 1, time.Minute)
	if len(c) != 1 {
		t.Fatalf("claimed %+v", c)
	}
	later := at.Add(10 * time.Minute)
	must(t, s.DeferTimer(ctx, c[0], later))
	if got, _ := s.ClaimDueTimers(ctx, at.Add(5*time.Minute), 10, time.Minute); len(got) != 0 {
		t.Fatalf("a deferred timer ran before its new time: %+v", got)
	}
	got, _ := s.ClaimDueTimers(ctx, later, 10, time.Minute)
	if len(got) != 1 || got[0].Kind != workflow.TimerRemind || !got[0].Due.Equal(later) {
		t.Fatalf("after deferral: %+v", got)
	}
	// A stale claim cannot defer it again.
	must(t, s.DeferTimer(ctx, c[0], later.Add(time.Hour)))
	if n, _ := s.rdb.ZCard(ctx, s.key("timers:claimed")).Result(); n != 1 {
		t.Errorf("a stale deferral touched the live claim (%d claimed)", n)
	}
}
