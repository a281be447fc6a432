package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	councilTenant = "70000000-0000-4000-8000-000000000001"
	nhsTenant     = "80000000-0000-4000-8000-000000000002"
	councilApp    = "a1000000-0000-4000-8000-00000000000a"
	nhsApp        = "a2000000-0000-4000-8000-00000000000b"
)

// twoTenants is a Teams deployment with a bot per agency tenant.
const twoTenants = `
policy: {preset: west-sussex}
teams:
  registrations:
    - {name: council, tenant_id: ` + councilTenant + `, app_id: ` + councilApp + `}
    - {name: nhs-trust, tenant_id: ` + nhsTenant + `, app_id: ` + nhsApp + `}
directory:
  agencies:
    - {id: csc, name: Children's Social Care, teams_tenant: ` + councilTenant + `}
    - {id: health, name: Health, teams_tenant: ` + nhsTenant + `}
    - {id: police, name: Police}
  people:
    - {name: Sam, agency: csc, role: practitioner, teams: 11111111-0000-4000-8000-000000000001}
    - {name: Hana, agency: health, role: practitioner, teams: 11111111-0000-4000-8000-000000000002}
    - {name: Pete, agency: police, role: practitioner, teams: 11111111-0000-4000-8000-000000000003}
    - {name: Gus, agency: csc, role: practitioner, teams: 11111111-0000-4000-8000-000000000004, teams_tenant: 90000000-0000-4000-8000-000000000009}
  chair:
    - {name: Chair, teams: 11111111-0000-4000-8000-000000000005, teams_tenant: ` + councilTenant + `}
business_team:
  members: [{name: Officer, teams: 11111111-0000-4000-8000-000000000006, teams_tenant: ` + councilTenant + `}]
  teams_conversation: "19:feed@thread.tacv2"
  teams_tenant: ` + councilTenant + `
emergency: ["Call 999"]
`

var twoTenantEnv = []string{"TEAMS_APP_PASSWORD_COUNCIL", "council-secret", "TEAMS_APP_PASSWORD_NHS_TRUST", "nhs-secret", "ESCALATE_ENCRYPTION_KEY", validKey}

func TestTeamsRegistrations(t *testing.T) {
	c, err := Parse([]byte(twoTenants), env(append(twoTenantEnv, "TEAMS_TOKEN_URL", "http://127.0.0.1:1/{tenant}/token")...))
	if err != nil {
		t.Fatal(err)
	}
	if !c.TeamsEnabled() || len(c.Teams.Registrations) != 2 {
		t.Fatalf("registrations: %+v", c.Teams.Registrations)
	}
	nhs := c.Teams.Registrations[1]
	if nhs.Name != "nhs-trust" || nhs.TenantID != nhsTenant || nhs.AppID != nhsApp || nhs.AppPassword != "nhs-secret" ||
		nhs.PasswordEnv() != "TEAMS_APP_PASSWORD_NHS_TRUST" || nhs.TokenURL != "http://127.0.0.1:1/"+nhsTenant+"/token" {
		t.Fatalf("the NHS registration: %+v", nhs)
	}
	if c.Teams.FeedTenant != councilTenant {
		t.Fatalf("feed tenant %q", c.Teams.FeedTenant)
	}
	// Without TEAMS_TOKEN_URL each tenant's own public-cloud endpoint.
	c, err = Parse([]byte(twoTenants), env(twoTenantEnv...))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Teams.Registrations[0].TokenURL; got != "https://login.microsoftonline.com/"+councilTenant+"/oauth2/v2.0/token" {
		t.Fatalf("default token url %q", got)
	}
	// The police (no tenant) and Gus (a tenant with no bot) are named.
	lost := strings.Join(c.UnreachableOnTeams(), "\n")
	mustHave(t, lost, "Pete (Police): no teams_tenant", "Gus (Children's Social Care): tenant 90000000-0000-4000-8000-000000000009 has no Teams bot registration")
	if strings.Contains(lost, "Sam") || strings.Contains(lost, "Hana") || strings.Contains(lost, "Chair") {
		t.Fatalf("a reachable person is named: %s", lost)
	}
}

func mustHave(t *testing.T, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Fatalf("%q is missing from:\n%s", w, s)
		}
	}
}

func TestTeamsRegistrationProblems(t *testing.T) {
	for name, tc := range map[string]struct {
		file string
		env  []string
		want []string
	}{
		"a password missing": {twoTenants, twoTenantEnv[2:], []string{`TEAMS_APP_PASSWORD_COUNCIL: is required: the client secret of Teams registration "council" (teams.registrations[0])`}},
		"mixed with the one bot": {twoTenants, append(twoTenantEnv, "TEAMS_APP_ID", councilApp, "TEAMS_APP_PASSWORD", "x", "TEAMS_TENANT_ID", councilTenant),
			[]string{"teams.registrations: are listed, so TEAMS_APP_ID"}},
		"one token url for both": {twoTenants, append(twoTenantEnv, "TEAMS_TOKEN_URL", "https://login.example/token"), []string{"TEAMS_TOKEN_URL / teams.token_url: must hold {tenant}"}},
		"the same tenant twice": {strings.Replace(twoTenants, "tenant_id: "+nhsTenant, "tenant_id: "+councilTenant, 1), twoTenantEnv,
			[]string{"teams.registrations[1].tenant_id: " + councilTenant + " already has a registration (at teams.registrations[0]): one bot per tenant (line 6)"}},
		"a bad app id and name": {strings.Replace(strings.Replace(twoTenants, "app_id: "+nhsApp, "app_id: nhs", 1), "name: nhs-trust", "name: NHS Trust", 1), twoTenantEnv,
			[]string{"teams.registrations[1].app_id: must be a Microsoft App ID", "teams.registrations[1].name: must be lower-case"}},
		"no feed tenant": {strings.Replace(twoTenants, "  teams_tenant: "+councilTenant+"\nemergency", "emergency", 1), twoTenantEnv,
			[]string{"business_team.teams_tenant: is required with several Teams registrations"}},
		"a feed tenant with no bot": {strings.Replace(twoTenants, "  teams_tenant: "+councilTenant+"\nemergency", "  teams_tenant: 90000000-0000-4000-8000-000000000009\nemergency", 1), twoTenantEnv,
			[]string{"business_team.teams_tenant: 90000000-0000-4000-8000-000000000009 has no bot under teams.registrations"}},
	} {
		_, err := Parse([]byte(tc.file), env(tc.env...))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q missing from\n%v", name, w, err)
			}
		}
	}
}

// check-config lists the bots and names the people none can reach.
func TestCheckConfigNamesUnreachableTeamsPeople(t *testing.T) {
	path := filepath.Join(t.TempDir(), "escalate.yaml")
	if err := os.WriteFile(path, []byte(twoTenants), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := CheckConfigEnv(&out, path, time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC), env(twoTenantEnv...)); err != nil {
		t.Fatal(err)
	}
	mustHave(t, out.String(), "Teams bot:      council: app "+councilApp+" in tenant "+councilTenant+", secret in TEAMS_APP_PASSWORD_COUNCIL",
		"nhs-trust: app "+nhsApp, "Not reachable on Teams", "  - Pete (Police): no teams_tenant", "  - Gus (Children's Social Care): tenant 90000000")
	regs, err := TeamsRegistrationsInFile(path)
	if err != nil || len(regs) != 2 || regs[1].AppID != nhsApp || regs[1].Name != "nhs-trust" {
		t.Fatalf("registrations in the file without their secrets: %+v %v", regs, err)
	}
}
