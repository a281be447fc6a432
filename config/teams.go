package config

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// envTeamsAppPasswordPrefix + a registration's NAME is where its client
// secret is: TEAMS_APP_PASSWORD_COUNCIL for the registration "council".
const envTeamsAppPasswordPrefix = "TEAMS_APP_PASSWORD_"

// TeamsTenantPlaceholder in TEAMS_TOKEN_URL is replaced by each
// registration's tenant id.
const TeamsTenantPlaceholder = "{tenant}"

// TeamsRegistration is one single-tenant Teams bot: an agency tenant's
// Azure bot, pointed at this Escalate (teams.registrations).
type TeamsRegistration struct {
	Name        string // how it is named here and in TEAMS_APP_PASSWORD_<NAME>
	TenantID    string // the Microsoft Entra tenant it serves (lower case)
	AppID       string // its Microsoft App ID
	AppPassword string // TEAMS_APP_PASSWORD_<NAME>
	TokenURL    string // its tenant's token endpoint
	ServiceURL  string // teams.registrations[].service_url ("" = teams.service_url)
}

// PasswordEnv is the environment variable holding a registration's client
// secret.
func (r TeamsRegistration) PasswordEnv() string { return TeamsPasswordEnv(r.Name) }

// TeamsPasswordEnv is TEAMS_APP_PASSWORD_<NAME> for a registration name
// (upper case, dashes as underscores).
func TeamsPasswordEnv(name string) string {
	return envTeamsAppPasswordPrefix + strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(name), "-", "_"))
}

type registrationFile struct {
	Name       string `yaml:"name"`
	TenantID   string `yaml:"tenant_id"`
	AppID      string `yaml:"app_id"`
	ServiceURL string `yaml:"service_url"`
}

var registrationName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// resolveRegistrations reads teams.registrations with their passwords from
// the environment. One bot of TEAMS_APP_ID / TEAMS_APP_PASSWORD /
// TEAMS_TENANT_ID and a list of registrations are not mixed: the one bot
// is listed as a registration instead.
func resolveRegistrations(fc *fileConfig, c *Config, getenv func(string) string, probs *problems) {
	list := fc.Teams.Registrations
	if len(list) == 0 {
		return
	}
	t := &c.Teams
	if t.AppID != "" || t.AppPassword != "" || t.TenantID != "" {
		probs.add("teams.registrations", "are listed, so %s, %s, %s and teams.app_id / teams.tenant_id must not be set: list that bot as a registration too (its password in %sNAME)", envTeamsAppID, envTeamsAppPassword, envTeamsTenantID, envTeamsAppPasswordPrefix)
	}
	shared := strings.TrimSpace(getenv(envTeamsTokenURL))
	if shared == "" {
		shared = strings.TrimSpace(fc.Teams.TokenURL)
	}
	if shared != "" && len(list) > 1 && !strings.Contains(shared, TeamsTenantPlaceholder) {
		probs.add(envTeamsTokenURL+" / teams.token_url", "must hold %s with several registrations (each tenant has its own token endpoint), not %q", TeamsTenantPlaceholder, shared)
	}
	if shared == "" {
		shared = fmt.Sprintf(DefaultTeamsTokenURLForm, TeamsTenantPlaceholder)
	}
	names, tenants, apps := map[string]string{}, map[string]string{}, map[string]string{}
	for i, rf := range list {
		path := fmt.Sprintf("teams.registrations[%d]", i)
		r := TeamsRegistration{Name: strings.TrimSpace(rf.Name), TenantID: strings.ToLower(strings.TrimSpace(rf.TenantID)),
			AppID: strings.ToLower(strings.TrimSpace(rf.AppID)), ServiceURL: strings.TrimSpace(rf.ServiceURL)}
		switch {
		case r.Name == "":
			probs.add(path+".name", "is required: a short name for the agency's bot (council, nhs-trust), used in %sNAME", envTeamsAppPasswordPrefix)
		case !registrationName.MatchString(r.Name):
			probs.add(path+".name", "must be lower-case letters, digits and dashes, starting with a letter, not %q", r.Name)
		case names[r.PasswordEnv()] != "":
			probs.add(path+".name", "%q is listed twice (at %s)", r.Name, names[r.PasswordEnv()])
		default:
			names[r.PasswordEnv()] = path
		}
		uniqueGUID(probs, path, "tenant_id", r.TenantID, rf.TenantID, tenants,
			"is required: the Microsoft Entra tenant id the bot was registered in",
			"must be a Microsoft Entra tenant id (a GUID), not %q",
			"%s already has a registration (at %s): one bot per tenant")
		uniqueGUID(probs, path, "app_id", r.AppID, rf.AppID, apps,
			"is required: the bot's Microsoft App ID",
			"must be a Microsoft App ID (a GUID), not %q",
			"%s is already listed (at %s)")
		if r.ServiceURL != "" {
			if err := checkURL(r.ServiceURL); err != nil {
				probs.add(path+".service_url", "%v", err)
			}
		}
		if r.Name != "" {
			r.AppPassword = strings.TrimSpace(getenv(r.PasswordEnv()))
			if r.AppPassword == "" {
				probs.add(r.PasswordEnv(), "is required: the client secret of Teams registration %q (%s)", r.Name, path)
			}
		}
		r.TokenURL = strings.ReplaceAll(shared, TeamsTenantPlaceholder, r.TenantID)
		if err := checkURL(r.TokenURL); err != nil {
			probs.add(envTeamsTokenURL+" / teams.token_url", "%v", err)
		}
		t.Registrations = append(t.Registrations, r)
	}
}

