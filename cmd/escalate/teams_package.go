package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/escalate-app/escalate/bot/teams"
	"github.com/escalate-app/escalate/config"
)

// teamsPackage: escalate teams-package [--app-id ID | --registration NAME]
// --developer NAME --website-url URL --privacy-url URL --terms-url URL
// [--name NAME] [--icons DIR] [--out FILE] writes the zip a Teams admin
// uploads, with the bot's Microsoft App ID, the partnership's name and
// pages and its icons (read from DIR now, no rebuild) in place. Teams shows
// the publisher and the three pages to everyone who installs the app, so
// they have no made-up defaults: what is missing is named, all at once. With several bot registrations (one per agency
// tenant, teams.registrations in ESCALATE_CONFIG) each tenant gets its own
// package carrying its own bot's id: --registration NAME writes that one;
// with neither flag nor TEAMS_APP_ID, every registration's is written.
func teamsPackage(args []string, out io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("teams-package", flag.ContinueOnError)
	fs.SetOutput(out)
	appID := fs.String("app-id", getenv("TEAMS_APP_ID"), "the bot's Microsoft App ID (default: TEAMS_APP_ID)")
	regName := fs.String("registration", "", "the name of one of teams.registrations in ESCALATE_CONFIG: that tenant's package")
	file := fs.String("out", "", "the zip to write (default escalate-teams.zip, or escalate-teams-NAME.zip for a registration)")
	var p teams.Package
	fs.StringVar(&p.Name, "name", teams.DefaultAppName, "the app's name in Teams (at most 30 characters)")
	fs.StringVar(&p.Developer, "developer", "", "required: who publishes the app, e.g. your partnership (at most 32 characters)")
	fs.StringVar(&p.WebsiteURL, "website-url", "", "required: https address of a page about Escalate at your partnership")
	fs.StringVar(&p.PrivacyURL, "privacy-url", "", "required: https address of your privacy notice")
	fs.StringVar(&p.TermsURL, "terms-url", "", "required: https address of your terms of use")
	fs.StringVar(&p.IconsDir, "icons", "", "a folder holding color.png (192x192) and outline.png (32x32, white on transparent); default Escalate's own")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("teams-package takes no arguments (%q): every value is a flag, see escalate teams-package --help", fs.Args())
	}
	if *regName == "" && *appID != "" {
		p.AppID = *appID
		return writePackage(out, orDefault(*file, "escalate-teams.zip"), p, "")
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
		rp := p
		rp.AppID = r.AppID
		if err := writePackage(out, name, rp, r.Name); err != nil {
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

func writePackage(out io.Writer, file string, p teams.Package, reg string) error {
	// Checked before the file is made: a refusal leaves nothing behind.
	if err := p.Check(); err != nil {
		return err
	}
	if err := writeTo(file, out, func(w io.Writer) error { return teams.WritePackage(w, p) }); err != nil {
		return err
	}
	who := ""
	if reg != "" {
		who = " by the IT team of registration " + reg + "'s tenant"
	}
	fmt.Fprintf(out, "%s is ready (bot %s): upload it%s in the Teams admin centre (Teams apps → Manage apps → Upload new app)\n", file, p.AppID, who)
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
