package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// env is a fake environment.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// validKey is base64 of 32 bytes.
const validKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// slackTokens configure Slack over HTTP; slackEnv adds the encryption
// key a real platform requires.
var (
	slackTokens = []string{"SLACK_BOT_TOKEN", "xoxb-1-2-abc", "SLACK_SIGNING_SECRET", "shh"}
	slackEnv    = append(append([]string(nil), slackTokens...), "ESCALATE_ENCRYPTION_KEY", validKey)
)

// minimalSlack is the smallest valid file for a Slack deployment.
const minimalSlack = `
policy: {preset: west-sussex}
directory:
  agencies:
    - {id: csc, name: Children's Social Care}
    - {id: health, name: Health}
  people:
    - {name: Sam, agency: csc, role: practitioner, slack: U0001}
  chair:
    - {name: Chair, slack: U0002}
business_team:
  members: [{name: Officer, slack: U0003}]
  slack_channel: C0001
emergency: ["Call 999"]
`

func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want a *config.Error, got %T: %v", err, err)
	}
	return ce.Problems
}

func TestPracticeDefault(t *testing.T) {
	c, err := Load("", env())
	if err != nil {
		t.Fatal(err)
	}
	if !c.Practice() || c.SlackEnabled() || c.TeamsEnabled() {
		t.Errorf("the built-in configuration must run the practice console: practice=%v slack=%v teams=%v", c.Practice(), c.SlackEnabled(), c.TeamsEnabled())
	}
	if c.Env != EnvPractice || c.Addr != DefaultAddr || c.Preset != "west-sussex" || c.Policy.ID != "west-sussex" {
		t.Errorf("env=%q addr=%q preset=%q id=%q", c.Env, c.Addr, c.Preset, c.Policy.ID)
	}
	wantPeople := map[workflow.UserID]struct {
		name   string
		agency string
		role   workflow.Role
	}{
		"console:sw":    {"Sam Social Worker", "childrens-social-care", workflow.RolePractitioner},
		"console:hv":    {"Holly Health Visitor", "community-health", workflow.RolePractitioner},
		"console:sw-lm": {"", "childrens-social-care", workflow.RoleLineManager},
		"console:hv-lm": {"", "community-health", workflow.RoleLineManager},
		"console:sw-sm": {"", "childrens-social-care", workflow.RoleSeniorManager},
		"console:hv-sm": {"", "community-health", workflow.RoleSeniorManager},
		"console:chair": {"Partnership Chair", "", workflow.RoleChair},
		"console:bt":    {"Business Team Officer", "", ""},
	}
	for id, want := range wantPeople {
		p, ok := c.Directory.Person(id)
		if !ok {
			t.Errorf("%s is not in the practice directory", id)
			continue
		}
		if (want.name != "" && p.Name != want.name) || p.Agency != want.agency || p.Role != want.role {
			t.Errorf("%s = %+v, want %+v", id, p, want)
		}
	}
	if len(c.Directory.People) != len(wantPeople) {
		t.Errorf("West Sussex has no head-of-service tiers, so the practice people are the %d above; got %d: %+v", len(wantPeople), len(c.Directory.People), c.Directory.People)
	}
	if !c.Directory.IsChair("console:chair") || !c.Directory.InBusinessTeam("console:bt") || c.Directory.InBusinessTeam("console:sw") {
		t.Errorf("chair %v, business team %v", c.Directory.Chair, c.Directory.BusinessTeam)
	}
	if got := c.Directory.Holders("community-health", workflow.RoleLineManager); !slices.Equal(got, []workflow.UserID{"console:hv-lm"}) {
		t.Errorf("health line managers = %v", got)
	}
	for _, a := range []string{"childrens-social-care", "community-health", "police", "education"} {
		if _, ok := c.Directory.Agency(a); !ok {
			t.Errorf("agency %s missing", a)
		}
	}
	if c.Directory.AgencyName("community-health") != "NHS Community Health (Health Visiting)" {
		t.Errorf("community-health is %q", c.Directory.AgencyName("community-health"))
	}
	route := strings.Join(c.Emergency, "\n")
	for _, want := range []string{"999", "MASH", "Out-of-hours", "PRACTICE"} {
		if !strings.Contains(route, want) {
			t.Errorf("the practice emergency route lacks %q:\n%s", want, route)
		}
	}
	notFor := strings.Join(c.Scope.NotFor, "\n")
	for _, want := range []string{"Complaints", "Whistleblowing", "conduct"} {
		if !strings.Contains(notFor, want) {
			t.Errorf("scope.not_for lacks %q: %q", want, notFor)
		}
	}
	if len(c.Scope.For) == 0 || !strings.Contains(c.Scope.For[0], "a child's safety") {
		t.Errorf("scope.for = %q (West Sussex covers children only)", c.Scope.For)
	}
	if c.DigestAt != 9*time.Hour || c.Tick != 30*time.Second || c.RetentionDays != DefaultRetentionDays {
		t.Errorf("digest %v tick %v retention %d", c.DigestAt, c.Tick, c.RetentionDays)
	}
	if c.Teams.OpenIDMetadataURL != DefaultTeamsOpenIDURL || c.Teams.TokenURL != "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token" || c.Teams.ServiceURL != DefaultTeamsServiceURL || c.Slack.APIURL != DefaultSlackAPIURL {
		t.Errorf("platform defaults: %+v %+v", c.Teams, c.Slack)
	}
	wenv, cal, err := c.WorkflowEnv()
	if err != nil {
		t.Fatal(err)
	}
	if wenv.Policy != c.Policy || wenv.Directory.Name("console:hv") != "Holly Health Visitor" || cal.Location().String() != "Europe/London" || len(wenv.Emergency) != len(c.Emergency) {
		t.Errorf("workflow env: %+v", wenv)
	}
	// The practice configuration raises a case end to end in the workflow.
	res, err := workflow.Apply(wenv, nil, nil, workflow.Command{
		Kind: workflow.CmdRaise, Actor: "console:sw", At: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		Raise: &workflow.RaiseInput{
			Ref: "ESC-2026-0001", SubjectType: workflow.SubjectChild, SubjectRef: "CSC-123", Category: workflow.CatThresholds,
			Disagreement: "d", OutcomeSought: "o", Evidence: "e", ResponderAgency: "community-health", Responder: "console:hv",
		},
	})
	if err != nil {
		t.Fatalf("raise with the practice configuration: %v", err)
	}
	if want := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC); !res.Dispute.Deadline.Equal(want) {
		t.Errorf("stage 1 deadline %v, want %v", res.Dispute.Deadline, want)
	}
}

