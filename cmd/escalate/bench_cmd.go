package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/escalate-app/escalate/bot/bench"
)

// benchCmd is `escalate bench`: the scale figures against a Redis the
// operator names (see package bench).
func benchCmd(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	if len(args) > 0 && args[0] == "faults" {
		return faultsCmd(ctx, args[1:], out, log)
	}
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

// faultsCmd is `escalate bench faults`: the fault runs (see bench.Faults)
// against a Redis of their own, and the Cluster and Sentinel of
// .ci/redis-topologies when named.
func faultsCmd(ctx context.Context, args []string, out io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("bench faults", flag.ContinueOnError)
	fs.SetOutput(out)
	cluster := fs.String("cluster", "", "the Redis Cluster to fail over, host:port,… (.ci/redis-topologies start prints it as ESCALATE_TEST_CLUSTER); empty: not run")
	sentinel := fs.String("sentinel", "", "the sentinels of the Sentinel setup to fail over, host:port,… (ESCALATE_TEST_SENTINEL); empty: not run")
	master := fs.String("sentinel-master", "escalate", "the master name the sentinels watch")
	raises := fs.Int("raises", 1000, "raises in each run")
	runs := fs.Int("runs", 3, "runs of each fault")
	rate := fs.Int("rate", 40, "raises a second at most")
	outage := fs.Duration("outage", 60*time.Second, "how long Slack answers 500 (the first three quarters) and 429 (the last)")
	down := fs.Duration("redis-down", 15*time.Second, "how long Redis stays killed")
	only := fs.String("only", "", "run only these faults, comma-separated: kill-bot, redis-down, slack-outage, cluster, sentinel")
	rs := fs.String("redis-server", "", "the redis-server program for the Redis the runs kill (\"\" finds it on PATH)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench faults: unexpected %q", fs.Arg(0))
	}
	bot, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench faults: find the escalate binary: %w", err)
	}
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	return bench.Faults(ctx, bench.FaultOptions{Bot: bot, RedisServer: *rs, Cluster: split(*cluster), Sentinel: split(*sentinel), SentinelMaster: *master,
		Raises: *raises, Runs: *runs, Rate: *rate, Outage: *outage, RedisDown: *down, Only: split(*only),
		Log: slog.New(&levelHandler{Handler: log.Handler(), min: slog.LevelError})}, out)
}
