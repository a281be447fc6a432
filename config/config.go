// Package config loads and validates Escalate's configuration: a YAML file
// (ESCALATE_CONFIG) for everything a partnership decides — its policy, its
// directory of people, its working calendar, its emergency route — and the
// environment for secrets and for what differs between deployments. It
// also holds the built-in policy presets and the practice configuration.
//
// Every problem in a configuration is reported at once, each by its YAML
// path or environment variable, and a file with any problem does not load:
// a safeguarding process must not run on a policy nobody meant.
package config

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/escalate-app/escalate/workflow"
	"github.com/escalate-app/escalate/workflow/calendar"
)

// The environment variables Escalate reads.
const (
	envEnv                = "ESCALATE_ENV"
	envAddr               = "ESCALATE_ADDR"
	envMetricsAddr        = "ESCALATE_METRICS_ADDR"
	envEncryptionKey      = "ESCALATE_ENCRYPTION_KEY"
	envEncryptionKeys     = "ESCALATE_ENCRYPTION_KEYS"
	envRedisURL           = "REDIS_URL"
	envRedisPassword      = "REDIS_PASSWORD"
	envSlackBotToken      = "SLACK_BOT_TOKEN"
	envSlackSigningSecret = "SLACK_SIGNING_SECRET"
	envSlackAppToken      = "SLACK_APP_TOKEN"
	envSlackAPIURL        = "SLACK_API_URL"
	envTeamsAppID         = "TEAMS_APP_ID"
	envTeamsAppPassword   = "TEAMS_APP_PASSWORD"
	envTeamsTenantID      = "TEAMS_TENANT_ID"
	envTeamsOpenIDURL     = "TEAMS_OPENID_METADATA_URL"
	envTeamsTokenURL      = "TEAMS_TOKEN_URL"
	envGraphURL           = "GRAPH_API_URL"
)

// Defaults.
const (
	DefaultAddr = "127.0.0.1:8080"
	// DefaultMetricsAddr keeps /metrics off the public listener and on this
	// machine: what Escalate counts (cases per stage, delivery failures) is
	// the partnership's operational information, not the internet's.
	DefaultMetricsAddr = "127.0.0.1:9464"
	// MetricsOff as ESCALATE_METRICS_ADDR serves no metrics at all.
	MetricsOff               = "off"
	DefaultSlackAPIURL       = "https://slack.com/api/"
	DefaultTeamsOpenIDURL    = "https://login.botframework.com/v1/.well-known/openidconfiguration"
	DefaultTeamsServiceURL   = "https://smba.trafficmanager.net/uk/"
	DefaultTeamsTokenURLForm = "https://login.microsoftonline.com/%s/oauth2/v2.0/token"
	// DefaultTeamsTenant is the Bot Framework's own tenant, which issues
	// tokens for multi-tenant bots when no TEAMS_TENANT_ID is set.
	DefaultTeamsTenant = "botframework.com"
	DefaultDigestAt    = 9 * time.Hour
	DefaultTick        = 30 * time.Second
	// DefaultRetentionDays keeps a closed case's free text for seven years
	// (7 × 365 days). The agreed outcome is recorded on the child's or
	// adult's own file, which the agency keeps under its own schedule;
	// Escalate's copy is the partnership's working record, and seven years
	// is the period partnerships commonly keep their own case records for.
	// A partnership sets retention.days_after_closure to its own period.
	DefaultRetentionDays = 2555
)

// Environments ESCALATE_ENV accepts. Anything else is refused, so that a
// typo ("prod") cannot slip past what production requires.
const (
	EnvProduction  = "production"
	EnvStaging     = "staging"
	EnvDevelopment = "development"
	EnvTest        = "test"
	EnvPractice    = "practice"
)

var knownEnvs = []string{EnvProduction, EnvStaging, EnvDevelopment, EnvTest, EnvPractice}

