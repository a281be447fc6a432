package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// Microsoft Graph: Escalate reads Entra ID for people's addresses (the CSV
// import), names (Teams people the directory does not list), groups that
// hold a role (directory.people[].entra_group) and, when the partnership
// chooses it, practitioners' line managers.
const (
	envGraphAPIURL       = "GRAPH_API_URL"
	envGraphTokenURL     = "GRAPH_TOKEN_URL"
	envGraphTenantID     = "GRAPH_TENANT_ID"
	envGraphClientID     = "GRAPH_CLIENT_ID"
	envGraphClientSecret = "GRAPH_CLIENT_SECRET"

	DefaultGraphAPIURL   = "https://graph.microsoft.com/v1.0"
	DefaultGraphTokenURL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
	// DefaultGraphRefresh is how often groups and line managers are read
	// again: starters can hold a stage within the hour, leavers cannot.
	DefaultGraphRefresh = time.Hour
	minGraphRefresh     = 5 * time.Minute
	maxGraphRefresh     = 24 * time.Hour
)

type graphFile struct {
	// Enabled turns Graph on with the Teams bot's app registration when no
	// GRAPH_CLIENT_SECRET is set.
	Enabled  bool   `yaml:"enabled"`
	APIURL   string `yaml:"api_url"`
	TokenURL string `yaml:"token_url"`
	TenantID string `yaml:"tenant_id"`
	ClientID string `yaml:"client_id"`
	// Refresh is how often groups and managers are read again ("1h").
	Refresh string `yaml:"refresh"`
	// LineManagers lets a practitioner's manager in Entra ID hold their
	// line manager's stage.
	LineManagers bool `yaml:"line_managers"`
}

// Graph is Microsoft Graph's configuration; Enabled is false when Escalate
// does not call Graph.
type Graph struct {
	Enabled bool
	// APIURL is Graph's base URL (GRAPH_API_URL or graph.api_url).
	APIURL string
	// TokenURL is the token endpoint, {tenant} replaced by TenantID's
	// (GRAPH_TOKEN_URL or graph.token_url).
	TokenURL string
	// TenantID, ClientID, ClientSecret: the app registration
	// (GRAPH_TENANT_ID / graph.tenant_id, GRAPH_CLIENT_ID /
	// graph.client_id, GRAPH_CLIENT_SECRET); the Teams bot's when these
	// are not set and graph.enabled is.
	TenantID, ClientID, ClientSecret string
	// Refresh is how often groups and line managers are read again.
	Refresh time.Duration
	// LineManagers: a practitioner's Entra ID manager may hold their line
	// manager's stage (graph.line_managers).
	LineManagers bool
}

// GraphEnabled reports whether Escalate calls Microsoft Graph.
func (c *Config) GraphEnabled() bool { return c.Graph.Enabled }

// resolveGraph reads the graph section and the GRAPH_ variables, falling
// back to the Teams bot's registration, and checks them, naming the field.
func resolveGraph(fc *fileConfig, c *Config, getenv func(string) string, probs *problems) {
	g := fc.Graph
	env := func(name, fromFile string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return strings.TrimSpace(fromFile)
	}
	out := Graph{
		APIURL:       env(envGraphAPIURL, g.APIURL),
		TokenURL:     env(envGraphTokenURL, g.TokenURL),
		TenantID:     strings.ToLower(env(envGraphTenantID, g.TenantID)),
		ClientID:     env(envGraphClientID, g.ClientID),
		ClientSecret: strings.TrimSpace(getenv(envGraphClientSecret)),
		LineManagers: g.LineManagers,
		Refresh:      DefaultGraphRefresh,
	}
	out.Enabled = g.Enabled || out.ClientSecret != ""
	if out.APIURL == "" {
		out.APIURL = DefaultGraphAPIURL
	}
	if out.TokenURL == "" {
		out.TokenURL = DefaultGraphTokenURL
	}
	if out.Enabled && out.ClientSecret == "" {
		// The Teams bot's registration, granted Graph's application
		// permissions, is the usual way: one registration to look after.
		out.ClientSecret = c.Teams.AppPassword
		if out.ClientID == "" {
			out.ClientID = c.Teams.AppID
		}
		if out.TenantID == "" {
			out.TenantID = strings.ToLower(c.Teams.TenantID)
		}
	}
	if r := strings.TrimSpace(g.Refresh); r != "" {
		d, err := time.ParseDuration(r)
		switch {
		case err != nil:
			probs.add("graph.refresh", "must be a duration such as 30m or 1h, not %q", g.Refresh)
		case d < minGraphRefresh || d > maxGraphRefresh:
			probs.add("graph.refresh", "must be between %s and %s (Graph throttles an app that asks too often), not %s", minGraphRefresh, "24h", r)
		default:
			out.Refresh = d
		}
	}
	for _, u := range []struct{ name, value string }{
		{envGraphAPIURL + " / graph.api_url", out.APIURL},
		{envGraphTokenURL + " / graph.token_url", strings.ReplaceAll(out.TokenURL, "{tenant}", "t")},
	} {
		if err := checkURL(u.value); err != nil {
			probs.add(u.name, "%v", err)
		}
	}
	if out.Enabled {
		switch {
		case out.ClientSecret == "":
			probs.add(envGraphClientSecret, "is required with graph.enabled (or TEAMS_APP_PASSWORD, to use the Teams bot's app registration)")
		case out.ClientID == "":
			probs.add(envGraphClientID+" / graph.client_id", "is required when %s is set: the application (client) id of the app registration", envGraphClientSecret)
		}
		if out.TenantID == "" {
			probs.add(envGraphTenantID+" / graph.tenant_id", "is required with Microsoft Graph: the Entra tenant whose people and groups Escalate reads")
		} else if !teamsAADPattern.MatchString(out.TenantID) {
			probs.add(envGraphTenantID+" / graph.tenant_id", "must be a Microsoft Entra tenant id (a GUID), not %q", out.TenantID)
		}
		if out.ClientID != "" && !teamsAADPattern.MatchString(out.ClientID) {
			probs.add(envGraphClientID+" / graph.client_id", "must be an application (client) id (a GUID), not %q", out.ClientID)
		}
	}
	if out.LineManagers {
		switch {
		case !out.Enabled:
			probs.add("graph.line_managers", "needs Microsoft Graph: set graph.enabled (or %s)", envGraphClientSecret)
		case c.Policy != nil && !c.Policy.KnownRole(workflow.RoleLineManager):
			probs.add("graph.line_managers", "the policy has no %s role for a manager to hold", workflow.RoleLineManager)
		}
	}
	c.Graph = out
}

// checkEntraGroups: a group holds a role only when Graph can be asked who
// is in it.
func checkEntraGroups(fc *fileConfig, c *Config, probs *problems) {
	if c.Graph.Enabled || fc.Directory == nil {
		return
	}
	for i, p := range fc.Directory.People {
		if strings.TrimSpace(p.EntraGroup) != "" {
			probs.add(fmt.Sprintf("directory.people[%d].entra_group", i), "needs Microsoft Graph to read the group's members: set graph.enabled (or %s)", envGraphClientSecret)
		}
	}
}

// EntraGroups are the directory's Entra ID groups: each entry holding a
// role in an agency (one group may hold several).
func (c *Config) EntraGroups() []workflow.Person {
	var out []workflow.Person
	for _, p := range c.Directory.People {
		if p.ID.Platform() == platformEntraGroup {
			out = append(out, p)
		}
	}
	return out
}
