package teams

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/budget"
)

// With every place taken a typed command is answered "busy" and nothing
// runs; once a place is free it runs.
func TestCommandsBeyondTheBoundAreToldBusy(t *testing.T) {
	h := newHarness(t)
	h.a.work = budget.New(budget.Options{Max: 1})
	_, release, ok := h.a.work.Start(context.Background()) // another person's work
	if !ok {
		t.Fatal("the one place was not free")
	}
	h.send(h.activity(aadLM2, "list", nil, ""))
	busy := h.lastReply(aadLM2).Raw
	mustContain(t, "a list beyond the bound", busy, "Escalate is busy — please try again in a moment", "Nothing was changed")
	if strings.Contains(busy, "open cases") {
		t.Fatalf("the refused list ran: %s", busy)
	}
	release()
	h.send(h.activity(aadLM2, "list", nil, ""))
	mustContain(t, "a list once the place is free", h.lastReply(aadLM2).Raw, "no open cases")
	if h.a.work.Running() != 0 {
		t.Fatalf("%d places still taken after the list", h.a.work.Running())
	}
}

// A command whose budget ends stops (its context is cancelled, so the
// store is not asked) and the person is told it could not finish.
func TestCommandsStopWhenTheirBudgetEnds(t *testing.T) {
	h := newHarness(t)
	spent := func(_ time.Duration, f func()) func() bool { f(); return func() bool { return false } }
	h.a.work = budget.New(budget.Options{Max: 4, AfterFunc: spent})
	h.send(h.activity(aadLM2, "list", nil, ""))
	late := h.lastReply(aadLM2).Raw
	mustContain(t, "a list out of time", late, "Escalate could not finish that in time", "Nothing was changed")
	if strings.Contains(late, "no open cases") {
		t.Fatalf("the list ran past its budget: %s", late)
	}
}
