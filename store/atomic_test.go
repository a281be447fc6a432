package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/workflow"
)

// 100 people act on one case at the same instant, round after round:
// exactly one of them wins each version.
func TestConcurrentCommitsOneWinnerPerVersion(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	const ref, workers, rounds = "ESC-2026-0001", 100, 4
	must(t, s.Commit(ctx, raised(ref, t0), ""))

	for round := range rounds {
		var loaded, start sync.WaitGroup
		loaded.Add(workers)
		start.Add(1)
		var mu sync.Mutex
		wins, conflicts := 0, 0
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				d, _, err := s.Load(ctx, ref)
				loaded.Done()
				if err != nil {
					t.Error(err)
					return
				}
				start.Wait() // everyone holds the same version
				err = s.Commit(ctx, noted(d, fmt.Sprintf("round %d worker %d", round, w), t0.Add(time.Duration(round)*time.Minute)), "")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, ErrConflict):
					conflicts++
				default:
					t.Error(err)
				}
			})
		}
		loaded.Wait()
		start.Done()
		wg.Wait()
		if wins != 1 || conflicts != workers-1 {
			t.Fatalf("round %d: %d wins and %d conflicts, want 1 and %d", round, wins, conflicts, workers-1)
		}
	}

	// Now every worker keeps trying, without a starting line, until it
	// has written once (as the engine retries a note): the log must come
	// out with no gap and no version won twice. 40 workers make 820
	// attempts; 100 would make 5050, for no more evidence.
	const retriers = 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := map[int]int{} // previous version → winners
	for w := range retriers {
		wg.Go(func() {
			for {
				d, _, err := s.Load(ctx, ref)
				if err != nil {
					t.Error(err)
					return
				}
				err = s.Commit(ctx, noted(d, fmt.Sprintf("worker %d", w), t0.Add(time.Hour)), "")
				if errors.Is(err, ErrConflict) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				won[d.Version]++
				mu.Unlock()
				return
			}
		})
	}
	wg.Wait()
	d, hist, err := s.Load(ctx, ref)
	must(t, err)
	want := 1 + rounds + retriers
	if d.Version != want || len(hist) != want {
		t.Fatalf("version %d with %d events, want %d", d.Version, len(hist), want)
	}
	for i, e := range hist {
		if e.Seq != i+1 {
			t.Fatalf("event %d has seq %d: the log has a gap or a repeat", i, e.Seq)
		}
	}
	for v := 1 + rounds; v < want; v++ {
		if won[v] != 1 {
			t.Errorf("version %d was won by %d commits", v, won[v])
		}
	}
	entries, err := s.Stream(ctx, "", 1000)
	must(t, err)
	if len(entries) != want {
		t.Errorf("the stream has %d events, want %d", len(entries), want)
	}
}

