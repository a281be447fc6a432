package store

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestReadyWritesToEscalatesSlot: ready means Escalate's slot takes a
// write (the key carries the hash tag, so on Cluster it goes to the master
// holding the slot); a store whose Redis is gone is not ready.
func TestReadyWritesToEscalatesSlot(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}
	if ttl := s.rdb.PTTL(ctx, s.key("ready")).Val(); ttl <= 0 {
		t.Fatalf("the readiness write left no key under the tag (ttl %v)", ttl)
	}
	gone := New(s.rdb, Options{})
	_ = gone.rdb.Close()
	if err := gone.Ready(ctx); err == nil {
		t.Fatal("a store whose Redis is closed said it was ready")
	}
}

// FailoverDefaults gives a Cluster or Sentinel client the short timeouts
// and retries that let it leave a dead master within seconds, and keeps
// what the operator set.
func TestFailoverDefaults(t *testing.T) {
	o := FailoverDefaults(&redis.UniversalOptions{ReadTimeout: 3 * time.Second, MaxRetries: -1})
	if o.DialTimeout != time.Second || o.WriteTimeout != time.Second || o.MaxRedirects != 8 || o.MinRetryBackoff != 50*time.Millisecond || o.MaxRetryBackoff != 500*time.Millisecond {
		t.Errorf("defaults not filled: %+v", o)
	}
	if o.ReadTimeout != 3*time.Second || o.MaxRetries != -1 {
		t.Errorf("what was set was replaced: read timeout %v, retries %d", o.ReadTimeout, o.MaxRetries)
	}
}
