package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// packagePages are the publisher and pages every package must name.
var packagePages = []string{"--developer", "Anyshire Safeguarding (ASCP)",
	"--website-url", "https://www.anyshirescp.org.uk/escalate", "--privacy-url", "https://www.anyshirescp.org.uk/privacy",
	"--terms-url", "https://www.anyshirescp.org.uk/terms"}

// A package names its publisher and pages, all missing ones at once, and
// refuses an app id no Microsoft registration can have; nothing is
// written then.
func TestTeamsPackageRefusesWhatTeamsWould(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "p.zip")
	var out bytes.Buffer
	env := func(k string) string {
		return map[string]string{"TEAMS_APP_ID": "11111111-2222-3333-4444-555555555555"}[k]
	}
	err := run(context.Background(), []string{"teams-package", "--out", file}, &out, env, nil)
	for _, want := range []string{"--developer", "--website-url", "--privacy-url", "--terms-url"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("without the pages: %v (wants %s named)", err, want)
		}
	}
	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "not-a-guid", "11111111-2222-3333-4444-55555555555"} {
		err := run(context.Background(), append([]string{"teams-package", "--out", file, "--app-id", id}, packagePages...), &out, env, nil)
		if err == nil || !strings.Contains(err.Error(), "app") {
			t.Errorf("app id %q accepted: %v", id, err)
		}
	}
	err = run(context.Background(), append([]string{"teams-package", "--out", file, "--icons", filepath.Join(dir, "none")}, packagePages...), &out, env, nil)
	if err == nil || !strings.Contains(err.Error(), "--icons") {
		t.Errorf("a missing icons folder: %v", err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("a refused package was written: %v", err)
	}
}

// Each tenant's IT uploads a package carrying its own bot's id.
func TestTeamsPackagePerRegistration(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "escalate.yaml")
	yaml := `teams:
  registrations:
    - {name: council, tenant_id: 70000000-0000-4000-8000-000000000001, app_id: a1000000-0000-4000-8000-00000000000a}
    - {name: nhs-trust, tenant_id: 80000000-0000-4000-8000-000000000002, app_id: a2000000-0000-4000-8000-00000000000b}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string { return map[string]string{"ESCALATE_CONFIG": path}[k] }
	manifest := func(file string) string {
		t.Helper()
		z, err := zip.OpenReader(file)
		if err != nil {
			t.Fatal(err)
		}
		defer z.Close()
		for _, f := range z.File {
			if f.Name == "manifest.json" {
				r, _ := f.Open()
				b, _ := io.ReadAll(r)
				r.Close()
				return string(b)
			}
		}
		t.Fatalf("%s has no manifest", file)
		return ""
	}
	var out bytes.Buffer
	file := filepath.Join(dir, "nhs.zip")
	if err := run(context.Background(), append([]string{"teams-package", "--registration", "nhs-trust", "--out", file}, packagePages...), &out, env, nil); err != nil {
		t.Fatal(err)
	}
	m := manifest(file)
	if !strings.Contains(m, `"botId": "a2000000-0000-4000-8000-00000000000b"`) || strings.Contains(m, "a1000000") || strings.Contains(m, "${{") {
		t.Fatalf("the NHS package's manifest:\n%s", m)
	}
	if !strings.Contains(out.String(), "registration nhs-trust") {
		t.Fatalf("said %q", out.String())
	}
	// Without a name: every registration's package, each with its bot.
	t.Chdir(dir)
	if err := run(context.Background(), append([]string{"teams-package"}, packagePages...), &out, env, nil); err != nil {
		t.Fatal(err)
	}
	if m := manifest(filepath.Join(dir, "escalate-teams-council.zip")); !strings.Contains(m, `"botId": "a1000000-0000-4000-8000-00000000000a"`) {
		t.Fatalf("the council package:\n%s", m)
	}
	if m := manifest(filepath.Join(dir, "escalate-teams-nhs-trust.zip")); !strings.Contains(m, `"botId": "a2000000-0000-4000-8000-00000000000b"`) {
		t.Fatalf("the NHS package:\n%s", m)
	}
	err := run(context.Background(), append([]string{"teams-package", "--registration", "police"}, packagePages...), &out, env, nil)
	if err == nil || !strings.Contains(err.Error(), `"police" is not one of teams.registrations`) {
		t.Fatalf("an unknown registration: %v", err)
	}
}
