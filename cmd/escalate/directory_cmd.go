package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/escalate-app/escalate/bot/directory"
	"github.com/escalate-app/escalate/bot/slack"
	"github.com/escalate-app/escalate/config"
	"github.com/escalate-app/escalate/store"
)

// directoryCmd: escalate directory import FILE [--dry-run] [--allow-email-only]
func directoryCmd(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(out, directoryUsage)
		return nil
	}
	switch args[0] {
	case "import":
		return directoryImport(ctx, args[1:], out, getenv, log)
	case "list":
		return directoryList(ctx, args[1:], out, getenv, log)
	case "check":
		return directoryCheck(ctx, args[1:], out, getenv, log)
	case "export":
		return directoryExport(ctx, args[1:], out, getenv, log)
	}
	fmt.Fprint(out, directoryUsage)
	return fmt.Errorf("directory: unknown command %q", args[0])
}

const directoryUsage = `escalate directory import FILE.csv [--dry-run] [--allow-email-only]
escalate directory list [--agency ID]
escalate directory check
escalate directory export [--all] [--out FILE.csv]

  Imports the people of a CSV file into the directory Escalate keeps in its
  store, beside the configuration file's (which wins for anyone in both).
  Columns (a header line names them, in any order): name, email, agency,
  role, and optionally slack and teams (platform ids). A row with an email
  and no id is looked up on Slack (users.lookupByEmail) when Slack is
  configured. Every bad row is reported by its line and nothing is imported
  until the whole file is good; an import replaces the previous one whole.
  The running bot reads the import when it starts and on SIGHUP.

  --dry-run           check the file (and look up the addresses), change nothing
  --allow-email-only  accept people no platform knows: they are reached by email

  list     the directory the bot runs with, by agency and role: each person's
           platform ids and whether the file or the import lists them
  check    per agency and stage role, where nobody could hold a stage (exit
           status 1 when there is such a gap)
  export   the imported people as a CSV that import reads back (--all: the
           configuration file's people too)
`

func directoryImport(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	fs := flag.NewFlagSet("directory import", flag.ContinueOnError)
	fs.SetOutput(out)
	dry := fs.Bool("dry-run", false, "check the file, change nothing")
	emailOnly := fs.Bool("allow-email-only", false, "accept people no platform knows: they are reached by email")
	if err := fs.Parse(reorder(args, nil)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("directory import: name one CSV file")
	}
	file := fs.Arg(0)
	cfg, err := config.Load(getenv("ESCALATE_CONFIG"), getenv)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("directory import: %w", err)
	}
	defer f.Close()
	rows, err := cfg.ReadPeopleCSV(f, filepath.Base(file))
	if err != nil {
		return err
	}
	var lookups []directory.EmailLookup
	var where []string
	if cfg.SlackEnabled() {
		where = append(where, "on Slack")
		lookups = append(lookups, slack.NewPeople(cfg.Slack.BotToken, cfg.Slack.APIURL))
	}
	if cfg.GraphEnabled() {
		g, err := graphClient(cfg)
		if err != nil {
			return err
		}
		lookups = append(lookups, g)
		where = append(where, "in Microsoft Entra ID")
	}
	rows, err = resolveRows(ctx, cfg, rows, lookups, strings.Join(where, " or "), *emailOnly, filepath.Base(file))
	if err != nil {
		return err
	}
	people, skipped := cfg.People(rows)
	if *dry {
		fmt.Fprintf(out, "%s is good: %d people, %d directory entries; %d already in the configuration file. Nothing was imported (--dry-run).\n", file, len(rows), len(people), skipped)
		return nil
	}
	if !cfg.Redis.Configured() {
		return fmt.Errorf("REDIS_URL is not set: the directory is imported into the real store")
	}
	a, err := open(ctx, cfg, getenv, log, time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.store.PutImportedPeople(ctx, people, store.ImportMeta{At: time.Now(), Source: filepath.Base(file), Rows: len(rows), People: len(people)}); err != nil {
		return err
	}
	fmt.Fprintf(out, "Imported %d people (%d directory entries) from %s; %d already in the configuration file were left as the file has them. Reload the running Escalate (kill -HUP its process) or restart it to use them.\n", len(rows), len(people), file, skipped)
	return nil
}

// resolveRows gives every row that names no chat id the platform id its
// address is found under. An address no platform knows is a problem of its
// row, unless people on email alone are allowed (or no platform is
// configured, when email is how everyone is reached).
func resolveRows(ctx context.Context, cfg *config.Config, rows []config.ImportRow, lookups []directory.EmailLookup, where string, emailOnly bool, source string) ([]config.ImportRow, error) {
	var emails []string
	var at []int
	for i, r := range rows {
		if r.NeedsLookUp() {
			emails = append(emails, r.Email)
			at = append(at, i)
		}
	}
	if len(emails) == 0 || len(lookups) == 0 {
		return rows, nil
	}
	found, err := directory.Resolve(ctx, emails, lookups, 8, nil)
	if err != nil {
		return nil, fmt.Errorf("directory import: nothing was imported: %w", err)
	}
	var probs []config.Problem
	for k, f := range found {
		i := at[k]
		switch platform := f.ID.Platform(); {
		case platform == "slack":
			rows[i].Slack = f.ID.Local()
		case platform == "teams":
			rows[i].Teams = f.ID.Local()
		case !emailOnly:
			probs = append(probs, config.Problem{Path: fmt.Sprintf("line %d, email", rows[i].Line),
				Message: fmt.Sprintf("%s is not found %s: give their slack or teams id, correct the address, or import with --allow-email-only to reach them by email", rows[i].Email, where)})
		}
	}
	if len(probs) > 0 {
		return nil, &config.Error{Source: source, Problems: probs}
	}
	return rows, nil
}
