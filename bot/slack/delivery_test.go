package slack

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// TestRateLimitedThenDeliveredOnce: Slack answers 429 with Retry-After;
// the message waits that long and then arrives exactly once.
func TestRateLimitedThenDeliveredOnce(t *testing.T) {
	h := newHarness(t)
	h.fake.rateLimit("chat.postMessage", 1, 7)
	h.raise(raiseAnswers())
	if n := h.deliver(); n != 0 {
		t.Fatalf("%d messages were sent while Slack said to wait", n)
	}
	if len(h.fake.dms(uResponder))+len(h.fake.dms(uRaiser)) != 0 {
		t.Fatal("a rate-limited message arrived")
	}
	h.clock.Advance(6 * time.Second)
	if n := h.deliver(); n != 0 {
		t.Fatalf("%d messages were sent before Retry-After passed", n)
	}
	h.clock.Advance(time.Second)
	h.deliver()
	if r, a := len(h.fake.dms(uResponder)), len(h.fake.dms(uRaiser)); r != 1 || a != 1 {
		t.Fatalf("after the wait the responder has %d DMs and the raiser %d, want one each", r, a)
	}
	limited := 0
	for _, c := range h.fake.snapshotCalls() {
		if c.Status == 429 {
			limited++
		}
	}
	if limited != 1 {
		t.Fatalf("Slack was asked %d times while it said to wait", limited)
	}
}

func item(id string, m workflow.Message) store.OutboxItem {
	return store.OutboxItem{ID: id + "@slack", Target: "slack", Message: m}
}

// TestTransportErrors: 429 becomes RetryAfter, errors that retrying cannot
// fix are permanent, the rest transient; the same item twice is posted once.
func TestTransportErrors(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tr := h.a.Transport()
	if tr.Platform() != "slack" {
		t.Fatalf("platform %q", tr.Platform())
	}
	dm := workflow.Message{ID: "ESC-2026-0009/1/1", Kind: workflow.MsgNote, Ref: "ESC-2026-0009", To: "slack:" + uResponder, Title: "A note"}

	h.fake.rateLimit("chat.postMessage", 1, 30)
	var ra *outbox.RetryAfter
	if err := tr.Send(ctx, item(dm.ID, dm)); !errors.As(err, &ra) || ra.After != 30*time.Second {
		t.Fatalf("a 429 gave %v, want RetryAfter 30s", err)
	}
	gone := dm
	gone.ID, gone.To = "ESC-2026-0009/1/2", "slack:UGONE"
	if err := tr.Send(ctx, item(gone.ID, gone)); !outbox.IsPermanent(err) {
		t.Fatalf("an unknown person gave %v, want a permanent error", err)
	}
	teams := dm
	teams.ID, teams.To = "ESC-2026-0009/1/3", "teams:29:abc"
	if err := tr.Send(ctx, item(teams.ID, teams)); !outbox.IsPermanent(err) {
		t.Fatalf("a Teams user gave %v, want a permanent error", err)
	}
	if err := classify("chat.postMessage", slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}); err == nil || outbox.IsPermanent(err) || errors.As(err, &ra) {
		t.Fatalf("a 503 gave %v, want a transient error", err)
	}
	if err := classify("chat.postMessage", slack.SlackErrorResponse{Err: "not_in_channel"}); !outbox.IsPermanent(err) {
		t.Fatalf("not_in_channel gave %v, want permanent", err)
	}
	if err := classify("chat.postMessage", errors.New("dial tcp: connection refused")); err == nil || outbox.IsPermanent(err) {
		t.Fatalf("a network error gave %v, want transient", err)
	}

	// Delivered, then the same item again (a crash before its ack): once.
	if err := tr.Send(ctx, item(dm.ID, dm)); err != nil {
		t.Fatal(err)
	}
	if err := tr.Send(ctx, item(dm.ID, dm)); err != nil {
		t.Fatal(err)
	}
	if n := len(h.fake.dms(uResponder)); n != 1 {
		t.Fatalf("one item sent twice arrived %d times", n)
	}

	// A feed post with no channel configured can never be delivered.
	h.a.cfg.FeedChannel = ""
	feed := workflow.Message{ID: "ESC-2026-0009/2/1", Kind: workflow.MsgFeed, Ref: "ESC-2026-0009", Feed: true, Title: "ESC-2026-0009: Escalated"}
	if err := tr.Send(ctx, item(feed.ID, feed)); !outbox.IsPermanent(err) {
		t.Fatalf("a feed post without a channel gave %v", err)
	}
}

