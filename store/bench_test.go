package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/workflow"
)

// Run with a real Redis: REDIS_URL=redis://127.0.0.1:6379/0 go test -bench . -run ^$ ./store/

// BenchmarkTransition is Load + Commit of a note, the engine's path for
// every click: on one case (each transition builds on the last, so they
// run one after another) and over many cases at once. A case's log is
// read whole by every Load, so "one case" moves to a fresh case every 50
// transitions: real cases have tens of events, not thousands.
func BenchmarkTransition(b *testing.B) {
	ctx := context.Background()
	b.Run("one-dispute", func(b *testing.B) {
		s := newTestStore(b, Options{})
		must(b, commitScript.Load(ctx, s.rdb).Err())
		var trips int64
		s.rdb.AddHook(countingHook{&trips})
		ref := ""
		b.ResetTimer()
		for i := range b.N {
			if i%50 == 0 {
				b.StopTimer()
				ref = fmt.Sprintf("ESC-2026-%06d", i/50+1)
				must(b, s.Commit(ctx, raised(ref, t0), ""))
				trips--
				b.StartTimer()
			}
			d, _, err := s.Load(ctx, ref)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Commit(ctx, noted(d, "a note", t0.Add(time.Duration(i)*time.Second)), "k"+strconv.Itoa(i)); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transitions/s")
		b.ReportMetric(float64(trips)/float64(b.N), "roundtrips/transition")
	})
	b.Run("many-disputes", func(b *testing.B) {
		s := newTestStore(b, Options{})
		const cases = 256
		for i := range cases {
			must(b, s.Commit(ctx, raised(fmt.Sprintf("ESC-2026-%04d", i+1), t0), ""))
		}
		var next atomic.Int64
		b.SetParallelism(8) // 16 clients on 2 cores: Redis, not the client, is the limit
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				// Cases are handed out in turn, so two clients rarely
				// meet on one; when they do, the loser retries.
				ref := fmt.Sprintf("ESC-2026-%04d", next.Add(1)%cases+1)
				for {
					d, _, err := s.Load(ctx, ref)
					if err != nil {
						b.Fatal(err)
					}
					err = s.Commit(ctx, noted(d, "a note", t0), "")
					if err == nil {
						break
					}
					if !strings.Contains(err.Error(), "changed") {
						b.Fatal(err)
					}
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transitions/s")
	})
}

// openCase is a steady-state open case: four events in its log, its two
// timers, its indexes; its messages delivered (the outbox drained).
func openCase(ref string) *workflow.Result {
	r := raised(ref, t0.Add(time.Hour)) // timers not due at t0+1h
	r.Messages = nil
	for i := 2; i <= 4; i++ {
		r.Events = append(r.Events, workflow.Event{Ref: ref, Seq: i, Kind: workflow.CmdComment, Actor: raiser, ActorName: "Sam Raiser",
			At: t0, Stage: 1, Summary: "Note added", Text: "A note of a few sentences, as practitioners write them: what was said, by whom, and what happens next."})
	}
	r.Dispute.Version = 4
	return r
}

// seed commits n cases, 500 commit scripts per pipeline.
func seed(b *testing.B, s *Store, n int, mk func(string) *workflow.Result) {
	ctx := context.Background()
	must(b, commitScript.Load(ctx, s.rdb).Err())
	for start := 0; start < n; start += 500 {
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < min(start+500, n); i++ {
				r := mk(fmt.Sprintf("ESC-2026-%06d", i+1))
				args, err := s.commitArgs(r, "", nil)
				if err != nil {
					return err
				}
				commitScript.EvalSha(ctx, p, []string{s.key("d:", r.Dispute.Ref)}, args...)
			}
			return nil
		})
		must(b, err)
	}
}

func usedMemory(b *testing.B, s *Store) int64 {
	info, err := s.rdb.Info(context.Background(), "memory").Result()
	must(b, err)
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			must(b, err)
			return n
		}
	}
	b.Fatal("no used_memory in INFO")
	return 0
}

// keyBytes sums MEMORY USAGE over every key of the store.
func keyBytes(b *testing.B, s *Store) int64 {
	ctx := context.Background()
	keys, err := s.rawKeys(ctx)
	must(b, err)
	var total int64
	for len(keys) > 0 {
		n := min(len(keys), 1000)
		cmds := make([]*redis.IntCmd, n)
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys[:n] {
				cmds[i] = p.MemoryUsage(ctx, k)
			}
			return nil
		})
		must(b, err)
		for _, c := range cmds {
			total += c.Val()
		}
		keys = keys[n:]
	}
	return total
}

// BenchmarkClaimDueTimers claims 1,000 due timers (in one call) among the
// timers of 100,000 open cases (5,000 on the embedded Redis). It also
// reports Redis memory per open case (real Redis only: miniredis has no
// INFO memory).
func BenchmarkClaimDueTimers(b *testing.B) {
	ctx := context.Background()
	s := newTestStore(b, Options{})
	open := 100_000
	if !realRedis() {
		open = 5_000
	}
	now := t0.Add(time.Minute) // the seeded cases' timers are not due yet
	due := make([]workflow.Timer, 1000)
	for i := range due {
		due[i] = workflow.Timer{Ref: fmt.Sprintf("ESC-2026-%06d", i+1), Kind: workflow.TimerPrompt, Stage: 1, StageVersion: 1, Due: t0}
	}
	claim := func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			for i := 0; i < len(due); i += 500 {
				must(b, s.SetTimers(ctx, due[i:i+500]))
			}
			b.StartTimer()
			got, err := s.ClaimDueTimers(ctx, now, 1000, time.Minute)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if len(got) != 1000 {
				b.Fatalf("claimed %d, want 1000", len(got))
			}
			must(b, s.AckTimers(ctx, got))
			b.StartTimer()
		}
	}
	// The same claim with no other case, then among the open ones: the
	// cost is that of the timers taken, not of the timers pending.
	b.Run("1000-due-of-0-open", claim)

	var before int64
	if realRedis() {
		before = usedMemory(b, s)
	}
	start := time.Now()
	seed(b, s, open, openCase)
	b.Logf("seeded %d open cases in %v", open, time.Since(start).Round(time.Millisecond))
	if realRedis() {
		// INFO's used_memory counts everything (the keyspace's own
		// tables too) but also whatever else uses this Redis meanwhile;
		// MEMORY USAGE of the store's keys counts only them.
		perCase := float64(usedMemory(b, s)-before) / float64(open)
		keys := float64(keyBytes(b, s)) / float64(open)
		b.Logf("Redis memory per open case: %.0f bytes (INFO used_memory delta), %.0f bytes (MEMORY USAGE of its keys)", perCase, keys)
		b.Run("memory", func(b *testing.B) {
			b.ReportMetric(perCase, "bytes/open-case")
			b.ReportMetric(keys, "key-bytes/open-case")
		})
	}
	b.Run(fmt.Sprintf("1000-due-of-%d-open", open), claim)
}
