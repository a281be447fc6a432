package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/escalate-app/escalate/bot/bottest"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// knownPerson gives a person a 1:1 chat with the bot.
func (h *harness) knownPerson(aad string) string {
	h.t.Helper()
	ref, _ := json.Marshal(conversationRef{ServiceURL: h.conn.srv.URL, ConversationID: personalConv(aad), TeamsUserID: teamsID(aad)})
	if err := h.st.SetRef(context.Background(), refConversation, string(uid(aad)), string(ref)); err != nil {
		h.t.Fatal(err)
	}
	return personalConv(aad)
}

func dm(id, ref string, to workflow.UserID, actions ...workflow.Action) workflow.Message {
	return workflow.Message{ID: id, Kind: workflow.MsgRaised, Ref: ref, To: to, Title: ref + ": for you",
		Lines: []string{"Words for the holder only"}, Actions: actions}
}

// Many concurrent sends fetch one token, and reuse it until shortly before
// it expires.
func TestConcurrentSendsFetchOneToken(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	conv := h.knownPerson(aadLM1)
	tokenClock := bottest.NewClock(time.Now())
	h.a.regs[0].conn.tokens.Now = tokenClock.Now
	tr := h.a.Transport()
	if tr.Platform() != "teams" {
		t.Fatal(tr.Platform())
	}
	send := func(n int) {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = tr.Send(ctx, store.OutboxItem{ID: fmt.Sprintf("m%d-%d", n, i), Target: "teams",
					Message: workflow.Message{ID: fmt.Sprint(i), Kind: workflow.MsgInfo, To: uid(aadLM1), Title: "Hello"}})
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	send(20)
	if n := h.id.tokenFetches.Load(); n != 1 {
		t.Fatalf("%d token fetches for 20 concurrent sends", n)
	}
	tokenClock.Advance(50 * time.Minute)
	send(5)
	if n := h.id.tokenFetches.Load(); n != 1 {
		t.Fatalf("a token with ten minutes left was fetched again (%d fetches)", n)
	}
	tokenClock.Advance(6 * time.Minute) // within five minutes of expiry
	send(5)
	if n := h.id.tokenFetches.Load(); n != 2 {
		t.Fatalf("%d token fetches after the first token neared expiry, want 2", n)
	}
	if n := len(h.conn.ops("send")); n != 30 || h.lastDM(conv).ID == "" {
		t.Fatalf("%d sends", n)
	}
}

// 429 with Retry-After: nothing is sent until it has passed; then the
// message is delivered exactly once.
func TestRateLimitedThenDeliveredOnce(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	conv := h.knownPerson(aadLM1)
	if err := h.st.Enqueue(ctx, []workflow.Message{{ID: "hello-1", Kind: workflow.MsgInfo, To: uid(aadLM1), Title: "Hello"}}); err != nil {
		t.Fatal(err)
	}
	h.conn.failNext("send", http.StatusTooManyRequests)
	if _, err := h.sender.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	h.sender.RunOnce(ctx)
	if n := len(h.conn.ops("send")); n != 0 {
		t.Fatalf("%d sends while rate limited", n)
	}
	h.clock.Advance(8 * time.Second) // Retry-After: 7
	h.deliver()
	h.clock.Advance(time.Hour)
	h.deliver()
	if sends := h.conn.ops("send"); len(sends) != 1 || sends[0].Conversation != conv {
		t.Fatalf("%d sends after the limit lifted, want exactly 1", len(sends))
	}
}

// The connector's answers map onto the outbox's kinds.
func TestConnectorErrorsFollowTheOutboxContract(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.knownPerson(aadLM1)
	tr := h.a.Transport()
	item := func(id string) store.OutboxItem {
		return store.OutboxItem{ID: id, Target: "teams", Message: workflow.Message{ID: id, Kind: workflow.MsgInfo, To: uid(aadLM1), Title: "Hello"}}
	}
	h.conn.failNext("send", http.StatusTooManyRequests)
	var ra *outbox.RetryAfter
	if err := tr.Send(ctx, item("a")); !errors.As(err, &ra) || ra.After != 7*time.Second {
		t.Fatalf("429: %v", err)
	}
	h.conn.failNext("send", http.StatusServiceUnavailable)
	if err := tr.Send(ctx, item("b")); err == nil || outbox.IsPermanent(err) || errors.As(err, &ra) {
		t.Fatalf("503 should be transient: %v", err)
	}
	for _, status := range []int{http.StatusForbidden, http.StatusNotFound, http.StatusBadRequest} {
		h.conn.failNext("send", status)
		if err := tr.Send(ctx, item(fmt.Sprint(status))); !outbox.IsPermanent(err) {
			t.Fatalf("%d should be permanent: %v", status, err)
		}
	}
	if n := len(h.conn.ops("send")); n != 0 {
		t.Fatalf("%d sends went through", n)
	}
	// A message to someone not on Teams never will be sent.
	if err := tr.Send(ctx, store.OutboxItem{ID: "x", Message: workflow.Message{To: "slack:U1", Title: "Hi"}}); !outbox.IsPermanent(err) {
		t.Fatalf("a Slack person: %v", err)
	}
}

// A 5xx is retried with backoff by the real sender and delivered once; a
// 403 (the app was removed for the person) is parked for an operator.
func TestServerErrorRetriedForbiddenParked(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.knownPerson(aadLM1)
	h.knownPerson(aadLM2)
	h.conn.failNext("send", http.StatusBadGateway)
	if err := h.st.Enqueue(ctx, []workflow.Message{{ID: "m1", Kind: workflow.MsgInfo, To: uid(aadLM1), Title: "Hello"}}); err != nil {
		t.Fatal(err)
	}
	h.sender.RunOnce(ctx)
	h.clock.Advance(time.Hour)
	h.deliver()
	if n := len(h.conn.ops("send")); n != 1 {
		t.Fatalf("%d sends after a 502, want 1", n)
	}
	h.conn.failNext("send", http.StatusForbidden)
	h.st.Enqueue(ctx, []workflow.Message{{ID: "m2", Kind: workflow.MsgInfo, To: uid(aadLM2), Title: "Hello"}})
	h.deliver()
	parked, err := h.st.Parked(ctx)
	if err != nil || len(parked) != 1 || parked[0].Message.ID != "m2" {
		t.Fatalf("parked: %+v %v", parked, err)
	}
}

// A connector that refuses the token (revoked, secret rotated) makes the
// next attempt fetch a new one.
func TestRefusedTokenIsRenewed(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.knownPerson(aadLM1)
	tr := h.a.Transport()
	msg := store.OutboxItem{ID: "a", Message: workflow.Message{ID: "a", To: uid(aadLM1), Title: "Hi"}}
	if err := tr.Send(ctx, msg); err != nil {
		t.Fatal(err)
	}
	h.id.revokeIssued() // the token Escalate holds is now refused
	if err := tr.Send(ctx, store.OutboxItem{ID: "b", Message: workflow.Message{ID: "b", To: uid(aadLM1), Title: "Hi"}}); err == nil || outbox.IsPermanent(err) {
		t.Fatalf("a refused token: %v", err)
	}
	if err := tr.Send(ctx, store.OutboxItem{ID: "c", Message: workflow.Message{ID: "c", To: uid(aadLM1), Title: "Hi"}}); err != nil {
		t.Fatalf("after renewal: %v", err)
	}
	if n := h.id.tokenFetches.Load(); n != 2 {
		t.Fatalf("%d token fetches", n)
	}
}

// The feed: the first post about a case starts its thread, later ones
// reply in it (<channel>;messageid=<root>), the digest stands alone, and
// no feed card carries Lines, History or buttons, whatever the message
// holds. An item delivered twice (a crash before its ack) is posted once.
func TestFeedThreads(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tr := h.a.Transport()
	post := func(id, ref string, kind workflow.MessageKind) {
		t.Helper()
		m := workflow.Message{ID: id, Kind: kind, Ref: ref, Feed: true, Title: ref + ": something happened",
			Lines: []string{"SECRET free text"}, History: []workflow.HistoryEntry{{Summary: "x", Text: "SECRET history"}},
			Actions: []workflow.Action{{Kind: workflow.ActNote, Label: "Add note", Ref: ref, Stage: 2}},
			Facts:   []workflow.Fact{{Label: "Stage", Value: "2"}}}
		if err := tr.Send(ctx, store.OutboxItem{ID: id + "@teams", Target: "teams", Message: m}); err != nil {
			t.Fatal(err)
		}
	}
	post("1", "ESC-2026-0001", workflow.MsgFeed)
	post("2", "ESC-2026-0002", workflow.MsgFeed)
	post("3", "ESC-2026-0001", workflow.MsgFeed)
	post("3", "ESC-2026-0001", workflow.MsgFeed) // again: recognised
	post("4", "", workflow.MsgDigest)
	sends := h.conn.ops("send")
	if len(sends) != 4 {
		t.Fatalf("%d feed posts, want 4", len(sends))
	}
	root1, root2 := sends[0].ID, sends[1].ID
	want := []string{feedConv, feedConv, feedConv + ";messageid=" + root1, feedConv}
	for i, c := range sends {
		if c.Conversation != want[i] {
			t.Errorf("post %d went to %q, want %q", i, c.Conversation, want[i])
		}
		mustNotContain(t, "a feed post", c.Raw, "SECRET", "Action.Submit")
		mustContain(t, "a feed post", c.Raw, "something happened", `"title":"Stage"`)
	}
	if v, _, _ := h.st.GetRef(ctx, refThread, "ESC-2026-0002"); v != root2 {
		t.Fatalf("thread of the second case: %q", v)
	}
	// Without a feed conversation, feed items are parked, not retried.
	h.a.cfg.FeedConversation = ""
	if err := tr.Send(ctx, store.OutboxItem{ID: "5", Message: workflow.Message{Feed: true, Ref: "ESC-2026-0003"}}); !outbox.IsPermanent(err) {
		t.Fatalf("no feed conversation: %v", err)
	}
}

// A new DM about a case takes the buttons off the person's previous card
// about it, keeping its words; each DM's activity is remembered; the same
// item again is not posted twice; someone the bot has never heard from is
// reached through a conversation created with their AAD object id.
func TestDirectMessagesRetireStaleButtons(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tr := h.a.Transport()
	ref := "ESC-2026-0007"
	to := uid(aadLM2)
	first := dm("1", ref, to, workflow.Action{Kind: workflow.ActResolved, Label: "Resolved", Ref: ref, Stage: 1})
	if err := tr.Send(ctx, store.OutboxItem{ID: "1@teams", Message: first}); err != nil {
		t.Fatal(err)
	}
	creates := h.conn.ops("create")
	if len(creates) != 1 || !strings.Contains(creates[0].Raw, `"members":[{"id":"`+aadLM2+`"}]`) || !strings.Contains(creates[0].Raw, `"tenantId":"`+tenantID+`"`) {
		t.Fatalf("no conversation created by AAD object id: %+v", creates)
	}
	conv := creates[0].ID
	sent := h.lastDM(conv)
	if v, _, _ := h.st.GetRef(ctx, refActivity, ref+"|"+string(to)); v != conv+"|"+sent.ID {
		t.Fatalf("teams-activity ref: %q", v)
	}
	if err := tr.Send(ctx, store.OutboxItem{ID: "1@teams", Message: first}); err != nil {
		t.Fatal(err)
	}
	if n := len(h.conn.ops("send")); n != 1 {
		t.Fatalf("the same item was posted %d times", n)
	}
	second := dm("2", ref, to, workflow.Action{Kind: workflow.ActEscalate, Label: "Escalate", Ref: ref, Stage: 2})
	if err := tr.Send(ctx, store.OutboxItem{ID: "2@teams", Message: second}); err != nil {
		t.Fatal(err)
	}
	ups := h.conn.ops("update")
	if len(ups) != 1 || ups[0].Activity != sent.ID || ups[0].Conversation != conv || hasButton(ups[0].card()) {
		t.Fatalf("the previous card was not retired: %+v", ups)
	}
	mustContain(t, "the retired card", ups[0].Raw, "Words for the holder only", "has moved on")
	if n := len(h.conn.ops("create")); n != 1 {
		t.Fatalf("the conversation was created %d times", n)
	}
}