// TestRenderingKeepsToBlockKit: escaping, local times, long text and long
// histories, and feed posts that never carry lines or history.
func TestRenderingKeepsToBlockKit(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	r := renderer{loc: london}
	at := time.Date(2026, 3, 11, 10, 0, 0, 0, london)
	long := strings.Repeat("The child was seen & the school told <nobody>. ", 200) // ~9,400 characters
	var hist []workflow.HistoryEntry
	for i := range 2000 {
		hist = append(hist, workflow.HistoryEntry{At: at, Stage: 1 + i%4, Actor: "Lee", Summary: "Note added", Text: "Called again <!channel>"})
	}
	m := workflow.Message{Ref: "ESC-2026-0001", Title: strings.Repeat("Long title ", 20), Lines: []string{"Hello <!channel> & <http://evil|click>", long},
		Facts:   []workflow.Fact{{Label: "Window closes", Value: "Wed 11 Mar, 10:00 (lapsed)", Time: &at}},
		History: hist, Actions: []workflow.Action{{Kind: workflow.ActResolved, Label: "Resolved", Ref: "ESC-2026-0001", Stage: 1, Style: "primary"}}}

	blocks := r.message(m, modeDM, maxMessageBlocks)
	raw := allText(blocks)
	var decoded []any
	if err := jsonRoundTrip(blocks, &decoded); err != nil {
		t.Fatal(err)
	}
	if p := checkBlocks(decoded, maxMessageBlocks); p != "" {
		t.Fatalf("Slack would refuse the message: %s", p)
	}
	if strings.Contains(raw, "<!channel>") || strings.Contains(raw, "<http://evil") {
		t.Fatal("a person's words became a mention or a link")
	}
	assertContains(t, "the message", raw, "&lt;!channel&gt; &amp; &lt;http://evil|click&gt;",
		"Wed 11 Mar, 10:00 (lapsed)", "/escalate show ESC-2026-0001")
	if !strings.Contains(raw, "esc:resolved") {
		t.Fatal("the buttons were cut to fit a long history")
	}
	// Every piece of the long line is there.
	joined, collecting := "", false
	for _, b := range blocks {
		s, ok := b.(*slack.SectionBlock)
		if !ok || s.Text == nil {
			collecting = false
			continue
		}
		if collecting {
			if utf8.RuneCountInString(s.Text.Text) > maxSectionText {
				t.Fatal("a section over 3000 characters")
			}
			joined += s.Text.Text
		}
		collecting = collecting || strings.HasPrefix(s.Text.Text, "Hello")
	}
	if joined != escape(long) {
		t.Fatalf("the long line was not split whole: %d of %d characters", len(joined), len(escape(long)))
	}

	feed := r.message(m, modeFeed, maxMessageBlocks)
	fraw := allText(feed)
	if strings.Contains(fraw, "Hello") || strings.Contains(fraw, "Called again") || strings.Contains(fraw, "esc:") {
		t.Fatalf("a feed post carries lines, history or buttons:\n%s", fraw)
	}
}

func jsonRoundTrip(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// TestClosingRecordPDFSurvivesARateLimit: when the record's upload is
// rate-limited, the closing message is not posted again, and the PDF
// arrives once, after Retry-After.
func TestClosingRecordPDFSurvivesARateLimit(t *testing.T) {
	h := newHarness(t)
	ref := h.raise(raiseAnswers())
	h.deliver()
	h.click(uResponder, h.lastDM(uResponder), "resolved")
	h.submit(h.fake.lastOpened(), uResponder, map[string]any{workflow.FieldOutcome: "Strategy discussion booked"})
	h.deliver()
	h.fake.rateLimit("files.getUploadURLExternal", 1, 5)
	h.click(uRaiser, h.lastDM(uRaiser), "confirm")
	if h.dispute(ref).State != workflow.StateResolved {
		t.Fatal("confirm did not close the case")
	}
	h.deliver()
	h.clock.Advance(6 * time.Second)
	h.deliver()
	if n := len(h.fake.allShared()); n != 2 {
		t.Fatalf("%d record PDFs shared, want one for each party", n)
	}
	for _, u := range []string{uRaiser, uResponder} {
		records := 0
		for _, m := range h.fake.dms(u) {
			if strings.Contains(m.Raw, "is resolved") {
				records++
			}
		}
		if records != 1 {
			t.Errorf("%s got the closing message %d times, want once", u, records)
		}
	}
}
