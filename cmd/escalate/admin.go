package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/escalate-app/escalate/config"
)

// checkConfig: escalate check-config [--at TIME] FILE|PRESET
func checkConfig(args []string, out io.Writer, getenv func(string) string) error {
	const use = "usage: escalate check-config [--at RFC3339-TIME] [--env] FILE|PRESET"
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "%s\n\nChecks a configuration file (or a preset: %s) and prints the effective\npolicy and when each stage's window would close for a case raised at --at.\n\n", use, strings.Join(config.Presets(), ", "))
		fs.PrintDefaults()
	}
	at := fs.String("at", "", "the time a case is raised (RFC 3339), default now")
	withEnv := fs.Bool("env", false, "also check this machine's environment (keys, Redis, platform secrets) as escalate serve would")
	if err := fs.Parse(reorder(args, map[string]bool{"at": true})); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New(use)
	}
	t, err := parseTimeFlag(*at)
	if err != nil {
		return fmt.Errorf("--at: %w", err)
	}
	target := fs.Arg(0)
	if _, statErr := os.Stat(target); statErr != nil {
		for _, p := range config.Presets() {
			if p == target {
				return config.CheckPreset(out, target, t)
			}
		}
		return fmt.Errorf("%s: no such file, and not a preset (%s)", target, strings.Join(config.Presets(), ", "))
	}
	if *withEnv {
		return config.CheckConfigEnv(out, target, t, getenv)
	}
	return config.CheckFile(out, target, t, getenv)
}

// reorder lets flags follow positional arguments ("record ESC-… --format md"),
// as people type them; valued names which flags take a value.
func reorder(args []string, valued map[string]bool) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && a != "-" {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && valued[name] && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		rest = append(rest, a)
	}
	return append(flags, rest...)
}

// adminApp opens the configured store for an administrator's command.
func adminApp(ctx context.Context, getenv func(string) string, log *slog.Logger) (*app, error) {
	cfg, err := config.Load(getenv("ESCALATE_CONFIG"), getenv)
	if err != nil {
		return nil, err
	}
	if u := getenv(envConsoleRedis); u != "" {
		if err := consoleRedis(cfg, u); err != nil {
			return nil, err
		}
	}
	if !cfg.Redis.Configured() {
		return nil, fmt.Errorf("REDIS_URL is not set: administrators' commands work on the real store; to try them on a running practice console, set %s to the address it printed at start-up", envConsoleRedis)
	}
	return open(ctx, cfg, getenv, log, time.Now)
}

// envConsoleRedis names the practice console's embedded Redis, for trying
// the administrators' commands on it: the console prints the value at
// start-up.
const envConsoleRedis = "ESCALATE_CONSOLE_REDIS_URL"

// consoleRedis points an administrator's command at a running practice
// console's embedded Redis: a redis:// address on this machine, with the
// console's own configuration (no chat platform, so its practice keys) and
// no Redis of the deployment's named beside it.
func consoleRedis(cfg *config.Config, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "redis" || !config.Loopback(u.Hostname()) {
		return fmt.Errorf("%s must be the redis://127.0.0.1:PORT address the practice console printed at start-up", envConsoleRedis)
	}
	if cfg.Redis.Configured() {
		return fmt.Errorf("%s and REDIS_URL (or redis.sentinel / redis.cluster_addrs) are both set: choose the console's store or the real one", envConsoleRedis)
	}
	if !cfg.Practice() {
		return fmt.Errorf("%s is set but Slack or Teams is configured: the console's store is only for the practice console's configuration", envConsoleRedis)
	}
	cfg.Redis.URL = raw
	cfg.StandIns() // the console's directory, as it runs
	return nil
}
