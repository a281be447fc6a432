package teams

import (
	"strings"
	"testing"

	"github.com/escalate-app/escalate/workflow"
)

// TestCardsRetiredAfterARestart: the process restarts (a new adapter over
// the same Redis, nothing in memory); when the case moves on, the card the
// responder got before the restart is still updated without its buttons,
// found by the activity id the store kept and redrawn from the case.
func TestCardsRetiredAfterARestart(t *testing.T) {
	h := newHarness(t)
	ref := h.raiseOne()
	h.deliver()
	var old call
	for _, c := range h.conn.ops("send") {
		if strings.Contains(c.Conversation, aadResponder) {
			old = c
		}
	}
	if !hasButton(old.card()) {
		t.Fatal("the responder's first card has no buttons")
	}
	h.restart(nil)
	ack := h.lastDM(personalConv(aadRaiser))
	h.send(h.activity(aadRaiser, "", button(t, ack.card(), "escalate"), ack.ID))
	form := h.lastReply(aadRaiser)
	vals := button(t, form.card(), "submit")
	vals[workflow.FieldText] = "Spoke twice and still no strategy discussion"
	vals[workflow.FieldRaiserHolders] = strings.ToLower(aadLM1)
	vals[workflow.FieldResponderHolders] = strings.ToLower(aadLM2)
	h.send(h.activity(aadRaiser, "", vals, form.ID))
	h.drain(nil)
	var retired *call
	for _, c := range h.conn.ops("update") {
		if c.Activity == old.ID {
			retired = &c
		}
	}
	if retired == nil {
		t.Fatal("after the restart the responder's old card was not updated")
	}
	if hasButton(retired.card()) {
		t.Fatalf("the old card was redrawn with buttons: %s", retired.Raw)
	}
	mustContain(t, "the redrawn card", retired.Raw, ref, "has moved on")
}
