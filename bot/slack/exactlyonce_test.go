package slack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// restart stands for the process dying and starting again over the same
// Redis and the same Slack: a new adapter (nothing it remembered in
// memory survives) and a new sender, with the given fault.
func (h *harness) restart(fault outbox.Fault) {
	h.t.Helper()
	a, err := New(h.a.cfg, h.eng, h.st, h.a.log, nil)
	if err != nil {
		h.t.Fatalf("restart the adapter: %v", err)
	}
	h.sender = outbox.New(h.st, []outbox.Transport{a.Transport()}, h.clock.Now, h.a.log, nil, outbox.Options{Fault: fault})
}

// drain delivers until the outbox is empty, restarting after a crash and
// moving the clock on past leases and backoffs; it fails the test if
// anything is parked or the outbox never empties.
func (h *harness) drain(fault outbox.Fault) {
	h.t.Helper()
	ctx := context.Background()
	for range 200 {
		_, err := h.sender.RunOnce(ctx)
		if errors.Is(err, outbox.ErrCrash) {
			h.restart(fault)
		}
		depth, _, parked, serr := h.st.OutboxStats(ctx, h.clock.Now())
		if serr != nil {
			h.t.Fatal(serr)
		}
		if parked != 0 {
			items, _ := h.st.Parked(ctx)
			h.t.Fatalf("%d items parked: %+v", parked, items)
		}
		if depth == 0 {
			return
		}
		h.clock.Advance(31 * time.Second)
	}
	h.t.Fatal("the outbox never emptied")
}

// journey runs a case from raise to its closing record, delivering after
// every step: DMs, a feed thread and its replies, and the record's PDFs.
func journey(h *harness, fault outbox.Fault) {
	h.t.Helper()
	h.restart(fault)
	h.raise(raiseAnswers())
	h.drain(fault)
	h.click(uRaiser, h.lastDM(uRaiser), "escalate")
	h.submit(h.fake.lastOpened(), uRaiser, map[string]any{workflow.FieldText: "No strategy discussion was held"})
	h.drain(fault)
	h.click(uLM2, h.lastDM(uLM2), "resolved")
	h.submit(h.fake.lastOpened(), uLM2, map[string]any{workflow.FieldOutcome: "Strategy discussion booked", workflow.FieldRecordedOnFile: true})
	h.drain(fault)
	h.click(uLM1, h.lastDM(uLM1), "confirm")
	h.drain(fault)
}

// delivered counts what reached Slack: each message by the outbox id in
// its metadata, and the record PDFs shared in each DM.
func delivered(f *fakeSlack) (posts map[string]int, pdfs map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	posts, pdfs = map[string]int{}, map[string]int{}
	for _, m := range f.posts {
		id, _ := m.Metadata["event_payload"].(map[string]any)["id"].(string)
		if m.Metadata["event_type"] != metaEventType || id == "" {
			posts["(no metadata) "+m.Channel]++
			continue
		}
		posts[id]++
	}
	for _, file := range f.shared {
		pdfs[file.Channel+" "+file.Title]++
	}
	return posts, pdfs
}

// TestExactlyOnceAcrossCrashes: a fault strikes every delivery at each
// step — before Slack is called, after Slack answered but before Escalate
// recorded it, after the record but before the outbox acknowledged it —
// either as the process dying there (a new process carries on) or as
// Redis failing there. Every DM, feed post, thread reply and record PDF
// arrives exactly once, and nothing is lost: the same as a run without
// faults.
func TestExactlyOnceAcrossCrashes(t *testing.T) {
	ref := newHarness(t)
	journey(ref, nil)
	wantPosts, wantPDFs := delivered(ref.fake)
	if len(wantPosts) < 8 || len(wantPDFs) < 2 {
		t.Fatalf("the journey delivered too little to test: %v %v", wantPosts, wantPDFs)
	}
	feed := 0
	for _, m := range ref.fake.channelPosts(feedChan) {
		if m.ThreadTS != "" {
			feed++
		}
	}
	if feed == 0 {
		t.Fatal("the journey has no feed thread reply")
	}
	for _, step := range []outbox.Step{outbox.StepMarked, outbox.StepAnswered, outbox.StepRecorded} {
		for _, mode := range []string{"crash", "redis error"} {
			t.Run(fmt.Sprintf("%s at %s", mode, step), func(t *testing.T) {
				h := newHarness(t)
				var mu sync.Mutex
				hits := map[string]int{}
				struck := 0
				fault := func(_ context.Context, at outbox.Step, it store.OutboxItem) error {
					mu.Lock()
					defer mu.Unlock()
					if at != step {
						return nil
					}
					// The first two times each item reaches the step: a
					// closing record meets it for its DM and its PDF.
					hits[it.ID]++
					if hits[it.ID] > 2 {
						return nil
					}
					struck++
					if mode == "crash" {
						return outbox.ErrCrash
					}
					return errors.New("redis: connection refused")
				}
				journey(h, fault)
				posts, pdfs := delivered(h.fake)
				for id, n := range posts {
					if n != 1 {
						t.Errorf("%s arrived %d times", id, n)
					}
				}
				for k, n := range pdfs {
					if n != 1 {
						t.Errorf("record %s shared %d times", k, n)
					}
				}
				if !mapsEqualKeys(posts, wantPosts) || !mapsEqualKeys(pdfs, wantPDFs) {
					t.Errorf("delivered %v and %v, want %v and %v", keys(posts), keys(pdfs), keys(wantPosts), keys(wantPDFs))
				}
				if struck < len(wantPosts) {
					t.Errorf("the fault struck %d times for %d messages", struck, len(wantPosts))
				}
			})
		}
	}
}

func keys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func mapsEqualKeys(a, b map[string]int) bool { return slices.Equal(keys(a), keys(b)) }
