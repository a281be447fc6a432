package scheduler

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/workflow"
)

// tripCounter counts round trips to Redis: one per command sent alone,
// one per pipeline, leaving out what a new connection says (HELLO, CLIENT).
type tripCounter struct{ n atomic.Int64 }

func (h *tripCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *tripCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() != "hello" {
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (h *tripCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && cmds[0].Name() != "client" {
			h.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// A tick's round trips do not grow with the timers it fires: the batch's
// cases are read together, committed together and acknowledged together.
// Ten due reminders and a hundred cost the same.
func TestTickRoundTripsDoNotGrowWithTheTimersDue(t *testing.T) {
	trips := func(n int) (int64, TickReport, *rig) {
		r := newRig(t, time.Date(2027, 1, 4, 10, 0, 0, 0, london(t)), 1, Options{DigestOff: true, Batch: 500})
		refs := r.raiseMany(n)
		r.delivered()
		r.clock.Set(r.at(2027, 1, 4, 16, 0)) // every case's reminder is due
		h := &tripCounter{}
		r.st.Client().AddHook(h)
		rep := r.tick()
		got := h.n.Load()
		for _, ref := range refs {
			if ts := r.timers(ref); len(ts) != 1 || ts[0].Kind != workflow.TimerLapse {
				t.Fatalf("%s after the reminder: timers %v, want the lapse alone", ref, r.describe(ts))
			}
		}
		return got, rep, r
	}
	few, repFew, _ := trips(10)
	many, repMany, r := trips(100)
	if repFew.Ran != 10 || repMany.Ran != 100 {
		t.Fatalf("ran %d and %d reminders, want 10 and 100", repFew.Ran, repMany.Ran)
	}
	if many != few || many > 6 {
		t.Fatalf("a tick of 10 reminders took %d round trips and one of 100 took %d; want the same, at most 6 (claim, claim again, read, commit, acknowledge)", few, many)
	}
	// Every reminder reached both sides once.
	perRef := map[string]int{}
	for _, it := range r.delivered() {
		if it.Message.Kind == workflow.MsgReminder {
			perRef[it.Message.Ref]++
		}
	}
	if len(perRef) != 100 {
		t.Fatalf("reminders reached %d cases, want 100", len(perRef))
	}
	for ref, n := range perRef {
		if n != 2 {
			t.Fatalf("%s: %d reminders, want 2", ref, n)
		}
	}
}
