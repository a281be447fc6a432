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
	if !cfg.Redis.Configured() {
		return nil, fmt.Errorf("REDIS_URL is not set: administrators' commands work on the real store, and the embedded one lives only inside a running escalate")
	}
	return open(ctx, cfg, getenv, log, time.Now)
}
