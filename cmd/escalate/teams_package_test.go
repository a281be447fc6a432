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
	if err := run(context.Background(), []string{"teams-package", "--registration", "nhs-trust", "--out", file}, &out, env, nil); err != nil {
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
	if err := run(context.Background(), []string{"teams-package"}, &out, env, nil); err != nil {
		t.Fatal(err)
	}
	if m := manifest(filepath.Join(dir, "escalate-teams-council.zip")); !strings.Contains(m, `"botId": "a1000000-0000-4000-8000-00000000000a"`) {
		t.Fatalf("the council package:\n%s", m)
	}
	if m := manifest(filepath.Join(dir, "escalate-teams-nhs-trust.zip")); !strings.Contains(m, `"botId": "a2000000-0000-4000-8000-00000000000b"`) {
		t.Fatalf("the NHS package:\n%s", m)
	}
	err := run(context.Background(), []string{"teams-package", "--registration", "police"}, &out, env, nil)
	if err == nil || !strings.Contains(err.Error(), `"police" is not one of teams.registrations`) {
		t.Fatalf("an unknown registration: %v", err)
	}
}
