package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/store"
)

// `escalate bench --quick` prints every figure of the issue with its goal
// and ratio, and leaves nothing behind in the Redis it was given. (Its
// figures are not checked: they are the machine's.)
func TestBenchPrintsEveryFigureAndCleansUp(t *testing.T) {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		u, closeFn, err := store.Embedded()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closeFn)
		url = u
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"bench", "--redis", url, "--quick"}, &out, func(string) string { return "" }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"machine: ",
		"list ack, 20 open (p50 / p99",
		"list ack, 300 open (p50 / p99",
		"clicks by others during it (p50 / p99",
		"RSS during the 300-case flood (peak)",
		"auditor, one run (",
		"digest (",
		"board report (",
		"tick, 50 due (wall / Redis CPU)",
		"transitions/s at 8 clients",
		"memory per open case",
		"requests answered busy (beyond the bound)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the bench printed no %q line:\n%s", want, text)
		}
	}
	m := regexp.MustCompile(`key prefix (bench:[0-9a-f]+:)`).FindStringSubmatch(text)
	if m == nil || !strings.Contains(text, "cleaned up: ") {
		t.Fatalf("the bench named no prefix or did not clean up:\n%s", text)
	}
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	defer c.Close()
	if keys, _, err := c.Scan(context.Background(), 0, m[1]+"*", 1000).Result(); err != nil || len(keys) != 0 {
		t.Fatalf("the bench left %d keys of %s (%v)", len(keys), m[1], err)
	}

	// Without a Redis named it says what it needs.
	err = run(context.Background(), []string{"bench"}, &out, func(string) string { return "" }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "--redis") {
		t.Fatalf("bench without --redis: %v", err)
	}
}