func TestConcurrentRaisesOfOneReferenceOneWins(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 100 {
		wg.Go(func() {
			err := s.Commit(ctx, raised("ESC-2026-0007", t0), "")
			if err != nil && !errors.Is(err, ErrConflict) {
				t.Error(err)
			}
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	_, hist, err := s.Load(ctx, "ESC-2026-0007")
	must(t, err)
	if wins != 1 || len(hist) != 1 {
		t.Fatalf("%d wins, %d events", wins, len(hist))
	}
	items, _ := s.ClaimOutbox(ctx, t0, 100, time.Minute)
	if len(items) != 4 {
		t.Errorf("%d outbox items, want 4", len(items))
	}
	if n, _ := s.rdb.ZCard(ctx, s.key("timers")).Result(); n != 2 {
		t.Errorf("%d timers, want 2", n)
	}
}

// A transition whose script fails (here: a key of the wrong type, which
// nothing but corruption or an operator's mistake produces) writes
// nothing at all, wherever the bad key is.
func TestFailingCommitWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	r := raised("ESC-2026-0001", t0)
	must(t, s.Commit(ctx, r, ""))
	next := escalated(r.Dispute, "no answer", t0.Add(25*time.Hour))
	// Keys the escalation writes late in the script.
	for _, bad := range []string{"pd:" + string(manager), "od:2", "od:1", "open", "chg", "ob:age", "ob:seq", "o:ESC-2026-0001/2/1@slack", "idem:key-1"} {
		t.Run(bad, func(t *testing.T) {
			k := s.key(bad)
			must(t, s.rdb.Del(ctx, k).Err())
			if bad == "ob:seq" {
				must(t, s.rdb.RPush(ctx, k, "x").Err())
			} else {
				must(t, s.rdb.Set(ctx, k, "not what the store expects", 0).Err())
			}
			before := s.dump(t)
			err := s.Commit(ctx, next, "key-1")
			if err == nil || errors.Is(err, ErrConflict) {
				t.Fatalf("commit over a corrupt %s: %v", bad, err)
			}
			if after := s.dump(t); after != before {
				t.Fatalf("a failed commit wrote something:\nbefore %s\nafter  %s", before, after)
			}
			must(t, s.rdb.Del(ctx, k).Err())
		})
	}
	// And with every key sound, the same commit goes through.
	must(t, s.Commit(ctx, next, "key-1"))
}

// Malformed arguments are caught before the first write, too.
func TestMalformedScriptCallWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	r := raised("ESC-2026-0001", t0)
	args, err := s.commitArgs(r, "", nil)
	must(t, err)
	before := s.dump(t)
	for _, cut := range []int{len(args) - 1, len(args) - 4, 14} {
		err := commitScript.Run(ctx, s.rdb, []string{s.key("d:", r.Dispute.Ref)}, args[:cut]...).Err()
		if err == nil {
			t.Errorf("a call with %d of %d arguments ran", cut, len(args))
		}
	}
	bad := slices.Clone(args)
	bad[len(bad)-1] = "soon" // the last outbox item's time
	if err := commitScript.Run(ctx, s.rdb, []string{s.key("d:", r.Dispute.Ref)}, bad...).Err(); err == nil {
		t.Error("a call with a time that is not a number ran")
	}
	if after := s.dump(t); after != before {
		t.Fatalf("a malformed call wrote something:\n%s", after)
	}
}

// cutDialer makes connections that can be cut after a number of bytes
// written: the way a crash, a network partition or a killed pod cuts a
// transition.
type cutDialer struct {
	mu      sync.Mutex
	armed   *cutConn
	budget  int64 // bytes the armed connection may still write; <0: unlimited
	written int64
	cuts    int // replies the test made the client lose
}

var errCut = errors.New("connection cut by the test")

func (d *cutDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &cutConn{Conn: c, d: d}, nil
}

// arm makes the next write on c count against budget.
func (d *cutDialer) arm(c *cutConn, budget int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.armed, d.budget, d.written = c, budget, 0
}

type cutConn struct {
	net.Conn
	d *cutDialer
}

func (c *cutConn) Write(p []byte) (int, error) {
	d := c.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.armed != c {
		return c.Conn.Write(p)
	}
	d.written += int64(len(p))
	if d.budget < 0 || int64(len(p)) <= d.budget {
		if d.budget >= 0 {
			d.budget -= int64(len(p))
		}
		return c.Conn.Write(p)
	}
	n, _ := c.Conn.Write(p[:d.budget])
	d.budget = 0
	_ = c.Conn.Close()
	return n, errCut
}

func (c *cutConn) Read(p []byte) (int, error) {
	d := c.d
	d.mu.Lock()
	cut := d.armed == c && d.budget == 0
	d.mu.Unlock()
	if cut {
		d.mu.Lock()
		d.cuts++
		d.armed = nil
		d.mu.Unlock()
		// The request went out whole; the reply is lost.
		_ = c.Conn.Close()
		return 0, io.EOF
	}
	return c.Conn.Read(p)
}

// faultyStore is a store on the same keys as s whose one connection the
// test can cut.
func faultyStore(t *testing.T, s *Store, retries int) (*Store, *cutDialer, func() *cutConn) {
	so := s.rdb.(*redis.Client).Options()
	o := &redis.Options{Addr: so.Addr, Username: so.Username, Password: so.Password, DB: so.DB}
	d := &cutDialer{budget: -1}
	var last *cutConn
	var mu sync.Mutex
	o.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.dial(ctx, network, addr)
		if err == nil {
			mu.Lock()
			last = c.(*cutConn)
			mu.Unlock()
		}
		return c, err
	}
	o.PoolSize, o.MaxRetries = 1, retries
	o.MinRetryBackoff, o.MaxRetryBackoff = time.Millisecond, 2*time.Millisecond
	f := New(redis.NewClient(o), s.opts)
	t.Cleanup(func() { _ = f.Close() })
	return f, d, func() *cutConn { mu.Lock(); defer mu.Unlock(); return last }
}

