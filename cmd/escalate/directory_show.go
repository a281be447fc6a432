package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/escalate-app/escalate/workflow"
)

// directoryList: escalate directory list [--agency ID]: the directory the
// bot runs with (the file's people and the imported ones), by agency and
// role, each person's platform ids and where they come from.
func directoryList(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	fs := flag.NewFlagSet("directory list", flag.ContinueOnError)
	fs.SetOutput(out)
	only := fs.String("agency", "", "list only this agency (its id)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := adminApp(ctx, getenv, log)
	if err != nil {
		return err
	}
	defer a.Close()
	env := a.engine.Env()
	dir, p := env.Directory, env.Policy
	if *only != "" {
		if _, ok := dir.Agency(*only); !ok {
			return fmt.Errorf("directory list: unknown agency %q", *only)
		}
	}
	inFile := map[workflow.UserID]bool{}
	for _, person := range a.cfg.Directory.People {
		inFile[person.ID] = true
	}
	source := func(id workflow.UserID) string {
		if inFile[id] {
			return "file"
		}
		return "imported"
	}
	for _, ag := range dir.Agencies {
		if *only != "" && ag.ID != *only {
			continue
		}
		fmt.Fprintf(out, "%s (%s)", ag.Name, ag.ID)
		if ag.HeldBy != "" {
			fmt.Fprintf(out, ", its stages above the practitioners held by %s", dir.AgencyName(ag.HeldBy))
		}
		fmt.Fprintln(out)
		for _, role := range p.RoleNames() {
			var lines []string
			for _, person := range dir.People {
				if person.Agency == ag.ID && string(person.Role) == role {
					lines = append(lines, fmt.Sprintf("    %s  %s  (%s)", person.Name, person.ID, source(person.ID)))
				}
			}
			if len(lines) > 0 {
				fmt.Fprintf(out, "  %s:\n%s\n", p.RoleLabel(workflow.Role(role)), strings.Join(lines, "\n"))
			}
		}
	}
	if *only == "" {
		for _, group := range []struct {
			label string
			ids   []workflow.UserID
		}{{"Partnership chair", dir.Chair}, {"Business team", dir.BusinessTeam}} {
			fmt.Fprintf(out, "%s:\n", group.label)
			for _, id := range group.ids {
				fmt.Fprintf(out, "    %s  %s  (%s)\n", dir.Name(id), id, source(id))
			}
		}
	}
	return nil
}

// directoryCheck: escalate directory check: per agency and stage role,
// where the directory lists nobody who could hold a stage. It fails (exit
// status 1) when there is such a gap, so a script can tell.
func directoryCheck(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	fs := flag.NewFlagSet("directory check", flag.ContinueOnError)
	fs.SetOutput(out)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New("usage: escalate directory check")
	}
	a, err := adminApp(ctx, getenv, log)
	if err != nil {
		return err
	}
	defer a.Close()
	env := a.engine.Env()
	dir, p := env.Directory, env.Policy
	gaps := workflow.Gaps(p, dir)
	if len(gaps) == 0 {
		fmt.Fprintf(out, "Every stage can be held for every agency: %d agencies, %d directory entries.\n", len(dir.Agencies), len(dir.People))
		return nil
	}
	for _, g := range gaps {
		fmt.Fprintln(out, g.Describe(p, dir))
	}
	hint := "list someone for each in the configuration file or a CSV import"
	if p.AnyoneWhereUnlisted {
		hint = "until someone is listed, whoever escalates names anyone there and the record says who chose whom (policy.anyone_where_unlisted)"
	} else {
		hint += ": until then nobody can be made to hold those stages"
	}
	fmt.Fprintf(out, "%d stage roles have nobody to hold them; %s.\n", len(gaps), hint)
	return fmt.Errorf("directory check: %d stage roles have nobody to hold them", len(gaps))
}

// directoryExport: escalate directory export [--all] [--out FILE]: the
// imported people as a CSV that directory import reads back (one row a
// person, their ids gathered by address); --all adds the configuration
// file's people who could be imported (an agency, a role, not the chair).
func directoryExport(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	fs := flag.NewFlagSet("directory export", flag.ContinueOnError)
	fs.SetOutput(out)
	all := fs.Bool("all", false, "the configuration file's people too")
	file := fs.String("out", "", "write to this file (default: standard output)")
	if err := fs.Parse(reorder(args, map[string]bool{"out": true})); err != nil {
		return err
	}
	a, err := adminApp(ctx, getenv, log)
	if err != nil {
		return err
	}
	defer a.Close()
	imported, _, err := a.store.ImportedPeople(ctx)
	if err != nil {
		return err
	}
	people := imported
	if *all {
		people = append(append([]workflow.Person(nil), a.cfg.Directory.People...), imported...)
	}
	rows := exportRows(people)
	return writeTo(*file, out, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"name", "email", "agency", "role", "slack", "teams"})
		for _, r := range rows {
			_ = cw.Write(r)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("directory export: %w", err)
		}
		return nil
	})
}

// exportRows gathers directory entries into one row a person: entries of
// one address (or, without one, each entry alone), their Slack and Teams
// ids side by side. Entries an import cannot hold (no agency, the chair,
// console ids, Slack user groups) are left out.
func exportRows(people []workflow.Person) [][]string {
	var rows [][]string
	at := map[string]int{} // address → row
	seen := map[workflow.UserID]bool{}
	for _, p := range people {
		if p.Agency == "" || p.Role == "" || p.Role == workflow.RoleChair || seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		var slackID, teamsID string
		switch p.ID.Platform() {
		case "slack":
			slackID = p.ID.Local()
		case "teams":
			teamsID = p.ID.Local()
		case "email":
			if p.Email == "" {
				p.Email = p.ID.Local()
			}
		default:
			continue
		}
		if i, ok := at[p.Email]; ok && p.Email != "" {
			if slackID != "" && rows[i][4] == "" {
				rows[i][4] = slackID
			}
			if teamsID != "" && rows[i][5] == "" {
				rows[i][5] = teamsID
			}
			continue
		}
		if p.Email != "" {
			at[p.Email] = len(rows)
		}
		rows = append(rows, []string{p.Name, p.Email, p.Agency, string(p.Role), slackID, teamsID})
	}
	return rows
}
