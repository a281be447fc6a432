package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// otherKey is base64 of another 32 bytes.
const otherKey = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="

// TestStartupMatrix: which configurations start and which refuse, for
// every environment × platform × key, and what the refusal names. The
// rules: a key is required whenever a real platform (Slack, Teams, email)
// or a real Redis is configured, in every environment, and in production;
// ESCALATE_ENCRYPTION_KEY and ESCALATE_ENCRYPTION_KEYS are not both set;
// the practice console runs against a Redis of its own only when
// ESCALATE_ENV=practice says so; production needs a Redis and a platform.
func TestStartupMatrix(t *testing.T) {
	file := strings.Replace(minimalSlack, "{name: Sam, agency: csc, role: practitioner, slack: U0001}",
		"{name: Sam, agency: csc, role: practitioner, slack: U0001, teams: 00000000-0000-4000-8000-000000000001}", 1)
	file = strings.Replace(file, "  slack_channel: C0001\n", "  slack_channel: C0001\n  teams_conversation: \"19:abc@thread.tacv2\"\n", 1)
	platforms := []struct {
		name string
		env  []string
		real bool // a real platform or Redis: a key is required
	}{
		{"practice console", nil, false},
		{"Slack", slackTokens, true},
		{"Teams", []string{"TEAMS_APP_ID", "00000000-0000-4000-8000-0000000000aa", "TEAMS_APP_PASSWORD", "pw", "TEAMS_TENANT_ID", "70000000-0000-4000-8000-000000000001"}, true},
		{"email", []string{"SMTP_URL", "smtps://u:p@mail.example.org", "ESCALATE_MAIL_FROM", "escalate@example.org", "ESCALATE_PUBLIC_URL", "https://escalate.example.org/"}, true},
		{"Redis", []string{"REDIS_URL", "redis://127.0.0.1:6379/0"}, true},
	}
	keys := []struct {
		name string
		env  []string
	}{
		{"no key", nil},
		{"ESCALATE_ENCRYPTION_KEY", []string{"ESCALATE_ENCRYPTION_KEY", validKey}},
		{"ESCALATE_ENCRYPTION_KEYS", []string{"ESCALATE_ENCRYPTION_KEYS", otherKey + "," + validKey}},
		{"both", []string{"ESCALATE_ENCRYPTION_KEY", validKey, "ESCALATE_ENCRYPTION_KEYS", otherKey}},
	}
	var table []string
	for _, environment := range []string{"", EnvDevelopment, EnvStaging, EnvTest, EnvPractice, EnvProduction} {
		for _, p := range platforms {
			for _, k := range keys {
				vars := append(append([]string{"ESCALATE_ENV", environment}, p.env...), k.env...)
				chat := p.name == "Slack" || p.name == "Teams"
				var c *Config
				var err error
				if chat || p.name == "email" {
					c, err = Parse([]byte(file), env(vars...))
				} else {
					c, err = Load("", env(vars...))
				}
				if err == nil && c.Practice() {
					err = c.CheckPracticeConsole()
				}
				// What must be refused, by the variable named.
				var want []string
				switch {
				case k.name == "both":
					want = append(want, "ESCALATE_ENCRYPTION_KEYS")
				case k.name == "no key" && (p.real || environment == EnvProduction):
					want = append(want, "ESCALATE_ENCRYPTION_KEY")
				}
				if environment == EnvProduction && p.name != "Redis" {
					want = append(want, "REDIS_URL")
				}
				if environment == EnvProduction && !chat {
					want = append(want, "ESCALATE_ENV")
				}
				// Then, once the configuration loads, the practice console's own
				// check (as serve runs it).
				if len(want) == 0 && p.name == "Redis" && environment != EnvPractice {
					want = append(want, "REDIS_URL")
				}
				slices.Sort(want)
				want = slices.Compact(want)
				var got []string
				var msgs []string
				if err != nil {
					for _, pr := range problemsOf(t, err) {
						got = append(got, pr.Path)
						msgs = append(msgs, pr.String())
					}
					slices.Sort(got)
					got = slices.Compact(got)
				}
				name := fmt.Sprintf("ESCALATE_ENV=%q × %s × %s", environment, p.name, k.name)
				if !slices.Equal(got, want) {
					t.Errorf("%s: refused for %v, want %v\n%s", name, got, want, strings.Join(msgs, "\n"))
					continue
				}
				for _, m := range msgs {
					if strings.HasPrefix(m, "ESCALATE_ENCRYPTION_KEY: is required") && p.real && environment != EnvProduction &&
						(!strings.Contains(m, "in every environment") || !strings.Contains(m, "ESCALATE_ENCRYPTION_KEYS")) {
						t.Errorf("%s: the refusal does not say why: %s", name, m)
					}
				}
				if err == nil {
					if c.EncryptionKey == "" && (p.real || environment == EnvProduction) {
						t.Errorf("%s starts without a key", name)
					}
					table = append(table, name+": starts")
				} else {
					table = append(table, name+": refuses ("+strings.Join(got, ", ")+")")
				}
			}
		}
	}
	t.Log("\n" + strings.Join(table, "\n"))
}

