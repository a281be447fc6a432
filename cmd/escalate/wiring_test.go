package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/bottest"
	"github.com/escalate-app/escalate/store"
)

// serveWith runs the real binary's serve with this environment.
func serveWith(t *testing.T, env map[string]string) string {
	t.Helper()
	return serveLogged(t, env, io.Discard)
}

// serveLogged is serveWith with the log written to logs.
func serveLogged(t *testing.T, env map[string]string, logs io.Writer) string {
	t.Helper()
	return "http://" + serveListening(t, env, logs).HTTP.String()
}

// serveListening runs serve until the test ends and says where it listens.
// Metrics listen on a free port unless the test names one, so that tests
// never contend for the default.
func serveListening(t *testing.T, env map[string]string, logs io.Writer) listening {
	t.Helper()
	if _, set := env["ESCALATE_METRICS_ADDR"]; !set {
		env["ESCALATE_METRICS_ADDR"] = "127.0.0.1:0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	bound := make(chan listening, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(logs, nil)), func(l listening) { bound <- l })
	}()
	select {
	case l := <-bound:
		t.Cleanup(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve stopped with %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("serve did not shut down gracefully")
			}
		})
		return l
	case err := <-done:
		cancel()
		t.Fatalf("serve did not start: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	return listening{}
}

const slackConfig = `
partnership: Test Partnership
policy: {preset: west-sussex}
emergency:
  - "Immediate danger: call 999"
  - "Children's front door (MASH): 01632 960000"
directory:
  agencies:
    - {id: csc, name: Children's Social Care}
    - {id: nhs, name: NHS Trust}
  people:
    - {name: Sam Social Worker, agency: csc, role: practitioner, slack: U0SAMSW01}
    - {name: Holly Health Visitor, agency: nhs, role: practitioner, slack: U0HOLLY01}
    - {name: Lee Manager, agency: csc, role: line_manager, slack: U0LEEMGR1}
    - {name: Linda Manager, agency: nhs, role: line_manager, slack: U0LINDA01}
    - {name: Selma Senior, agency: csc, role: senior_manager, slack: U0SELMA01}
    - {name: Simon Senior, agency: nhs, role: senior_manager, slack: U0SIMON01}
  chair:
    - {name: Chris Chair, slack: U0CHAIR01}
business_team:
  slack_channel: C0FEED0001
  members:
    - {name: Bea Business, slack: U0BEABT01}
`