// Config is Escalate's resolved configuration.
type Config struct {
	// Env is ESCALATE_ENV (or the file's env): production, staging,
	// development, test or practice. When neither says, it is practice when
	// no chat platform is configured and development otherwise.
	Env  string
	Addr string // ESCALATE_ADDR (or the file's addr), default 127.0.0.1:8080
	// MetricsAddr is where /metrics is served, on a listener of its own
	// (ESCALATE_METRICS_ADDR or the file's metrics_addr, default
	// 127.0.0.1:9464; "off" serves none).
	MetricsAddr string
	// Partnership is the partnership's name (the file's partnership, else
	// the policy's).
	Partnership string
	Policy      *workflow.Policy
	// Preset is the preset the policy came from, "" for a policy written
	// out in the file.
	Preset string
	// PolicySource says where the policy-wide settings come from.
	PolicySource string
	Directory    workflow.Directory
	Calendar     calendar.Config
	// Emergency is the partnership's emergency route, one line each (999,
	// the children's and adults' front door / MASH, the out-of-hours team).
	Emergency []string
	Scope     Scope
	Slack     Slack
	Teams     Teams
	Redis     Redis

	// SubjectRef is the partnership's case-number shape (subject_ref_pattern).
	SubjectRef workflow.SubjectRefRule

	Email Email
	// EncryptionKey is the key free text is sealed with at rest: base64 of
	// 32 bytes (AES-256-GCM), ESCALATE_ENCRYPTION_KEY or the first (newest)
	// of ESCALATE_ENCRYPTION_KEYS. Required whenever a real platform
	// (Slack, Teams, email) or a real Redis is configured.
	EncryptionKey string
	// EncryptionKeys are all the keys, newest first: the newest seals, any
	// opens a value sealed under it (while `escalate rekey` rewraps
	// everything under the newest).
	EncryptionKeys []string
	// DigestAt is the time of day (on the calendar's clock) the daily
	// digest goes to the business team on working days.
	DigestAt time.Duration
	// RetentionDays is how long after closure a case keeps its free text
	// and subject reference; 0 means they are never purged.
	RetentionDays int
	// Tick is how often the scheduler looks for due timers.
	Tick time.Duration

	// explicitPractice: ESCALATE_ENV (or the file's env) says practice.
	explicitPractice bool
	// fileDirectory: the directory is the partnership's file's, not the
	// built-in practice people (see StandIns).
	fileDirectory bool
}

// Scope is the help text saying what the process is for and what it is not.
type Scope struct {
	For    []string
	NotFor []string
}

// Slack is the Slack app's configuration.
type Slack struct {
	BotToken      string // SLACK_BOT_TOKEN (xoxb-…)
	SigningSecret string // SLACK_SIGNING_SECRET (HTTP mode)
	AppToken      string // SLACK_APP_TOKEN (xapp-…, Socket Mode)
	APIURL        string // SLACK_API_URL, default https://slack.com/api/
	// FeedChannel is the business team's channel (business_team.slack_channel).
	FeedChannel string
}

// SocketMode reports whether Slack connects over Socket Mode (an app token
// is set) rather than receiving HTTP requests.
func (s Slack) SocketMode() bool { return s.AppToken != "" }

// Teams is the Teams bot's configuration.
type Teams struct {
	AppID             string // TEAMS_APP_ID
	AppPassword       string // TEAMS_APP_PASSWORD
	TenantID          string // TEAMS_TENANT_ID: required with Teams (a single-tenant bot)
	OpenIDMetadataURL string // TEAMS_OPENID_METADATA_URL
	TokenURL          string // TEAMS_TOKEN_URL
	// FeedConversation is the business team's conversation
	// (business_team.teams_conversation).
	FeedConversation string
	// ServiceURL is the Bot Framework connector for proactive messages
	// (teams.service_url).
	ServiceURL string
	// Registrations are several single-tenant bots, one per agency tenant
	// (teams.registrations); empty when the one bot of AppID is used.
	Registrations []TeamsRegistration
	// FeedTenant is the tenant of the business team's channel
	// (business_team.teams_tenant).
	FeedTenant string
	// GraphURL is Microsoft Graph's base (GRAPH_API_URL or
	// teams.graph_url, e.g. https://graph.microsoft.com/v1.0): set, a DM
	// an interrupted attempt may have posted is looked for in the
	// person's chat before it is sent again. Empty: no Graph.
	GraphURL string
	// FeedTeam is the team the business team's channel is in
	// (business_team.teams_team, its group id): with GraphURL, a feed post
	// is looked for there too.
	FeedTeam string
}

// Redis says where the store lives: one server (URL), a Sentinel-managed
// primary, or a Cluster. All empty means an embedded in-memory Redis (the
// practice console and development only).
type Redis struct {
	URL          string // REDIS_URL: redis://… or rediss://…
	Sentinel     Sentinel
	ClusterAddrs []string
	Password     string // REDIS_PASSWORD, for Sentinel and Cluster
	TLS          bool   // redis.tls, for Sentinel and Cluster
}

