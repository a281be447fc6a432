package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/escalate-app/escalate/bot/teams"
)

// teamsPackage: escalate teams-package [--app-id ID] [--out FILE] writes the
// zip a Teams admin uploads, with the bot's Microsoft App ID in place.
func teamsPackage(args []string, out io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("teams-package", flag.ContinueOnError)
	fs.SetOutput(out)
	appID := fs.String("app-id", getenv("TEAMS_APP_ID"), "the bot's Microsoft App ID (default: TEAMS_APP_ID)")
	file := fs.String("out", "escalate-teams.zip", "the zip to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *appID == "" {
		return fmt.Errorf("set TEAMS_APP_ID (or --app-id) to the bot's Microsoft App ID")
	}
	if err := writeTo(*file, out, func(w io.Writer) error { return teams.WritePackage(w, *appID) }); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s is ready: upload it in the Teams admin centre (Teams apps → Manage apps → Upload new app)\n", *file)
	return nil
}