// TestEncryptionKeys: ESCALATE_ENCRYPTION_KEYS holds several keys, newest
// first (commas or spaces between them); the newest seals; each is
// checked and named by its place.
func TestEncryptionKeys(t *testing.T) {
	c, err := Parse([]byte(minimalSlack), env(append(slackTokens, "ESCALATE_ENCRYPTION_KEYS", otherKey+", "+validKey)...))
	if err != nil {
		t.Fatal(err)
	}
	if c.EncryptionKey != otherKey || !slices.Equal(c.EncryptionKeys, []string{otherKey, validKey}) {
		t.Fatalf("keys %q, sealing with %q", c.EncryptionKeys, c.EncryptionKey)
	}
	c, err = Parse([]byte(minimalSlack), env(append(slackTokens, "ESCALATE_ENCRYPTION_KEY", validKey)...))
	if err != nil || !slices.Equal(c.EncryptionKeys, []string{validKey}) || c.EncryptionKey != validKey {
		t.Fatalf("one key: %v %q", err, c.EncryptionKeys)
	}
	for _, tt := range []struct{ keys, want string }{
		{otherKey + " c2hvcnQ=", "ESCALATE_ENCRYPTION_KEYS (key 2): must be 32 bytes"},
		{"not-base64! " + validKey, "ESCALATE_ENCRYPTION_KEYS (key 1): is not valid base64"},
		{validKey + "," + validKey, "ESCALATE_ENCRYPTION_KEYS (key 2): is the same as key 1"},
	} {
		_, err := Parse([]byte(minimalSlack), env(append(slackTokens, "ESCALATE_ENCRYPTION_KEYS", tt.keys)...))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.keys, err, tt.want)
		}
	}
}

// TestPracticeConsoleStaysHome: with no chat platform the console listens
// on loopback and uses its embedded Redis, unless ESCALATE_ENV=practice
// is set explicitly.
func TestPracticeConsoleStaysHome(t *testing.T) {
	for _, tt := range []struct {
		vars []string
		want string // "" starts
	}{
		{[]string{"ESCALATE_ADDR", "0.0.0.0:8080"}, `ESCALATE_ADDR / addr: is "0.0.0.0:8080", not a loopback address`},
		{[]string{"ESCALATE_ADDR", ":8080"}, "not a loopback address"},
		{[]string{"ESCALATE_ADDR", "192.168.1.20:8080"}, "not a loopback address"},
		{[]string{"ESCALATE_ADDR", "0.0.0.0:8080", "ESCALATE_ENV", "development"}, "not a loopback address"},
		{[]string{"ESCALATE_ADDR", "localhost:8080"}, ""},
		{[]string{"ESCALATE_ADDR", "[::1]:8080"}, ""},
		{[]string{"ESCALATE_ADDR", "127.0.0.2:8080"}, ""},
		{[]string{"ESCALATE_ADDR", "0.0.0.0:8080", "ESCALATE_ENV", "practice"}, ""},
		{[]string{"REDIS_URL", "redis://10.0.0.5:6379/0", "ESCALATE_ENCRYPTION_KEY", validKey}, "REDIS_URL: is set but neither Slack nor Teams is configured"},
		{[]string{"REDIS_URL", "redis://10.0.0.5:6379/0", "ESCALATE_ENCRYPTION_KEY", validKey, "ESCALATE_ENV", "practice"}, ""},
		{[]string{"REDIS_URL", "redis://10.0.0.5:6379/0", "ESCALATE_ENV", "practice"}, "ESCALATE_ENCRYPTION_KEY: is required when a Redis of your own is configured"},
	} {
		c, err := Load("", env(tt.vars...))
		if err == nil {
			err = c.CheckPracticeConsole()
		}
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q refused: %v", tt.vars, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q: %v, want %q", tt.vars, err, tt.want)
		}
	}
}
