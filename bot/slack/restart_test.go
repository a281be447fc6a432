package slack

import (
	"strings"
	"testing"

	"github.com/escalate-app/escalate/workflow"
)

// TestButtonsRetiredAfterARestart: the process restarts (a new adapter
// over the same Redis, nothing in memory); when the case moves on, the
// message sent before the restart is still redrawn without its buttons,
// its words kept, read back from Slack through the coordinates (channel
// and ts) the store kept.
func TestButtonsRetiredAfterARestart(t *testing.T) {
	h := newHarness(t)
	h.raise(raiseAnswers())
	h.deliver()
	old := h.lastDM(uResponder)
	if len(buttons(old.Blocks)) == 0 {
		t.Fatal("the responder's first DM has no buttons")
	}
	words := "Health visitor declined the strategy discussion"
	if !strings.Contains(old.Raw, words) {
		t.Fatalf("the first DM does not carry the disagreement:\n%s", old.Raw)
	}
	h.restart(nil)
	h.click(uRaiser, h.lastDM(uRaiser), "escalate")
	h.submit(h.fake.lastOpened(), uRaiser, map[string]any{workflow.FieldText: "No strategy discussion was held"})
	h.deliver()
	if n := len(h.fake.dms(uResponder)); n < 2 {
		t.Fatalf("the responder got %d DMs; the escalation sent none", n)
	}
	now := h.fake.message(old.Channel, old.TS)
	if b := buttons(now.Blocks); len(b) != 0 {
		t.Fatalf("after the restart the old DM still has buttons %v", b)
	}
	assertContains(t, "the retired DM", now.Raw, words, "has moved on")
	if h.fake.countCalls("conversations.history") == 0 {
		t.Fatal("the old DM was not read back from Slack")
	}
}