// Sentinel names the primary Sentinel watches and the sentinels.
type Sentinel struct {
	MasterName string
	Addrs      []string
}

// Configured reports whether any Redis is configured (else Escalate runs an
// embedded one).
func (r Redis) Configured() bool {
	return r.URL != "" || len(r.Sentinel.Addrs) > 0 || len(r.ClusterAddrs) > 0
}

// SlackEnabled reports whether Slack is configured: a bot token with a
// signing secret (HTTP) or with an app token (Socket Mode).
func (c *Config) SlackEnabled() bool {
	return c.Slack.BotToken != "" && (c.Slack.SigningSecret != "" || c.Slack.AppToken != "")
}

// TeamsEnabled reports whether Teams is configured.
func (c *Config) TeamsEnabled() bool {
	return (c.Teams.AppID != "" && c.Teams.AppPassword != "") || len(c.Teams.Registrations) > 0
}

// Practice reports whether neither platform is configured: the practice
// console runs.
func (c *Config) Practice() bool { return !c.SlackEnabled() && !c.TeamsEnabled() }

// Production reports whether ESCALATE_ENV is production.
func (c *Config) Production() bool { return c.Env == EnvProduction }

// WorkflowEnv is what the workflow needs: the policy, the directory, the
// working-day calendar and the emergency route.
func (c *Config) WorkflowEnv() (workflow.Env, *calendar.Calendar, error) {
	cal, err := calendar.New(c.Calendar)
	if err != nil {
		return workflow.Env{}, nil, fmt.Errorf("calendar: %w", err)
	}
	env := workflow.Env{
		Policy:    c.Policy,
		Directory: &c.Directory,
		Calendar:  cal,
		Emergency: append([]string(nil), c.Emergency...),
	}
	env.SubjectRef = c.SubjectRef
	return env, cal, nil
}

// practiceSource names the built-in configuration in problems.
const practiceSource = "the built-in practice configuration"

// Load reads the configuration file at path, with the environment read
// through getenv. An empty path is the built-in practice configuration:
// the West Sussex policy, practice people, practice emergency numbers.
func Load(path string, getenv func(string) string) (*Config, error) {
	if path == "" {
		return parse(practiceYAML, practiceSource, true, getenv)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the configuration: %w", err)
	}
	return parse(data, path, false, getenv)
}

// Parse reads a configuration from YAML, with the environment read through
// getenv.
func Parse(data []byte, getenv func(string) string) (*Config, error) {
	return parse(data, "the configuration", false, getenv)
}

// parse reads a configuration; builtin says it is the practice one, whose
// people are trimmed to the roles its policy uses.
func parse(data []byte, source string, builtin bool, getenv func(string) string) (*Config, error) {
	c, _, err := parseSplit(data, source, builtin, getenv, false)
	return c, err
}

// parseSplit is parse; with fileOnly, the problems that are about the
// environment rather than the file (named by an environment variable, such
// as a key that production requires) are returned apart and do not make
// the file invalid: `check-config` checks a file the same on any machine.
func parseSplit(data []byte, source string, builtin bool, getenv func(string) string, fileOnly bool) (*Config, []Problem, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	probs := newProblems()
	fc, ok := decodeFile(data, probs)
	if !ok {
		return nil, nil, probs.err(source)
	}
	c := resolve(fc, getenv, builtin, probs)
	var envProblems []Problem
	if fileOnly {
		envProblems = probs.takeEnvironment()
	}
	if err := probs.err(source); err != nil {
		return nil, nil, err
	}
	return c, envProblems, nil
}

