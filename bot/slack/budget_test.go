package slack

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/budget"
	"github.com/escalate-app/escalate/workflow"
)

// budgetTimers ends the budgets of running work when the test says so.
type budgetTimers struct {
	mu  sync.Mutex
	fns []func()
}

func (b *budgetTimers) afterFunc(_ time.Duration, f func()) func() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fns = append(b.fns, f)
	return func() bool { return true }
}

func (b *budgetTimers) end() {
	b.mu.Lock()
	fns := b.fns
	b.fns = nil
	b.mu.Unlock()
	for _, f := range fns {
		f()
	}
}

// With every place taken a person is told Escalate is busy, at once and
// with nothing run; work past its budget is cancelled and its person told
// it could not finish; then the place is free again.
func TestCommandsBeyondTheBoundAreToldBusyAndWorkStopsAtItsBudget(t *testing.T) {
	h := newHarness(t)
	ref := h.raise(raiseAnswers())
	timers := &budgetTimers{}
	h.a.work = budget.New(budget.Options{Max: 1, AfterFunc: timers.afterFunc})
	h.a.replyBudget = time.Millisecond // answer "working on it" at once

	started := make(chan struct{})
	stopped := make(chan error, 1)
	h.a.HandleSubcommand("report", func(ctx context.Context, req SubcommandRequest) (workflow.Message, error) {
		close(started)
		<-ctx.Done() // a report that would run for ever
		stopped <- ctx.Err()
		return workflow.Message{}, ctx.Err()
	})
	// tryPost: answered without waiting for the work it leaves running.
	send := func(user, text string) string {
		t.Helper()
		r, err := h.tryPost("/slack/commands", formType, h.commandBody(user, text), nil)
		if err != nil {
			t.Fatal(err)
		}
		return allText(r.json(t))
	}
	assertContains(t, "the long report", send(uBiz, "report"), "Working on it")
	<-started

	// The one place is taken: a list is refused politely, and its work
	// never starts (nothing is read, nothing changes).
	busy := send(uResponder, "list")
	assertContains(t, "a list beyond the bound", busy, "Escalate is busy — please try again in a moment", "Nothing was changed")
	if strings.Contains(busy, ref) {
		t.Fatalf("the refused list showed cases: %s", busy)
	}

	// The report's budget ends: its context is cancelled, it stops, and
	// the person who asked is told.
	timers.end()
	if err := <-stopped; err == nil {
		t.Fatal("the report's context was not cancelled")
	}
	h.a.wait()
	h.fake.mu.Lock()
	late := allText(h.fake.responses)
	h.fake.mu.Unlock()
	assertContains(t, "the stopped report's answer", late, "Escalate could not finish that in time", "Nothing was changed")

	// Its place is free again.
	h.a.replyBudget = time.Minute
	assertContains(t, "a list once the place is free", allText(h.command(uResponder, "list").json(t)), ref)
}
