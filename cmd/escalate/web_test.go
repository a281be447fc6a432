package main

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/email"
	"github.com/escalate-app/escalate/bot/email/smtptest"
	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/bot/weblink"
	"github.com/escalate-app/escalate/config"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
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

// check-config --env refuses SMTP_URL without an encryption key: the key
// signs the links in emails and encrypts what the web page shows.
func TestCheckConfigEnvNeedsAKeyForEmail(t *testing.T) {
	file := filepath.Join(t.TempDir(), "escalate.yaml")
	if err := os.WriteFile(file, []byte(slackConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SMTP_URL": "smtps://escalate:pw@mail.partnership.example", "ESCALATE_MAIL_FROM": "escalate@partnership.example",
		"ESCALATE_PUBLIC_URL": "https://escalate.partnership.example",
	}
	var out strings.Builder
	err := run(context.Background(), []string{"check-config", "--env", file}, &out, func(k string) string { return env[k] }, nil)
	if err == nil || !strings.Contains(err.Error()+out.String(), "ESCALATE_ENCRYPTION_KEY") || !strings.Contains(err.Error()+out.String(), "SMTP_URL is set") {
		t.Fatalf("SMTP_URL without a key: %v\n%s", err, out.String())
	}
	env["ESCALATE_ENCRYPTION_KEY"] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	out.Reset()
	err = run(context.Background(), []string{"check-config", "--env", file}, &out, func(k string) string { return env[k] }, nil)
	if err != nil && strings.Contains(err.Error(), "ESCALATE_ENCRYPTION_KEY") {
		t.Fatalf("with a key: %v", err)
	}
}

// An email the SMTP server refuses for good (550) is parked and shown by
// escalate outbox list; escalate links revoke withdraws a person's links.
func TestParkedEmailAndRevokedLinksForOperators(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	st := storetest.New(t, store.Options{Now: func() time.Time { return now }})
	f := smtptest.New(t)
	f.Unknown("left@school.example")
	srv, err := config.SMTPServer("smtp://escalate:s3cret@" + f.Addr)
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := weblink.New([]byte("a test key of thirty-two bytes!!"), 7*24*time.Hour)
	tr, err := email.New(email.Options{Server: srv, From: "escalate@partnership.example", Sent: st, Now: func() time.Time { return now },
		Links: weblink.Links{Base: "https://escalate.partnership.example", Signer: signer, Now: func() time.Time { return now }},
		TLS:   &tls.Config{ServerName: "127.0.0.1", RootCAs: f.Certs, MinVersion: tls.VersionTLS12}, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	msg := workflow.Message{ID: "m1", Kind: workflow.MsgRaised, Ref: "ESC-2026-0042", To: workflow.EmailUser("left@school.example"), Title: "Raised with you"}
	if err := st.Enqueue(ctx, []workflow.Message{msg}); err != nil {
		t.Fatal(err)
	}
	sender := outbox.New(st, []outbox.Transport{tr}, func() time.Time { return now }, slog.New(slog.DiscardHandler), nil, outbox.Options{})
	if n, err := sender.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	var out strings.Builder
	if err := outboxAdmin(ctx, st, []string{"list"}, &out, now, time.UTC); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"parked:  1", "ESC-2026-0042", "550"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("escalate outbox list lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	if err := linksAdmin(ctx, st, []string{"revoke", " Head@School.example "}, &out, now); err != nil {
		t.Fatal(err)
	}
	if at, err := st.LinksRevokedAt(ctx, workflow.EmailUser("head@school.example")); err != nil || !at.Equal(now) {
		t.Fatalf("revoked at %v, %v", at, err)
	}
	if err := linksAdmin(ctx, st, []string{"revoke", "not an address"}, &out, now); err == nil {
		t.Error("revoking a non-address succeeded")
	}
}