// resolve turns the file and the environment into a Config, recording
// every problem.
func resolve(fc *fileConfig, getenv func(string) string, builtin bool, probs *problems) *Config {
	env := func(name, fromFile string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return strings.TrimSpace(fromFile)
	}
	c := &Config{
		Addr:          env(envAddr, fc.Addr),
		MetricsAddr:   env(envMetricsAddr, fc.MetricsAddr),
		EncryptionKey: strings.TrimSpace(getenv(envEncryptionKey)),
		EncryptionKeys: strings.FieldsFunc(getenv(envEncryptionKeys), func(r rune) bool {
			return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r'
		}),
		Slack: Slack{
			BotToken:      strings.TrimSpace(getenv(envSlackBotToken)),
			SigningSecret: strings.TrimSpace(getenv(envSlackSigningSecret)),
			AppToken:      strings.TrimSpace(getenv(envSlackAppToken)),
			APIURL:        env(envSlackAPIURL, fc.Slack.APIURL),
			FeedChannel:   strings.TrimSpace(fc.BusinessTeam.SlackChannel),
		},
		Teams: Teams{
			AppID:             env(envTeamsAppID, fc.Teams.AppID),
			AppPassword:       strings.TrimSpace(getenv(envTeamsAppPassword)),
			TenantID:          env(envTeamsTenantID, fc.Teams.TenantID),
			OpenIDMetadataURL: env(envTeamsOpenIDURL, fc.Teams.OpenIDMetadataURL),
			TokenURL:          env(envTeamsTokenURL, fc.Teams.TokenURL),
			FeedConversation:  strings.TrimSpace(fc.BusinessTeam.TeamsConversation),
			ServiceURL:        strings.TrimSpace(fc.Teams.ServiceURL),
			FeedTenant:        strings.TrimSpace(fc.BusinessTeam.TeamsTenant),
			GraphURL:          env(envGraphURL, fc.Teams.GraphURL),
			FeedTeam:          strings.ToLower(strings.TrimSpace(fc.BusinessTeam.TeamsTeam)),
		},
		Redis: Redis{
			URL:          strings.TrimSpace(getenv(envRedisURL)),
			Sentinel:     Sentinel{MasterName: fc.Redis.Sentinel.MasterName, Addrs: fc.Redis.Sentinel.Addrs},
			ClusterAddrs: fc.Redis.ClusterAddrs,
			Password:     getenv(envRedisPassword),
			TLS:          fc.Redis.TLS,
		},
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.MetricsAddr == "" {
		c.MetricsAddr = DefaultMetricsAddr
	}
	if c.Slack.APIURL == "" {
		c.Slack.APIURL = DefaultSlackAPIURL
	}
	if c.Teams.OpenIDMetadataURL == "" {
		c.Teams.OpenIDMetadataURL = DefaultTeamsOpenIDURL
	}
	resolveRegistrations(fc, c, getenv, probs)
	if c.Teams.TokenURL == "" {
		tenant := c.Teams.TenantID
		if tenant == "" {
			tenant = DefaultTeamsTenant
		}
		c.Teams.TokenURL = fmt.Sprintf(DefaultTeamsTokenURLForm, tenant)
	}
	if c.Teams.ServiceURL == "" {
		c.Teams.ServiceURL = DefaultTeamsServiceURL
	}
	checkPlatforms(c, probs)
	if builtin && !c.Practice() {
		// The built-in configuration has only practice people: a real
		// deployment must say who its people are.
		probs.add("ESCALATE_CONFIG", "is required when Slack or Teams is configured: the built-in configuration has only practice people (start from config/example.yaml)")
		return c
	}

	c.Env = env(envEnv, fc.Env)
	c.explicitPractice = c.Env == EnvPractice
	switch {
	case c.Env == "" && c.Practice():
		c.Env = EnvPractice
	case c.Env == "":
		c.Env = EnvDevelopment
	case !contains(knownEnvs, c.Env):
		probs.add(envEnv, "unknown environment %q; use one of %s", c.Env, strings.Join(knownEnvs, ", "))
	}
	checkServer(c, probs)

	// The policy, then everything that depends on it.
	c.Policy, c.Preset, c.PolicySource = resolvePolicy(fc.Policy, probs)
	c.Partnership = strings.TrimSpace(fc.Partnership)
	switch {
	case c.Partnership == "" && c.Policy != nil:
		c.Partnership = c.Policy.Partnership
	case c.Policy != nil:
		// A partnership that adopts a preset (or another's policy) runs it
		// under its own name: records, reports, the feed and the digest all
		// read the policy's name, so it is the configured one.
		c.Policy.Partnership = c.Partnership
	}
	c.Directory = resolveDirectory(fc, c, builtin, probs)
	c.fileDirectory = fc.Directory != nil && !builtin
	resolveEmail(fc, getenv, c, probs)
	requireKey(c, probs)
	c.Calendar = resolveCalendar(fc.Calendar, probs)
	c.Emergency = trimAll(fc.Emergency)
	if len(c.Emergency) == 0 {
		if c.Practice() {
			c.Emergency = practiceEmergency()
		} else {
			probs.add("emergency", "is required: the partnership's emergency route (999, the children's and adults' front door / MASH, the out-of-hours team), shown whenever someone says a child or adult is at risk of immediate harm")
		}
	}
	c.SubjectRef = resolveSubjectRef(fc, probs)
	c.Scope = resolveScope(fc.Scope, c.Policy)
	resolveTimes(fc, c, probs)
	checkFeed(c, probs)
	checkFeedTenant(c, probs)
	return c
}

// checkPlatforms refuses half-configured platforms: a deployment that
// meant to run on Slack must not fall back to the practice console.
func checkPlatforms(c *Config, probs *problems) {
	s := c.Slack
	switch {
	case s.BotToken == "" && (s.SigningSecret != "" || s.AppToken != ""):
		probs.add(envSlackBotToken, "is required when %s or %s is set", envSlackSigningSecret, envSlackAppToken)
	case s.BotToken != "" && s.SigningSecret == "" && s.AppToken == "":
		probs.add(envSlackBotToken, "is set without %s (HTTP) or %s (Socket Mode); set one of them", envSlackSigningSecret, envSlackAppToken)
	}
	if s.BotToken != "" && !strings.HasPrefix(s.BotToken, "xoxb-") {
		probs.add(envSlackBotToken, "must be a bot token (it starts xoxb-)")
	}
	if s.AppToken != "" && !strings.HasPrefix(s.AppToken, "xapp-") {
		probs.add(envSlackAppToken, "must be an app-level token (it starts xapp-)")
	}
	if err := checkURL(s.APIURL); err != nil {
		probs.add(envSlackAPIURL+" / slack.api_url", "%v", err)
	}
	t := c.Teams
	switch {
	case t.AppID != "" && t.AppPassword == "":
		probs.add(envTeamsAppPassword, "is required when %s is set", envTeamsAppID)
	case t.AppID == "" && t.AppPassword != "":
		probs.add(envTeamsAppID, "is required when %s is set", envTeamsAppPassword)
	}
	if t.AppID != "" && t.TenantID == "" && len(t.Registrations) == 0 {
		// Microsoft now requires new bots to be single-tenant: the bot's
		// token comes from its own tenant, and activities from others are ignored.
		probs.add(envTeamsTenantID, "is required when %s is set: Escalate runs as a single-tenant bot and takes its tokens from your tenant", envTeamsAppID)
	}
	for _, u := range []struct{ name, value string }{
		{envTeamsOpenIDURL + " / teams.openid_metadata_url", t.OpenIDMetadataURL},
		{envTeamsTokenURL + " / teams.token_url", t.TokenURL},
		{"teams.service_url", t.ServiceURL},
	} {
		if err := checkURL(u.value); err != nil {
			probs.add(u.name, "%v", err)
		}
	}
	if t.GraphURL != "" {
		if err := checkURL(t.GraphURL); err != nil {
			probs.add(envGraphURL+" / teams.graph_url", "%v", err)
		}
	}

}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("must be an http(s) URL, not %q", s)
	}
	return nil
}

