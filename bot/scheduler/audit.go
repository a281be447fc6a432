package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// AuditReport says what one audit found.
type AuditReport struct {
	// Open is how many cases are open; Checked how many of them this
	// audit checked: those changed since the last audit (Changed) and the
	// next slice of the slow sweep over the rest (Swept).
	Open     int
	Checked  int
	Changed  int
	Swept    int
	Repaired []workflow.Timer // timers that were missing and were put back
	// Outbox health at the time of the audit.
	OutboxDepth  int64
	OutboxOldest time.Duration
	OutboxParked int64
	// OutboxStalled: the oldest waiting message is older than
	// Options.OutboxStall, so the sender is not keeping up (or not running).
	OutboxStalled bool
}

// Audit checks that open cases have the timers their stage needs — the
// lapse of the current stage and StageVersion (and the reminder while it
// is still ahead), or the daily prompt once lapsed — and puts back any that
// are missing (a timer lost to an operator's mistake or a restored backup
// would otherwise leave a case that nobody is ever reminded of). Repairs
// are safe even if they race a transition: a timer set for a stage the case
// has left is refused by the workflow as stale, and one for a lapse that
// already happened is refused as already lapsed. It also checks the outbox
// is draining.
//
// Its cost is that of what changed, not of what is open: it checks the
// cases changed since it last ran (up to Options.AuditChanged; the rest
// next time) and the next Options.AuditSweep cases of a slow sweep over
// all open cases, which finds a timer lost from a case nobody touched.
// With up to AuditSweep cases open every audit checks every case; beyond
// that the sweep comes round every open/AuditSweep audits.
func (s *Scheduler) Audit(ctx context.Context) (AuditReport, error) {
	now := s.now()
	var rep AuditReport
	changed, upTo, err := s.store.ChangedOpen(ctx, s.opts.AuditChanged)
	if err != nil {
		return rep, fmt.Errorf("audit: list changed cases: %w", err)
	}
	swept, open, err := s.store.SweepOpen(ctx, s.opts.AuditSweep)
	if err != nil {
		return rep, fmt.Errorf("audit: sweep open cases: %w", err)
	}
	rep.Open, rep.Changed = int(open), len(changed)
	refs := slices.Clone(changed)
	seen := make(map[string]bool, len(changed)+len(swept))
	for _, r := range changed {
		seen[r] = true
	}
	for _, r := range swept {
		if !seen[r] {
			seen[r] = true
			refs = append(refs, r)
			rep.Swept++
		}
	}
	var errs []error
	for chunk := range slices.Chunk(refs, readChunk) {
		missing, err := s.missingTimers(ctx, chunk, now, &rep)
		if err != nil {
			errs = append(errs, err)
			continue
		}
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
	if len(errs) == 0 {
		// Checked: the next audit starts from what changes after these.
		if err := s.store.CheckedChanged(ctx, upTo); err != nil {
			errs = append(errs, fmt.Errorf("audit: %w", err))
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
	s.log.InfoContext(ctx, "auditor: done", "open", rep.Open, "checked", rep.Checked, "changed", rep.Changed, "swept", rep.Swept, "repaired", len(rep.Repaired), "outbox_depth", depth)
	return rep, errors.Join(errs...)
}

// missingTimers reads a chunk of open cases and their timers (four round
// trips, whatever the chunk's size) and returns the timers each case's
// stage needs but does not have.
func (s *Scheduler) missingTimers(ctx context.Context, refs []string, now time.Time, rep *AuditReport) ([]workflow.Timer, error) {
	ds, err := s.store.Disputes(ctx, refs)
	if err != nil {
		return nil, fmt.Errorf("audit: read %d cases: %w", len(refs), err)
	}
	have, err := s.store.CaseTimers(ctx, refs)
	if err != nil {
		return nil, fmt.Errorf("audit: timers of %d cases: %w", len(refs), err)
	}
	var missing []workflow.Timer
	for _, d := range ds {
		if d == nil || d.State.Closed() {
			continue
		}
		rep.Checked++
		for _, w := range workflow.StageTimers(s.cal, d, s.env.Policy, now) {
			if !slices.ContainsFunc(have[d.Ref], func(h workflow.Timer) bool {
				return h.Kind == w.Kind && h.Stage == w.Stage && h.StageVersion == w.StageVersion
			}) {
				missing = append(missing, w)
			}
		}
	}
	slices.SortFunc(missing, func(a, b workflow.Timer) int { return a.Due.Compare(b.Due) })
	return missing, nil
}
