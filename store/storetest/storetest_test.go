package storetest_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
)

func TestStoresDoNotShareDataAndCleanUp(t *testing.T) {
	ctx := context.Background()
	var a *store.Store
	var keys []string
	// Only this test's keys are looked at: other packages' tests share the
	// Redis and run at the same time.
	mark := fmt.Sprintf("cleanup-check-%d:", time.Now().UnixNano())
	t.Run("inner", func(t *testing.T) {
		a = storetest.New(t, store.Options{Prefix: mark})
		b := storetest.New(t, store.Options{Prefix: mark, FeedPlatforms: []string{"slack"}})
		refA, err := a.NextRef(ctx, 2026)
		if err != nil {
			t.Fatal(err)
		}
		refB, err := b.NextRef(ctx, 2026)
		if err != nil {
			t.Fatal(err)
		}
		if refA != "ESC-2026-0001" || refB != "ESC-2026-0001" {
			t.Fatalf("two test stores share a counter: %s, %s", refA, refB)
		}
		keys, err = a.Client().Keys(ctx, mark+"*ref:2026").Result()
		if err != nil || len(keys) == 0 {
			t.Fatalf("keys = %v, %v", keys, err)
		}
	})
	url := os.Getenv("REDIS_URL")
	if url == "" {
		return // the embedded Redis went with the test
	}
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	defer c.Close()
	if n, err := c.Exists(ctx, keys...).Result(); err != nil || n != 0 {
		t.Errorf("%d of the test's keys are left after it ended (%v)", n, err)
	}
}