// checkServer checks the listen address, Redis and the encryption key,
// and what production demands of them.
func checkServer(c *Config, probs *problems) {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		probs.add(envAddr+" / addr", "must be host:port (e.g. %s), not %q", DefaultAddr, c.Addr)
	}
	if c.MetricsAddr != MetricsOff {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			probs.add(envMetricsAddr+" / metrics_addr", "must be host:port (e.g. %s) or %q, not %q", DefaultMetricsAddr, MetricsOff, c.MetricsAddr)
		} else if _, port, _ := net.SplitHostPort(c.MetricsAddr); c.MetricsAddr == c.Addr && port != "0" {
			probs.add(envMetricsAddr+" / metrics_addr", "is %q, the same as %s: metrics are served on a listener of their own, away from the public routes", c.MetricsAddr, envAddr)
		}
	}
	checkKeys(c, probs)
	r := c.Redis
	ways := 0
	for _, set := range []bool{r.URL != "", len(r.Sentinel.Addrs) > 0 || r.Sentinel.MasterName != "", len(r.ClusterAddrs) > 0} {
		if set {
			ways++
		}
	}
	if ways > 1 {
		probs.add("redis", "choose one of %s (one server), redis.sentinel or redis.cluster_addrs", envRedisURL)
	}
	if r.URL != "" {
		if u, err := url.Parse(r.URL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			// The value may carry a password: never echo it.
			probs.add(envRedisURL, "must be a redis://, rediss:// or unix:// URL")
		}
	}
	if (r.Sentinel.MasterName != "") != (len(r.Sentinel.Addrs) > 0) {
		probs.add("redis.sentinel", "needs both master_name and addrs")
	}
	for i, a := range append(append([]string(nil), r.Sentinel.Addrs...), r.ClusterAddrs...) {
		if _, _, err := net.SplitHostPort(a); err != nil {
			path := fmt.Sprintf("redis.sentinel.addrs[%d]", i)
			if i >= len(r.Sentinel.Addrs) {
				path = fmt.Sprintf("redis.cluster_addrs[%d]", i-len(r.Sentinel.Addrs))
			}
			probs.add(path, "must be host:port, not %q", a)
		}
	}
	if c.Production() {
		// The key production needs is asked for once, by requireKey.
		if !r.Configured() {
			probs.add(envRedisURL, "is required when %s=production (or redis.sentinel / redis.cluster_addrs): the embedded Redis keeps nothing across a restart", envEnv)
		}
		if c.Practice() {
			probs.add(envEnv, "is production but neither Slack nor Teams is configured; the practice console is not for real cases")
		}
	}
}

