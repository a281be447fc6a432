package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/escalate-app/escalate/bot/bottest"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// memQueue is an in-memory outbox with the store's semantics: leases,
// tokens (an outcome recorded with a stale token changes nothing), retry
// counting attempts, parking.
type memQueue struct {
	mu     sync.Mutex
	items  []*memItem
	tokens int
}

type memItem struct {
	it     store.OutboxItem
	due    time.Time
	leased time.Time // claimable again at this time
	parked bool
	acked  bool
	paused bool
}

func (q *memQueue) add(now time.Time, target string, m workflow.Message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, &memItem{it: store.OutboxItem{ID: m.ID, Target: target, Message: m, EnqueuedAt: now}, due: now})
}

func (q *memQueue) ClaimOutbox(_ context.Context, now time.Time, limit int, lease time.Duration) ([]store.OutboxItem, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []store.OutboxItem
	for _, m := range q.items {
		if len(out) == limit {
			break
		}
		if m.parked || m.acked || m.paused || m.due.After(now) || m.leased.After(now) {
			continue
		}
		q.tokens++
		m.it.Token = fmt.Sprint(q.tokens)
		m.leased = now.Add(lease)
		out = append(out, m.it)
	}
	return out, nil
}

func (q *memQueue) find(it store.OutboxItem) (*memItem, error) {
	for _, m := range q.items {
		if m.it.ID == it.ID && m.it.Target == it.Target {
			if m.it.Token != it.Token {
				return nil, errors.New("lease lost")
			}
			return m, nil
		}
	}
	return nil, errors.New("no such item")
}

func (q *memQueue) PendOutbox(_ context.Context, it store.OutboxItem) (time.Time, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, err := q.find(it)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %v", store.ErrClaimLost, err)
	}
	if m.it.PendingSince.IsZero() {
		m.it.PendingSince = m.leased // any non-zero time: an attempt began
	}
	return m.it.PendingSince, nil
}

func (q *memQueue) AckOutbox(_ context.Context, it store.OutboxItem) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, err := q.find(it)
	if err != nil {
		return err
	}
	m.acked = true
	return nil
}

func (q *memQueue) RetryOutbox(_ context.Context, it store.OutboxItem, at time.Time, errText string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, err := q.find(it)
	if err != nil {
		return err
	}
	m.it.Attempts++
	m.it.LastError = errText
	m.due = at
	m.leased = time.Time{}
	return nil
}

func (q *memQueue) DeferOutbox(_ context.Context, it store.OutboxItem, at time.Time, _ int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, err := q.find(it)
	if err != nil {
		return err
	}
	m.due = at
	m.leased = time.Time{}
	return nil
}

func (q *memQueue) PauseOutbox(_ context.Context, it store.OutboxItem) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, err := q.find(it)
	if err != nil {
		return err
	}
	m.paused, m.leased = true, time.Time{}
	return nil
}

func (q *memQueue) ResumeOutbox(_ context.Context, platform string, limit int) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, m := range q.items {
		if m.paused && m.it.Target == platform && (limit == 0 || n < limit) {
			m.paused = false
			n++
		}
	}
	return n, nil
}

func (q *memQueue) ParkOutbox(_ context.Context, it store.OutboxItem, errText string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, err := q.find(it)
	if err != nil {
		return err
	}
	m.it.LastError = errText
	m.parked = true
	return nil
}

func (q *memQueue) state(id string) memItem {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range q.items {
		if m.it.ID == id {
			return *m
		}
	}
	return memItem{}
}

// scriptTransport answers each Send with the next scripted error (nil when
// the script is used up) and records what was delivered.
type scriptTransport struct {
	platform string
	mu       sync.Mutex
	script   map[string][]error // by item ID
	calls    []string
	sent     []string
}

func (t *scriptTransport) Platform() string { return t.platform }

func (t *scriptTransport) Send(_ context.Context, it store.OutboxItem) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = append(t.calls, it.ID)
	if s := t.script[it.ID]; len(s) > 0 {
		t.script[it.ID] = s[1:]
		if s[0] != nil {
			return s[0]
		}
	}
	t.sent = append(t.sent, it.ID)
	return nil
}

func (t *scriptTransport) delivered() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.sent)
}

func (t *scriptTransport) attempts() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.calls)
}

type countMetrics struct {
	mu sync.Mutex
	n  map[string]int
}

func (m *countMetrics) Delivery(platform, result string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == nil {
		m.n = map[string]int{}
	}
	m.n[platform+"/"+result]++
}

