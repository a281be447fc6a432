package store

import (
	"context"
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

// ServerTime is the time Redis has spent running commands since it
// started (INFO commandstats). It counts every client's commands: on a
// shared Redis, others' work is in it too.
func (s *Store) ServerTime(ctx context.Context) (time.Duration, error) {
	info, err := s.Client().Info(ctx, "commandstats").Result()
	if err != nil {
		return 0, fmt.Errorf("server time: %w", err)
	}
	var us int64
	for _, line := range strings.Split(info, "\n") {
		_, rest, ok := strings.Cut(line, "usec=")
		if !ok {
			continue
		}
		v, _, _ := strings.Cut(rest, ",")
		n, _ := strconv.ParseInt(v, 10, 64)
		us += n
	}
	return time.Duration(us) * time.Microsecond, nil
}
