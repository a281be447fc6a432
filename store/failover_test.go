//go:build failover

package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/store/failover"
)

// The failover tests need a Redis Cluster and a Sentinel setup on this
// machine (.ci/redis-topologies starts them; .ci/run does): asked for
// with -tags failover and without them, they fail.

func topology(t *testing.T, name string) []string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: the failover tests need the Redis topologies of .ci/redis-topologies (eval \"$(.ci/redis-topologies start)\")", name)
	}
	return strings.Split(v, ",")
}

// openTopology opens a store on a Cluster or Sentinel as escalate serve
// does (OpenUniversal), under a prefix of the test's own, and deletes its
// keys afterwards on whichever node then holds them.
func openTopology(t *testing.T, uo *redis.UniversalOptions) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := OpenUniversal(ctx, uo, Options{Prefix: uniquePrefix(t)})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		defer s.Close()
		// On Cluster a SCAN goes to one node: the master holding the
		// slot is the one with the keys.
		var scanner redis.Cmdable = s.rdb
		if cc, ok := s.rdb.(*redis.ClusterClient); ok {
			node, err := cc.MasterForKey(ctx, s.key("ready"))
			if err != nil {
				t.Errorf("clean up: %v", err)
				return
			}
			scanner = node
		}
		iter := scanner.Scan(ctx, 0, s.opts.Prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			_ = s.rdb.Del(ctx, iter.Val()).Err()
		}
		if err := iter.Err(); err != nil {
			t.Errorf("clean up: %v", err)
		}
	})
	return s
}

// load is raises and notes written concurrently, each retried (with its
// idempotency key, as the engine's callers retry) until Redis
// acknowledges it.
type load struct {
	s       *Store
	stop    atomic.Bool
	mu      sync.Mutex
	acked   map[string]int // ref → highest version acknowledged
	ackedAt []time.Time
	failed  atomic.Int64 // attempts that got an error
	n       atomic.Int64
}

func (l *load) ack(ref string, v int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v > l.acked[ref] {
		l.acked[ref] = v
	}
	l.ackedAt = append(l.ackedAt, time.Now())
}

// retry runs op until it is acknowledged (nil, or ErrDuplicate: written
// by an earlier attempt whose answer was lost).
func (l *load) retry(op func(ctx context.Context) error) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err := op(ctx)
		cancel()
		if err == nil || errors.Is(err, ErrDuplicate) {
			return
		}
		l.failed.Add(1)
		time.Sleep(20 * time.Millisecond)
	}
}

func (l *load) worker(w int) {
	now := t0
	for !l.stop.Load() {
		var ref string
		l.retry(func(ctx context.Context) (err error) {
			ref, err = l.s.NextRef(ctx, 2026)
			return err
		})
		res := raised(ref, now)
		l.retry(func(ctx context.Context) error { return l.s.Commit(ctx, res, "raise-"+ref) })
		l.ack(ref, 1)
		d := res.Dispute
		for i := range 3 {
			nr := noted(d, fmt.Sprintf("note %d of worker %d", i, w), now)
			l.retry(func(ctx context.Context) error { return l.s.Commit(ctx, nr, fmt.Sprintf("note-%s-%d", ref, i)) })
			l.ack(ref, nr.Dispute.Version)
			d = nr.Dispute
		}
		l.n.Add(1)
	}
}

// readiness is what Ready said, sampled through a failover.
type readiness struct {
	from, to time.Time
	ok       bool
}

