package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

func ids(items []OutboxItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func TestOutboxDeliversInOrderAndAcksOnce(t *testing.T) {
	ctx := context.Background()
	now := t0
	s := newTestStore(t, Options{FeedPlatforms: []string{"console"}, Now: func() time.Time { return now }})
	r := raised("ESC-2026-0001", t0)
	must(t, s.Commit(ctx, r, ""))
	n := noted(r.Dispute, "a note", t0.Add(time.Minute))
	must(t, s.Commit(ctx, n, ""))

	first, err := s.ClaimOutbox(ctx, t0, 2, time.Hour)
	must(t, err)
	if got := ids(first); !slices.Equal(got, []string{"ESC-2026-0001/1/1@teams", "ESC-2026-0001/1/2@slack"}) {
		t.Fatalf("first claim = %v", got)
	}
	// The note's message is not due yet at t0; the feed post is.
	rest, _ := s.ClaimOutbox(ctx, t0, 10, time.Hour)
	if got := ids(rest); !slices.Equal(got, []string{"ESC-2026-0001/1/3@console"}) {
		t.Fatalf("second claim = %v", got)
	}
	later, _ := s.ClaimOutbox(ctx, t0.Add(time.Minute), 10, time.Hour)
	if got := ids(later); !slices.Equal(got, []string{"ESC-2026-0001/2/1@teams"}) || later[0].Message.Lines[0] != "a note" {
		t.Fatalf("third claim = %+v", later)
	}

	depth, oldest, parked, err := s.OutboxStats(ctx, t0.Add(10*time.Minute))
	must(t, err)
	if depth != 4 || oldest != 10*time.Minute || parked != 0 {
		t.Errorf("stats = %d, %v, %d", depth, oldest, parked)
	}
	for _, it := range slices.Concat(first, rest, later) {
		must(t, s.AckOutbox(ctx, it))
	}
	depth, oldest, _, _ = s.OutboxStats(ctx, t0.Add(10*time.Minute))
	if depth != 0 || oldest != 0 {
		t.Errorf("after acks: depth %d, oldest %v", depth, oldest)
	}
	if again, _ := s.ClaimOutbox(ctx, t0.Add(2*time.Hour), 10, time.Minute); len(again) != 0 {
		t.Errorf("acked items came back: %v", ids(again))
	}
	// A delivered message enqueued again (a digest job run twice, say) is
	// not sent twice.
	must(t, s.Enqueue(ctx, []workflow.Message{n.Messages[0]}))
	if again, _ := s.ClaimOutbox(ctx, t0.Add(time.Hour), 10, time.Minute); len(again) != 0 {
		t.Errorf("a delivered message was enqueued again: %v", ids(again))
	}
}

func TestAbandonedOutboxItemIsRedeliveredAfterItsLease(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{Now: func() time.Time { return t0 }})
	msg := workflow.Message{ID: "digest/2026-03-02", Kind: workflow.MsgDigest, Feed: true, Title: "Open cases"}
	must(t, s.Enqueue(ctx, []workflow.Message{msg}))
	c1, _ := s.ClaimOutbox(ctx, t0, 1, time.Minute)
	if len(c1) != 1 || c1[0].Target != "slack" {
		t.Fatalf("claim = %+v", c1)
	}
	if c, _ := s.ClaimOutbox(ctx, t0.Add(59*time.Second), 10, time.Minute); len(c) != 1 || c[0].Target != "teams" {
		t.Fatalf("within the lease, only the other platform's item: %v", ids(c))
	}
	c2, _ := s.ClaimOutbox(ctx, t0.Add(61*time.Second), 1, time.Minute)
	if len(c2) != 1 || c2[0].ID != c1[0].ID || c2[0].Token == c1[0].Token {
		t.Fatalf("redelivery = %+v", c2)
	}
	// The first sender's late ack changes nothing; the live claim holds.
	must(t, s.AckOutbox(ctx, c1[0]))
	if d, _, _, _ := s.OutboxStats(ctx, t0); d != 2 {
		t.Fatalf("a stale ack removed an item (depth %d)", d)
	}
	must(t, s.AckOutbox(ctx, c2[0]))
	if d, _, _, _ := s.OutboxStats(ctx, t0); d != 1 {
		t.Fatalf("depth after the ack = %d", d)
	}
}

