package console

import (
	"context"
	"testing"
	"time"

	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

func TestInboxKeepsARedeliveredMessageOnceAndRetiresOldButtons(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	in := NewInbox(func() time.Time { return now })
	ctx := context.Background()
	act := []workflow.Action{{Kind: workflow.ActEscalate, Ref: "ESC-2026-0001", Stage: 1}}
	first := store.OutboxItem{ID: "a@console", Message: workflow.Message{ID: "a", Ref: "ESC-2026-0001", To: "console:hv", Actions: act}}
	for i := 0; i < 2; i++ { // redelivered after a lost acknowledgement
		if err := in.Send(ctx, first); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(in.DMs("console:hv")); got != 1 {
		t.Fatalf("a redelivered message is kept once, got %d", got)
	}
	if in.Unread("console:hv") != 1 {
		t.Fatal("one message to act on")
	}
	second := store.OutboxItem{ID: "b@console", Message: workflow.Message{ID: "b", Ref: "ESC-2026-0001", To: "console:hv", Actions: act}}
	if err := in.Send(ctx, second); err != nil {
		t.Fatal(err)
	}
	dms := in.DMs("console:hv")
	if len(dms) != 2 || dms[0].ID != "b@console" || !dms[1].Done || dms[0].Done {
		t.Fatalf("newest first, and the older message's buttons retired: %+v", dms)
	}
	in.MarkDone("console:hv", "ESC-2026-0001")
	if in.Unread("console:hv") != 0 {
		t.Fatal("after acting, nothing is left to act on")
	}
}

func TestFeedIsOneThreadPerCaseNewestFirst(t *testing.T) {
	in := NewInbox(time.Now)
	ctx := context.Background()
	for i, ref := range []string{"ESC-2026-0001", "ESC-2026-0002", "ESC-2026-0001"} {
		it := store.OutboxItem{ID: string(rune('a'+i)) + "@console", Message: workflow.Message{Ref: ref, Feed: true, Title: ref}}
		if err := in.Send(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	if err := in.Send(ctx, store.OutboxItem{ID: "d@console", Message: workflow.Message{Kind: workflow.MsgDigest, Feed: true}}); err != nil {
		t.Fatal(err)
	}
	feed := in.Feed()
	if len(feed) != 3 || feed[0].Key != "digest" || feed[1].Key != "ESC-2026-0001" || len(feed[1].Posts) != 2 || feed[2].Key != "ESC-2026-0002" {
		t.Fatalf("threads: %+v", feed)
	}
}

func TestClockNeverGoesBack(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	c := NewClock(t0)
	c.Set(t0.Add(-time.Hour))
	if !c.Now().Equal(t0) {
		t.Fatal("the practice clock went backwards")
	}
	c.Set(t0.Add(time.Hour))
	if !c.Now().Equal(t0.Add(time.Hour)) {
		t.Fatal("the practice clock did not move on")
	}
}
