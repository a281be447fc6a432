package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/escalate-app/escalate/bot/teams"
	"github.com/escalate-app/escalate/config"
)

// teamsPackage: escalate teams-package [--app-id ID | --registration NAME]
// [--out FILE] writes the zip a Teams admin uploads, with the bot's
// Microsoft App ID in place. With several bot registrations (one per agency
// tenant, teams.registrations in ESCALATE_CONFIG) each tenant gets its own
// package carrying its own bot's id: --registration NAME writes that one;
// with neither flag nor TEAMS_APP_ID, every registration's is written.
func teamsPackage(args []string, out io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("teams-package", flag.ContinueOnError)
	fs.SetOutput(out)
	appID := fs.String("app-id", getenv("TEAMS_APP_ID"), "the bot's Microsoft App ID (default: TEAMS_APP_ID)")
	regName := fs.String("registration", "", "the name of one of teams.registrations in ESCALATE_CONFIG: that tenant's package")
	file := fs.String("out", "", "the zip to write (default escalate-teams.zip, or escalate-teams-NAME.zip for a registration)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *regName == "" && *appID != "" {
		return writePackage(out, orDefault(*file, "escalate-teams.zip"), *appID, "")
	}
	path := getenv("ESCALATE_CONFIG")
	if path == "" {
		if *regName != "" {
			return fmt.Errorf("--registration: set ESCALATE_CONFIG to the configuration that lists teams.registrations")
		}
		return fmt.Errorf("set TEAMS_APP_ID (or --app-id) to the bot's Microsoft App ID, or --registration NAME with ESCALATE_CONFIG listing teams.registrations")
	}
	regs, err := config.TeamsRegistrationsInFile(path)
	if err != nil {
		return err
	}
	if len(regs) == 0 {
		return fmt.Errorf("%s lists no teams.registrations: use --app-id or TEAMS_APP_ID for a single bot", path)
	}
	var names []string
	for _, r := range regs {
		names = append(names, r.Name)
		if *regName != "" && r.Name != *regName {
			continue
		}
		name := "escalate-teams-" + r.Name + ".zip"
		if *regName != "" {
			name = orDefault(*file, name)
		}
		if err := writePackage(out, name, r.AppID, r.Name); err != nil {
			return fmt.Errorf("registration %s: %w", r.Name, err)
		}
		if *regName != "" {
			return nil
		}
	}
	if *regName != "" {
		return fmt.Errorf("--registration: %q is not one of teams.registrations in %s (%v)", *regName, path, names)
	}
	return nil
}

func writePackage(out io.Writer, file, appID, reg string) error {
	if err := writeTo(file, out, func(w io.Writer) error { return teams.WritePackage(w, appID) }); err != nil {
		return err
	}
	who := ""
	if reg != "" {
		who = " by the IT team of registration " + reg + "'s tenant"
	}
	fmt.Fprintf(out, "%s is ready (bot %s): upload it%s in the Teams admin centre (Teams apps → Manage apps → Upload new app)\n", file, appID, who)
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
