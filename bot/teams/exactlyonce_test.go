package teams

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// restart stands for the process dying and starting again over the same
// Redis and connector: a new adapter (nothing it held in memory survives)
// and a new sender with the given fault.
func (h *harness) restart(fault outbox.Fault) {
	h.t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := New(h.config(), h.eng, h.st, log, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.sender = outbox.New(h.st, []outbox.Transport{a.Transport()}, h.clock.Now, log, nil, outbox.Options{Fault: fault})
}

// drain delivers until the outbox is empty, restarting after a crash and
// moving the clock past leases and backoffs; nothing may be parked.
func (h *harness) drain(fault outbox.Fault) {
	h.t.Helper()
	ctx := context.Background()
	for range 200 {
		if _, err := h.sender.RunOnce(ctx); errors.Is(err, outbox.ErrCrash) {
			h.restart(fault)
		}
		depth, _, parked, err := h.st.OutboxStats(ctx, h.clock.Now())
		if err != nil {
			h.t.Fatal(err)
		}
		if parked != 0 {
			h.t.Fatalf("%d items parked", parked)
		}
		if depth == 0 {
			return
		}
		h.clock.Advance(31 * time.Second)
	}
	h.t.Fatal("the outbox never emptied")
}

// teamsJourney enqueues DMs (two about one case to one person, so the
// first is retired), a feed thread's first post and a reply, and a
// digest, and delivers them.
func teamsJourney(h *harness, fault outbox.Fault) {
	h.t.Helper()
	h.knownPerson(aadLM1)
	h.knownPerson(aadLM2)
	const ref = "ESC-2026-0007"
	act := workflow.Action{Kind: workflow.ActEscalate, Label: "Escalate", Ref: ref, Stage: 1}
	msgs := []workflow.Message{
		dm(ref+"/1/1", ref, uid(aadLM1), act),
		dm(ref+"/1/2", ref, uid(aadLM2), act),
		{ID: ref + "/1/3", Kind: workflow.MsgFeed, Ref: ref, Feed: true, Title: ref + ": raised"},
	}
	msgs[1].Title = ref + ": for the other manager"
	h.restart(fault)
	if err := h.st.Enqueue(context.Background(), msgs); err != nil {
		h.t.Fatal(err)
	}
	h.drain(fault)
	second := dm(ref+"/2/1", ref, uid(aadLM1), act)
	second.Title = ref + ": escalated to you"
	more := []workflow.Message{second,
		{ID: ref + "/2/2", Kind: workflow.MsgFeed, Ref: ref, Feed: true, Title: ref + ": escalated"},
		{ID: "digest/2026-03-10", Kind: workflow.MsgDigest, Feed: true, Title: "Open cases today"}}
	if err := h.st.Enqueue(context.Background(), more); err != nil {
		h.t.Fatal(err)
	}
	h.drain(fault)
}

// arrived counts the activities the connector created, by conversation
// and title.
func arrived(h *harness) map[string]int {
	out := map[string]int{}
	for _, c := range h.conn.ops("send") {
		title, _ := c.Body["summary"].(string)
		out[c.Conversation+" "+title]++
	}
	return out
}

// TestTeamsExactlyOnceAcrossFaults: a fault at every step of every
// delivery — before the connector is called, after it answered but before
// Escalate recorded the activity, after the record but before the outbox
// acknowledged it — as Redis failing there, or as the process dying
// before the call or after the record: every DM, feed post and thread
// reply is created exactly once, as in a run without faults. (The process
// dying between the connector's answer and the one write that records it
// is lookup_test.go's: a DM is then found through Graph.)
func TestTeamsExactlyOnceAcrossFaults(t *testing.T) {
	ref := newHarness(t)
	teamsJourney(ref, nil)
	want := arrived(ref)
	if len(want) != 6 {
		t.Fatalf("the journey created %v, want six activities", want)
	}
	for _, c := range []struct {
		step outbox.Step
		mode string
	}{
		{outbox.StepMarked, "crash"}, {outbox.StepMarked, "redis error"},
		{outbox.StepAnswered, "redis error"},
		{outbox.StepRecorded, "crash"}, {outbox.StepRecorded, "redis error"},
	} {
		t.Run(fmt.Sprintf("%s at %s", c.mode, c.step), func(t *testing.T) {
			h := newHarness(t)
			var mu sync.Mutex
			hits := map[string]int{}
			fault := func(_ context.Context, at outbox.Step, it store.OutboxItem) error {
				mu.Lock()
				defer mu.Unlock()
				if at != c.step {
					return nil
				}
				if hits[it.ID]++; hits[it.ID] > 2 {
					return nil
				}
				if c.mode == "crash" {
					return outbox.ErrCrash
				}
				return errors.New("redis: connection refused")
			}
			teamsJourney(h, fault)
			got := arrived(h)
			for k, n := range got {
				if n != 1 {
					t.Errorf("%s was created %d times", k, n)
				}
			}
			if len(got) != len(want) {
				t.Errorf("created %v, want %v", got, want)
			}
			if len(hits) < 6 {
				t.Errorf("the fault struck %d items, want all six", len(hits))
			}
		})
	}
}
