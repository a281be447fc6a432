// Package scheduler runs Escalate's clock: it fires the workflow's timers
// (reminders before a window closes, the lapse when it closes, the daily
// prompt after), sends the business team's daily digest, and audits that
// every open case has the timers its stage needs. Everything happens on the
// partnership's working-day clock: nobody is nudged at night, at a weekend
// or on a bank holiday.
//
// Tick is the unit of work; cron (see Run) only calls it, so tests drive it
// directly with a fake clock. Several schedulers may run over one store: the
// store's timer claims are leased, and the workflow refuses a timer that
// outlived its stage, so each reminder is sent once and a replica killed
// mid-tick loses nothing.
package scheduler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// Store is what the scheduler needs of persistence (store.Store implements it).
type Store interface {
	ClaimDueTimers(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.ClaimedTimer, error)
	AckTimers(ctx context.Context, ts []store.ClaimedTimer) error
	DeferTimer(ctx context.Context, t store.ClaimedTimer, due time.Time) error
	SetTimers(ctx context.Context, timers []workflow.Timer) error
	ChangedOpen(ctx context.Context, limit int) (refs []string, upTo float64, err error)
	CheckedChanged(ctx context.Context, upTo float64) error
	SweepOpen(ctx context.Context, n int) (refs []string, open int64, err error)
	CaseTimers(ctx context.Context, refs []string) (map[string][]workflow.Timer, error)
	Disputes(ctx context.Context, refs []string) ([]*workflow.Dispute, error)
	DigestIndex(ctx context.Context, stages []store.StageOf, now, since time.Time, limit int) (store.DigestIndex, error)
	Enqueue(ctx context.Context, msgs []workflow.Message) error
	Once(ctx context.Context, key string, ttl time.Duration) (first bool, err error)
	SetRef(ctx context.Context, kind, key, value string) error
	GetRef(ctx context.Context, kind, key string) (string, bool, error)
	OutboxStats(ctx context.Context, now time.Time) (depth int64, oldest time.Duration, parked int64, err error)
}

// Runner runs a due timer's command (engine.Engine implements it). A timer
// that outlived its stage, or whose case closed, returns nil, nil.
type Runner interface {
	RunTimer(ctx context.Context, t workflow.Timer) (*workflow.Result, error)
}

// Calendar is the working-day clock (workflow/calendar implements it).
type Calendar interface {
	workflow.Calendar
	IsWorkingDay(t time.Time) bool
	// WorkingDaysBetween is the working time between two instants, in
	// working days (fractional).
	WorkingDaysBetween(a, b time.Time) float64
}

// Metrics counts auditor repairs by kind ("timer_lapse", "timer_prompt",
// "timer_remind"); bot/metrics implements it. nil means none.
type Metrics interface {
	Repaired(kind string, n int)
}

// Options tune the scheduler; zero values take the defaults.
type Options struct {
	// Tick is how often cron calls Tick (default 30s).
	Tick time.Duration
	// AuditEvery is how often cron calls Audit (default 10m). One audit
	// checks the cases changed since the last (up to AuditChanged, default
	// 20,000) and the next AuditSweep (default 5,000) of a slow sweep over
	// every open case.
	AuditEvery   time.Duration
	AuditChanged int
	AuditSweep   int
	// DigestAt is the time of day, on the calendar's clock, of the daily
	// digest (default 09:00). DigestOff turns the digest off.
	DigestAt  time.Duration
	DigestOff bool
	// Batch is how many timers one claim takes (default 200); a tick claims
	// again while batches come back full, up to MaxPerTick (default 20,000).
	Batch      int
	MaxPerTick int
	// Lease is how long a claim holds a timer (default 2m): a scheduler that
	// dies mid-tick has its claims taken over when they run out. Timers
	// whose lease is nearly spent are left for that rather than run late.
	Lease time.Duration
	// Workers run timers of different cases at once (default 4); one case's
	// timers always run in order of due time, by one worker.
	Workers int
	// RetryDelay is how long a timer that failed (Redis unreachable, say)
	// waits before it is tried again (default 1m).
	RetryDelay time.Duration
	// OutboxStall is the age of the oldest waiting message above which the
	// auditor warns that the outbox is not draining (default 15m).
	OutboxStall time.Duration
	// AfterTick is called after a tick that committed something, so the
	// outbox sender can be woken (outbox.Sender.Kick); nil means none.
	AfterTick func()
}

func (o Options) withDefaults() Options {
	if o.Tick <= 0 {
		o.Tick = 30 * time.Second
	}
	if o.AuditEvery <= 0 {
		o.AuditEvery = 10 * time.Minute
	}
	if o.AuditChanged <= 0 {
		o.AuditChanged = 20000
	}
	if o.AuditSweep <= 0 {
		o.AuditSweep = 5000
	}
	if o.DigestAt <= 0 {
		o.DigestAt = 9 * time.Hour
	}
	if o.Batch <= 0 {
		o.Batch = 200
	}
	if o.MaxPerTick <= 0 {
		o.MaxPerTick = 20000
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Minute
	}
	if o.OutboxStall <= 0 {
		o.OutboxStall = 15 * time.Minute
	}
	return o
}

