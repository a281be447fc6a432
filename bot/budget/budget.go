package budget

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// Defaults for a replica: enough places for a partnership's busiest
// minute (a few hundred practitioners), few enough that their pages fit
// in a few megabytes.
const (
	DefaultMax    = 32
	DefaultBudget = 10 * time.Second
)

// ErrOverBudget is the cause of a work context cancelled because its
// budget ended (context.Cause).
var ErrOverBudget = errors.New("the request's time ran out")

// Options configures a Limiter; zero values take the defaults.
type Options struct {
	// Max is how many pieces of work may run at once (DefaultMax).
	Max int
	// Budget is how long one may run before its context is cancelled
	// (DefaultBudget).
	Budget time.Duration
	// AfterFunc starts the budget's timer (time.AfterFunc when nil); tests
	// inject their own to end a budget without waiting for it.
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
}

// Limiter hands out places for work. It is safe for concurrent use.
type Limiter struct {
	places    chan struct{}
	budget    time.Duration
	afterFunc func(d time.Duration, f func()) (stop func() bool)
}

// New builds a limiter.
func New(o Options) *Limiter {
	if o.Max <= 0 {
		o.Max = DefaultMax
	}
	if o.Budget <= 0 {
		o.Budget = DefaultBudget
	}
	if o.AfterFunc == nil {
		o.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	return &Limiter{places: make(chan struct{}, o.Max), budget: o.Budget, afterFunc: o.AfterFunc}
}

// Max is how many pieces of work may run at once.
func (l *Limiter) Max() int { return cap(l.places) }

// Running is how many run now.
func (l *Limiter) Running() int { return len(l.places) }

// Start takes a place for one piece of work, without waiting: ok is false
// when every place is taken (answer Busy). Otherwise ctx is parent's
// values and cancellation, cancelled too when the budget ends (its cause
// ErrOverBudget), and done must be called once the work has returned: it
// frees the place. Calling done more than once does nothing more.
func (l *Limiter) Start(parent context.Context) (ctx context.Context, done func(), ok bool) {
	select {
	case l.places <- struct{}{}:
	default:
		return nil, nil, false
	}
	ctx, cancel := context.WithCancelCause(parent)
	stop := l.afterFunc(l.budget, func() { cancel(ErrOverBudget) })
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			stop()
			cancel(context.Canceled)
			<-l.places
		})
	}, true
}

// OverBudget reports whether ctx (from Start) was cancelled because its
// budget ended.
func OverBudget(ctx context.Context) bool {
	return ctx != nil && errors.Is(context.Cause(ctx), ErrOverBudget)
}

// Busy is the answer to a request beyond the bound.
func Busy() workflow.Message {
	return workflow.Message{Kind: workflow.MsgInfo, Title: "Escalate is busy — please try again in a moment",
		Lines: []string{"Nothing was changed. Many people are using Escalate just now; your request will go through when you send it again."}}
}

// TooSlow is the answer to a request whose budget ended before its work
// was done.
func TooSlow() workflow.Message {
	return workflow.Message{Kind: workflow.MsgInfo, Title: "Escalate could not finish that in time",
		Lines: []string{"Nothing was changed. Please try again in a moment."}}
}
