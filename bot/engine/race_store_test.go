package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
)

func raiseInput() workflow.RaiseInput {
	return workflow.RaiseInput{SubjectType: workflow.SubjectChild, SubjectRef: "CASE-1234", Category: workflow.CatThresholds,
		Disagreement: "the threshold is met", OutcomeSought: "an assessment", Evidence: "missed appointments",
		ResponderAgency: "csc", Responder: responder}
}

// TestEscalateRacingResolvedOneWins: the two holders of a case open
// Escalate and Resolved on the same version and submit at the same
// instant, or one just after the other, round after round against the real
// store. In every round exactly one of them takes effect and the other is
// refused (a conflict, or the case moved on since the form was drawn); the
// case is either escalated or has a resolution waiting, never both.
func TestEscalateRacingResolvedOneWins(t *testing.T) {
	ctx := context.Background()
	now := t0
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := storetest.New(t, store.Options{FeedPlatforms: []string{"slack"}, Now: clock})
	e := engine.New(s, testEnv(), clock, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)

	const rounds = 60
	wins := map[string]int{}
	for round := range rounds {
		res, err := e.Raise(ctx, raiser, raiseInput(), fmt.Sprintf("race-raise-%d", round))
		must(t, err)
		ref := res.Dispute.Ref
		d, hist, err := e.Case(ctx, ref, raiser)
		must(t, err)
		escForm, _ := workflow.ActionForm(e.Env(), d, workflow.ActEscalate)
		propForm, _ := workflow.ActionForm(e.Env(), d, workflow.ActResolved)
		for _, check := range []struct {
			who  workflow.UserID
			kind workflow.ActionKind
		}{{raiser, workflow.ActEscalate}, {responder, workflow.ActResolved}} {
			must(t, workflow.CheckTarget(e.Env(), d, hist, check.who, check.kind, workflow.ActionTarget{Ref: ref, Stage: d.Stage, Version: d.Version}))
		}
		esc, err := workflow.FormCommand(escForm.Kind, escForm.Stage, escForm.Version, workflow.Values{workflow.FieldText: {"no agreement"}})
		must(t, err)
		esc.Actor = raiser
		prop, err := workflow.FormCommand(propForm.Kind, propForm.Stage, propForm.Version, workflow.Values{workflow.FieldOutcome: {"a joint visit"}})
		must(t, err)
		prop.Actor = responder

		errs := make([]error, 2)
		cmds := []workflow.Command{esc, prop}
		switch round % 3 {
		case 0: // the same instant
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range cmds {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[i] = e.Do(ctx, ref, cmds[i], fmt.Sprintf("race-%d-%d", round, i))
				}()
			}
			close(start)
			wg.Wait()
		case 1: // Resolved lands first, then Escalate from the older form
			_, errs[1] = e.Do(ctx, ref, prop, fmt.Sprintf("race-%d-1", round))
			_, errs[0] = e.Do(ctx, ref, esc, fmt.Sprintf("race-%d-0", round))
		case 2: // Escalate lands first, then Resolved from the older form
			_, errs[0] = e.Do(ctx, ref, esc, fmt.Sprintf("race-%d-0", round))
			_, errs[1] = e.Do(ctx, ref, prop, fmt.Sprintf("race-%d-1", round))
		}
		won := -1
		for i, err := range errs {
			var r *workflow.Refusal
			switch {
			case err == nil:
				if won >= 0 {
					t.Fatalf("round %d: both Escalate and Resolved took effect", round)
				}
				won = i
			case errors.Is(err, engine.ErrConflict), errors.As(err, &r) && r.Code == workflow.RefuseMovedOn:
			default:
				t.Fatalf("round %d: command %d failed: %v", round, i, err)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: nobody won: %v", round, errs)
		}
		d, hist, err = s.Load(ctx, ref)
		must(t, err)
		escalated := d.Stage == 2 && d.State == workflow.StateOpen && d.Proposal == nil
		proposed := d.Stage == 1 && d.State == workflow.StateProposed && d.Proposal != nil
		if escalated == proposed || escalated != (won == 0) || len(hist) != 2 || d.Version != 2 {
			t.Fatalf("round %d: stage %d, %s, %d events, winner %d", round, d.Stage, d.State, len(hist), won)
		}
		wins[[]string{"escalate", "resolved"}[won]]++
		mu.Lock()
		now = now.Add(time.Minute)
		mu.Unlock()
	}
	if wins["escalate"] == 0 || wins["resolved"] == 0 {
		t.Errorf("each side should win some rounds: %v", wins)
	}
	t.Logf("%d rounds, wins %v", rounds, wins)
}

// TestARaiseSubmittedAgainGivesItsReference: the same raise (one
// idempotency key) submitted again, one after the other or at once, raises
// one case, costs no reference, and is answered with the first one's
// reference; someone else presenting the key is told nothing about it.
func TestARaiseSubmittedAgainGivesItsReference(t *testing.T) {
	ctx := context.Background()
	clock := func() time.Time { return t0 }
	s := storetest.New(t, store.Options{FeedPlatforms: []string{"slack"}, Now: clock})
	e := engine.New(s, testEnv(), clock, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)

	res, err := e.Raise(ctx, raiser, raiseInput(), "form-1")
	must(t, err)
	ref := res.Dispute.Ref
	_, err = e.Raise(ctx, raiser, raiseInput(), "form-1")
	var dup *engine.AlreadyRaised
	if !errors.As(err, &dup) || dup.Ref != ref || !errors.Is(err, engine.ErrDuplicate) {
		t.Fatalf("the same raise again: %v", err)
	}
	if _, err := e.Raise(ctx, manager, raiseInput(), "form-1"); errors.As(err, &dup) || !errors.Is(err, engine.ErrDuplicate) {
		t.Fatalf("someone else with the key: %v", err)
	}
	// At once: one raises, the other is given its reference.
	errs := make([]error, 2)
	refs := make([]string, 2)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := e.Raise(ctx, raiser, raiseInput(), "form-2")
			errs[i] = err
			if err == nil {
				refs[i] = r.Dispute.Ref
			}
		}()
	}
	close(start)
	wg.Wait()
	raisedAt := -1
	for i, err := range errs {
		if err == nil {
			raisedAt = i
		}
	}
	if raisedAt < 0 || !errors.As(errs[1-raisedAt], &dup) || dup.Ref != refs[raisedAt] {
		t.Fatalf("two at once: %v / %v", errs[0], errs[1])
	}
	all, err := s.AllRefs(ctx)
	must(t, err)
	if len(all) != 2 {
		t.Fatalf("cases: %v", all)
	}
}
