package scheduler

import (
	"math"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// seedQuiet commits n open cases whose timers are months away: the bulk of
// a busy partnership's open cases, which a tick must not pay for. They are
// built by hand (one event, the stage's timers, no messages) and committed
// 500 to a pipeline (store.CommitAll), which is much faster than raising
// them.
func (r *rig) seedQuiet(tb testing.TB, n int, year int) {
	tb.Helper()
	now := r.clock.Now()
	far := r.cal.AddWorkingDays(now, 120)
	err := r.st.CommitAll(r.ctx, n, func(i int) *workflow.Result {
		d := &workflow.Dispute{
			Ref: workflow.FormatRef(year, i+1), PolicyID: "west-sussex", SubjectType: workflow.SubjectChild,
			Category: workflow.CatThresholds, Raiser: workflow.Party{Agency: "csc", Person: raiser},
			Responder: workflow.Party{Agency: "police", Person: responder}, Stage: 1, State: workflow.StateOpen,
			Holders:      []workflow.StageHolders{{Stage: 1, Raiser: []workflow.UserID{raiser}, Responder: []workflow.UserID{responder}, Since: now}},
			StageVersion: 1, StageStarted: now, Deadline: far, Version: 1, CreatedAt: now, UpdatedAt: now,
		}
		return &workflow.Result{Dispute: d, Events: []workflow.Event{{Ref: d.Ref, Seq: 1, Kind: workflow.CmdRaise, Actor: raiser, At: now, Stage: 1, Summary: "Raised"}},
			ClearTimers: true, Timers: workflow.StageTimers(r.cal, d, r.env.Policy, now)}
	})
	if err != nil {
		tb.Fatal(err)
	}
}

const busyDue = 1_000

// busyOpen is how many open cases the benchmarks' store holds: 100,000,
// or ESCALATE_BENCH_OPEN (1000000 for the figure; seeding a
// million takes minutes and about 4 GB of Redis).
func busyOpen(b *testing.B) int {
	if v := os.Getenv("ESCALATE_BENCH_OPEN"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < busyDue {
			b.Fatalf("ESCALATE_BENCH_OPEN=%q is not a number of at least %d", v, busyDue)
		}
		return n
	}
	return 100_000
}

// busyRig holds busyOpen open cases: 1,000 raised through the engine at
// Monday 4 January 2027 10:00 (their reminders fall due at 16:00, their
// lapses on Tuesday at 10:00) and the rest quiet for months.
func busyRig(b *testing.B) (*rig, int) {
	busyOpen := busyOpen(b)
	r := newRig(b, time.Date(2027, 1, 4, 10, 0, 0, 0, london(b)), 1, Options{DigestOff: true})
	start := time.Now()
	r.raiseMany(busyDue)
	r.seedQuiet(b, busyOpen-busyDue, 2026)
	b.Logf("seeded %d open cases in %s", busyOpen, time.Since(start).Round(time.Millisecond))
	r.waiting()
	refs, err := r.st.OpenRefs(r.ctx)
	if err != nil || len(refs) != busyOpen {
		b.Fatalf("seeded %d open cases (%v), want %d", len(refs), err, busyOpen)
	}
	return r, busyOpen
}

// BenchmarkTick: one tick over a store holding 100,000 open cases, 1,000
// of them with a timer due (reminders on the first tick, lapses on the
// second, daily prompts after). Set REDIS_URL to measure against a real
// Redis; the embedded one runs scripts in an interpreter and is far slower.
func BenchmarkTick(b *testing.B) {
	r, _ := busyRig(b)
	// Each tick finds the 1,000 cases' next timers due.
	next := []time.Time{r.at(2027, 1, 4, 16, 0), r.at(2027, 1, 5, 10, 0)}
	var total, server time.Duration
	ticks := 0
	for b.Loop() {
		if ticks < len(next) {
			r.clock.Set(next[ticks])
		} else {
			r.clock.Set(r.cal.NextWorkingStart(r.cal.AddWorkingDays(r.clock.Now(), 1)))
		}
		u0 := serverTime(b, r)
		t0 := time.Now()
		rep := r.tick()
		total += time.Since(t0)
		server += serverTime(b, r) - u0
		ticks++
		if rep.Ran != busyDue {
			b.Fatalf("tick %d at %s ran %d timers, want %d", ticks, r.clock.Now(), rep.Ran, busyDue)
		}
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(ticks), "ms/tick")
	b.ReportMetric(float64(server.Microseconds())/1000/float64(ticks), "server-ms/tick")
	b.ReportMetric(float64(busyDue*ticks)/total.Seconds(), "timers/s")
}

// BenchmarkAudit: the auditor once it has caught up, over a store of
// busyOpen open cases of which 1,000 changed since its last run (a note on
// each, outside the timing).
func BenchmarkAudit(b *testing.B) {
	r, open := busyRig(b)
	r.clock.Set(r.at(2027, 1, 4, 11, 0))
	if err := r.st.CheckedChanged(r.ctx, math.MaxFloat64); err != nil {
		b.Fatal(err)
	}
	busy := make([]string, 0, busyDue)
	for i := range busyDue {
		busy = append(busy, workflow.FormatRef(2027, i+1))
	}
	var server time.Duration
	for b.Loop() {
		b.StopTimer()
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(busy); i += 4 {
					r.do(busy[i], workflow.Command{Kind: workflow.CmdComment, Actor: raiser, Text: "Spoke to the school"})
				}
			}()
		}
		wg.Wait()
		u0 := serverTime(b, r)
		b.StartTimer()
		rep, err := r.s.Audit(r.ctx)
		b.StopTimer()
		server += serverTime(b, r) - u0
		b.StartTimer()
		if err != nil || rep.Open != open || rep.Changed != busyDue || len(rep.Repaired) != 0 {
			b.Fatalf("audit: %d open, %d changed, %d repaired, %v", rep.Open, rep.Changed, len(rep.Repaired), err)
		}
	}
	b.ReportMetric(float64(server.Microseconds())/1000/float64(b.N), "server-ms/audit")
}

// BenchmarkDigest: building the daily digest over busyOpen open cases.
func BenchmarkDigest(b *testing.B) {
	r, open := busyRig(b)
	r.clock.Set(r.at(2027, 1, 5, 9, 0))
	for b.Loop() {
		m, _, err := r.s.buildDigest(r.ctx, r.clock.Now())
		if err != nil || m.Facts[0].Value != strconv.Itoa(open) {
			b.Fatalf("digest: %v, %v", m.Facts, err)
		}
	}
}

// serverTime is the CPU Redis's main thread used so far (store.ServerTime).
func serverTime(b *testing.B, r *rig) time.Duration {
	b.Helper()
	t, err := r.st.ServerTime(r.ctx)
	if err != nil {
		b.Fatal(err)
	}
	return t
}
