package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With SMTP_URL set, the binary serves the page the emails' links open:
// a link that is not Escalate's gets a clear page, /web/ asks for a link.
// Without it, neither route exists.
func TestServeWithEmailServesTheWebPage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "escalate.yaml")
	if err := os.WriteFile(file, []byte(slackConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"ESCALATE_CONFIG": file, "ESCALATE_ADDR": "127.0.0.1:0", "ESCALATE_ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s3cret", "SLACK_API_URL": "http://127.0.0.1:1/api/",
	}
	get := func(base, path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	plain := serveWith(t, env)
	if code, _ := get(plain, "/link/v1.x"); code != http.StatusNotFound {
		t.Errorf("/link/ without SMTP_URL: %d, want 404", code)
	}
	env["SMTP_URL"] = "smtp://escalate:pw@127.0.0.1:1"
	env["ESCALATE_MAIL_FROM"] = "escalate@partnership.example"
	env["ESCALATE_PUBLIC_URL"] = "https://escalate.partnership.example"
	base := serveWith(t, env)
	if code, body := get(base, "/link/v1.not-a-token"); code != http.StatusForbidden || !strings.Contains(body, "This link does not work") {
		t.Errorf("/link/ with a forged token: %d\n%s", code, body)
	}
	if code, body := get(base, "/web/"); code != http.StatusUnauthorized || !strings.Contains(body, "Open the link in your email") {
		t.Errorf("/web/ signed out: %d\n%s", code, body)
	}
}
