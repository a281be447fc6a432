package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// AuditReport says what one audit found.
type AuditReport struct {
	Open     int              // open cases checked
	Repaired []workflow.Timer // timers that were missing and were put back
	// Outbox health at the time of the audit.
	OutboxDepth  int64
	OutboxOldest time.Duration
	OutboxParked int64
	// OutboxStalled: the oldest waiting message is older than
	// Options.OutboxStall, so the sender is not keeping up (or not running).
	OutboxStalled bool
}

// Audit checks that every open case has the timers its stage needs — the
// lapse of its current stage and StageVersion (and the reminder while it is
// still ahead), or the daily prompt once lapsed — and puts back any that are
// missing (a timer lost to an operator's mistake or a restored backup would
// otherwise leave a case that nobody is ever reminded of). Repairs are safe
// even if they race a transition: a timer set for a stage the case has left
// is refused by the workflow as stale, and one for a lapse that already
// happened is refused as already lapsed. It also checks the outbox is
// draining.
func (s *Scheduler) Audit(ctx context.Context) (AuditReport, error) {
	now := s.now()
	var rep AuditReport
	refs, err := s.store.OpenRefs(ctx)
	if err != nil {
		return rep, fmt.Errorf("audit: list open cases: %w", err)
	}
	var errs []error
	for chunk := range slices.Chunk(refs, readChunk) {
		ds, err := s.store.Disputes(ctx, chunk)
		if err != nil {
			errs = append(errs, fmt.Errorf("audit: read %d cases: %w", len(chunk), err))
			continue
		}
		missing, err := s.missingTimers(ctx, ds, now, &rep)
		errs = append(errs, err)
		if len(missing) == 0 {
			continue
		}
		if err := s.store.SetTimers(ctx, missing); err != nil {
			errs = append(errs, fmt.Errorf("audit: repair %d timers: %w", len(missing), err))
			continue
		}
		rep.Repaired = append(rep.Repaired, missing...)
		for _, t := range missing {
			s.log.WarnContext(ctx, "auditor: repaired a missing timer", "ref", t.Ref, "kind", t.Kind, "stage", t.Stage, "due", t.Due)
		}
	}
	if s.metrics != nil {
		byKind := map[workflow.TimerKind]int{}
		for _, t := range rep.Repaired {
			byKind[t.Kind]++
		}
		for k, n := range byKind {
			s.metrics.Repaired("timer_"+string(k), n)
		}
	}

	depth, oldest, parked, err := s.store.OutboxStats(ctx, now)
	if err != nil {
		errs = append(errs, fmt.Errorf("audit: outbox stats: %w", err))
	} else {
		rep.OutboxDepth, rep.OutboxOldest, rep.OutboxParked = depth, oldest, parked
		if depth > 0 && oldest > s.opts.OutboxStall {
			rep.OutboxStalled = true
			s.log.WarnContext(ctx, "auditor: the outbox is not draining", "depth", depth, "oldest", oldest.Round(time.Second).String(), "parked", parked)
		}
		if parked > 0 {
			s.log.WarnContext(ctx, "auditor: messages are parked, waiting for an operator", "parked", parked)
		}
	}
	s.log.InfoContext(ctx, "auditor: done", "open", rep.Open, "repaired", len(rep.Repaired), "outbox_depth", depth)
	return rep, errors.Join(errs...)
}

// missingTimers reads the timers of each open case (several cases at once)
// and returns the ones its stage needs but does not have.
func (s *Scheduler) missingTimers(ctx context.Context, ds []*workflow.Dispute, now time.Time, rep *AuditReport) ([]workflow.Timer, error) {
	var (
		mu      sync.Mutex
		missing []workflow.Timer
		errs    []error
		wg      sync.WaitGroup
		work    = make(chan *workflow.Dispute)
	)
	for range s.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range work {
				want := workflow.StageTimers(s.cal, d, s.env.Policy, now)
				have, err := s.store.Timers(ctx, d.Ref)
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("audit: timers of a case: %w", err))
				} else {
					for _, w := range want {
						if !slices.ContainsFunc(have, func(h workflow.Timer) bool {
							return h.Kind == w.Kind && h.Stage == w.Stage && h.StageVersion == w.StageVersion
						}) {
							missing = append(missing, w)
						}
					}
				}
				mu.Unlock()
			}
		}()
	}
	for _, d := range ds {
		if d == nil || d.State.Closed() {
			continue
		}
		rep.Open++
		work <- d
	}
	close(work)
	wg.Wait()
	slices.SortFunc(missing, func(a, b workflow.Timer) int { return a.Due.Compare(b.Due) })
	return missing, errors.Join(errs...)
}
