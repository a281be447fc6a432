// Package outbox delivers the messages the store's durable outbox holds to
// Slack, Teams and the practice console. It claims due items with a lease,
// hands each to its platform's transport, and acknowledges it only after the
// platform took it, so a crash or an outage delays a message but never loses
// it: an unacknowledged item comes back when its lease runs out, a failed one
// is retried with backoff, a rate-limited one when the platform says, and one
// that can never succeed is parked for an operator.
//
// Each platform has a circuit breaker: after failures in a row it stops
// calling the platform, pauses its items (in the order they were written)
// and probes it with one; the first success puts the backlog back, due at
// once. Trade-off: each sender has its own breaker, so N replicas probe N
// times as often.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/escalate-app/escalate/store"
)

// Transport delivers outbox items to one platform. It renders the neutral
// workflow.Message itself (Block Kit, Adaptive Card, HTML).
//
// Send returns nil when the platform accepted the message, *RetryAfter when
// the platform asked to slow down (HTTP 429 with Retry-After), an error made
// with Permanent when the message can never be delivered (user_not_found,
// channel_not_found), and any other error for a failure worth retrying.
// Exactly once: the sender records a pending marker on the item before it
// calls Send, so an item whose PendingSince is set may already have been
// delivered by an earlier attempt (the process died, or the store failed,
// between the platform's answer and the acknowledgement). A transport must
// then look for the message it may have delivered (by the item's ID, which
// it attaches to what it sends) and record it rather than send it again.
// It calls Reached(ctx, StepAnswered, it) between the platform's answer and
// its own record of it, where tests inject faults.
type Transport interface {
	Platform() string // "slack", "teams", "console"
	Send(ctx context.Context, it store.OutboxItem) error
}

// RetryAfter is the error a transport returns when the platform rate-limits
// it: try again no sooner than After.
type RetryAfter struct {
	After time.Duration
}

func (r *RetryAfter) Error() string {
	return fmt.Sprintf("rate limited: retry after %s", r.After)
}

// permanent marks an error that retrying cannot fix.
type permanent struct{ err error }

func (p *permanent) Error() string { return "permanent: " + p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }

// Permanent marks err as one that will never succeed, so the item is parked
// at once instead of retried.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanent{err: err}
}

// IsPermanent reports whether err (or an error it wraps) was marked with
// Permanent.
func IsPermanent(err error) bool {
	var p *permanent
	return errors.As(err, &p)
}

// Step is a point in one delivery where a fault can strike: the tests
// inject crashes and store failures at each (Options.Fault).
type Step string

const (
	// StepMarked: the pending marker is recorded; the platform is not yet
	// called.
	StepMarked Step = "marked"
	// StepAnswered: the platform took the message; the transport has not
	// yet recorded where it is.
	StepAnswered Step = "answered"
	// StepRecorded: the transport recorded the message; the outbox has not
	// yet acknowledged the item.
	StepRecorded Step = "recorded"
)

// ErrCrash, returned by a Fault, stands for the process dying at that
// step: the sender writes nothing more, for this item or any other, and
// RunOnce returns it. A test then starts a new sender (and adapter) over
// the same store, as a restarted process would.
var ErrCrash = errors.New("outbox: the process stopped (injected crash)")

// Fault is called at every Step of every delivery (tests). An error it
// returns is a failure at that step (a store that did not answer, say);
// ErrCrash is the process dying there.
type Fault func(ctx context.Context, step Step, it store.OutboxItem) error

type faultKey struct{}

// Reached is called by a transport at step (StepAnswered: the platform
// took the message, nothing is recorded yet). It returns the injected
// fault, if any; a transport returns that error as it would a failure of
// its own record.
func Reached(ctx context.Context, step Step, it store.OutboxItem) error {
	if f, ok := ctx.Value(faultKey{}).(Fault); ok && f != nil {
		return f(ctx, step, it)
	}
	return nil
}

