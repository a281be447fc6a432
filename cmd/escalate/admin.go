package main

import (
	"context"
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
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(out)
	at := fs.String("at", "", "the time a case is raised (RFC 3339), default now")
	if err := fs.Parse(reorder(args, map[string]bool{"at": true})); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: escalate check-config [--at RFC3339-TIME] FILE|PRESET")
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
	return config.CheckConfigEnv(out, target, t, getenv)
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
