// Command escalate is the one Escalate binary: with no arguments it runs
// the bot (Slack, Teams, or the practice console when neither is
// configured); its subcommands are administrators' tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

const usage = `escalate — professional-disagreement escalation for safeguarding partnerships

Usage:
  escalate                          run the bot (the practice console when no Slack or Teams is configured)
  escalate serve                    the same
  escalate check-config [--at RFC3339-TIME] [--env] FILE|PRESET
                                    validate a configuration file (or a preset: coventry, west-sussex,
                                    warwickshire, wolverhampton) and print the effective policy and the
                                    deadline of each stage for a case raised at that time
  escalate outbox [list|replay ID]  messages parked after repeated delivery failures, and replaying one
  escalate links revoke ADDRESS     withdraw the web-page links and sessions of a person on email
  escalate record ESC-YYYY-NNNN [--format pdf|html|md|json] [--out FILE]
                                    the written record of a case
  escalate report [--from DATE] [--to DATE] [--out DIR]
                                    the board report (default: the last complete quarter)
  escalate purge [--dry-run]        remove the free text of cases closed longer than the retention period
  escalate rekey                    rewrap everything under the newest key of ESCALATE_ENCRYPTION_KEYS
  escalate teams-package [--app-id ID | --registration NAME] --developer NAME --website-url URL
                         --privacy-url URL --terms-url URL [--name NAME] [--icons DIR] [--out FILE]
                                    the Microsoft Teams app package (manifest and icons) to upload
  escalate directory import FILE.csv [--dry-run] [--allow-email-only]
                                    import people (name, email, agency, role, slack, teams) into the
                                    directory kept in the store, all or nothing, every bad row named
  escalate bench --redis URL [--open N] [--quick]
                                    the scale figures (list, auditor, digest, report, tick, transitions,
                                    memory) against that Redis, under a key prefix of its own, removed after

Configuration: ESCALATE_CONFIG (YAML file) and the environment (see README.md).
`

func main() {
	log := newLogger(os.Stderr, os.Getenv("ESCALATE_ENV"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Getenv, log); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "escalate:", err)
		os.Exit(1)
	}
}

// newLogger writes JSON lines where logs are collected (production and
// staging) and readable text elsewhere. Nothing Escalate logs carries free
// text or a subject reference: references, commands, stages and counts only.
func newLogger(w io.Writer, env string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if env == "production" || env == "staging" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// run dispatches a subcommand; it is main without the process, for tests.
func run(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	if len(args) == 0 {
		return serve(ctx, getenv, log, nil)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, getenv, log, nil)
	case "check-config":
		return checkConfig(args[1:], out, getenv)
	case "outbox":
		return outboxCmd(ctx, args[1:], out, getenv, log)
	case "links":
		return linksCmd(ctx, args[1:], out, getenv, log)
	case "record":
		return recordCmd(ctx, args[1:], out, getenv, log)
	case "report":
		return reportCmd(ctx, args[1:], out, getenv, log)
	case "purge":
		return purgeCmd(ctx, args[1:], out, getenv, log)
	case "rekey":
		return rekeyCmd(ctx, args[1:], out, getenv, log)
	case "teams-package":
		return teamsPackage(args[1:], out, getenv)
	case "teams":
		// "escalate teams package" reads as naturally as teams-package.
		if len(args) > 1 && args[1] == "package" {
			return teamsPackage(args[2:], out, getenv)
		}
		fmt.Fprint(out, usage)
		return fmt.Errorf("unknown subcommand %q: did you mean escalate teams-package?", strings.Join(args, " "))
	case "bench":
		return benchCmd(ctx, args[1:], out, getenv, log)
	case "directory":
		return directoryCmd(ctx, args[1:], out, getenv, log)
	case "help", "-h", "--help":
		fmt.Fprint(out, usage)
		return nil
	}
	fmt.Fprint(out, usage)
	return fmt.Errorf("unknown subcommand %q", args[0])
}

func parseTimeFlag(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time or a YYYY-MM-DD date", s)
}