// Queue is what the sender needs of the outbox (store.Store implements it).
type Queue interface {
	// ClaimOutbox leases up to limit items due at now; an item not
	// acknowledged, retried or parked within the lease is claimable again.
	ClaimOutbox(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.OutboxItem, error)
	// PendOutbox records that an attempt to deliver a claimed item begins
	// (before the platform is called); it wraps store.ErrClaimLost when
	// the claim is no longer the sender's.
	PendOutbox(ctx context.Context, it store.OutboxItem) (time.Time, error)
	AckOutbox(ctx context.Context, it store.OutboxItem) error
	RetryOutbox(ctx context.Context, it store.OutboxItem, at time.Time, errText string) error
	ParkOutbox(ctx context.Context, it store.OutboxItem, errText string) error
	// DeferOutbox gives an item back unattempted, due at at; seq orders
	// items deferred to the same time.
	DeferOutbox(ctx context.Context, it store.OutboxItem, at time.Time, seq int) error
	// PauseOutbox holds an unattempted item, in enqueue order, while its
	// platform's circuit is open; ResumeOutbox puts up to limit (0: all)
	// back, oldest first.
	PauseOutbox(ctx context.Context, it store.OutboxItem) error
	ResumeOutbox(ctx context.Context, platform string, limit int) (int, error)
}

// Metrics counts delivery attempts by platform and result: "sent", "retry",
// "rate_limited", "parked". bot/metrics implements it; nil means none.
type Metrics interface {
	Delivery(platform, result string)
}

// Options tune the sender; zero values take the defaults.
type Options struct {
	// BatchSize is how many items one claim takes (default 50).
	BatchSize int
	// Lease is how long a claim holds an item before another sender may
	// take it over (default 30s). Items whose lease is nearly spent are left
	// for the next claim rather than sent late, so a slow batch does not
	// deliver an item another sender has already taken over.
	Lease time.Duration
	// SendTimeout bounds one Send (default 10s, never more than half the
	// lease).
	SendTimeout time.Duration
	// MaxAttempts is how many failed attempts park an item (default 10).
	MaxAttempts int
	// MaxRateLimited is how many attempts park an item that keeps being
	// rate-limited (default 5×MaxAttempts): a 429 means the platform is up
	// and will take the message, so it is given much longer.
	MaxRateLimited int
	// BackoffBase is the delay after the first failure (default 2s); it
	// doubles with every attempt up to BackoffMax (default 10m).
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Rand adds jitter to backoff (a delay between half and all of the
	// computed one), so senders that failed together do not retry together.
	// nil means no jitter (tests).
	Rand *rand.Rand
	// Fault, when set, is called at every step of every delivery (tests
	// inject crashes and store failures with it).
	Fault Fault
	// BreakerThreshold is how many failures in a row (5xx, timeouts,
	// 429s) open a platform's circuit (default 5); BreakerCooldown how
	// long it first stays open before a probe (default 1s), doubling
	// after each failed probe up to BreakerMaxCooldown (default 4s).
	BreakerThreshold   int
	BreakerCooldown    time.Duration
	BreakerMaxCooldown time.Duration
}

func (o Options) withDefaults() Options {
	if o.BatchSize <= 0 {
		o.BatchSize = 50
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 10 * time.Second
	}
	o.SendTimeout = min(o.SendTimeout, o.Lease/2)
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.MaxRateLimited <= 0 {
		o.MaxRateLimited = 5 * o.MaxAttempts
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 2 * time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 10 * time.Minute
	}
	if o.BreakerThreshold <= 0 {
		o.BreakerThreshold = 5
	}
	if o.BreakerCooldown <= 0 {
		o.BreakerCooldown = time.Second
	}
	if o.BreakerMaxCooldown <= 0 {
		o.BreakerMaxCooldown = 4 * time.Second
	}
	return o
}

// maxErrText bounds the error text kept with an item.
const maxErrText = 500

// Sender drains the outbox. Several senders (one per replica) may run over
// one store: the claim's lease gives each item to one of them at a time.
type Sender struct {
	q          Queue
	transports map[string]Transport
	now        func() time.Time
	log        *slog.Logger
	metrics    Metrics
	opts       Options
	kick       chan struct{}

	randMu sync.Mutex // rand.Rand is not safe for concurrent use

	// dead is set once an injected crash stopped this sender: it writes
	// nothing more, as a process that died would not.
	dead atomic.Bool

	brMu     sync.Mutex
	breakers map[string]*breaker // by platform
	resumed  atomic.Bool         // a paused backlog was put back: drain on
}

// breaker is a platform's circuit breaker.
func (s *Sender) breaker(platform string) *breaker {
	s.brMu.Lock()
	defer s.brMu.Unlock()
	if s.breakers == nil {
		s.breakers = map[string]*breaker{}
	}
	b, ok := s.breakers[platform]
	if !ok {
		b = &breaker{threshold: s.opts.BreakerThreshold, cooldown: s.opts.BreakerCooldown, maxCooldown: s.opts.BreakerMaxCooldown}
		s.breakers[platform] = b
	}
	return b
}

// conversation names where an item goes, for keeping order: a person's
// DMs, or the feed.
func conversation(it store.OutboxItem) string {
	if it.Message.Feed || it.Message.To == "" {
		return "feed"
	}
	return string(it.Message.To)
}

// New builds a sender. now is the clock; log and m may be nil.
func New(q Queue, transports []Transport, now func() time.Time, log *slog.Logger, m Metrics, opts Options) *Sender {
	if log == nil {
		log = slog.Default()
	}
	ts := make(map[string]Transport, len(transports))
	for _, t := range transports {
		ts[t.Platform()] = t
	}
	return &Sender{q: q, transports: ts, now: now, log: log, metrics: m, opts: opts.withDefaults(), kick: make(chan struct{}, 1)}
}

// Kick wakes Run early, e.g. right after a commit enqueued messages. It
// never blocks: kicks while one is pending merge into it.
func (s *Sender) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run drains the outbox every interval (and whenever kicked) until ctx is
// done. On shutdown the batch in flight is finished — its sends are given
// up to one lease — so nothing claimed is left waiting for its lease to run
// out.
func (s *Sender) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
	}
}

