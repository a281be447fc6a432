package outbox

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/bottest"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// outagePlatform is a platform that is down for a while: it answers 500
// until failUntil, then 429 with Retry-After 1s until limitUntil (a storm
// as it recovers), then takes everything. It records what it took, in
// order, and how many calls it got while it was down.
type outagePlatform struct {
	now                   func() time.Time
	failUntil, limitUntil time.Time

	mu           sync.Mutex
	callsDown    int
	callsUp      int
	got          map[string][]int // conversation → sequence numbers, in arrival order
	seen         map[string]int
	firstSuccess time.Time
}

func (p *outagePlatform) Platform() string { return "slack" }

func (p *outagePlatform) Send(_ context.Context, it store.OutboxItem) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	switch {
	case now.Before(p.failUntil):
		p.callsDown++
		return fmt.Errorf("slack chat.postMessage: 500 Internal Server Error")
	case now.Before(p.limitUntil):
		p.callsDown++
		return &RetryAfter{After: time.Second}
	}
	p.callsUp++
	if p.firstSuccess.IsZero() {
		p.firstSuccess = now
	}
	conv, seq, _ := strings.Cut(it.Message.ID, "#")
	n, _ := strconv.Atoi(seq)
	p.got[conv] = append(p.got[conv], n)
	p.seen[it.Message.ID]++
	return nil
}

// outage runs a 60 s outage (45 s of 500s, then 15 s of 429s) under a
// steady load of 10 messages a second to 30 people, on the injected
// clock, the sender draining every 100 ms as Run would when kicked. It
// returns the platform, the messages enqueued, and when the backlog was
// clear.
func outage(t testing.TB, opts Options) (*outagePlatform, int, time.Time, time.Time) {
	ctx := context.Background()
	clock := bottest.NewClock(t0)
	st := realStore(t.(*testing.T), clock)
	p := &outagePlatform{now: clock.Now, failUntil: t0.Add(45 * time.Second), limitUntil: t0.Add(60 * time.Second),
		got: map[string][]int{}, seen: map[string]int{}}
	s := New(st, []Transport{p}, clock.Now, nil, nil, opts)
	next := map[string]int{}
	enqueued := 0
	end := p.limitUntil
	for step := 0; step < 2000; step++ {
		now := clock.Now()
		if now.Before(end) && step%10 == 0 {
			var msgs []workflow.Message
			for i := range 10 {
				conv := fmt.Sprintf("U%02d", (enqueued+i)%30)
				msgs = append(msgs, workflow.Message{ID: conv + "#" + strconv.Itoa(next[conv]), Kind: workflow.MsgInfo,
					To: workflow.UserID("slack:" + conv), Title: "Hello"})
				next[conv]++
			}
			if err := st.Enqueue(ctx, msgs); err != nil {
				t.Fatal(err)
			}
			enqueued += len(msgs)
		}
		s.drain(ctx)
		if !now.Before(end) {
			depth, _, parked, err := st.OutboxStats(ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			if parked != 0 {
				t.Fatalf("%d messages parked during the outage", parked)
			}
			if depth == 0 {
				return p, enqueued, end, now
			}
		}
		clock.Advance(100 * time.Millisecond)
	}
	t.Fatal("the backlog never cleared")
	return nil, 0, time.Time{}, time.Time{}
}

// TestOutageCircuitBreaker: during a 60 s outage (500s, then a 429
// storm) the circuit breaker stops calling the platform but for its
// probes; once the platform is back the backlog clears within 10 s, each
// message arrives exactly once, and every conversation's messages arrive
// in the order they were sent. The figures are logged (go test -v -run
// TestOutageCircuitBreaker ./bot/outbox/).
func TestOutageCircuitBreaker(t *testing.T) {
	p, enqueued, back, clear := outage(t, Options{})
	seconds := clear.Sub(back).Seconds()
	t.Logf("60 s outage, %d messages: %d calls while down, %d after; backlog clear %.1f s after the platform came back (first success %.1f s after)",
		enqueued, p.callsDown, p.callsUp, seconds, p.firstSuccess.Sub(back).Seconds())
	if p.callsDown > 60 {
		t.Errorf("%d calls during the outage; the breaker should have stopped them", p.callsDown)
	}
	if seconds > 10 {
		t.Errorf("the backlog took %.1f s to clear after the platform came back", seconds)
	}
	if p.callsUp != enqueued || len(p.seen) != enqueued {
		t.Errorf("%d messages enqueued, %d delivered (%d distinct)", enqueued, p.callsUp, len(p.seen))
	}
	for id, n := range p.seen {
		if n != 1 {
			t.Errorf("%s arrived %d times", id, n)
		}
	}
	for conv, seqs := range p.got {
		for i := range seqs {
			if seqs[i] != i {
				t.Fatalf("%s received its messages in the order %v", conv, seqs)
			}
		}
	}
}