func (m *countMetrics) get(k string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n[k]
}

var t0 = time.Date(2026, 12, 29, 10, 0, 0, 0, time.UTC)

// secret is free text a DM may carry; it must never reach a log line.
const secret = "the family at 12 Acacia Avenue"

func dm(id string) workflow.Message {
	return workflow.Message{ID: id, Kind: workflow.MsgReminder, Ref: "ESC-2026-0042", To: "slack:U1", Title: "Reminder about " + secret, Lines: []string{secret}}
}

type rig struct {
	clock *fakeClock
	q     *memQueue
	slack *scriptTransport
	m     *countMetrics
	logs  *bytes.Buffer
	s     *Sender
}

func newRig(t *testing.T, opts Options, extra ...Transport) *rig {
	t.Helper()
	r := &rig{clock: bottest.NewClock(t0), q: &memQueue{}, slack: &scriptTransport{platform: "slack", script: map[string][]error{}}, m: &countMetrics{}, logs: &bytes.Buffer{}}
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: r.logs}, nil))
	r.s = New(r.q, append([]Transport{r.slack}, extra...), r.clock.Now, log, r.m, opts)
	return r
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (r *rig) runOnce(t *testing.T) int {
	t.Helper()
	n, err := r.s.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return n
}

func TestRateLimitedThenDeliveredOnce(t *testing.T) {
	r := newRig(t, Options{})
	r.q.add(t0, "slack", dm("m1"))
	r.slack.script["m1"] = []error{&RetryAfter{After: 7 * time.Second}}

	if n := r.runOnce(t); n != 0 {
		t.Fatalf("sent %d on a 429, want 0", n)
	}
	st := r.q.state("m1")
	if st.acked || st.parked || !st.due.Equal(t0.Add(7*time.Second)) || st.it.Attempts != 1 {
		t.Fatalf("after 429: acked=%v parked=%v due=%v attempts=%d; want rescheduled at +7s with one attempt counted", st.acked, st.parked, st.due, st.it.Attempts)
	}
	r.clock.Advance(6 * time.Second)
	if n := r.runOnce(t); n != 0 || r.slack.attempts() != 1 {
		t.Fatalf("retried before Retry-After: sent %d, attempts %d", n, r.slack.attempts())
	}
	r.clock.Advance(time.Second)
	if n := r.runOnce(t); n != 1 {
		t.Fatalf("sent %d after Retry-After, want 1", n)
	}
	r.clock.Advance(time.Hour)
	r.runOnce(t)
	if got := r.slack.delivered(); !slices.Equal(got, []string{"m1"}) {
		t.Fatalf("delivered %v, want m1 exactly once", got)
	}
	if !r.q.state("m1").acked {
		t.Fatal("delivered item not acknowledged")
	}
	if r.m.get("slack/rate_limited") != 1 || r.m.get("slack/sent") != 1 {
		t.Fatalf("metrics %v", r.m.n)
	}
}

func TestTransientErrorsBackOffExponentiallyThenDeliver(t *testing.T) {
	r := newRig(t, Options{})
	r.q.add(t0, "slack", dm("m1"))
	fail := errors.New("slack: HTTP 503")
	r.slack.script["m1"] = []error{fail, fail, fail}

	wantDelays := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, d := range wantDelays {
		if n := r.runOnce(t); n != 0 {
			t.Fatalf("attempt %d: sent %d, want 0", i+1, n)
		}
		st := r.q.state("m1")
		if want := r.clock.Now().Add(d); !st.due.Equal(want) {
			t.Fatalf("attempt %d: retry at %v, want %v", i+1, st.due, want)
		}
		if st.it.LastError != "slack: HTTP 503" {
			t.Fatalf("last error %q", st.it.LastError)
		}
		r.clock.Advance(d - time.Millisecond)
		if n := r.runOnce(t); n != 0 || r.slack.attempts() != i+1 {
			t.Fatalf("retried before its backoff")
		}
		r.clock.Advance(time.Millisecond)
	}
	if n := r.runOnce(t); n != 1 {
		t.Fatalf("sent %d after the platform recovered, want 1", n)
	}
	if got := r.slack.delivered(); !slices.Equal(got, []string{"m1"}) {
		t.Fatalf("delivered %v", got)
	}
	if r.m.get("slack/retry") != 3 {
		t.Fatalf("retry count %d, want 3", r.m.get("slack/retry"))
	}
}

