package store

import (
	"fmt"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// Embedded starts an in-process Redis (miniredis) on 127.0.0.1 and returns
// its URL. Nothing survives closeFn or the process: it is for tests and for
// trying Escalate without installing Redis.
func Embedded() (url string, closeFn func(), err error) {
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return "", nil, fmt.Errorf("start embedded redis: %w", err)
	}
	// miniredis only expires keys when told time has passed. Telling it
	// once a second (rather than on every command, which costs a walk of
	// every key each time) makes TTLs behave as in Redis, to the second.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				m.FastForward(now.Sub(last))
				last = now
			}
		}
	})
	var once sync.Once
	return "redis://" + m.Addr(), func() {
		once.Do(func() {
			close(stop)
			wg.Wait()
			m.Close()
		})
	}, nil
}
