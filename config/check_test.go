package config

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// productionEnv is everything example.yaml (env: production, Slack and
// Teams) needs from the environment.
var productionEnv = []string{
	"ESCALATE_ENCRYPTION_KEY", validKey, "REDIS_URL", "redis://127.0.0.1:6379/0",
	"SLACK_BOT_TOKEN", "xoxb-1-2-3", "SLACK_SIGNING_SECRET", "secret",
	"TEAMS_APP_ID", "00000000-0000-0000-0000-000000000001", "TEAMS_APP_PASSWORD", "pw", "TEAMS_TENANT_ID", "anyshire.example",
	"SMTP_URL", "smtp://escalate:pw@smtp.anyshire.example:587", "ESCALATE_MAIL_FROM", "escalate@anyshire.example", "ESCALATE_PUBLIC_URL", "https://escalate.anyshire.example",
}

func TestCheckPresetDeadlines(t *testing.T) {
	christmasEve := time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC)
	midsummer := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC) // 10:00 in London (BST)
	tests := []struct {
		preset string
		at     time.Time
		want   []string
	}{
		// Thursday 24 December 2026. Christmas Day is Friday 25th; Boxing Day
		// falls on Saturday 26th, so its substitute bank holiday is Monday
		// 28th (England and Wales). One working day after 10:00 on the 24th
		// is therefore 10:00 on Tuesday 29th. Each later stage opens when the
		// one before closes: Wednesday 30th, Thursday 31st, then the chair's
		// working week skips New Year's Day (Friday 1 January 2027) and ends
		// on Friday 8 January.
		{"west-sussex", christmasEve, []string{
			"stage 1: Tue 29 Dec 2026, 10:00 GMT  Stage 1 (Professional to professional), 1 working day",
			"stage 2: Wed 30 Dec 2026, 10:00 GMT  Stage 2 (Manager to manager), 1 working day",
			"stage 3: Thu 31 Dec 2026, 10:00 GMT  Stage 3 (Senior manager to senior manager), 1 working day",
			"stage 4: Fri 8 Jan 2027, 10:00 GMT  Stage 4 (Partnership chair), 5 working days",
		}},
		// Wednesday 1 July 2026, 10:00 BST: deadlines are printed on the
		// partnership's clock, with its offset.
		{"west-sussex", midsummer, []string{
			"stage 1: Thu 2 Jul 2026, 10:00 BST",
			"stage 2: Fri 3 Jul 2026, 10:00 BST",
			"stage 3: Mon 6 Jul 2026, 10:00 BST", // over the weekend
			"stage 4: Mon 13 Jul 2026, 10:00 BST",
		}},
		{"coventry", christmasEve, []string{
			"stage 1: Tue 29 Dec 2026, 10:00 GMT  Stage 1 (Frontline staff)",
			"stage 2: Wed 30 Dec 2026, 10:00 GMT  Stage 1b (Line managers)",
			"stage 3: Thu 31 Dec 2026, 10:00 GMT  Stage 2 (Second tier managers)",
			"stage 4: Mon 4 Jan 2027, 10:00 GMT  Stage 3 (Head of Service)",
			"stage 5: Tue 5 Jan 2027, 10:00 GMT  Stage 4 (Head of Safeguarding)",
		}},
		{"warwickshire", christmasEve, []string{"stage 3: Thu 31 Dec 2026, 10:00 GMT"}},
		{"wolverhampton", christmasEve, []string{"stage 4: Fri 8 Jan 2027, 10:00 GMT"}},
	}
	for _, tt := range tests {
		t.Run(tt.preset+" "+tt.at.Format(time.DateOnly), func(t *testing.T) {
			var out bytes.Buffer
			if err := CheckPreset(&out, tt.preset, tt.at); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestCheckPresetPrintsThePolicy(t *testing.T) {
	var out bytes.Buffer
	if err := CheckPreset(&out, "west-sussex", time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"preset west-sussex is valid.",
		"Policy:         West Sussex Safeguarding Children Partnership (WSSCP), id west-sussex (the built-in preset west-sussex)",
		"Covers:         children",
		"Business team:  follows each case from Stage 2 (Manager to manager)",
		"Immediate risk: a case may start at any stage, with a reason",
		"Calendar:       england-and-wales bank holidays, working hours 09:00–17:00 Europe/London",
		"Stage 2 (Manager to manager)\n  role:          line_manager (line manager)\n  window:        at most 1 working day; sooner for a case, with a recorded reason, when raising or escalating\n  reminder:      2 working hours before the window closes\n  business team: told\n  final:         -\n  source:        \"Stage 2: Manager to Manager\".",
		"  final:         the chair resolves it directly or convenes a resolution panel of three agencies",
		"for a case raised Thu 24 Dec 2026, 10:00 GMT",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if err := CheckPreset(&out, "anyshire", time.Now()); err == nil {
		t.Error("an unknown preset checked")
	}
}

func TestExampleLoads(t *testing.T) {
	c, err := Load("example.yaml", env(productionEnv...))
	if err != nil {
		t.Fatal(err)
	}
	if c.Env != EnvProduction || !c.SlackEnabled() || !c.TeamsEnabled() || c.Practice() || c.Addr != "0.0.0.0:8080" {
		t.Errorf("env %q slack %v teams %v addr %q", c.Env, c.SlackEnabled(), c.TeamsEnabled(), c.Addr)
	}
	if c.Partnership != "Anyshire Safeguarding Children Partnership" || c.Preset != "west-sussex" {
		t.Errorf("partnership %q preset %q", c.Partnership, c.Preset)
	}
	d := c.Directory
	// A person on two platforms is one entry per platform id.
	for _, id := range []workflow.UserID{"slack:U0123ABCDEH", "teams:0c8d7e6f-5a4b-4c3d-9e2f-1a0b9c8d7e6f"} {
		if p, ok := d.Person(id); !ok || p.Role != workflow.RoleSeniorManager || p.Agency != "community-health" {
			t.Errorf("%s = %+v", id, p)
		}
	}
	if got := d.Holders("childrens-social-care", workflow.RoleSeniorManager); !slices.Equal(got, []workflow.UserID{"slackgroup:S0123ABCDEF"}) {
		t.Errorf("social care senior managers = %v", got)
	}
	if !slices.Equal(d.Chair, []workflow.UserID{"slack:U0123ABCDEK", "teams:9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"}) {
		t.Errorf("chair = %v", d.Chair)
	}
	if !slices.Equal(d.BusinessTeam, []workflow.UserID{"slack:U0123ABCDEL"}) || c.Slack.FeedChannel != "C0123ABCDEF" || c.Teams.FeedConversation != "19:0a1b2c3d4e5f@thread.tacv2" {
		t.Errorf("business team %v feed %q %q", d.BusinessTeam, c.Slack.FeedChannel, c.Teams.FeedConversation)
	}
	if len(d.Agencies) != 4 || len(c.Calendar.Closures) != 3 || c.Calendar.Closures[0].String() != "2026-12-29" {
		t.Errorf("agencies %d closures %v", len(d.Agencies), c.Calendar.Closures)
	}
	if len(c.Emergency) != 4 || !strings.Contains(c.Emergency[0], "999") || len(c.Scope.NotFor) != 3 {
		t.Errorf("emergency %q scope %q", c.Emergency, c.Scope)
	}
	if c.Teams.TokenURL != "https://login.microsoftonline.com/anyshire.example/oauth2/v2.0/token" || c.DigestAt != 9*time.Hour || c.RetentionDays != 2555 || c.Tick != 30*time.Second {
		t.Errorf("token %q digest %v retention %d tick %v", c.Teams.TokenURL, c.DigestAt, c.RetentionDays, c.Tick)
	}

	// The closures move the deadlines: from Christmas Eve the offices
	// reopen on Monday 4 January 2027.
	var out bytes.Buffer
	if err := CheckConfigEnv(&out, "example.yaml", time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC), env(productionEnv...)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"example.yaml is valid.", "Environment:    production (Slack, HTTP; Teams)", "closed 2026-12-29, 2026-12-30, 2026-12-31", "stage 1: Mon 4 Jan 2027, 10:00 GMT", "stage 4: Wed 13 Jan 2027, 10:00 GMT"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check-config output lacks %q:\n%s", want, out.String())
		}
	}

	// The example says env: production, so without the secrets it fails,
	// naming each variable.
	err = CheckConfigEnv(&out, "example.yaml", time.Now(), env())
	for _, want := range []string{"ESCALATE_ENCRYPTION_KEY: is required when ESCALATE_ENV=production", "REDIS_URL: is required", "ESCALATE_ENV: is production but neither Slack nor Teams is configured"} {
		if !strings.Contains(errString(err), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestCheckConfigFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	scottish := "policy: {preset: warwickshire}\ncalendar:\n  region: scotland\n  working_hours: {start: \"08:30\", end: \"16:30\"}\n"
	if err := os.WriteFile(good, []byte(scottish), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	// Monday 2 November 2026, 08:00 London: before the working day, so the
	// window opens at 08:30 and closes at 08:30 the next working day.
	if err := CheckConfigEnv(&out, good, time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC), env()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"scotland bank holidays, working hours 08:30–16:30", "Disputes:       between agencies and within one", "stage 1: Tue 3 Nov 2026, 08:30 GMT"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("policy: {preset: nowhere}\ncalendar: {region: mars}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := CheckConfigEnv(&out, bad, time.Now(), env())
	msg := errString(err)
	if !strings.Contains(msg, bad+" has 2 problems:") || !strings.Contains(msg, "policy.preset: no such preset") || !strings.Contains(msg, `calendar.region: unknown region "mars"`) {
		t.Errorf("error:\n%s", msg)
	}
}

// TestCheckConfigWarnsWhereNobodyCouldHold: check-config names, per agency
// and stage role, the stages nobody in the file's directory could hold,
// and says when the practice console can play nobody in it; the example
// file's police have no managers listed, so both warnings show for it.
func TestCheckConfigWarnsWhereNobodyCouldHold(t *testing.T) {
	var out bytes.Buffer
	if err := CheckFile(&out, filepath.Join("example.yaml"), time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC), func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Warning: 2 stage roles have nobody in the directory to hold them",
		"  - Anyshire Police (Public Protection): nobody could hold Stage 2 (Manager to manager) as line manager.",
		"Warning: nobody in this file's directory has a console: id",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// The built-in practice directory is played in the console (its
	// police and schools have practitioners' places only, and say so).
	out.Reset()
	if err := CheckPreset(&out, "west-sussex", time.Now()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "console: id") {
		t.Errorf("the practice directory is said to have nobody to play:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Police (Public Protection Unit): nobody could hold Stage 2 (Manager to manager) as line manager.") {
		t.Errorf("the practice police's missing managers are not named:\n%s", out.String())
	}
}