func TestRetryParkAndReplay(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{Now: func() time.Time { return t0 }})
	msg := workflow.Message{ID: "reply-1", Kind: workflow.MsgInfo, To: "slack:U1", Title: "Your cases"}
	must(t, s.Enqueue(ctx, []workflow.Message{msg, msg})) // twice in one call
	items, _ := s.ClaimOutbox(ctx, t0, 10, time.Minute)
	if len(items) != 1 {
		t.Fatalf("the same message enqueued twice gave %d items", len(items))
	}
	it := items[0]
	must(t, s.RetryOutbox(ctx, it, t0.Add(30*time.Second), "HTTP 503"))
	if c, _ := s.ClaimOutbox(ctx, t0.Add(10*time.Second), 10, time.Minute); len(c) != 0 {
		t.Fatalf("a retried item came back before its time: %v", ids(c))
	}
	items, _ = s.ClaimOutbox(ctx, t0.Add(30*time.Second), 10, time.Minute)
	if len(items) != 1 || items[0].Attempts != 1 || items[0].LastError != "HTTP 503" {
		t.Fatalf("after a retry: %+v", items)
	}
	must(t, s.ParkOutbox(ctx, items[0], "user_not_found"))
	if c, _ := s.ClaimOutbox(ctx, t0.Add(time.Hour), 10, time.Minute); len(c) != 0 {
		t.Fatalf("a parked item was claimed: %v", ids(c))
	}
	depth, _, parked, _ := s.OutboxStats(ctx, t0)
	if depth != 0 || parked != 1 {
		t.Errorf("stats: depth %d, parked %d", depth, parked)
	}
	list, err := s.Parked(ctx)
	must(t, err)
	if len(list) != 1 || list[0].ID != "reply-1@slack" || list[0].Attempts != 2 || list[0].LastError != "user_not_found" || list[0].Message.Title != "Your cases" || !list[0].ParkedAt.Equal(t0) {
		t.Fatalf("parked = %+v", list)
	}
	if err := s.Replay(ctx, "nope@slack"); !errors.Is(err, ErrNotParked) {
		t.Errorf("replay of an unknown id: %v", err)
	}
	must(t, s.Replay(ctx, "reply-1@slack"))
	items, _ = s.ClaimOutbox(ctx, t0, 10, time.Minute)
	if len(items) != 1 || items[0].Attempts != 0 {
		t.Fatalf("after replay: %+v", items)
	}
	if list, _ := s.Parked(ctx); len(list) != 0 {
		t.Errorf("still parked after replay: %+v", list)
	}
	must(t, s.AckOutbox(ctx, items[0]))
}

func TestEnqueueRoutesAndNamesMessages(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{Now: func() time.Time { return t0 }})
	must(t, s.Enqueue(ctx, []workflow.Message{{Kind: workflow.MsgInfo, To: "teams:29:x", Title: "hi"}}))
	items, _ := s.ClaimOutbox(ctx, t0, 10, time.Minute)
	if len(items) != 1 || items[0].Target != "teams" || len(items[0].ID) < 10 {
		t.Fatalf("items = %+v", items)
	}
	if err := s.Enqueue(ctx, []workflow.Message{{ID: "x", Title: "to nobody"}}); err == nil {
		t.Error("a message with neither a recipient nor the feed was enqueued")
	}
	if err := s.Enqueue(ctx, []workflow.Message{{ID: "y", To: "nobody", Title: "no platform"}}); err == nil {
		t.Error("a message to an id without a platform was enqueued")
	}
	// A transition's messages must carry their deterministic ids.
	r := raised("ESC-2026-0001", t0)
	r.Messages[0].ID = ""
	if err := s.Commit(ctx, r, ""); err == nil {
		t.Error("a transition with a message without an id was committed")
	}
}

// One call that carries the same message twice, beside others, queues it
// once, and the rest keep the order they were given in (the script hands
// out their sequence numbers in one go).
func TestEnqueueOneCallDeduplicatesAndKeepsOrder(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{Now: func() time.Time { return t0 }})
	msgs := []workflow.Message{
		{ID: "a", Kind: workflow.MsgInfo, To: "slack:U1", Title: "first"},
		{ID: "b", Kind: workflow.MsgInfo, To: "slack:U1", Title: "second"},
		{ID: "a", Kind: workflow.MsgInfo, To: "slack:U1", Title: "first again"},
		{ID: "c", Kind: workflow.MsgInfo, To: "slack:U1", Title: "third"},
	}
	must(t, s.Enqueue(ctx, msgs))
	// Already queued: enqueued again, nothing is added.
	must(t, s.Enqueue(ctx, msgs[:1]))
	items, err := s.ClaimOutbox(ctx, t0, 10, time.Minute)
	must(t, err)
	var got []string
	for _, it := range items {
		got = append(got, it.Message.Title)
	}
	if want := []string{"first", "second", "third"}; !slices.Equal(got, want) {
		t.Fatalf("queued %q, want %q", got, want)
	}
}
