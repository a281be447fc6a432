package store

import (
	"context"
	"testing"
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
