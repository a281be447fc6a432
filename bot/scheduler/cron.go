package scheduler

import (
	"context"
	"log/slog"

	"github.com/robfig/cron/v3"
)

// Cron builds the cron that drives the scheduler on the calendar's
// location: Tick every Options.Tick and Audit every Options.AuditEvery.
// A run that is still going when the next is due is skipped, not queued,
// and a panic in one is logged rather than taking the process down. The
// caller starts it (Start) and stops it (Stop, then wait for the returned
// context, which ends once running jobs have finished).
//
// ctx carries values for the jobs but does not cancel them: a tick in
// progress at shutdown finishes (bounded by the lease) rather than leaving
// claimed timers to wait for their lease to run out.
func (s *Scheduler) Cron(ctx context.Context) *cron.Cron {
	logger := cronLogger{log: s.log}
	c := cron.New(
		cron.WithLocation(s.cal.Location()),
		cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)),
	)
	c.Schedule(cron.Every(s.opts.Tick), cron.FuncJob(func() {
		jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.Lease)
		defer cancel()
		if err := s.Tick(jctx); err != nil {
			s.log.ErrorContext(jctx, "scheduler: tick", "err", err)
		}
	}))
	c.Schedule(cron.Every(s.opts.AuditEvery), cron.FuncJob(func() {
		jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.AuditEvery)
		defer cancel()
		if _, err := s.Audit(jctx); err != nil {
			s.log.ErrorContext(jctx, "scheduler: audit", "err", err)
		}
	}))
	return c
}

// Run drives the scheduler with cron until ctx is done, then waits for the
// jobs in progress to finish.
func (s *Scheduler) Run(ctx context.Context) {
	c := s.Cron(ctx)
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
}

// cronLogger sends cron's own messages to slog: its routine chatter (wake,
// run, skip) at debug level, its errors (a panicking job) at error level.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) {
	l.log.Debug("cron: "+msg, kv...)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append([]any{"err", err}, kv...)...)
}