// Scheduler fires timers, sends the digest and audits timers.
type Scheduler struct {
	store   Store
	run     Runner
	env     workflow.Env
	cal     Calendar
	now     func() time.Time
	log     *slog.Logger
	metrics Metrics
	opts    Options

	tickMu sync.Mutex // one tick's timers at a time (cron and the practice console both call Tick)
	// digestMu guards the digest, which is built after the tick's timers
	// and outside tickMu, so a digest never holds up the next tick's timers.
	// digestDay is the calendar date whose digest this instance knows is
	// done (sent by it or by another replica), so later ticks that day cost
	// nothing.
	digestMu  sync.Mutex
	digestDay string
}

// New builds a scheduler. env is the workflow environment (its Policy and
// Directory feed the digest and the auditor); cal must be env's calendar.
func New(s Store, r Runner, env workflow.Env, cal Calendar, now func() time.Time, log *slog.Logger, m Metrics, opts Options) *Scheduler {
	if log == nil {
		log = slog.Default()
	}
	return &Scheduler{store: s, run: r, env: env, cal: cal, now: now, log: log, metrics: m, opts: opts.withDefaults()}
}

// TickReport says what one tick did.
type TickReport struct {
	Ran      int  // timers whose command ran (or was found stale and dropped)
	Deferred int  // timers put off to the next working start
	Failed   int  // timers that failed and will be retried
	Digest   bool // this tick enqueued the daily digest
}

// Tick fires every due timer and sends the daily digest if its time has
// come. It is what cron calls every Options.Tick.
func (s *Scheduler) Tick(ctx context.Context) error {
	_, err := s.TickReport(ctx)
	return err
}

// TickReport is Tick, saying what it did.
func (s *Scheduler) TickReport(ctx context.Context) (TickReport, error) {
	var rep TickReport
	s.tickMu.Lock()
	errTimers := s.fireDue(ctx, &rep)
	s.tickMu.Unlock()
	s.digestMu.Lock()
	sent, errDigest := s.digestIfDue(ctx, s.now())
	s.digestMu.Unlock()
	rep.Digest = sent
	if (rep.Ran > 0 || sent) && s.opts.AfterTick != nil {
		s.opts.AfterTick()
	}
	return rep, errors.Join(errTimers, errDigest)
}

// fireDue claims due timers batch by batch and runs them. Each batch is
// claimed at the clock's time then, so its lease is measured from its own
// claim however long the tick has been running.
func (s *Scheduler) fireDue(ctx context.Context, rep *TickReport) error {
	var errs []error
	for claimed := 0; claimed < s.opts.MaxPerTick; {
		now := s.now()
		limit := min(s.opts.Batch, s.opts.MaxPerTick-claimed)
		batch, err := s.store.ClaimDueTimers(ctx, now, limit, s.opts.Lease)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("claim due timers: %w", err))...)
		}
		claimed += len(batch)
		if len(batch) == 0 {
			break
		}
		if !s.cal.IsWorkingTime(now) {
			// Outside working hours (at night, after downtime, on a bank
			// holiday) a timer waits for the next working morning.
			errs = append(errs, s.deferAll(ctx, batch, s.cal.NextWorkingStart(now), rep))
		} else {
			errs = append(errs, s.runBatch(ctx, now, batch, rep))
		}
		if len(batch) < limit {
			break
		}
	}
	return errors.Join(errs...)
}

func (s *Scheduler) deferAll(ctx context.Context, batch []store.ClaimedTimer, to time.Time, rep *TickReport) error {
	var errs []error
	for _, t := range batch {
		if err := s.store.DeferTimer(ctx, t, to); err != nil {
			errs = append(errs, fmt.Errorf("defer timer %s: %w", t.ID(), err))
			continue
		}
		rep.Deferred++
	}
	return errors.Join(errs...)
}