// state says whether every trace of a raise is in Redis ("all"), none is
// ("nothing"), or something in between (the bug this test hunts). It reads
// everything in one MULTI/EXEC, so it sees one instant.
func (s *Store) state(t *testing.T, ref string) string {
	ctx := context.Background()
	checks := map[string]func() bool{}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range []string{"d:" + ref, "ev:" + ref, "dt:" + ref, "o:" + ref + "/1/1@teams", "o:" + ref + "/1/2@slack", "o:" + ref + "/1/3@slack", "o:" + ref + "/1/3@teams"} {
			c := p.Exists(ctx, s.key(k))
			checks[k] = func() bool { return c.Val() == 1 }
		}
		// The case's index entries, kept on it.
		m := p.HExists(ctx, s.key("d:", ref), "m")
		checks["index entries"] = func() bool { return m.Val() }
		for _, z := range [][2]string{{"all", ref}, {"open", ref}, {"ob", ref + "/1/1@teams"}, {"timers", ref + "|lapse|1"}} {
			c := p.ZScore(ctx, s.key(z[0]), z[1])
			checks[z[0]] = func() bool { return c.Err() == nil }
		}
		for _, u := range []workflow.UserID{raiser, responder} {
			c := p.ZScore(ctx, s.key("pd:", string(u)), ref)
			checks["pd:"+string(u)] = func() bool { return c.Err() == nil }
		}
		c := p.XRange(ctx, s.key("events"), "-", "+")
		checks["stream"] = func() bool {
			return slices.ContainsFunc(c.Val(), func(m redis.XMessage) bool { return m.Values["r"] == ref })
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for name, ok := range checks {
		found[name] = ok()
	}
	n := 0
	for _, ok := range found {
		if ok {
			n++
		}
	}
	switch n {
	case 0:
		return "nothing"
	case len(found):
		return "all"
	}
	return fmt.Sprintf("partial %v", found)
}

// Cut the connection at every point of a transition's request: before it
// is whole Redis never runs it (nothing is written); once it is whole
// Redis runs all of it, even though the reply is lost.
func TestConnectionCutMidCommitLeavesAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	f, d, conn := faultyStore(t, s, -1)
	must(t, f.Ping(ctx))
	// Load the script and measure one request.
	must(t, commitScript.Load(ctx, s.rdb).Err())
	d.arm(conn(), -1)
	must(t, f.Commit(ctx, raised("ESC-2026-0001", t0), ""))
	d.mu.Lock()
	total := d.written
	d.mu.Unlock()
	if total < 1000 {
		t.Fatalf("a raise request is only %d bytes?", total)
	}

	step := max(total/40, 1)
	n := 2
	for cut := int64(0); cut <= total; cut += step {
		if cut+step > total {
			cut = total
		}
		ref := fmt.Sprintf("ESC-2026-%04d", n)
		n++
		must(t, f.Ping(ctx)) // a fresh connection if the last one was cut
		d.arm(conn(), cut)
		err := f.Commit(ctx, raised(ref, t0), "")
		if err == nil {
			t.Fatalf("cut at %d of %d bytes: the commit reported success", cut, total)
		}
		want := "nothing"
		if cut == total {
			want = "all"
		}
		got := s.state(t, ref)
		for deadline := time.Now().Add(2 * time.Second); got != want && got == "nothing" && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond) // Redis reads the whole request after the client left
			got = s.state(t, ref)
		}
		if got != want {
			t.Fatalf("cut at %d of %d bytes: %s, want %s", cut, total, got, want)
		}
		if cut == total {
			break
		}
	}
}

// When only the reply is lost, the client's retry finds the transition
// already written: success, written once.
func TestRetryAfterLostReplyWritesOnce(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	f, d, conn := faultyStore(t, s, 3)
	must(t, f.Ping(ctx))
	must(t, commitScript.Load(ctx, s.rdb).Err())
	d.arm(conn(), -1)
	must(t, f.Commit(ctx, raised("ESC-2026-0001", t0), "click-0"))
	d.mu.Lock()
	total := d.written
	d.mu.Unlock()

	r := raised("ESC-2026-0002", t0)
	must(t, f.Ping(ctx))
	d.arm(conn(), total)
	if err := f.Commit(ctx, r, "click-1"); err != nil {
		t.Fatalf("a commit whose reply was lost and retried: %v", err)
	}
	if d.cuts != 1 {
		t.Fatalf("the reply was lost %d times, want 1 (the test did not cut)", d.cuts)
	}
	_, hist, err := s.Load(ctx, r.Dispute.Ref)
	must(t, err)
	if len(hist) != 1 {
		t.Fatalf("%d events, want 1", len(hist))
	}
	if got := s.state(t, r.Dispute.Ref); got != "all" {
		t.Fatal(got)
	}
}