func TestNoFileOnAPlatform(t *testing.T) {
	_, err := Load("", env(slackEnv...))
	ps := problemsOf(t, err)
	if len(ps) != 1 || ps[0].Path != "ESCALATE_CONFIG" || !strings.Contains(ps[0].Message, "is required when Slack or Teams is configured") {
		t.Errorf("Slack with no configuration file: %v", err)
	}
}

func TestPracticePeopleFollowThePolicy(t *testing.T) {
	// A file with a policy and nothing else, on no chat platform: the
	// practice people, with the tiers the policy uses.
	c, err := Parse([]byte("policy: {preset: coventry}\n"), env())
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []workflow.Role{workflow.RoleHeadOfService, workflow.RoleHeadOfSafeguarding} {
		if len(c.Directory.Holders("childrens-social-care", role)) != 1 || len(c.Directory.Holders("community-health", role)) != 1 {
			t.Errorf("Coventry practice directory lacks %s holders", role)
		}
	}
	if c.Partnership != "Coventry Safeguarding Children Partnership (CSCP)" {
		t.Errorf("partnership %q", c.Partnership)
	}
	if !strings.Contains(strings.Join(c.Emergency, " "), "PRACTICE") {
		t.Errorf("a practice deployment with no emergency route gets the practice one: %q", c.Emergency)
	}
	// The same file on Slack must list its own people and route.
	_, err = Parse([]byte("policy: {preset: coventry}\n"), env(slackEnv...))
	msg := errString(err)
	for _, want := range []string{"directory: is required when Slack or Teams is configured", "emergency: is required", "business_team.slack_channel: required when Slack is configured"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestMinimalSlackFile(t *testing.T) {
	c, err := Parse([]byte(minimalSlack), env(slackEnv...))
	if err != nil {
		t.Fatal(err)
	}
	if !c.SlackEnabled() || c.Practice() || c.Slack.SocketMode() || c.Env != EnvDevelopment {
		t.Errorf("slack=%v practice=%v socket=%v env=%q", c.SlackEnabled(), c.Practice(), c.Slack.SocketMode(), c.Env)
	}
	if c.Slack.FeedChannel != "C0001" || c.Slack.BotToken != "xoxb-1-2-abc" || c.Slack.SigningSecret != "shh" {
		t.Errorf("slack = %+v", c.Slack)
	}
	if p, ok := c.Directory.Person("slack:U0001"); !ok || p.Role != workflow.RolePractitioner || p.Agency != "csc" || p.Name != "Sam" {
		t.Errorf("slack:U0001 = %+v %v", p, ok)
	}
	if !c.Directory.IsChair("slack:U0002") || !c.Directory.InBusinessTeam("slack:U0003") {
		t.Errorf("chair %v business team %v", c.Directory.Chair, c.Directory.BusinessTeam)
	}
	if c.Env == EnvPractice || len(c.Directory.People) != 3 {
		t.Errorf("a real directory is used as written: %+v", c.Directory.People)
	}
}

func TestEnvironmentOverridesTheFile(t *testing.T) {
	file := minimalSlack + `
env: staging
addr: 127.0.0.1:9000
slack: {api_url: "https://slack.example/api/"}
teams:
  app_id: from-file
  tenant_id: file-tenant
  service_url: https://smba.trafficmanager.net/emea/
`
	file = strings.Replace(file, "  slack_channel: C0001\n", "  slack_channel: C0001\n  teams_conversation: \"19:abc@thread.tacv2\"\n", 1)

	tests := []struct {
		name  string
		env   []string
		check func(t *testing.T, c *Config)
	}{
		{"file values stand without the environment", append([]string{"TEAMS_APP_PASSWORD", "pw"}, slackEnv...), func(t *testing.T, c *Config) {
			if c.Env != EnvStaging || c.Addr != "127.0.0.1:9000" || c.Slack.APIURL != "https://slack.example/api/" || c.Teams.AppID != "from-file" || c.Teams.TenantID != "file-tenant" {
				t.Errorf("%+v", c)
			}
			if c.Teams.TokenURL != "https://login.microsoftonline.com/file-tenant/oauth2/v2.0/token" {
				t.Errorf("token URL %q", c.Teams.TokenURL)
			}
			if !c.TeamsEnabled() || c.Teams.AppPassword != "pw" {
				t.Error("the app id from the file and the password from the environment configure Teams")
			}
		}},
		{"the environment wins", append([]string{
			"ESCALATE_ENV", "test", "ESCALATE_ADDR", "0.0.0.0:8443", "SLACK_API_URL", "http://127.0.0.1:1234/api/",
			"TEAMS_APP_ID", "env-app", "TEAMS_APP_PASSWORD", "pw", "TEAMS_TENANT_ID", "env-tenant",
			"TEAMS_OPENID_METADATA_URL", "http://127.0.0.1:1/openid", "REDIS_URL", "redis://127.0.0.1:6379/2",
			"GRAPH_API_URL", "http://127.0.0.1:1/graph/v1.0",
		}, slackEnv...), func(t *testing.T, c *Config) {
			if c.Teams.GraphURL != "http://127.0.0.1:1/graph/v1.0" {
				t.Errorf("graph URL %q", c.Teams.GraphURL)
			}
			if c.Env != EnvTest || c.Addr != "0.0.0.0:8443" || c.Slack.APIURL != "http://127.0.0.1:1234/api/" {
				t.Errorf("env %q addr %q api %q", c.Env, c.Addr, c.Slack.APIURL)
			}
			if c.Teams.AppID != "env-app" || c.Teams.AppPassword != "pw" || c.Teams.TenantID != "env-tenant" || c.Teams.OpenIDMetadataURL != "http://127.0.0.1:1/openid" {
				t.Errorf("teams %+v", c.Teams)
			}
			if c.Teams.TokenURL != "https://login.microsoftonline.com/env-tenant/oauth2/v2.0/token" {
				t.Errorf("token URL %q", c.Teams.TokenURL)
			}
			if c.Teams.ServiceURL != "https://smba.trafficmanager.net/emea/" || c.Teams.FeedConversation != "19:abc@thread.tacv2" {
				t.Errorf("teams %+v", c.Teams)
			}
			if !c.TeamsEnabled() || !c.SlackEnabled() || c.Practice() || c.Redis.URL != "redis://127.0.0.1:6379/2" || !c.Redis.Configured() {
				t.Errorf("teams=%v slack=%v redis=%+v", c.TeamsEnabled(), c.SlackEnabled(), c.Redis)
			}
		}},
		{"TEAMS_TOKEN_URL replaces the default", append([]string{"TEAMS_TOKEN_URL", "http://127.0.0.1:2/token", "TEAMS_APP_PASSWORD", "pw"}, slackEnv...), func(t *testing.T, c *Config) {
			if c.Teams.TokenURL != "http://127.0.0.1:2/token" {
				t.Errorf("token URL %q", c.Teams.TokenURL)
			}
		}},
		{"Socket Mode", []string{"SLACK_BOT_TOKEN", "xoxb-1", "SLACK_APP_TOKEN", "xapp-1", "TEAMS_APP_PASSWORD", "pw", "ESCALATE_ENCRYPTION_KEY", validKey}, func(t *testing.T, c *Config) {
			if !c.SlackEnabled() || !c.Slack.SocketMode() {
				t.Errorf("socket mode: enabled=%v socket=%v", c.SlackEnabled(), c.Slack.SocketMode())
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(file), env(tt.env...))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestProduction(t *testing.T) {
	prod := func(extra ...string) func(string) string {
		return env(append([]string{"ESCALATE_ENV", "production", "REDIS_URL", "rediss://:pw@redis.internal:6380/0"}, append(extra, slackTokens...)...)...)
	}
	tests := []struct {
		name string
		env  func(string) string
		want []string // substrings of the error; none means it loads
	}{
		{"no key", prod(), []string{"ESCALATE_ENCRYPTION_KEY: is required when ESCALATE_ENV=production"}},
		{"not base64", prod("ESCALATE_ENCRYPTION_KEY", "not base64!"), []string{"ESCALATE_ENCRYPTION_KEY: is not valid base64"}},
		{"16 bytes", prod("ESCALATE_ENCRYPTION_KEY", "MDEyMzQ1Njc4OWFiY2RlZg=="), []string{"ESCALATE_ENCRYPTION_KEY: must be 32 bytes", "this one is 16 bytes"}},
		{"valid key", prod("ESCALATE_ENCRYPTION_KEY", validKey), nil},
		{"no Redis", env(append([]string{"ESCALATE_ENV", "production", "ESCALATE_ENCRYPTION_KEY", validKey}, slackEnv...)...), []string{"REDIS_URL: is required when ESCALATE_ENV=production"}},
		{"no platform", env("ESCALATE_ENV", "production", "ESCALATE_ENCRYPTION_KEY", validKey, "REDIS_URL", "redis://r:6379"), []string{"ESCALATE_ENV: is production but neither Slack nor Teams is configured"}},
		{"a typo is not a way round", env(append([]string{"ESCALATE_ENV", "prod"}, slackEnv...)...), []string{`ESCALATE_ENV: unknown environment "prod"`}},
		{"a bad key is refused outside production too", env("ESCALATE_ENCRYPTION_KEY", "c2hvcnQ="), []string{"ESCALATE_ENCRYPTION_KEY: must be 32 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(minimalSlack), tt.env)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if !c.Production() || c.EncryptionKey != validKey {
					t.Errorf("production=%v key=%q", c.Production(), c.EncryptionKey)
				}
				return
			}
			msg := errString(err)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, ":pw@") {
				t.Errorf("the error echoes the Redis password:\n%s", msg)
			}
		})
	}
}

func TestSecretsInTheFileAreRefused(t *testing.T) {
	tests := []struct {
		yaml, path, envVar string
	}{
		{"slack:\n  bot_token: xoxb-SECRETVALUE\n", "slack.bot_token", "SLACK_BOT_TOKEN"},
		{"slack:\n  signing_secret: SECRETVALUE\n", "slack.signing_secret", "SLACK_SIGNING_SECRET"},
		{"slack:\n  app_token: xapp-SECRETVALUE\n", "slack.app_token", "SLACK_APP_TOKEN"},
		{"teams:\n  app_password: SECRETVALUE\n", "teams.app_password", "TEAMS_APP_PASSWORD"},
		{"encryption_key: SECRETVALUE\n", "encryption_key", "ESCALATE_ENCRYPTION_KEY"},
		{"redis:\n  url: redis://:SECRETVALUE@host:6379\n", "redis.url", "REDIS_URL"},
		{"redis:\n  password: SECRETVALUE\n", "redis.password", "REDIS_PASSWORD"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, err := Parse([]byte("policy: {preset: west-sussex}\n"+tt.yaml), env())
			msg := errString(err)
			if !strings.Contains(msg, tt.path+": is a secret") || !strings.Contains(msg, "set the environment variable "+tt.envVar) {
				t.Errorf("error does not name %s and %s:\n%s", tt.path, tt.envVar, msg)
			}
			if strings.Contains(msg, "SECRETVALUE") {
				t.Errorf("the error repeats the secret:\n%s", msg)
			}
			if ps := problemsOf(t, err); ps[0].Line != 2 && ps[0].Line != 3 {
				t.Errorf("line %d", ps[0].Line)
			}
		})
	}
}

func TestHalfConfiguredPlatformsAreRefused(t *testing.T) {
	tests := []struct {
		env  []string
		want string
	}{
		{[]string{"SLACK_BOT_TOKEN", "xoxb-1"}, "SLACK_BOT_TOKEN: is set without SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode)"},
		{[]string{"SLACK_SIGNING_SECRET", "s"}, "SLACK_BOT_TOKEN: is required when SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set"},
		{[]string{"SLACK_BOT_TOKEN", "xoxp-user", "SLACK_SIGNING_SECRET", "s"}, "SLACK_BOT_TOKEN: must be a bot token"},
		{[]string{"SLACK_BOT_TOKEN", "xoxb-1", "SLACK_APP_TOKEN", "xoxb-2"}, "SLACK_APP_TOKEN: must be an app-level token"},
		{[]string{"TEAMS_APP_ID", "a"}, "TEAMS_APP_PASSWORD: is required when TEAMS_APP_ID is set"},
		{[]string{"TEAMS_APP_PASSWORD", "p"}, "TEAMS_APP_ID: is required when TEAMS_APP_PASSWORD is set"},
		{[]string{"SLACK_API_URL", "slack.com/api"}, "SLACK_API_URL / slack.api_url: must be an http(s) URL"},
		{[]string{"ESCALATE_ADDR", "8080"}, `ESCALATE_ADDR / addr: must be host:port`},
		{[]string{"REDIS_URL", "http://x"}, "REDIS_URL: must be a redis://, rediss:// or unix:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := Parse([]byte("policy: {preset: west-sussex}\n"), env(tt.env...))
			if !strings.Contains(errString(err), tt.want) {
				t.Errorf("error lacks %q:\n%v", tt.want, err)
			}
		})
	}
}

func TestRedis(t *testing.T) {
	sentinel := "redis:\n  sentinel: {master_name: escalate, addrs: [\"10.0.0.1:26379\", \"10.0.0.2:26379\"]}\n  tls: true\n"
	c, err := Parse([]byte("policy: {preset: west-sussex}\n"+sentinel), env("REDIS_PASSWORD", "pw", "ESCALATE_ENCRYPTION_KEY", validKey, "ESCALATE_ENV", "practice"))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Redis
	if r.Sentinel.MasterName != "escalate" || !slices.Equal(r.Sentinel.Addrs, []string{"10.0.0.1:26379", "10.0.0.2:26379"}) || r.Password != "pw" || !r.TLS || len(r.ClusterAddrs) > 0 || !r.Configured() {
		t.Errorf("sentinel options %+v", r)
	}
	c, err = Parse([]byte("policy: {preset: west-sussex}\nredis:\n  cluster_addrs: [\"10.0.0.9:6379\"]\n"), env("ESCALATE_ENCRYPTION_KEY", validKey, "ESCALATE_ENV", "practice"))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Redis; !slices.Equal(r.ClusterAddrs, []string{"10.0.0.9:6379"}) || r.Sentinel.MasterName != "" || r.TLS {
		t.Errorf("cluster options %+v", r)
	}
	if c, _ := Load("", env()); c.Redis.Configured() {
		t.Error("no Redis configured means the embedded one")
	}
	_, err = Parse([]byte("policy: {preset: west-sussex}\n"+sentinel), env("REDIS_URL", "redis://x:6379"))
	if !strings.Contains(errString(err), "redis: choose one of REDIS_URL") {
		t.Errorf("two kinds of Redis at once: %v", err)
	}
}

func TestWindows(t *testing.T) {
	tests := []struct {
		in   string
		want workflow.Window
		bad  bool
	}{
		{"1 working day", workflow.Window{Amount: 1, Unit: workflow.WorkingDays}, false},
		{"3 working days", workflow.Window{Amount: 3, Unit: workflow.WorkingDays}, false},
		{"a working day", workflow.Window{Amount: 1, Unit: workflow.WorkingDays}, false},
		{"4 Working Hours", workflow.Window{Amount: 4, Unit: workflow.WorkingHours}, false},
		{"48 hours", workflow.Window{Amount: 48, Unit: workflow.Hours}, false},
		{"a working week", workflow.Window{Amount: 5, Unit: workflow.WorkingDays}, false},
		{"2 working weeks", workflow.Window{Amount: 10, Unit: workflow.WorkingDays}, false},
		{"{amount: 2, unit: working_days}", workflow.Window{Amount: 2, Unit: workflow.WorkingDays}, false},
		{"two days", workflow.Window{}, true},
		{"1 day", workflow.Window{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			file := fmt.Sprintf(`
policy:
  partnership: P
  subjects: [child]
  stages:
    - {name: One, role: practitioner, window: %s}
    - {name: Two, role: chair, window: 1 working day, final: chair_resolves}
`, tt.in)
			c, err := Parse([]byte(file), env())
			if tt.bad {
				if !strings.Contains(errString(err), "policy.stages[0].window: write a window as") {
					t.Errorf("error %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Policy.Stages[0].Window; got != tt.want {
				t.Errorf("window %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestOwnPolicy: a policy written out in the file is the policy run, with
// derived id and labels.
func TestOwnPolicy(t *testing.T) {
	file := `
policy:
  partnership: Anyshire Safeguarding Adults Board
  subjects: [adult]
  within_agency: true
  notify_on_resolution: true
  immediate_risk_max_stage: 2
  stages:
    - {name: Practitioners, role: practitioner, window: 48 hours, remind: 4 hours}
    - {name: Managers, role: line_manager, window: 2 working days, notify_business_team: true}
    - {name: Board chair, role: chair, window: a working week, final: chair_resolves}
`
	c, err := Parse([]byte(file), env())
	if err != nil {
		t.Fatal(err)
	}
	p := c.Policy
	if p.ID != "anyshire-safeguarding-adults-board" || c.Preset != "" || !p.Covers(workflow.SubjectAdult) || p.Covers(workflow.SubjectChild) || !p.WithinAgency || !p.NotifyOnResolution || p.ImmediateRiskMaxStage != 2 {
		t.Errorf("policy %+v", p)
	}
	if p.Stages[0].Label != "1" || p.Stages[2].Label != "3" || p.FeedFrom() != 2 || p.Stages[0].Remind != (workflow.Window{Amount: 4, Unit: workflow.Hours}) {
		t.Errorf("stages %+v", p.Stages)
	}
	if !strings.Contains(c.Scope.For[0], "an adult's safety") || !strings.Contains(c.Scope.For[0], "within one") {
		t.Errorf("scope for an adults' policy: %q", c.Scope.For)
	}
}

func TestTeamsNeedsItsTenant(t *testing.T) {
	_, err := Parse([]byte("policy: {preset: west-sussex}\n"), env("TEAMS_APP_ID", "11111111-2222-3333-4444-555555555555", "TEAMS_APP_PASSWORD", "pw"))
	if err == nil || !strings.Contains(err.Error(), "TEAMS_TENANT_ID: is required") {
		t.Fatalf("want TEAMS_TENANT_ID named, got %v", err)
	}
}

func TestAPersonMayCarryOnlyAnEmailAddress(t *testing.T) {
	file := strings.Replace(minimalSlack, "    - {name: Sam, agency: csc, role: practitioner, slack: U0001}\n",
		"    - {name: Sam, agency: csc, role: practitioner, slack: U0001, email: Sam@CSC.example.org}\n"+
			"    - {name: Jo Head, agency: health, role: practitioner, email: \" Jo.Head@School.example.org \"}\n", 1)
	mailEnv := []string{"SMTP_URL", "smtps://u:p@mail.example.org", "ESCALATE_MAIL_FROM", "escalate@example.org", "ESCALATE_PUBLIC_URL", "https://escalate.example.org/"}
	c, err := Parse([]byte(file), env(append(append(slackEnv, "ESCALATE_ENCRYPTION_KEY", validKey), mailEnv...)...))
	if err != nil {
		t.Fatal(err)
	}
	if !c.EmailEnabled() || c.Email.PublicURL != "https://escalate.example.org" || c.Email.LinkTTL != 7*24*time.Hour {
		t.Errorf("email = %+v", c.Email)
	}
	if s, err := SMTPServer(c.Email.SMTPURL); err != nil || s.Host != "mail.example.org" || s.Port != 465 || !s.ImplicitTLS || s.Username != "u" || s.Password != "p" {
		t.Errorf("smtp = %+v %v", s, err)
	}
	_, err = Parse([]byte(file), env(append(slackEnv, "ESCALATE_ENCRYPTION_KEY", validKey)...))
	if err == nil || !strings.Contains(err.Error(), "SMTP_URL: is required: the directory lists Jo Head with only an email address") {
		t.Errorf("email-only people without SMTP: %v", err)
	}
	jo, ok := c.Directory.Person("email:jo.head@school.example.org")
	if !ok || jo.Name != "Jo Head" || jo.Agency != "health" || jo.Role != workflow.RolePractitioner {
		t.Errorf("the email-only person = %+v %v", jo, ok)
	}
	if _, onEmail := c.Directory.Person("email:sam@csc.example.org"); onEmail {
		t.Error("a person on a chat platform is reached there, not by email")
	}
}

// TestTeamsTenantOfAgencyAndPerson: an agency's teams_tenant is its
// people's, a person's own overrides it, and a value that is not a tenant
// id is named by its path and line.
func TestTeamsTenantOfAgencyAndPerson(t *testing.T) {
	const council, nhs = "70000000-0000-4000-8000-000000000001", "80000000-0000-4000-8000-000000000002"
	file := `
policy: {preset: west-sussex}
directory:
  agencies:
    - {id: csc, name: Children's Social Care, teams_tenant: ` + strings.ToUpper(council) + `}
    - {id: health, name: Health, teams_tenant: ` + nhs + `}
  people:
    - {name: Sam, agency: csc, role: practitioner, slack: U0001}
    - {name: Hana, agency: health, role: practitioner, slack: U0004}
    - {name: Sec, agency: csc, role: practitioner, slack: U0005, teams_tenant: ` + nhs + `}
  chair:
    - {name: Chair, slack: U0002}
business_team:
  members: [{name: Officer, slack: U0003}]
  slack_channel: C0001
emergency: ["Call 999"]
`
	c, err := Parse([]byte(file), env(slackEnv...))
	if err != nil {
		t.Fatal(err)
	}
	d := c.Directory
	for id, want := range map[workflow.UserID]string{"slack:U0001": council, "slack:U0004": nhs, "slack:U0005": nhs, "slack:U0002": ""} {
		if got := d.TeamsTenant(id); got != want {
			t.Errorf("tenant of %s = %q, want %q", id, got, want)
		}
	}
	bad := strings.Replace(file, "teams_tenant: "+nhs+"}\n  people", "teams_tenant: nhs.example}\n  people", 1)
	_, err = Parse([]byte(bad), env(slackEnv...))
	if err == nil || !strings.Contains(err.Error(), "directory.agencies[1].teams_tenant: must be a Microsoft Entra tenant id") || !strings.Contains(err.Error(), "(line 6)") {
		t.Fatalf("want the bad tenant named with its line, got %v", err)
	}
}

func TestBadEmailSettingsAreNamed(t *testing.T) {
	base := append(slackEnv, "ESCALATE_ENCRYPTION_KEY", validKey)
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{"SMTP_URL", "http://secret:pw@mail.example.org"}, "SMTP_URL: must start smtp:// (STARTTLS) or smtps:// (TLS)"},
		{[]string{"SMTP_URL", "smtp://mail.example.org:99999", "ESCALATE_MAIL_FROM", "a@b.org", "ESCALATE_PUBLIC_URL", "https://x.org"}, "SMTP_URL: has a bad port"},
		{[]string{"SMTP_URL", "smtp://mail.example.org"}, "ESCALATE_MAIL_FROM: is required when SMTP_URL is set"},
		{[]string{"SMTP_URL", "smtp://mail.example.org", "ESCALATE_MAIL_FROM", "Escalate <a@b.org>", "ESCALATE_PUBLIC_URL", "https://x.org"}, "ESCALATE_MAIL_FROM: must be one email address"},
		{[]string{"SMTP_URL", "smtp://mail.example.org", "ESCALATE_MAIL_FROM", "a@b.org", "ESCALATE_PUBLIC_URL", "http://escalate.example.org"}, "ESCALATE_PUBLIC_URL: must be an https:// address"},
		{[]string{"ESCALATE_PUBLIC_URL", "https://x.org"}, "SMTP_URL: is required when ESCALATE_MAIL_FROM or ESCALATE_PUBLIC_URL is set"},
	} {
		_, err := Parse([]byte(minimalSlack), env(append(append([]string(nil), base...), tc.env...)...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: want %q, got %v", tc.env, tc.want, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret:pw") {
			t.Errorf("the SMTP password is echoed: %v", err)
		}
	}
}

// A partnership that adopts a preset runs it under its own name: the
// record, the reports and the feed read the policy's name, so it is the
// configured one (the preset's stays its id and its source lines).
func TestAPresetRunsUnderThePartnershipsName(t *testing.T) {
	c, err := Parse([]byte("partnership: Anyshire Safeguarding Children Partnership\npolicy: {preset: coventry}\n"), env())
	if err != nil {
		t.Fatal(err)
	}
	if c.Partnership != "Anyshire Safeguarding Children Partnership" || c.Policy.Partnership != c.Partnership {
		t.Errorf("partnership %q, policy's %q", c.Partnership, c.Policy.Partnership)
	}
	if c.Policy.ID != "coventry" {
		t.Errorf("policy id %q: a preset keeps its id", c.Policy.ID)
	}
	out := describeText(t, c)
	if strings.Contains(out, "Coventry Safeguarding Children Partnership (CSCP),") {
		t.Errorf("check-config names the preset's partnership:\n%s", out)
	}
}

// A stage whose window the holders agree between them within the policy's
// maximum says so in the YAML (window_agreed) and in check-config.
func TestWindowAgreed(t *testing.T) {
	file := `
policy:
  partnership: P
  subjects: [child]
  stages:
    - {name: One, role: practitioner, window: a working week, window_agreed: true}
    - {name: Two, role: chair, window: 1 working day, final: chair_resolves}
`
	c, err := Parse([]byte(file), env())
	if err != nil {
		t.Fatal(err)
	}
	if !c.Policy.Stages[0].WindowAgreed || c.Policy.Stages[1].WindowAgreed {
		t.Errorf("window_agreed %v %v", c.Policy.Stages[0].WindowAgreed, c.Policy.Stages[1].WindowAgreed)
	}
	out := describeText(t, c)
	if !strings.Contains(out, "window:        at most 5 working days, agreed between the holders (Set the deadline), or sooner with a recorded reason") {
		t.Errorf("check-config:\n%s", out)
	}
	if _, err := Parse([]byte(strings.Replace(file, "window_agreed: true", "window_agreed: soon", 1)), env()); !strings.Contains(errString(err), "policy.stages[0].window_agreed") {
		t.Errorf("a window_agreed that is not yes/no: %v", err)
	}
}

// A partnership's own roles and a role per side, in the YAML: the people
// listed with them hold those stages; a role nobody defined is named by
// its path, in the policy and in the directory.
func TestOwnRolesAndRolesPerSide(t *testing.T) {
	policy := `
policy:
  partnership: Anyshire Safeguarding Children Partnership
  subjects: [child]
  roles:
    - {id: designated_safeguarding_lead, label: designated safeguarding lead, ranks_with: senior_manager}
    - {id: team_manager, label: team manager, ranks_with: line_manager}
  stages:
    - {name: Practitioners, role: practitioner, window: 1 working day}
    - {name: Managers, role: line_manager, raiser_role: team_manager, responder_role: designated_safeguarding_lead, window: 3 working days}
    - {name: Chair, role: chair, window: a working week, final: chair_resolves}
`
	file := strings.Replace(minimalSlack, "policy: {preset: west-sussex}\n", policy, 1)
	file = strings.Replace(file, "    - {name: Sam, agency: csc, role: practitioner, slack: U0001}\n",
		"    - {name: Sam, agency: csc, role: practitioner, slack: U0001}\n"+
			"    - {name: Tara, agency: csc, role: team_manager, slack: U0004}\n"+
			"    - {name: Dana, agency: health, role: designated_safeguarding_lead, slack: U0005}\n", 1)
	c, err := Parse([]byte(file), env(append(slackEnv, "ESCALATE_ENCRYPTION_KEY", validKey)...))
	if err != nil {
		t.Fatal(err)
	}
	st := c.Policy.Stage(2)
	if st.RoleOn(workflow.SideRaiser) != "team_manager" || st.RoleOn(workflow.SideResponder) != "designated_safeguarding_lead" {
		t.Errorf("stage 2 roles %q %q", st.RoleOn(workflow.SideRaiser), st.RoleOn(workflow.SideResponder))
	}
	if h := c.Directory.Holders("health", "designated_safeguarding_lead"); len(h) != 1 || h[0] != "slack:U0005" {
		t.Errorf("holders %v", h)
	}
	out := describeText(t, c)
	for _, want := range []string{
		"Own roles:      designated_safeguarding_lead (designated safeguarding lead, ranks with senior_manager); team_manager (team manager, ranks with line_manager)",
		"roles:         team_manager (team manager) on the raiser's side, designated_safeguarding_lead (designated safeguarding lead) on the other",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check-config lacks %q:\n%s", want, out)
		}
	}

	bad := strings.Replace(file, "role: designated_safeguarding_lead, slack: U0005", "role: named_nurse, slack: U0005", 1)
	bad = strings.Replace(bad, "responder_role: designated_safeguarding_lead", "responder_role: dsl", 1)
	msg := errString(func() error {
		_, err := Parse([]byte(bad), env(append(slackEnv, "ESCALATE_ENCRYPTION_KEY", validKey)...))
		return err
	}())
	for _, want := range []string{`policy.stages[1].responder_role: unknown role "dsl"`, `directory.people[2].role: unknown role "named_nurse"; use one of practitioner, line_manager, senior_manager, head_of_service, head_of_safeguarding, chair, designated_safeguarding_lead, team_manager`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
}

// A last stage decided by one person who is not the chair names the agency
// whose role holder decides; an agency the directory lacks is named.
func TestADeciderNamesItsAgency(t *testing.T) {
	policy := `
policy:
  partnership: Anyshire Safeguarding Children Partnership
  subjects: [child]
  stages:
    - {name: Practitioners, role: practitioner, window: 1 working day}
    - {name: Managers, role: line_manager, window: 1 working day}
    - {name: Head of Safeguarding, role: head_of_safeguarding, window: 1 working day, final: decider, decider_agency: csc, tell: [chair]}
`
	file := strings.Replace(minimalSlack, "policy: {preset: west-sussex}\n", policy, 1)
	c, err := Parse([]byte(file), env(append(slackEnv, "ESCALATE_ENCRYPTION_KEY", validKey)...))
	if err != nil {
		t.Fatal(err)
	}
	if st := c.Policy.Stage(3); st.Final != workflow.FinalDecider || st.DeciderAgency != "csc" || !st.DecidedByOne() {
		t.Errorf("stage 3 %+v", st)
	}
	out := describeText(t, c)
	if !strings.Contains(out, "final:         the head of safeguarding of csc decides how it is resolved") {
		t.Errorf("check-config:\n%s", out)
	}
	_, err = Parse([]byte(strings.Replace(file, "decider_agency: csc", "decider_agency: council", 1)), env(append(slackEnv, "ESCALATE_ENCRYPTION_KEY", validKey)...))
	if !strings.Contains(errString(err), `policy.stages[2].decider_agency: unknown agency "council"`) {
		t.Errorf("unknown decider agency: %v", err)
	}
}

// Immediate risk as its own process in the YAML: the same-day window and
// the roles told at once, printed by check-config; a bad window is named.
func TestImmediateRiskInTheFile(t *testing.T) {
	file := `
policy:
  partnership: P
  subjects: [child]
  immediate_risk_window: 4 working hours
  immediate_risk_tell: [head_of_safeguarding]
  stages:
    - {name: One, role: practitioner, window: 1 working day}
    - {name: Two, role: chair, window: 1 working day, final: chair_resolves}
`
	c, err := Parse([]byte(file), env())
	if err != nil {
		t.Fatal(err)
	}
	if c.Policy.ImmediateRiskWindow != (workflow.Window{Amount: 4, Unit: workflow.WorkingHours}) || len(c.Policy.ImmediateRiskTell) != 1 {
		t.Errorf("policy %+v", c.Policy)
	}
	out := describeText(t, c)
	for _, want := range []string{"no stage's window runs longer than 4 working hours", "told at once: the head of safeguarding of each side's agency"} {
		if !strings.Contains(out, want) {
			t.Errorf("check-config lacks %q:\n%s", want, out)
		}
	}
	_, err = Parse([]byte(strings.Replace(file, "4 working hours", "soon", 1)), env())
	if !strings.Contains(errString(err), "policy.immediate_risk_window: write a window as") {
		t.Errorf("bad window: %v", err)
	}
}

// A route of its own for some categories, in the YAML: parsed, its errors
// named by their paths, and printed by check-config.
func TestRoutesInTheFile(t *testing.T) {
	file := `
policy:
  partnership: P
  subjects: [child]
  stages:
    - {name: One, role: practitioner, window: 1 working day}
    - {name: Two, role: line_manager, window: 1 working day}
    - {name: Three, role: chair, window: 1 working day, final: chair_resolves}
  routes:
    - id: conference
      name: Dissent from a conference decision
      categories: [conference_refused]
      source: Appendix 1
      stages:
        - {name: Conference chair, role: practitioner, window: 2 working days}
        - {name: Chair, role: chair, window: 3 working days, final: chair_resolves}
`
	c, err := Parse([]byte(file), env())
	if err != nil {
		t.Fatal(err)
	}
	r := c.Policy.RouteFor(workflow.CatConferenceRefused)
	if r == nil || r.ID != "conference" || len(r.Stages) != 2 || r.Stages[0].Label != "1" {
		t.Fatalf("route %+v", r)
	}
	out := describeText(t, c)
	if !strings.Contains(out, "Route conference (Dissent from a conference decision), for: Child protection conference / safeguarding meeting refused") ||
		!strings.Contains(out, "Stage 1 (Conference chair)\n  role:          practitioner") {
		t.Errorf("check-config:\n%s", out)
	}
	bad := strings.Replace(file, "window: 3 working days, final: chair_resolves", "window: someday", 1)
	bad = strings.Replace(bad, "categories: [conference_refused]", "categories: [conference]", 1)
	msg := errString(func() error { _, err := Parse([]byte(bad), env()); return err }())
	for _, want := range []string{"policy.routes[0].stages[1].window: write a window as", `policy.routes[0].categories[0]: unknown category "conference"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
}

// A written response inside a stage, in the YAML.
func TestAWrittenResponseInTheFile(t *testing.T) {
	file := `
policy:
  partnership: P
  subjects: [child]
  stages:
    - {name: One, role: practitioner, window: a working week, response: {from: responder, within: 3 working days, remind: 1 working day, what: a response from the receiving agency}}
    - {name: Two, role: chair, window: 1 working day, final: chair_resolves}
`
	c, err := Parse([]byte(file), env())
	if err != nil {
		t.Fatal(err)
	}
	r := c.Policy.Stage(1).Response
	if r == nil || r.From != workflow.SideResponder || r.Within != (workflow.Window{Amount: 3, Unit: workflow.WorkingDays}) || r.What != "a response from the receiving agency" {
		t.Fatalf("response %+v", r)
	}
	out := describeText(t, c)
	if !strings.Contains(out, "response:      a response from the receiving agency from the other side within 3 working days of the stage opening (reminded 1 working day before)") {
		t.Errorf("check-config:\n%s", out)
	}
	msg := errString(func() error {
		_, err := Parse([]byte(strings.Replace(strings.Replace(file, "from: responder", "from: them", 1), "within: 3 working days", "within: later", 1)), env())
		return err
	}())
	for _, want := range []string{`policy.stages[0].response.from: must be raiser or responder, not "them"`, "policy.stages[0].response.within: write a window as"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
}

// The policy written out in config/example.yaml's comments, uncommented, is
// a valid policy: every key it documents is one Escalate reads.
func TestTheExamplesCommentedPolicyIsValid(t *testing.T) {
	b, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "# policy:\n#   id: anyshire")
	if i < 0 {
		t.Fatal("example.yaml has no commented policy")
	}
	j := strings.Index(s[i:], "\n\n")
	var lines []string
	for _, l := range strings.Split(s[i:i+j], "\n") {
		lines = append(lines, strings.TrimPrefix(strings.TrimPrefix(l, "#"), " "))
	}
	c, err := Parse([]byte(strings.Join(lines, "\n")+"\n"), env())
	if err != nil {
		t.Fatalf("the example's own policy: %v", err)
	}
	st := c.Policy.Stage(3)
	if len(c.Policy.Roles) != 2 || len(c.Policy.Routes) != 1 || !st.Optional || !st.WindowAgreed || len(st.Tell) != 2 || c.Policy.Stage(2).Response == nil || c.Policy.ImmediateRiskWindow.Amount == 0 ||
		c.Policy.RaiseWithin.Amount == 0 || c.Policy.Routes[0].RaiseWithin.Amount == 0 || c.Policy.Stage(2).AfterResolution == nil {
		t.Errorf("the example documents fewer keys than expected: %+v", c.Policy)
	}
}

// An agency whose stages a third agency holds (held_by), and the mistakes
// that can be made naming it.
func TestHeldByInTheFile(t *testing.T) {
	file := strings.Replace(minimalSlack, "    - {id: health, name: Health}\n",
		"    - {id: health, name: Health}\n    - {id: icb, name: Anyshire ICB}\n    - {id: gp, name: Riverside Surgery, held_by: icb}\n", 1)
	c, err := Parse([]byte(file), env(append(slackEnv, "ESCALATE_ENCRYPTION_KEY", validKey)...))
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := c.Directory.Agency("gp"); a.HeldBy != "icb" {
		t.Errorf("gp %+v", a)
	}
	for bad, want := range map[string]string{
		"held_by: nobody": `directory.agencies[3].held_by: unknown agency "nobody"`,
		"held_by: gp":     "directory.agencies[3].held_by: an agency cannot hold its own stages for itself",
	} {
		_, err := Parse([]byte(strings.Replace(file, "held_by: icb", bad, 1)), env(append(slackEnv, "ESCALATE_ENCRYPTION_KEY", validKey)...))
		if !strings.Contains(errString(err), want) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	chain := strings.Replace(file, "{id: icb, name: Anyshire ICB}", "{id: icb, name: Anyshire ICB, held_by: csc}", 1)
	if _, err := Parse([]byte(chain), env(append(slackEnv, "ESCALATE_ENCRYPTION_KEY", validKey)...)); !strings.Contains(errString(err), `"icb" is itself held by "csc"`) {
		t.Errorf("chain: %v", err)
	}
}

// A meeting stage, in the YAML.
func TestAMeetingInTheFile(t *testing.T) {
	file := `
policy:
  partnership: P
  subjects: [child]
  stages:
    - {name: One, role: practitioner, window: 1 working day}
    - {name: Two, role: line_manager, window: 5 working days, meeting: {convened_by: responder, independently_chaired: true}}
    - {name: Three, role: chair, window: 1 working day, final: chair_resolves}
`
	c, err := Parse([]byte(file), env())
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Policy.Stage(2).Meeting; m == nil || m.ConvenedBy != workflow.SideResponder || !m.IndependentlyChaired {
		t.Fatalf("meeting %+v", m)
	}
	out := describeText(t, c)
	if !strings.Contains(out, "meeting:       a meeting, convened by the other side within the window, independently chaired") {
		t.Errorf("check-config:\n%s", out)
	}
	if _, err := Parse([]byte(strings.Replace(file, "convened_by: responder", "convened_by: anyone", 1)), env()); !strings.Contains(errString(err), `policy.stages[1].meeting.convened_by: must be raiser or responder, not "anyone"`) {
		t.Errorf("bad convener: %v", err)
	}

	// At the chair's stage the chair convenes it; a panel names its agencies.
	chairs := strings.Replace(file, "final: chair_resolves}", "final: chair_resolves, meeting: {convened_by: chair, agencies: 3, name: resolution panel}}", 1)
	c, err = Parse([]byte(chairs), env())
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Policy.Stage(3).Meeting; m == nil || m.ConvenedBy != workflow.SideChair || m.Agencies != 3 || m.Name != "resolution panel" {
		t.Fatalf("the chair's meeting %+v", m)
	}
	if out := describeText(t, c); !strings.Contains(out, "meeting:       a resolution panel of 3 agencies, convened by whoever decides the stage within the window") {
		t.Errorf("check-config:\n%s", out)
	}
	for bad, want := range map[string]string{
		strings.Replace(file, "convened_by: responder", "convened_by: chair", 1):       "policy.stages[1].meeting.convened_by: is chair, but one person does not decide this stage",
		strings.Replace(chairs, "convened_by: chair,", "convened_by: raiser,", 1):      `policy.stages[2].meeting.convened_by: must be chair at a stage one person decides (they convene its meeting), not "raiser"`,
		strings.Replace(chairs, "agencies: 3", "agencies: -1", 1):                      "policy.stages[2].meeting.agencies: is how many agencies a panel brings together (e.g. 3), not -1",
		strings.Replace(chairs, "final: chair_resolves,", "final: chair_or_panel,", 1): "policy.stages[2].meeting: final: chair_or_panel already makes the chair's resolution panel this stage's meeting",
	} {
		if _, err := Parse([]byte(bad), env()); !strings.Contains(errString(err), want) {
			t.Errorf("want %q, got %v", want, err)
		}
	}
	// final: chair_or_panel is that panel.
	panel := strings.Replace(file, "final: chair_resolves}", "final: chair_or_panel}", 1)
	if c, err = Parse([]byte(panel), env()); err != nil {
		t.Fatal(err)
	}
	if m := c.Policy.Stage(3).MeetingRule(); m == nil || m.ConvenedBy != workflow.SideChair || m.Agencies != 3 || m.Name != "resolution panel" {
		t.Errorf("chair_or_panel's meeting %+v", m)
	}
}

// describeText is what check-config prints for c, as of a fixed instant.
func describeText(t *testing.T, c *Config) string {
	t.Helper()
	var out strings.Builder
	if err := c.describe(&out, "test", time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// Metrics listen on this machine unless told otherwise, from the file or the
// environment; an address that is not host:port, or is the public one, is
// named.
func TestMetricsAddress(t *testing.T) {
	c, err := Parse([]byte(minimalSlack), env(slackEnv...))
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsAddr != DefaultMetricsAddr {
		t.Errorf("default metrics address %q, want %q", c.MetricsAddr, DefaultMetricsAddr)
	}
	c, err = Parse([]byte(minimalSlack+"metrics_addr: 10.0.0.5:9464\n"), env(slackEnv...))
	if err != nil || c.MetricsAddr != "10.0.0.5:9464" {
		t.Errorf("from the file: %q, %v", c.MetricsAddr, err)
	}
	c, err = Parse([]byte(minimalSlack+"metrics_addr: 10.0.0.5:9464\n"), env(append([]string{"ESCALATE_METRICS_ADDR", "off"}, slackEnv...)...))
	if err != nil || c.MetricsAddr != MetricsOff {
		t.Errorf("the environment wins: %q, %v", c.MetricsAddr, err)
	}
	for _, bad := range []string{"9464", "127.0.0.1:8080"} {
		_, err := Parse([]byte(minimalSlack), env(append([]string{"ESCALATE_METRICS_ADDR", bad, "ESCALATE_ADDR", "127.0.0.1:8080"}, slackEnv...)...))
		found := false
		for _, p := range problemsOf(t, err) {
			found = found || strings.Contains(p.Path, "ESCALATE_METRICS_ADDR")
		}
		if !found {
			t.Errorf("ESCALATE_METRICS_ADDR=%s: %v, want a problem naming ESCALATE_METRICS_ADDR", bad, err)
		}
	}
}