// drain runs batches while they come back full, so a backlog clears
// without waiting for the ticker.
func (s *Sender) drain(ctx context.Context) {
	for ctx.Err() == nil {
		// The batch is not cancelled with ctx: once claimed, its items are
		// finished (bounded by the lease) rather than abandoned mid-send.
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.Lease)
		r, err := s.runOnce(bctx)
		cancel()
		if err != nil {
			s.log.ErrorContext(ctx, "outbox: deliver", "err", err)
			return
		}
		if r.claimed < s.opts.BatchSize && !s.resumed.Swap(false) {
			return
		}
	}
}

// RunOnce claims one batch of due items and delivers it. sent is how many
// the platforms accepted; err reports a failure to claim or to record an
// outcome (an item whose outcome was not recorded comes back after its
// lease).
func (s *Sender) RunOnce(ctx context.Context) (sent int, err error) {
	r, err := s.runOnce(ctx)
	return r.sent, err
}

// batchResult is one batch's counts: drain goes on while batches come back
// full.
type batchResult struct {
	claimed, sent int
}

// runOnce is RunOnce returning the batch size too, for drain.
func (s *Sender) runOnce(ctx context.Context) (batchResult, error) {
	if s.dead.Load() {
		return batchResult{}, ErrCrash
	}
	claimedAt := s.now()
	if err := s.probe(ctx, claimedAt); err != nil {
		return batchResult{}, fmt.Errorf("probe: %w", err)
	}
	items, err := s.q.ClaimOutbox(ctx, claimedAt, s.opts.BatchSize, s.opts.Lease)
	if err != nil {
		return batchResult{}, fmt.Errorf("claim outbox items: %w", err)
	}
	if len(items) == 0 {
		return batchResult{}, nil
	}
	// One goroutine per platform: Slack being slow or down does not hold up
	// Teams, and each platform still gets its items in order.
	groups := map[string][]store.OutboxItem{}
	var order []string
	for _, it := range items {
		if _, ok := groups[it.Target]; !ok {
			order = append(order, it.Target)
		}
		groups[it.Target] = append(groups[it.Target], it)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		res  = batchResult{claimed: len(items)}
		errs []error
	)
	for _, target := range order {
		wg.Add(1)
		go func(target string, its []store.OutboxItem) {
			defer wg.Done()
			n, err := s.deliver(ctx, target, its, claimedAt)
			mu.Lock()
			defer mu.Unlock()
			res.sent += n
			if err != nil {
				errs = append(errs, err)
			}
		}(target, groups[target])
	}
	wg.Wait()
	if s.dead.Load() {
		return res, ErrCrash
	}
	return res, errors.Join(errs...)
}

// fault runs the injected fault at step; a crash kills the sender.
func (s *Sender) fault(ctx context.Context, step Step, it store.OutboxItem) error {
	if s.opts.Fault == nil {
		return nil
	}
	err := s.opts.Fault(ctx, step, it)
	if errors.Is(err, ErrCrash) {
		s.dead.Store(true)
	}
	return err
}

