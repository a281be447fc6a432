package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// CommitAll commits the n results mk makes, 500 to a pipeline
// (CommitMany), two pipelines at once: how escalate bench and the
// benchmarks seed a store with many cases in seconds rather than raising
// them one by one. mk is called from two goroutines. The first refusal
// stops its pipeline and is returned.
func (s *Store) CommitAll(ctx context.Context, n int, mk func(i int) *workflow.Result) error {
	const batch, workers = 500, 2
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * batch; i < n; i += workers * batch {
				var res []*workflow.Result
				for j := i; j < min(i+batch, n); j++ {
					res = append(res, mk(j))
				}
				for _, err := range s.CommitMany(ctx, res, nil) {
					if err != nil {
						errs <- fmt.Errorf("commit all: %w", err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// ServerTime is the processor time Redis's main thread has used since it
// started (INFO cpu: used_cpu_user_main_thread + used_cpu_sys_main_thread;
// used_cpu_user + used_cpu_sys on a Redis too old to report its main
// thread): the work the server did, reading and parsing requests, running
// commands and scripts and writing replies. It is not INFO commandstats'
// sum, which counts every command a script calls twice (once in its own
// line, once in EVALSHA's), and which on a busy machine counts the time
// Redis waited for a core too. It counts every client's work: on a shared
// Redis, others' work is in it as well.
func (s *Store) ServerTime(ctx context.Context) (time.Duration, error) {
	info, err := s.Client().Info(ctx, "cpu").Result()
	if err != nil {
		return 0, fmt.Errorf("server time: %w", err)
	}
	fields := map[string]float64{}
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			fields[k] = f
		}
	}
	user, okUser := fields["used_cpu_user_main_thread"]
	sys, okSys := fields["used_cpu_sys_main_thread"]
	if !okUser || !okSys {
		user, okUser = fields["used_cpu_user"]
		sys, okSys = fields["used_cpu_sys"]
	}
	if !okUser || !okSys {
		return 0, errors.New("server time: INFO cpu reports no processor time")
	}
	return time.Duration((user + sys) * float64(time.Second)), nil
}