// checkKeys reads ESCALATE_ENCRYPTION_KEY or ESCALATE_ENCRYPTION_KEYS
// (not both) into EncryptionKey (the newest) and EncryptionKeys, each a
// 32-byte key in base64.
func checkKeys(c *Config, probs *problems) {
	name := envEncryptionKey
	switch {
	case c.EncryptionKey != "" && len(c.EncryptionKeys) > 0:
		probs.add(envEncryptionKeys, "and %s are both set; set one: %s holds several keys, newest first, and replaces %s", envEncryptionKey, envEncryptionKeys, envEncryptionKey)
		return
	case c.EncryptionKey != "":
		c.EncryptionKeys = []string{c.EncryptionKey}
	case len(c.EncryptionKeys) > 0:
		name, c.EncryptionKey = envEncryptionKeys, c.EncryptionKeys[0]
	}
	seen := map[string]int{}
	for i, k := range c.EncryptionKeys {
		which := name
		if name == envEncryptionKeys {
			which = fmt.Sprintf("%s (key %d)", name, i+1)
		}
		key, err := base64.StdEncoding.DecodeString(k)
		switch {
		case err != nil:
			probs.add(which, "is not valid base64; make one with: openssl rand -base64 32")
		case len(key) != 32:
			probs.add(which, "must be 32 bytes (AES-256) in base64, this one is %d bytes; make one with: openssl rand -base64 32", len(key))
		}
		if j, ok := seen[k]; ok {
			probs.add(which, "is the same as key %d", j+1)
		}
		seen[k] = i
	}
}

// requireKey: free text about children and adults is encrypted at rest
// whenever it is real, in every environment. Only the practice console on
// its embedded Redis (nothing real, nothing kept) runs without a key.
func requireKey(c *Config, probs *problems) {
	if c.EncryptionKey != "" || len(c.EncryptionKeys) > 0 {
		return
	}
	var real []string
	if c.SlackEnabled() {
		real = append(real, "Slack is configured")
	}
	if c.TeamsEnabled() {
		real = append(real, "Teams is configured")
	}
	if c.EmailEnabled() {
		real = append(real, envSMTPURL+" is set")
	}
	if c.Redis.Configured() {
		real = append(real, "a Redis of your own is configured ("+envRedisURL+", redis.sentinel or redis.cluster_addrs)")
	}
	switch {
	case c.Production():
		probs.add(envEncryptionKey, "is required when %s=production: free text about children and adults is encrypted at rest; make a key with: openssl rand -base64 32 (or set %s, several keys newest first)", envEnv, envEncryptionKeys)
	case len(real) > 0:
		probs.add(envEncryptionKey, "is required when %s, in every environment (%s=%s too): free text about children and adults is encrypted at rest, and only the practice console on its embedded Redis runs without a key; make one with: openssl rand -base64 32 (or set %s, several keys newest first)",
			strings.Join(real, " and "), envEnv, c.Env, envEncryptionKeys)
	}
}

