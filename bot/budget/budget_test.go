package budget

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeTimers ends budgets when the test says so.
type fakeTimers struct {
	mu  sync.Mutex
	fns []func()
}

func (f *fakeTimers) afterFunc(d time.Duration, fn func()) func() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := len(f.fns)
	f.fns = append(f.fns, fn)
	return func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		stopped := f.fns[i] != nil
		f.fns[i] = nil
		return stopped
	}
}

// fire ends every running budget.
func (f *fakeTimers) fire() {
	f.mu.Lock()
	fns := append([]func(){}, f.fns...)
	f.mu.Unlock()
	for _, fn := range fns {
		if fn != nil {
			fn()
		}
	}
}

func TestBeyondTheBoundWorkIsRefusedAndAPlaceFreedIsTakenAgain(t *testing.T) {
	l := New(Options{Max: 2, AfterFunc: (&fakeTimers{}).afterFunc})
	_, done1, ok1 := l.Start(context.Background())
	_, done2, ok2 := l.Start(context.Background())
	if !ok1 || !ok2 || l.Running() != 2 {
		t.Fatalf("the first two were refused (%v %v) or not counted (%d)", ok1, ok2, l.Running())
	}
	if _, _, ok := l.Start(context.Background()); ok {
		t.Fatal("a third piece of work started with a bound of two")
	}
	done1()
	done1() // twice frees one place only
	if l.Running() != 1 {
		t.Fatalf("%d running after one finished", l.Running())
	}
	_, done3, ok := l.Start(context.Background())
	if !ok {
		t.Fatal("the place freed was not taken again")
	}
	if _, _, ok := l.Start(context.Background()); ok {
		t.Fatal("done called twice freed two places")
	}
	done2()
	done3()
	if l.Running() != 0 {
		t.Fatalf("%d running after all finished", l.Running())
	}
}

func TestWorkIsCancelledWhenItsBudgetEnds(t *testing.T) {
	timers := &fakeTimers{}
	l := New(Options{Max: 1, Budget: time.Second, AfterFunc: timers.afterFunc})
	ctx, done, ok := l.Start(context.Background())
	if !ok {
		t.Fatal("refused")
	}
	if ctx.Err() != nil || OverBudget(ctx) {
		t.Fatal("cancelled before its budget ended")
	}
	timers.fire()
	<-ctx.Done()
	if !OverBudget(ctx) || !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("after the budget: err %v, cause %v", ctx.Err(), context.Cause(ctx))
	}
	// Cancelled, the work still holds its place until it returns.
	if _, _, ok := l.Start(context.Background()); ok {
		t.Fatal("a place was free while cancelled work had not returned")
	}
	done()
	// Work that finished in time was not over budget.
	ctx, done, _ = l.Start(context.Background())
	done()
	timers.fire()
	if OverBudget(ctx) {
		t.Fatal("work that finished in time reads as over budget")
	}
}

func TestTheAnswersSayNothingChanged(t *testing.T) {
	for _, m := range []struct{ title, line string }{{Busy().Title, Busy().Lines[0]}, {TooSlow().Title, TooSlow().Lines[0]}} {
		if m.title == "" || len(m.line) < len("Nothing was changed.") || m.line[:20] != "Nothing was changed." {
			t.Errorf("answer %q / %q does not say nothing changed", m.title, m.line)
		}
	}
	if Busy().Title != "Escalate is busy — please try again in a moment" {
		t.Errorf("busy answer %q", Busy().Title)
	}
}
