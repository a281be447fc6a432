package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

// hashTag is the part of a key Redis Cluster hashes: the text between the
// first "{" and the next "}", when there is any.
func hashTag(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return key
	}
	return key[i+1 : i+1+j]
}

// Every key Escalate writes, for every kind of record, hashes to the same
// slot: each transition is one atomic script on a Redis Cluster too.
func TestEveryKeySharesOneHashSlot(t *testing.T) {
	ctx := context.Background()
	now := t0
	s := newTestStore(t, Options{FeedPlatforms: []string{"slack"}, Now: func() time.Time { return now }})
	res := raised("ESC-2026-0001", now)
	must(t, s.Commit(ctx, res, "idem-1"))
	must(t, s.Commit(ctx, noted(res.Dispute, "a note", now.Add(time.Minute)), ""))
	_, err := s.ClaimDueTimers(ctx, now.Add(48*time.Hour), 10, time.Minute)
	must(t, err)
	_, err = s.ClaimOutbox(ctx, now, 10, time.Minute)
	must(t, err)
	_, err = s.Once(ctx, "digest:2026-03-02", time.Hour)
	must(t, err)
	must(t, s.SetRef(ctx, "slack-thread", "ESC-2026-0001", "123.456"))
	_, err = s.NextRef(ctx, 2026)
	must(t, err)

	keys, err := s.rawKeys(ctx)
	must(t, err)
	if len(keys) < 10 {
		t.Fatalf("only %d keys written: %v", len(keys), keys)
	}
	for _, k := range keys {
		if tag := hashTag(k); tag != "esc" {
			t.Errorf("key %q hashes on %q, not the shared tag {esc}", k, tag)
		}
	}
}