// CheckPracticeConsole is what the practice console (no chat platform
// configured) asks of the configuration before it starts: it listens on
// this machine only and runs on its own embedded Redis, unless
// ESCALATE_ENV=practice (in the environment or the file) says in so many
// words that it is meant to run elsewhere (a training room's server). A
// console reachable from the network, or one writing into a real
// deployment's Redis, by accident, is what this refuses. Administrators'
// commands, which run with no platform secrets, are not held to it.
func (c *Config) CheckPracticeConsole() error {
	probs := newProblems()
	checkPractice(c, c.explicitPractice, probs)
	if len(probs.list) == 0 {
		return nil
	}
	return &Error{Source: "the practice console's configuration", Problems: probs.list}
}

func checkPractice(c *Config, explicit bool, probs *problems) {
	if !c.Practice() || explicit {
		return
	}
	if host, _, err := net.SplitHostPort(c.Addr); err == nil && !Loopback(host) {
		probs.add(envAddr+" / addr", "is %q, not a loopback address: the practice console listens on this machine only (e.g. %s) unless %s=%s is set", c.Addr, DefaultAddr, envEnv, EnvPractice)
	}
	if c.Redis.Configured() {
		path := envRedisURL
		if c.Redis.URL == "" {
			path = "redis"
		}
		probs.add(path, "is set but neither Slack nor Teams is configured: the practice console runs on its own embedded Redis, never a real deployment's, unless %s=%s is set (then it keeps its own key prefix there)", envEnv, EnvPractice)
	}
}

// Loopback reports whether host (an IP or a name) is this machine only:
// localhost, 127.0.0.0/8 or ::1. An empty host (all interfaces) is not.
func Loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkFeed: a platform that is configured needs somewhere to post the
// business-team feed and the daily digest.
func checkFeed(c *Config, probs *problems) {
	slack, teams := c.SlackEnabled(), c.TeamsEnabled()
	switch {
	case slack && teams && c.Slack.FeedChannel == "" && c.Teams.FeedConversation == "":
		probs.add("business_team", "needs slack_channel or teams_conversation (or both) when Slack and Teams are configured: the feed and the daily digest go there")
	case slack && !teams && c.Slack.FeedChannel == "":
		probs.add("business_team.slack_channel", "required when Slack is configured: the business-team feed and the daily digest go there")
	case teams && !slack && c.Teams.FeedConversation == "":
		probs.add("business_team.teams_conversation", "required when Teams is configured: the business-team feed and the daily digest go there")
	}
	if ch := c.Slack.FeedChannel; ch != "" && !validSlackID(ch, "CG") {
		probs.add("business_team.slack_channel", "must be a Slack channel id (C… or G…, from the channel's details), not %q", ch)
	}
}

// resolveTimes reads the digest time, the retention period and the tick.
func resolveTimes(fc *fileConfig, c *Config, probs *problems) {
	c.DigestAt = DefaultDigestAt
	if s := strings.TrimSpace(fc.Digest.Time); s != "" {
		d, err := parseClock(s)
		if err != nil {
			probs.add("digest.time", "%v", err)
		}
		c.DigestAt = d
	}
	c.RetentionDays = DefaultRetentionDays
	if r := fc.Retention.DaysAfterClosure; r != nil {
		if *r < 0 {
			probs.add("retention.days_after_closure", "must be 0 (never purge) or a number of days, not %d", *r)
		}
		c.RetentionDays = *r
	}
	c.Tick = DefaultTick
	if s := strings.TrimSpace(fc.Scheduler.Tick); s != "" {
		d, err := time.ParseDuration(s)
		switch {
		case err != nil:
			probs.add("scheduler.tick", "must be a duration such as 30s or 1m, not %q", s)
		case d < time.Second || d > 10*time.Minute:
			probs.add("scheduler.tick", "must be between 1s and 10m, not %s", d)
		default:
			c.Tick = d
		}
	}
}

// parseClock reads a time of day, "09:00", as the duration since midnight.
func parseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("must be a time of day as HH:MM (e.g. 09:00), not %q", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

func formatClock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

func trimAll(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func contains[T comparable](list []T, v T) bool {
	for _, k := range list {
		if k == v {
			return true
		}
	}
	return false
}