// deliver sends one platform's items in order.
func (s *Sender) deliver(ctx context.Context, target string, items []store.OutboxItem, claimedAt time.Time) (int, error) {
	tr, ok := s.transports[target]
	var errs []error
	sent := 0
	var limitedUntil time.Time // set once the platform rate-limits us
	br := s.breaker(target)
	// Oldest first: deferrals can leave a batch's scores out of the order
	// the messages were written in, and each conversation keeps that order.
	slices.SortStableFunc(items, func(a, b store.OutboxItem) int { return a.EnqueuedAt.Compare(b.EnqueuedAt) })
	for _, it := range items {
		if !ok {
			errs = append(errs, s.park(ctx, it, fmt.Sprintf("no transport for platform %q (is it configured?)", target)))
			continue
		}
		now := s.now()
		if allowed, _, _ := br.allow(now); !allowed {
			// The circuit is open: the platform is not called; the item
			// waits with the platform's paused backlog, in the order it
			// was written, for the probe.
			errs = append(errs, s.pause(ctx, it))
			continue
		}
		if at, seq, wait := br.heldUntil(conversation(it), it.ID, now, s.opts.Lease); wait {
			// An earlier message to the same conversation is due again
			// later: this one goes after it.
			if err := s.q.DeferOutbox(ctx, it, at, seq); err != nil {
				errs = append(errs, fmt.Errorf("defer %s: %w", it.ID, err))
			}
			continue
		}
		if !limitedUntil.IsZero() {
			// The platform asked us to wait: the rest of its batch waits
			// too, in order, without another request that would only be
			// refused (and without counting an attempt it did not make).
			s.count(target, "rate_limited")
			br.hold(conversation(it), it.ID, limitedUntil)
			if err := s.q.DeferOutbox(ctx, it, limitedUntil, br.next()); err != nil {
				errs = append(errs, fmt.Errorf("defer %s: %w", it.ID, err))
			}
			continue
		}
		if now.Sub(claimedAt) > s.opts.Lease-s.opts.SendTimeout {
			// Not enough lease left to send and acknowledge safely: leave it
			// unacknowledged and it is claimed afresh when the lease ends.
			continue
		}
		// The pending marker goes first: once the platform may have the
		// message, every later attempt looks for it before sending.
		if _, err := s.q.PendOutbox(ctx, it); err != nil {
			if !errors.Is(err, store.ErrClaimLost) {
				// Not sent, and nothing to record it with: it comes
				// back when its lease ends.
				errs = append(errs, fmt.Errorf("mark %s pending: %w", it.ID, err))
			}
			continue
		}
		if err := s.fault(ctx, StepMarked, it); err != nil {
			if s.dead.Load() {
				return sent, nil
			}
			at, ferr := s.failed(ctx, it, err, &limitedUntil, nil)
			errs = append(errs, ferr)
			if !at.IsZero() {
				br.hold(conversation(it), it.ID, at)
			}
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, s.opts.SendTimeout)
		if s.opts.Fault != nil {
			sctx = context.WithValue(sctx, faultKey{}, s.opts.Fault)
		}
		err := tr.Send(sctx, it)
		cancel()
		if errors.Is(err, ErrCrash) {
			s.dead.Store(true)
		}
		if s.dead.Load() {
			return sent, nil
		}
		if err == nil {
			if br.success() {
				// A probe went through: the platform is back, and its
				// paused backlog is due at once, oldest first.
				if _, rerr := s.q.ResumeOutbox(ctx, target, 0); rerr != nil {
					errs = append(errs, rerr)
				}
				s.resumed.Store(true)
			}
			sent++
			s.count(target, "sent")
			if ferr := s.fault(ctx, StepRecorded, it); ferr != nil {
				if s.dead.Load() {
					return sent, nil
				}
				errs = append(errs, fmt.Errorf("acknowledge %s: %w", it.ID, ferr))
				continue
			}
			if aerr := s.q.AckOutbox(ctx, it); aerr != nil {
				errs = append(errs, fmt.Errorf("acknowledge %s: %w", it.ID, aerr))
			}
			continue
		}
		at, ferr := s.failed(ctx, it, err, &limitedUntil, br)
		errs = append(errs, ferr)
		if !at.IsZero() {
			br.hold(conversation(it), it.ID, at)
		}
	}
	return sent, errors.Join(errs...)
}

// attempt is the number of this attempt: the item's failed attempts so
// far, plus this one.
func attempt(it store.OutboxItem) int { return it.Attempts + 1 }

