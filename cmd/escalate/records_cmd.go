package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/escalate-app/escalate/bot/record"
	"github.com/escalate-app/escalate/bot/report"
	"github.com/escalate-app/escalate/bot/retention"
	"github.com/escalate-app/escalate/workflow"
)

// recordCmd: escalate record ESC-… [--format pdf|md|json] [--out FILE]
func recordCmd(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	fs.SetOutput(out)
	format := fs.String("format", "md", "pdf, html (the accessible twin of the PDF), md or json")
	file := fs.String("out", "", "write to this file (default: standard output; a PDF needs --out)")
	if err := fs.Parse(reorder(args, map[string]bool{"format": true, "out": true})); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: escalate record ESC-YYYY-NNNN [--format pdf|html|md|json] [--out FILE]")
	}
	ref, ok := workflow.ParseRef(fs.Arg(0))
	if !ok {
		return fmt.Errorf("%q is not a case reference (ESC-2026-0042)", fs.Arg(0))
	}
	if *format == "pdf" && *file == "" {
		return fmt.Errorf("a PDF goes to a file: add --out %s.pdf", ref)
	}
	a, err := adminApp(ctx, getenv, log)
	if err != nil {
		return err
	}
	defer a.Close()
	return writeTo(*file, out, func(w io.Writer) error { return record.Write(ctx, w, a.engine, ref, *format) })
}

// writeTo writes to the named file (created only when writing succeeds,
// so a refusal leaves no half-written record) or to out.
func writeTo(file string, out io.Writer, write func(io.Writer) error) error {
	if file == "" {
		return write(out)
	}
	tmp, err := os.CreateTemp(dirOf(file), ".escalate-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return os.Chmod(file, 0o600) // a record holds the case's words: owner only
}

func dirOf(file string) string {
	for i := len(file) - 1; i >= 0; i-- {
		if file[i] == '/' {
			return file[:i+1]
		}
	}
	return "."
}

// reportCmd: escalate report [--from DATE] [--to DATE] [--out DIR]
func reportCmd(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(out)
	fromS := fs.String("from", "", "first day (YYYY-MM-DD); default: the last complete quarter")
	toS := fs.String("to", "", "last day, included (YYYY-MM-DD)")
	dir := fs.String("out", "", "directory for report.md, cases.csv and the charts (default: board-report-FROM-to-TO, named by the period)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := adminApp(ctx, getenv, log)
	if err != nil {
		return err
	}
	defer a.Close()
	env := a.engine.Env()
	loc := env.Calendar.Location()
	from, to := report.DefaultPeriod(time.Now(), loc)
	if *fromS != "" || *toS != "" {
		if *fromS == "" || *toS == "" {
			return fmt.Errorf("give both --from and --to, or neither for the last quarter")
		}
		if from, to, err = report.ParsePeriod(*fromS, *toS, loc); err != nil {
			return err
		}
	}
	if now := time.Now(); to.After(now) {
		to = now // open cases count as open until now, not a future date
	}
	if *dir == "" {
		// Named by its period, so reports of two quarters never overwrite
		// each other and a folder says what it holds.
		*dir = fmt.Sprintf("board-report-%s-to-%s", from.Format(time.DateOnly), to.Add(-time.Nanosecond).In(loc).Format(time.DateOnly))
	}
	cases, err := report.Load(ctx, a.store, from, to)
	if err != nil {
		return fmt.Errorf("read the cases: %w", err)
	}
	if err := os.MkdirAll(*dir, 0o750); err != nil {
		return fmt.Errorf("report directory: %w", err)
	}
	files, err := report.WriteFiles(*dir, report.Compute(env, cases, from, to))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "The board report for %s (%d cases) is in:\n", report.PeriodLabel(from, to), len(cases))
	for _, f := range files {
		fmt.Fprintln(out, "  "+f)
	}
	return nil
}

// purgeCmd: escalate purge [--dry-run]
func purgeCmd(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	fs := flag.NewFlagSet("purge", flag.ContinueOnError)
	fs.SetOutput(out)
	dry := fs.Bool("dry-run", false, "count what would be purged, change nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := adminApp(ctx, getenv, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.cfg.RetentionDays <= 0 {
		return fmt.Errorf("retention.days_after_closure is 0 in the configuration: cases are kept for ever, so there is nothing to purge")
	}
	after := time.Duration(a.cfg.RetentionDays) * 24 * time.Hour
	res, err := retention.Purge(ctx, a.store, a.engine, time.Now(), after, *dry, log)
	verb, n := "purged", res.Purged
	if *dry {
		verb, n = "would purge", res.Due
	}
	fmt.Fprintf(out, "closed cases checked: %d; past %d days after closure: %d; %s: %d; failed: %d\n", res.Checked, a.cfg.RetentionDays, res.Due, verb, n, res.Failed)
	return err
}