// checkFeedTenant: with several registrations the configuration says whose
// bot posts to the business-team channel: the one of the tenant the
// channel belongs to.
func checkFeedTenant(c *Config, probs *problems) {
	t := &c.Teams
	if t.FeedTenant != "" && !teamsAADPattern.MatchString(t.FeedTenant) {
		probs.add("business_team.teams_tenant", "must be a Microsoft Entra tenant id (a GUID), not %q", t.FeedTenant)
		return
	}
	t.FeedTenant = strings.ToLower(t.FeedTenant)
	if len(t.Registrations) == 0 || t.FeedConversation == "" {
		return
	}
	if t.FeedTenant == "" {
		if len(t.Registrations) > 1 {
			probs.add("business_team.teams_tenant", "is required with several Teams registrations: the tenant the business-team channel (teams_conversation) belongs to, whose bot posts there")
		}
		return
	}
	if _, ok := t.Registration(t.FeedTenant); !ok {
		probs.add("business_team.teams_tenant", "%s has no bot under teams.registrations: the business-team channel is reached through its own tenant's bot", t.FeedTenant)
	}
}

// Registration is the registration of a tenant.
func (t Teams) Registration(tenant string) (TeamsRegistration, bool) {
	for _, r := range t.Registrations {
		if r.TenantID == strings.ToLower(tenant) {
			return r, true
		}
	}
	return TeamsRegistration{}, false
}

// tenants are the tenants Escalate has a bot in: the registrations', or
// the one bot's.
func (t Teams) tenants() []string {
	if len(t.Registrations) == 0 {
		if t.TenantID == "" {
			return nil
		}
		return []string{strings.ToLower(t.TenantID)}
	}
	var out []string
	for _, r := range t.Registrations {
		out = append(out, r.TenantID)
	}
	return out
}

// UnreachableOnTeams are the directory's Teams people whose tenant has no
// bot registration (or who have no tenant when Escalate serves several):
// their messages are parked, never sent through another tenant's bot.
// Each line names the person and why.
func (c *Config) UnreachableOnTeams() []string {
	if !c.TeamsEnabled() {
		return nil
	}
	served := c.Teams.tenants()
	var out []string
	for _, p := range c.Directory.People {
		if p.ID.Platform() != platformTeams {
			continue
		}
		tenant := c.Directory.TeamsTenant(p.ID)
		switch {
		case tenant == "" && len(served) > 1:
			out = append(out, fmt.Sprintf("%s (%s): no teams_tenant for them or their agency, and Escalate serves %d tenants", p.Name, c.Directory.AgencyName(p.Agency), len(served)))
		case tenant != "" && !contains(served, tenant):
			out = append(out, fmt.Sprintf("%s (%s): tenant %s has no Teams bot registration", p.Name, c.Directory.AgencyName(p.Agency), tenant))
		}
	}
	return out
}

// TeamsRegistrationsInFile reads teams.registrations (names, tenants, app
// ids) from a configuration file without needing their secrets: what
// `escalate teams-package` needs to write each tenant's app package.
func TeamsRegistrationsInFile(path string) ([]TeamsRegistration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the configuration: %w", err)
	}
	probs := newProblems()
	fc, ok := decodeFile(data, probs)
	if !ok {
		return nil, probs.err(path)
	}
	if err := probs.err(path); err != nil {
		return nil, err
	}
	var out []TeamsRegistration
	for _, rf := range fc.Teams.Registrations {
		out = append(out, TeamsRegistration{Name: strings.TrimSpace(rf.Name), TenantID: strings.ToLower(strings.TrimSpace(rf.TenantID)), AppID: strings.TrimSpace(rf.AppID)})
	}
	return out, nil
}

// uniqueGUID checks one registration's tenant or app id: given, a GUID,
// and not already claimed by another registration (seen maps an id to the
// registration that listed it first). raw is the value as written, for
// the message.
func uniqueGUID(probs *problems, path, field, id, raw string, seen map[string]string, missing, notGUID, twice string) {
	at := path + "." + field
	switch {
	case id == "":
		probs.add(at, "%s", missing)
	case !teamsAADPattern.MatchString(id):
		probs.add(at, notGUID, raw)
	case seen[id] != "":
		probs.add(at, twice, id, seen[id])
	default:
		seen[id] = path
	}
}
