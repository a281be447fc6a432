package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/config"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
)

// adminEnv is the environment of an administrator's command against a
// store of the test's own: the CI Redis when REDIS_URL is set, else an
// embedded one; a unique key prefix either way.
func adminEnv(t *testing.T) map[string]string {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		u, closeFn, err := store.Embedded()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closeFn)
		url = u
	}
	prefix := fmt.Sprintf("esc-test-%d:", time.Now().UnixNano())
	t.Cleanup(func() {
		ctx := context.Background()
		if st, err := store.Open(ctx, url, store.Options{Prefix: prefix}); err == nil {
			_ = storetest.DeletePrefix(ctx, st, prefix)
			_ = st.Close()
		}
	})
	return map[string]string{"REDIS_URL": url, "ESCALATE_REDIS_PREFIX": prefix, "ESCALATE_ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "ESCALATE_ENV": "practice"}
}

// seedClosed raises a practice case at the given time and has the raiser
// withdraw it, as an administrator's store would hold it.
func seedClosed(t *testing.T, env map[string]string, at time.Time) string {
	t.Helper()
	ctx := context.Background()
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Load("", getenv)
	if err != nil {
		t.Fatal(err)
	}
	a, err := open(ctx, cfg, getenv, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	res, err := a.engine.Raise(ctx, "console:sw", workflow.RaiseInput{SubjectType: workflow.SubjectChild, SubjectRef: secretSubject,
		Category: workflow.CatThresholds, Disagreement: secretDisagreement, OutcomeSought: "A strategy discussion", Evidence: "Notes of 17 November",
		RaiserAgency: "childrens-social-care", ResponderAgency: "community-health", Responder: "console:hv"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.engine.Do(ctx, res.Dispute.Ref, workflow.Command{Kind: workflow.CmdWithdraw, Actor: "console:sw", Text: "The family moved away"}, ""); err != nil {
		t.Fatal(err)
	}
	return res.Dispute.Ref
}

func TestRecordReportAndPurgeCommands(t *testing.T) {
	env := adminEnv(t)
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	old := seedClosed(t, env, time.Date(2016, 3, 1, 10, 0, 0, 0, time.UTC))
	recent := seedClosed(t, env, time.Now().Add(-48*time.Hour))

	var out bytes.Buffer
	if err := run(ctx, []string{"record", recent, "--format", "md"}, &out, getenv, log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), recent) || !strings.Contains(out.String(), secretDisagreement) {
		t.Fatalf("the record should hold the reference and the words:\n%s", out.String())
	}
	pdf := filepath.Join(t.TempDir(), recent+".pdf")
	if err := run(ctx, []string{"record", recent, "--format", "pdf", "--out", pdf}, io.Discard, getenv, log); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(pdf); err != nil || !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Fatalf("PDF: %v", err)
	}
	if err := run(ctx, []string{"record", "ESC-2026-9999", "--format", "md"}, io.Discard, getenv, log); err == nil {
		t.Error("an unknown case should be an error")
	}
	if err := run(ctx, []string{"record", "not-a-ref"}, io.Discard, getenv, log); err == nil || !strings.Contains(err.Error(), "not a case reference") {
		t.Errorf("a bad reference: %v", err)
	}

	dir := t.TempDir()
	out.Reset()
	if err := run(ctx, []string{"report", "--from", "2016-01-01", "--to", time.Now().Format(time.DateOnly), "--out", dir}, &out, getenv, log); err != nil {
		t.Fatal(err)
	}
	csv, err := os.ReadFile(filepath.Join(dir, "cases.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(csv), old) || !strings.Contains(string(csv), recent) {
		t.Errorf("the CSV should list both cases:\n%s", csv)
	}
	for _, secret := range []string{secretDisagreement, secretSubject} {
		if strings.Contains(string(csv), secret) {
			t.Errorf("the CSV carries %q", secret)
		}
	}
	for _, f := range []string{"report.md", "funnel.png", "trend.png", "agency-pairs.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("report file %s: %v", f, err)
		}
	}

	// Without --out the report goes to a folder named by its period, not
	// over whatever ./report holds.
	t.Chdir(t.TempDir())
	out.Reset()
	if err := run(ctx, []string{"report", "--from", "2016-01-01", "--to", "2016-03-31"}, &out, getenv, log); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("board-report-2016-01-01-to-2016-03-31", "report.md")); err != nil || !strings.Contains(out.String(), "board-report-2016-01-01-to-2016-03-31") {
		t.Errorf("the default folder: %v\n%s", err, out.String())
	}

	// The practice configuration keeps free text for about seven years
	// after closure: the 2016 case is past it, the recent one is not.
	out.Reset()
	if err := run(ctx, []string{"purge", "--dry-run"}, &out, getenv, log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "would purge: 1") {
		t.Errorf("dry run: %s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"purge"}, &out, getenv, log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "purged: 1") {
		t.Errorf("purge: %s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"record", old, "--format", "md"}, &out, getenv, log); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), secretDisagreement) || strings.Contains(out.String(), secretSubject) {
		t.Error("the purged record still has its words")
	}
	out.Reset()
	if err := run(ctx, []string{"record", recent, "--format", "md"}, &out, getenv, log); err != nil || !strings.Contains(out.String(), secretDisagreement) {
		t.Errorf("the recent case must keep its words: %v", err)
	}
}