func TestPermanentErrorParksAndLogsNoFreeText(t *testing.T) {
	r := newRig(t, Options{})
	r.q.add(t0, "slack", dm("m1"))
	r.slack.script["m1"] = []error{Permanent(errors.New("slack: user_not_found"))}

	r.runOnce(t)
	st := r.q.state("m1")
	if !st.parked || st.acked {
		t.Fatalf("parked=%v acked=%v, want parked", st.parked, st.acked)
	}
	if !strings.Contains(st.it.LastError, "user_not_found") {
		t.Fatalf("park reason %q does not say why", st.it.LastError)
	}
	r.clock.Advance(24 * time.Hour)
	r.runOnce(t)
	if r.slack.attempts() != 1 {
		t.Fatalf("a parked item was tried again (%d attempts)", r.slack.attempts())
	}
	logs := r.logs.String()
	for _, want := range []string{"id=m1", "target=slack", "kind=reminder", "ref=ESC-2026-0042", "user_not_found"} {
		if !strings.Contains(logs, want) {
			t.Errorf("park log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "Acacia") {
		t.Fatalf("log carries free text:\n%s", logs)
	}
	if r.m.get("slack/parked") != 1 {
		t.Fatalf("parked metric %d", r.m.get("slack/parked"))
	}
}

func TestParkedAfterMaxAttempts(t *testing.T) {
	r := newRig(t, Options{MaxAttempts: 3})
	r.q.add(t0, "slack", dm("m1"))
	fail := errors.New("connection refused")
	r.slack.script["m1"] = []error{fail, fail, fail, fail}
	for range 5 {
		r.runOnce(t)
		r.clock.Advance(time.Hour)
	}
	st := r.q.state("m1")
	if !st.parked || r.slack.attempts() != 3 {
		t.Fatalf("parked=%v after %d attempts, want parked after 3", st.parked, r.slack.attempts())
	}
	if !strings.Contains(st.it.LastError, "failed 3 times") {
		t.Fatalf("park reason %q", st.it.LastError)
	}
}

func TestRateLimitsAreGivenLongerThanFailures(t *testing.T) {
	r := newRig(t, Options{MaxAttempts: 2, MaxRateLimited: 4})
	r.q.add(t0, "slack", dm("m1"))
	limit := &RetryAfter{After: time.Second}
	r.slack.script["m1"] = []error{limit, limit, limit, limit, limit}
	for i := range 3 {
		r.runOnce(t)
		if r.q.state("m1").parked {
			t.Fatalf("parked after %d rate limits; a failure limit of 2 must not apply to 429s", i+1)
		}
		r.clock.Advance(time.Second)
	}
	r.runOnce(t)
	if !r.q.state("m1").parked {
		t.Fatal("not parked after MaxRateLimited attempts")
	}
}

func TestCrashAfterClaimIsRedeliveredAfterLease(t *testing.T) {
	r := newRig(t, Options{Lease: 30 * time.Second})
	r.q.add(t0, "slack", dm("m1"))
	// Another sender claims the item and dies before sending or acknowledging.
	if its, _ := r.q.ClaimOutbox(context.Background(), t0, 10, 30*time.Second); len(its) != 1 {
		t.Fatal("setup: claim failed")
	}
	if n := r.runOnce(t); n != 0 {
		t.Fatal("an item under another sender's lease was delivered")
	}
	r.clock.Advance(29 * time.Second)
	if n := r.runOnce(t); n != 0 {
		t.Fatal("delivered before the lease ran out")
	}
	r.clock.Advance(time.Second)
	if n := r.runOnce(t); n != 1 {
		t.Fatalf("sent %d after the lease, want 1", n)
	}
	if got := r.slack.delivered(); !slices.Equal(got, []string{"m1"}) || !r.q.state("m1").acked {
		t.Fatalf("delivered %v acked=%v", got, r.q.state("m1").acked)
	}
}

func TestNoTransportParksWithReason(t *testing.T) {
	r := newRig(t, Options{})
	r.q.add(t0, "teams", dm("m1"))
	r.q.add(t0, "slack", dm("m2"))
	if n := r.runOnce(t); n != 1 {
		t.Fatalf("sent %d, want the slack one", n)
	}
	st := r.q.state("m1")
	if !st.parked || !strings.Contains(st.it.LastError, `no transport for platform "teams"`) {
		t.Fatalf("parked=%v reason %q", st.parked, st.it.LastError)
	}
}

func TestRateLimitHoldsThePlatformNotOthers(t *testing.T) {
	teams := &scriptTransport{platform: "teams", script: map[string][]error{}}
	r := newRig(t, Options{}, teams)
	for i := range 3 {
		r.q.add(t0, "slack", dm(fmt.Sprintf("s%d", i)))
		r.q.add(t0, "teams", dm(fmt.Sprintf("t%d", i)))
	}
	r.slack.script["s0"] = []error{&RetryAfter{After: 20 * time.Second}}
	if n := r.runOnce(t); n != 3 {
		t.Fatalf("sent %d, want the three teams messages", n)
	}
	if r.slack.attempts() != 1 {
		t.Fatalf("slack was called %d times after it rate-limited us, want 1", r.slack.attempts())
	}
	for _, id := range []string{"s0", "s1", "s2"} {
		if st := r.q.state(id); !st.due.Equal(t0.Add(20 * time.Second)) {
			t.Fatalf("%s due %v, want after Retry-After", id, st.due)
		}
	}
	r.clock.Advance(20 * time.Second)
	if n := r.runOnce(t); n != 3 {
		t.Fatalf("sent %d after Retry-After, want 3", n)
	}
	if got := r.slack.delivered(); !slices.Equal(got, []string{"s0", "s1", "s2"}) {
		t.Fatalf("slack order %v", got)
	}
}

func TestBackoffCapAndJitter(t *testing.T) {
	s := New(&memQueue{}, nil, time.Now, nil, nil, Options{})
	for attempt, want := range map[int]time.Duration{1: 2 * time.Second, 2: 4 * time.Second, 5: 32 * time.Second, 9: 512 * time.Second, 10: 10 * time.Minute, 40: 10 * time.Minute} {
		if got := s.Backoff(attempt); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", attempt, got, want)
		}
	}
	j := New(&memQueue{}, nil, time.Now, nil, nil, Options{Rand: rand.New(rand.NewPCG(1, 2))})
	seen := map[time.Duration]bool{}
	for range 50 {
		d := j.Backoff(4) // 16s before jitter
		if d < 8*time.Second || d > 16*time.Second {
			t.Fatalf("jittered backoff %v outside [8s, 16s]", d)
		}
		seen[d] = true
	}
	if len(seen) < 10 {
		t.Fatalf("jitter produced only %d distinct delays", len(seen))
	}
}

// blockingTransport holds each Send until released.
type blockingTransport struct {
	started chan string
	release chan struct{}
}

func (b *blockingTransport) Platform() string { return "slack" }
func (b *blockingTransport) Send(ctx context.Context, it store.OutboxItem) error {
	b.started <- it.ID
	<-b.release
	return ctx.Err() // an in-flight batch is not cancelled by shutdown
}

func TestRunKickAndGracefulShutdown(t *testing.T) {
	clock := bottest.NewClock(t0)
	q := &memQueue{}
	bt := &blockingTransport{started: make(chan string, 1), release: make(chan struct{})}
	s := New(q, []Transport{bt}, clock.Now, slog.New(slog.DiscardHandler), nil, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.Run(ctx, time.Hour) // the ticker never fires in this test: Kick does the work
		close(done)
	}()

	q.add(t0, "slack", dm("m1"))
	s.Kick()
	s.Kick() // a second kick while one is pending must not block
	if id := <-bt.started; id != "m1" {
		t.Fatalf("started %s", id)
	}
	// Shut down while m1 is being sent: the send finishes and is acknowledged.
	cancel()
	close(bt.release)
	<-done
	if !q.state("m1").acked {
		t.Fatal("the in-flight item was not acknowledged on shutdown")
	}
}

func TestDrainContinuesWhileBatchesAreFull(t *testing.T) {
	r := newRig(t, Options{BatchSize: 2})
	for i := range 5 {
		r.q.add(t0, "slack", dm(fmt.Sprintf("m%d", i)))
	}
	r.s.drain(context.Background())
	if got := r.slack.delivered(); len(got) != 5 {
		t.Fatalf("drain delivered %d of 5", len(got))
	}
}

func TestPermanentWrapping(t *testing.T) {
	base := errors.New("channel_not_found")
	err := fmt.Errorf("post: %w", Permanent(base))
	if !IsPermanent(err) || !errors.Is(err, base) {
		t.Fatal("Permanent must survive wrapping and keep its cause")
	}
	if IsPermanent(base) || Permanent(nil) != nil {
		t.Fatal("only errors marked Permanent are permanent")
	}
}

type fakeClock = bottest.Clock
