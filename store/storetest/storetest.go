// Package storetest gives tests a store: the Redis at REDIS_URL when it is
// set (CI sets it), otherwise an embedded one, under a key prefix of the
// test's own so that tests never see each other's data. Everything the
// test wrote is deleted when it ends (never FLUSHDB: the Redis may be
// shared).
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/escalate-app/escalate/store"
)

// New returns a store for one test. opts (at most one) sets the cipher,
// feed platforms and clock; a Prefix given there is kept as the start of
// the test's unique prefix.
func New(t testing.TB, opts ...store.Options) *store.Store {
	t.Helper()
	var o store.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	url := os.Getenv("REDIS_URL")
	if url == "" {
		u, closeFn, err := store.Embedded()
		if err != nil {
			t.Fatalf("start embedded redis: %v", err)
		}
		t.Cleanup(closeFn)
		url = u
	}
	o.Prefix = o.Prefix + "test:" + safe(t.Name()) + ":" + random() + ":"
	ctx := context.Background()
	s, err := store.Open(ctx, url, o)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		defer s.Close()
		if err := DeletePrefix(ctx, s, o.Prefix); err != nil {
			t.Errorf("clean up the test's keys: %v", err)
		}
	})
	return s
}

// DeletePrefix deletes every key that starts with prefix.
func DeletePrefix(ctx context.Context, s *store.Store, prefix string) error {
	c := s.Client()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := c.Del(ctx, batch...).Err(); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return c.Del(ctx, batch...).Err()
	}
	return nil
}

// safe keeps the characters of a test name that mean nothing to SCAN's
// glob patterns.
func safe(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, name)
}

func random() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
