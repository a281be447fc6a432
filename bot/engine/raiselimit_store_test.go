package engine_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
)

// A raise after the policy's time limit with no reason is answered on the
// form's field before a reference is allocated; with the reason it is
// raised (never refused for lateness), and the reference is the first.
func TestALateRaiseAsksWhyBeforeTakingAReference(t *testing.T) {
	ctx := context.Background()
	clock := func() time.Time { return t0 }
	s := storetest.New(t, store.Options{FeedPlatforms: []string{"slack"}, Now: clock})
	env := testEnv()
	env.Policy.RaiseWithin = workflow.Window{Amount: 2, Unit: workflow.WorkingDays}
	e := engine.New(s, env, clock, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)

	in := raiseInput()
	in.DecisionDate = "2026-02-20"
	_, err := e.Raise(ctx, raiser, in, "slack:trigger-late-1")
	var r *workflow.Refusal
	if !errors.As(err, &r) || len(r.Fields) != 1 || r.Fields[workflow.FieldLateReason] == "" {
		t.Fatalf("a late raise without a reason: %v %+v", err, r)
	}
	in.LateReason = "The decision letter reached us only today."
	res, err := e.Raise(ctx, raiser, in, "slack:trigger-late-2")
	must(t, err)
	if d := res.Dispute; d.Ref != "ESC-2026-0001" || !d.RaisedLate || d.LateReason != in.LateReason {
		t.Fatalf("raised %s late %v reason %q", d.Ref, d.RaisedLate, d.LateReason)
	}
}
