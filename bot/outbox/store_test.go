package outbox

import (
	"context"
	"errors"
	"fmt"
	"github.com/escalate-app/escalate/bot/bottest"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
)

// These tests run the sender over the real store (Redis at REDIS_URL, or
// the embedded one), so the store's leases, tokens and attempt counting are
// the ones exercised.

func realStore(t *testing.T, clock *fakeClock) *store.Store {
	t.Helper()
	return storetest.New(t, store.Options{FeedPlatforms: []string{"slack", "teams"}, Now: clock.Now})
}

func TestStoreRateLimitThenDeliveredOnce(t *testing.T) {
	ctx := context.Background()
	clock := bottest.NewClock(t0)
	st := realStore(t, clock)
	slack := &scriptTransport{platform: "slack", script: map[string][]error{}}
	s := New(st, []Transport{slack}, clock.Now, slog.New(slog.DiscardHandler), nil, Options{})

	if err := st.Enqueue(ctx, []workflow.Message{dm("m1")}); err != nil {
		t.Fatal(err)
	}
	id := store.ItemID("m1", "slack")
	slack.script[id] = []error{&RetryAfter{After: 30 * time.Second}}
	if n, err := s.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("RunOnce on a 429 = %d, %v", n, err)
	}
	clock.Advance(29 * time.Second)
	if n, _ := s.RunOnce(ctx); n != 0 || slack.attempts() != 1 {
		t.Fatal("retried before Retry-After")
	}
	clock.Advance(time.Second)
	if n, err := s.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("after Retry-After: %d, %v", n, err)
	}
	clock.Advance(time.Hour)
	if n, _ := s.RunOnce(ctx); n != 0 {
		t.Fatal("delivered twice")
	}
	if got := slack.delivered(); !slices.Equal(got, []string{id}) {
		t.Fatalf("delivered %v", got)
	}
	if depth, _, parked, err := st.OutboxStats(ctx, clock.Now()); err != nil || depth != 0 || parked != 0 {
		t.Fatalf("outbox after delivery: depth %d parked %d err %v", depth, parked, err)
	}
}

func TestStoreBackoffThenSuccessAndPermanentParks(t *testing.T) {
	ctx := context.Background()
	clock := bottest.NewClock(t0)
	st := realStore(t, clock)
	slack := &scriptTransport{platform: "slack", script: map[string][]error{}}
	s := New(st, []Transport{slack}, clock.Now, slog.New(slog.DiscardHandler), nil, Options{})
	if err := st.Enqueue(ctx, []workflow.Message{dm("flaky"), dm("gone")}); err != nil {
		t.Fatal(err)
	}
	flaky, gone := store.ItemID("flaky", "slack"), store.ItemID("gone", "slack")
	e503 := errors.New("HTTP 503")
	slack.script[flaky] = []error{e503, e503}
	slack.script[gone] = []error{Permanent(errors.New("user_not_found"))}

	s.RunOnce(ctx) // flaky fails (retry at +2s), gone is parked
	clock.Advance(2 * time.Second)
	s.RunOnce(ctx) // flaky fails again (retry at +4s)
	clock.Advance(3 * time.Second)
	if n, _ := s.RunOnce(ctx); n != 0 {
		t.Fatal("retried before the backoff")
	}
	clock.Advance(time.Second)
	if n, err := s.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("after the backoff: %d, %v", n, err)
	}
	parked, err := st.Parked(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(parked) != 1 || parked[0].ID != gone || parked[0].LastError != "permanent: user_not_found" || parked[0].Attempts != 1 {
		t.Fatalf("parked %+v", parked)
	}
	if got := slack.delivered(); !slices.Equal(got, []string{flaky}) {
		t.Fatalf("delivered %v", got)
	}
}

func TestStoreCrashAfterClaimRedeliveredAfterLease(t *testing.T) {
	ctx := context.Background()
	clock := bottest.NewClock(t0)
	st := realStore(t, clock)
	// A feed message goes to both feed platforms.
	feed := workflow.Message{ID: "ESC-2026-0001/2/1", Kind: workflow.MsgFeed, Ref: "ESC-2026-0001", Feed: true, Title: "ESC-2026-0001: Escalated"}
	if err := st.Enqueue(ctx, []workflow.Message{feed}); err != nil {
		t.Fatal(err)
	}
	// A sender claims both and dies.
	if its, err := st.ClaimOutbox(ctx, clock.Now(), 10, 30*time.Second); err != nil || len(its) != 2 {
		t.Fatalf("setup claim: %d, %v", len(its), err)
	}
	slack := &scriptTransport{platform: "slack", script: map[string][]error{}}
	teams := &scriptTransport{platform: "teams", script: map[string][]error{}}
	s := New(st, []Transport{slack, teams}, clock.Now, slog.New(slog.DiscardHandler), nil, Options{})
	clock.Advance(29 * time.Second)
	if n, _ := s.RunOnce(ctx); n != 0 {
		t.Fatal("took over a claim before its lease ran out")
	}
	clock.Advance(2 * time.Second)
	if n, err := s.RunOnce(ctx); err != nil || n != 2 {
		t.Fatalf("after the lease: %d, %v", n, err)
	}
	if len(slack.delivered()) != 1 || len(teams.delivered()) != 1 {
		t.Fatalf("slack %v teams %v", slack.delivered(), teams.delivered())
	}
}

func TestStoreTwoSendersDeliverEachOnce(t *testing.T) {
	ctx := context.Background()
	clock := bottest.NewClock(t0)
	st := realStore(t, clock)
	var msgs []workflow.Message
	for i := range 300 {
		msgs = append(msgs, dm(fmt.Sprintf("m%03d", i)))
	}
	if err := st.Enqueue(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	slack := &scriptTransport{platform: "slack", script: map[string][]error{}}
	a := New(st, []Transport{slack}, clock.Now, slog.New(slog.DiscardHandler), nil, Options{BatchSize: 20})
	b := New(st, []Transport{slack}, clock.Now, slog.New(slog.DiscardHandler), nil, Options{BatchSize: 20})
	done := make(chan struct{})
	for _, s := range []*Sender{a, b} {
		go func() {
			defer func() { done <- struct{}{} }()
			s.drain(ctx)
		}()
	}
	<-done
	<-done
	got := slack.delivered()
	slices.Sort(got)
	if len(got) != 300 || len(slices.Compact(slices.Clone(got))) != 300 {
		t.Fatalf("delivered %d messages (%d distinct), want 300 once each", len(got), len(slices.Compact(got)))
	}
}