// With Slack configured, the binary serves Slack's routes, refuses what
// Slack did not sign, and is ready when Redis answers.
func TestServeWithSlack(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "escalate.yaml")
	if err := os.WriteFile(file, []byte(slackConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	base := serveWith(t, map[string]string{
		"ESCALATE_CONFIG": file, "ESCALATE_ADDR": "127.0.0.1:0", "ESCALATE_ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s3cret", "SLACK_API_URL": "http://127.0.0.1:1/api/",
	})
	for _, route := range []string{"/slack/commands", "/slack/interactivity", "/slack/events"} {
		resp, err := http.Post(base+route, "application/x-www-form-urlencoded", strings.NewReader("command=%2Fescalate&user_id=U0SAMSW01"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("unsigned POST %s: %d, want 401", route, resp.StatusCode)
		}
	}
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"redis":"ok"`) {
		t.Errorf("readyz: %d %s", resp.StatusCode, body)
	}
	// The practice console is not served when a chat platform is configured.
	resp, err = http.Get(base + "/raise")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the practice console must not run beside Slack: /raise answered %d", resp.StatusCode)
	}
}

// A broken configuration names the field and the binary does not start.
func TestBrokenConfigNamesTheField(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(file, []byte("policy:\n  preset: west-sussex\ncalendar:\n  region: wales-only\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := serve(context.Background(), func(k string) string {
		return map[string]string{"ESCALATE_CONFIG": file, "ESCALATE_ADDR": "127.0.0.1:0"}[k]
	}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err == nil || !strings.Contains(err.Error(), "calendar.region") {
		t.Fatalf("want an error naming calendar.region, got %v", err)
	}
}

// Production without an encryption key refuses to start, naming the variable.
func TestProductionNeedsAnEncryptionKey(t *testing.T) {
	file := filepath.Join(t.TempDir(), "escalate.yaml")
	if err := os.WriteFile(file, []byte(slackConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	err := serve(context.Background(), func(k string) string {
		return map[string]string{"ESCALATE_CONFIG": file, "ESCALATE_ENV": "production", "REDIS_URL": "redis://127.0.0.1:6379/0",
			"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s3cret"}[k]
	}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err == nil || !strings.Contains(err.Error(), "ESCALATE_ENCRYPTION_KEY") {
		t.Fatalf("want an error naming ESCALATE_ENCRYPTION_KEY, got %v", err)
	}
}

// With Teams configured, /api/messages takes only activities whose JWT
// validates: an unsigned one gets 401.
func TestServeWithTeams(t *testing.T) {
	file := filepath.Join(t.TempDir(), "escalate.yaml")
	cfg := strings.Replace(slackConfig, "  slack_channel: C0FEED0001\n", "  teams_conversation: \"19:feed@thread.tacv2\"\n", 1)
	cfg = strings.ReplaceAll(cfg, "slack: U0", "teams: 00000000-0000-0000-0000-0000000000")
	// Give each person a distinct Teams object id.
	for i, name := range []string{"SAMSW01", "HOLLY01", "LEEMGR1", "LINDA01", "SELMA01", "SIMON01", "CHAIR01", "BEABT01"} {
		cfg = strings.Replace(cfg, "0000000000"+name, "0000000000"+string("123456789abcdef"[i])+"1", 1)
	}
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	base := serveWith(t, map[string]string{
		"ESCALATE_CONFIG": file, "ESCALATE_ADDR": "127.0.0.1:0", "ESCALATE_ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"TEAMS_APP_ID": "11111111-2222-3333-4444-555555555555", "TEAMS_APP_PASSWORD": "pw", "TEAMS_TENANT_ID": "66666666-7777-8888-9999-000000000000",
		"TEAMS_OPENID_METADATA_URL": "http://127.0.0.1:1/openid", "TEAMS_TOKEN_URL": "http://127.0.0.1:1/token",
	})
	resp, err := http.Post(base+"/api/messages", "application/json", strings.NewReader(`{"type":"message","text":"escalate","serviceUrl":"http://127.0.0.1:1/"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned activity: %d, want 401", resp.StatusCode)
	}
}

// With no REDIS_URL the binary says once, plainly, that nothing survives a
// restart; /readyz answers 503 as soon as Redis stops answering.
func TestEmbeddedWarningAndReadiness(t *testing.T) {
	var logs bottest.LogBuffer
	base := serveLogged(t, map[string]string{"ESCALATE_ADDR": "127.0.0.1:0"}, &logs)
	if n := strings.Count(logs.String(), "NOTHING WILL SURVIVE A RESTART"); n != 1 {
		t.Errorf("the embedded-Redis warning was logged %d times, want once:\n%s", n, logs.String())
	}

	u, closeRedis, err := store.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	base = serveWith(t, map[string]string{"ESCALATE_ADDR": "127.0.0.1:0", "REDIS_URL": u, "ESCALATE_ENV": "practice", "ESCALATE_ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="})
	ready := func() int {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := ready(); code != http.StatusOK {
		t.Fatalf("readyz with Redis up: %d", code)
	}
	closeRedis()
	if code := ready(); code != http.StatusServiceUnavailable {
		t.Errorf("readyz with Redis down: %d, want 503", code)
	}
	if strings.Contains(logs.String(), "REDIS_URL is not set") && strings.Count(logs.String(), "NOTHING WILL SURVIVE") != 1 {
		t.Error("the warning must not repeat")
	}
}

// A key prefix with braces would break the one hash tag every key shares.
func TestRedisPrefixWithBracesIsRefused(t *testing.T) {
	err := serve(context.Background(), func(k string) string {
		return map[string]string{"ESCALATE_ADDR": "127.0.0.1:0", "ESCALATE_REDIS_PREFIX": "{prod}:"}[k]
	}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err == nil || !strings.Contains(err.Error(), "ESCALATE_REDIS_PREFIX") {
		t.Fatalf("want an error naming ESCALATE_REDIS_PREFIX, got %v", err)
	}
}

// /metrics is served on a listener of its own and nowhere else: not beside
// the public routes (where Slack, Teams and email links reach), and the
// metrics listener serves nothing but /metrics.
func TestMetricsHaveTheirOwnListener(t *testing.T) {
	l := serveListening(t, map[string]string{"ESCALATE_ADDR": "127.0.0.1:0"}, io.Discard)
	if l.Metrics == nil {
		t.Fatal("no metrics listener")
	}
	if host, _, _ := net.SplitHostPort(l.Metrics.String()); host != "127.0.0.1" {
		t.Errorf("metrics listen on %s, want loopback", l.Metrics)
	}
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	public, private := "http://"+l.HTTP.String(), "http://"+l.Metrics.String()
	// Make a request worth counting, so the metrics page has something of ours.
	if code, _ := get(public + "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz: %d", code)
	}
	if code, _ := get(public + "/metrics"); code != http.StatusNotFound {
		t.Errorf("public /metrics answered %d, want 404", code)
	}
	code, body := get(private + "/metrics")
	if code != http.StatusOK || !strings.Contains(body, "escalate_") {
		t.Errorf("metrics listener /metrics: %d, escalate_ metrics present: %v", code, strings.Contains(body, "escalate_"))
	}
	for _, path := range []string{"/healthz", "/", "/raise"} {
		if code, _ := get(private + path); code != http.StatusNotFound {
			t.Errorf("metrics listener %s answered %d, want 404", path, code)
		}
	}
}

// ESCALATE_METRICS_ADDR=off serves no metrics; a taken metrics address stops
// start-up and names the variable.
func TestMetricsOffAndTaken(t *testing.T) {
	l := serveListening(t, map[string]string{"ESCALATE_ADDR": "127.0.0.1:0", "ESCALATE_METRICS_ADDR": "off"}, io.Discard)
	if l.Metrics != nil {
		t.Errorf("metrics listen on %s with ESCALATE_METRICS_ADDR=off", l.Metrics)
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	err = serve(context.Background(), func(k string) string {
		return map[string]string{"ESCALATE_ADDR": "127.0.0.1:0", "ESCALATE_METRICS_ADDR": taken.Addr().String()}[k]
	}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err == nil || !strings.Contains(err.Error(), "ESCALATE_METRICS_ADDR") {
		t.Errorf("serve with the metrics address taken: %v, want an error naming ESCALATE_METRICS_ADDR", err)
	}
}
