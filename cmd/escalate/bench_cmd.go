package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/escalate-app/escalate/bot/bench"
)

// benchCmd is `escalate bench`: the scale figures against a Redis the
// operator names (see package bench).
func benchCmd(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(out)
	redisURL := fs.String("redis", "", "the Redis to measure against, redis://host:port/db (required; the bench writes under a key prefix of its own and deletes it)")
	open := fs.Int("open", 100_000, "quiet open cases the store holds besides those the figures use (the issue's figures: 1000000)")
	quick := fs.Bool("quick", false, "every figure at a small size, in seconds (to test the command, not for figures)")
	rb := fs.String("redis-benchmark", "", `the redis-benchmark program ("" finds it on PATH, "-" skips it)`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected %q", fs.Arg(0))
	}
	if *redisURL == "" {
		return errors.New("bench: --redis is required: the Redis to measure against (redis://host:port/db); the bench never uses REDIS_URL by itself")
	}
	if *open < 0 {
		return fmt.Errorf("bench: --open must not be negative (got %d)", *open)
	}
	// The engine logs every transition at info and the bound every refusal
	// at warn: thousands a second here (the refusals are counted instead).
	quiet := slog.New(&levelHandler{Handler: log.Handler(), min: slog.LevelError})
	return bench.Run(ctx, bench.Options{RedisURL: *redisURL, Open: *open, Quick: *quick, RedisBenchmark: *rb, Log: quiet}, out)
}

// levelHandler passes on records at min and above.
type levelHandler struct {
	slog.Handler
	min slog.Level
}

func (h *levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}