// killUnderLoad runs 8 writers, kills the master with kill once they are
// going, and checks: nothing acknowledged is lost, nothing is written
// twice, writes resume within 5 s of the replica's promotion, and Ready
// says not ready while the master is gone and ready after.
func killUnderLoad(t *testing.T, s *Store, kill func(context.Context) (*failover.Failover, error)) {
	ctx := context.Background()
	l := &load{s: s, acked: map[string]int{}}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); l.worker(w) }()
	}
	var samples []readiness
	var smu sync.Mutex
	stopReady := make(chan struct{})
	readyDone := make(chan struct{})
	go func() {
		defer close(readyDone)
		for {
			select {
			case <-stopReady:
				return
			case <-time.After(100 * time.Millisecond):
			}
			from := time.Now()
			rctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			err := s.Ready(rctx)
			cancel()
			smu.Lock()
			samples = append(samples, readiness{from: from, to: time.Now(), ok: err == nil})
			smu.Unlock()
		}
	}()
	time.Sleep(time.Second) // load before the kill
	before := l.n.Load()
	f, err := kill(ctx)
	if err != nil {
		l.stop.Store(true)
		wg.Wait()
		t.Fatalf("failover: %v", err)
	}
	t.Cleanup(func() {
		if err := f.Heal(context.Background()); err != nil {
			t.Errorf("bring %s back as a replica: %v", f.Killed.Addr, err)
		}
	})
	// Load until writes have been back for two seconds (or for 20 s).
	deadline := time.Now().Add(20 * time.Second)
	var resumed time.Time
	for time.Now().Before(deadline) {
		l.mu.Lock()
		for _, at := range l.ackedAt {
			if at.After(f.KilledAt) && (resumed.IsZero() || at.Before(resumed)) {
				resumed = at
			}
		}
		l.mu.Unlock()
		if !resumed.IsZero() && time.Since(resumed) > 2*time.Second {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	l.stop.Store(true)
	wg.Wait()
	close(stopReady)
	<-readyDone

	if resumed.IsZero() {
		t.Fatalf("no write was acknowledged in the 20 s after %s was killed", f.Killed.Addr)
	}
	back := resumed.Sub(f.PromotedAt)
	t.Logf("killed %s; %s promoted %.1f s later; writes resumed %.2f s after the promotion; %d cases (%d before the kill), %d failed attempts",
		f.Killed.Addr, f.Promoted, f.Promotion().Seconds(), back.Seconds(), len(l.acked), before, l.failed.Load())
	if back > 5*time.Second {
		t.Errorf("writes resumed %.1f s after the promotion; the goal is 5 s", back.Seconds())
	}

	// Nothing acknowledged lost, nothing doubled: each case is at the
	// version last acknowledged (or one more, being written when the
	// load stopped is not possible: each worker finishes its case), its
	// log has one event per version, and the outbox holds exactly the
	// messages its transitions enqueued (2 at raise, 1 per note).
	refs, err := s.AllRefs(ctx)
	must(t, err)
	if len(refs) != len(l.acked) {
		t.Errorf("%d cases acknowledged, %d stored", len(l.acked), len(refs))
	}
	want := 0
	for ref, v := range l.acked {
		d, evs, err := s.Load(ctx, ref)
		if err != nil {
			t.Errorf("%s (acknowledged at version %d): %v", ref, v, err)
			continue
		}
		if d.Version != v {
			t.Errorf("%s: acknowledged at version %d, stored at %d", ref, v, d.Version)
		}
		if len(evs) != d.Version {
			t.Errorf("%s: version %d with %d events", ref, d.Version, len(evs))
		}
		want += 2 + (v - 1)
	}
	depth, _, _, err := s.OutboxStats(ctx, t0)
	must(t, err)
	if int(depth) != want {
		t.Errorf("the outbox holds %d messages; the acknowledged transitions enqueued %d", depth, want)
	}

	// Ready: not ready while the slot's master was gone, ready after.
	var down, upAfter int
	for _, r := range samples {
		if r.from.After(f.KilledAt) && r.to.Before(f.PromotedAt) {
			down++
			if r.ok {
				t.Errorf("Ready said ready at %s, while %s was dead and not yet replaced", r.from.Format("15:04:05.000"), f.Killed.Addr)
			}
		}
		if r.from.After(f.PromotedAt.Add(5 * time.Second)) {
			upAfter++
			if !r.ok {
				t.Errorf("Ready said not ready at %s, %.1f s after the promotion", r.from.Format("15:04:05.000"), r.from.Sub(f.PromotedAt).Seconds())
			}
		}
	}
	if down == 0 {
		t.Errorf("Ready was never asked while the master was gone (%d samples)", len(samples))
	}
	if err := s.Ready(ctx); err != nil {
		t.Errorf("not ready after the failover: %v", err)
	}
	_ = upAfter
}

// TestClusterFailoverUnderLoad kills (SIGKILL) the master holding
// Escalate's slot on a 3-master / 3-replica Redis Cluster while eight
// writers raise cases and add notes.
func TestClusterFailoverUnderLoad(t *testing.T) {
	seeds := topology(t, "ESCALATE_TEST_CLUSTER")
	s := openTopology(t, &redis.UniversalOptions{Addrs: seeds, IsClusterMode: true})
	if _, ok := s.rdb.(*redis.ClusterClient); !ok {
		t.Fatalf("ESCALATE_TEST_CLUSTER opened a %T, not a cluster client", s.rdb)
	}
	killUnderLoad(t, s, func(ctx context.Context) (*failover.Failover, error) {
		return failover.KillClusterMaster(ctx, seeds, s.key("ready"))
	})
}

// TestSentinelFailoverUnderLoad kills (SIGKILL) the master Sentinel
// names while eight writers raise cases and add notes; the sentinels
// promote its replica.
func TestSentinelFailoverUnderLoad(t *testing.T) {
	sentinels := topology(t, "ESCALATE_TEST_SENTINEL")
	name := os.Getenv("ESCALATE_TEST_SENTINEL_MASTER")
	if name == "" {
		t.Fatal("ESCALATE_TEST_SENTINEL_MASTER is not set (.ci/redis-topologies prints it)")
	}
	s := openTopology(t, &redis.UniversalOptions{Addrs: sentinels, MasterName: name})
	killUnderLoad(t, s, func(ctx context.Context) (*failover.Failover, error) {
		return failover.KillSentinelMaster(ctx, sentinels, name)
	})
}