// failed records a failed send: parked, rescheduled after the platform's
// Retry-After, or retried with backoff. A failure the platform may get
// over (not a permanent one) counts against its circuit breaker (br; nil
// for a failure that was not the platform's). It returns when the item is
// due again (zero when parked), so later messages to the same
// conversation wait until after it.
func (s *Sender) failed(ctx context.Context, it store.OutboxItem, err error, limitedUntil *time.Time, br *breaker) (time.Time, error) {
	now := s.now()
	text := errText(err)
	var ra *RetryAfter
	switch {
	case IsPermanent(err):
		return time.Time{}, s.park(ctx, it, text)
	case errors.As(err, &ra):
		if br != nil {
			br.failure(now, ra.After)
		}
		if attempt(it) >= s.opts.MaxRateLimited {
			return time.Time{}, s.park(ctx, it, fmt.Sprintf("still rate limited after %d attempts: %s", attempt(it), text))
		}
		*limitedUntil = now.Add(max(ra.After, time.Second))
		return *limitedUntil, s.retry(ctx, it, *limitedUntil, text, "rate_limited")
	}
	if br != nil && br.failure(now, 0) {
		// The circuit is open (this failure opened it, or a probe
		// failed): the platform is down, not this message, so it waits
		// with the paused backlog, in its place, without an attempt
		// counted.
		return time.Time{}, s.pause(ctx, it)
	}
	if attempt(it) >= s.opts.MaxAttempts {
		return time.Time{}, s.park(ctx, it, fmt.Sprintf("failed %d times: %s", attempt(it), text))
	}
	at := now.Add(s.Backoff(attempt(it)))
	return at, s.retry(ctx, it, at, text, "retry")
}

func (s *Sender) pause(ctx context.Context, it store.OutboxItem) error {
	s.count(it.Target, "circuit_open")
	if err := s.q.PauseOutbox(ctx, it); err != nil {
		return fmt.Errorf("pause %s: %w", it.ID, err)
	}
	return nil
}

// probe puts one paused item back for each platform whose circuit is due
// to be probed.
func (s *Sender) probe(ctx context.Context, now time.Time) error {
	s.brMu.Lock()
	var due []string
	for p, b := range s.breakers {
		if b.probeDue(now) {
			due = append(due, p)
		}
	}
	s.brMu.Unlock()
	var errs []error
	for _, p := range due {
		n, err := s.q.ResumeOutbox(ctx, p, 1)
		if err != nil {
			errs = append(errs, err)
		}
		if n == 0 && err == nil {
			// Nothing waits: the next message is the probe.
			s.breaker(p).success()
		}
	}
	return errors.Join(errs...)
}

func (s *Sender) retry(ctx context.Context, it store.OutboxItem, at time.Time, text, result string) error {
	s.count(it.Target, result)
	s.log.WarnContext(ctx, "outbox: delivery postponed", s.attrs(it, text, "retry_at", at)...)
	if err := s.q.RetryOutbox(ctx, it, at, text); err != nil {
		return fmt.Errorf("reschedule %s: %w", it.ID, err)
	}
	return nil
}

func (s *Sender) park(ctx context.Context, it store.OutboxItem, text string) error {
	s.count(it.Target, "parked")
	s.log.ErrorContext(ctx, "outbox: message parked for an operator", s.attrs(it, text)...)
	if err := s.q.ParkOutbox(ctx, it, text); err != nil {
		return fmt.Errorf("park %s: %w", it.ID, err)
	}
	return nil
}

// attrs describe an item for the log: identifiers only, never the
// message's title, lines or recipient's words.
func (s *Sender) attrs(it store.OutboxItem, text string, more ...any) []any {
	return append([]any{"id", it.ID, "target", it.Target, "kind", it.Message.Kind, "ref", it.Message.Ref, "attempt", attempt(it), "err", text}, more...)
}

func (s *Sender) count(platform, result string) {
	if s.metrics != nil {
		s.metrics.Delivery(platform, result)
	}
}

// Backoff is the delay after the given failed attempt (1-based): BackoffBase
// doubled per attempt, capped at BackoffMax, with jitter when Rand is set.
func (s *Sender) Backoff(attempt int) time.Duration {
	d := s.opts.BackoffBase
	for i := 1; i < attempt && d < s.opts.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, s.opts.BackoffMax)
	if s.opts.Rand != nil {
		s.randMu.Lock()
		d = d/2 + time.Duration(s.opts.Rand.Int64N(int64(d/2)+1))
		s.randMu.Unlock()
	}
	return d
}

func errText(err error) string {
	t := err.Error()
	if len(t) > maxErrText {
		t = t[:maxErrText] + "…"
	}
	return t
}