// runBatch runs a batch's timers. After downtime one case may have several
// due (its reminder and its lapse): they run in order of due time, so the
// stale reminder is refused before the lapse is sent. With a BatchRunner
// the batch goes in rounds (the first timer of every case, then the second
// of those that have one, …), each round read and committed in two round
// trips; otherwise workers run the cases' timers one by one. Either way the
// timers that ran are acknowledged together, in one round trip.
func (s *Scheduler) runBatch(ctx context.Context, claimedAt time.Time, batch []store.ClaimedTimer, rep *TickReport) error {
	slices.SortStableFunc(batch, func(a, b store.ClaimedTimer) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)))
	})
	var refs []string
	byRef := map[string][]store.ClaimedTimer{}
	for _, t := range batch {
		if _, ok := byRef[t.Ref]; !ok {
			refs = append(refs, t.Ref)
		}
		byRef[t.Ref] = append(byRef[t.Ref], t)
	}
	var (
		mu   sync.Mutex
		errs []error
		done []store.ClaimedTimer
	)
	record := func(t store.ClaimedTimer, o outcome, err error) {
		mu.Lock()
		defer mu.Unlock()
		switch o {
		case fired:
			rep.Ran++
			done = append(done, t)
		case failed:
			rep.Failed++
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if br, ok := s.run.(BatchRunner); ok {
		for round := 0; ; round++ {
			var ts []store.ClaimedTimer
			for _, ref := range refs {
				if round < len(byRef[ref]) {
					ts = append(ts, byRef[ref][round])
				}
			}
			if len(ts) == 0 || s.leaseSpent(claimedAt) {
				break
			}
			plain := make([]workflow.Timer, len(ts))
			for i, t := range ts {
				plain[i] = t.Timer
			}
			for i, r := range br.RunTimers(ctx, plain) {
				o, err := s.fire(ctx, claimedAt, ts[i], &r)
				record(ts[i], o, err)
			}
		}
	} else {
		work := make(chan string)
		var wg sync.WaitGroup
		for range min(s.opts.Workers, len(refs)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ref := range work {
					for _, t := range byRef[ref] {
						o, err := s.fire(ctx, claimedAt, t, nil)
						record(t, o, err)
					}
				}
			}()
		}
		for _, ref := range refs {
			work <- ref
		}
		close(work)
		wg.Wait()
	}
	if err := s.store.AckTimers(ctx, done); err != nil {
		// Left claimed: they come back when the lease runs out, and their
		// commands, run again, are recognised as done (idempotency keys).
		errs = append(errs, fmt.Errorf("acknowledge %d timers: %w", len(done), err))
	}
	return errors.Join(errs...)
}

// BatchRunner runs several due timers of different cases at once, each
// as RunTimer would (engine.Engine implements it).
type BatchRunner interface {
	Runner
	RunTimers(ctx context.Context, ts []workflow.Timer) []engine.TimerRun
}

var _ BatchRunner = (*engine.Engine)(nil)

// leaseSpent: the claim made at claimedAt is nearly spent, so another
// scheduler may take its timers over any moment. They are left to that
// rather than both running them.
func (s *Scheduler) leaseSpent(claimedAt time.Time) bool {
	return s.now().Sub(claimedAt) > s.opts.Lease*3/4
}

// kindOrder breaks ties in due time: a reminder before a lapse.
func kindOrder(k workflow.TimerKind) int {
	switch k {
	case workflow.TimerRemind:
		return 0
	case workflow.TimerLapse:
		return 1
	}
	return 2
}

type outcome int

const (
	fired outcome = iota
	failed
	leftForLease
)

// conflictRetries is how often a timer is retried when a person acted on
// the case at the same instant: the command is re-evaluated against the new
// state, which may make it stale.
const conflictRetries = 3

// fire runs one claimed timer and says what became of it; a timer that
// fired is the caller's to acknowledge. first, when given, is the outcome
// of its first run (in a batch).
func (s *Scheduler) fire(ctx context.Context, claimedAt time.Time, t store.ClaimedTimer, first *engine.TimerRun) (outcome, error) {
	if first == nil && s.leaseSpent(claimedAt) {
		return leftForLease, nil
	}
	for attempt := 0; ; attempt++ {
		var err error
		if attempt == 0 && first != nil {
			err = first.Err
		} else {
			_, err = s.run.RunTimer(ctx, t.Timer)
		}
		var refusal *workflow.Refusal
		switch {
		case err == nil, errors.Is(err, engine.ErrDuplicate):
			// Done, or done before (a replica committed it and died
			// before acknowledging).
		case errors.Is(err, engine.ErrConflict) && attempt < conflictRetries:
			continue
		case errors.As(err, &refusal):
			// The workflow will refuse it again every time: drop it, and
			// say so (the auditor puts back what the case really needs).
			s.log.WarnContext(ctx, "scheduler: timer refused", "ref", t.Ref, "kind", t.Kind, "stage", t.Stage, "code", refusal.Code)
		default:
			s.log.ErrorContext(ctx, "scheduler: timer failed; will retry", "ref", t.Ref, "kind", t.Kind, "stage", t.Stage, "err", err)
			if derr := s.store.DeferTimer(ctx, t, s.now().Add(s.opts.RetryDelay)); derr != nil {
				// Left claimed: it comes back when the lease runs out.
				return failed, fmt.Errorf("run timer %s: %w (and defer it: %v)", t.ID(), err, derr)
			}
			return failed, fmt.Errorf("run timer %s: %w", t.ID(), err)
		}
		return fired, nil
	}
}
