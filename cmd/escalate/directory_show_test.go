package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// list shows the running directory with each person's source; check
// names, per agency and stage role, where nobody could hold a stage, and
// fails; export writes the imported people back as a CSV that import
// reads as the same people.
func TestDirectoryListCheckExport(t *testing.T) {
	env := adminEnv(t)
	delete(env, "ESCALATE_ENV")
	dir := t.TempDir()
	file := filepath.Join(dir, "escalate.yaml")
	if err := os.WriteFile(file, []byte(strings.Replace(slackConfig, "    - {name: Simon Senior, agency: nhs, role: senior_manager, slack: U0SIMON01}\n", "", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	api, _ := fakeSlackPeople(t, map[string]string{})
	env["ESCALATE_CONFIG"], env["SLACK_BOT_TOKEN"], env["SLACK_SIGNING_SECRET"], env["SLACK_API_URL"] = file, "xoxb-test", "secret", api
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	csvFile := filepath.Join(dir, "people.csv")
	people := "name,email,agency,role,slack,teams\n" +
		"Priya Shah,priya@nhs.example,nhs,line_manager,U0PRIYA01,0f0e0d0c-0b0a-4909-8807-060504030201\n" +
		"\"Reed, Tom\",tom@csc.example,csc,practitioner,U0TOM0001,\n" +
		"Erin Email,erin@nhs.example,nhs,practitioner,,\n"
	if err := os.WriteFile(csvFile, []byte(people), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"directory", "import", csvFile, "--allow-email-only"}, &out, getenv, log); err != nil {
		t.Fatal(err)
	}

	out.Reset()
	if err := run(ctx, []string{"directory", "list", "--agency", "nhs"}, &out, getenv, log); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"NHS Trust (nhs)", "Priya Shah  slack:U0PRIYA01  (imported)", "Priya Shah  teams:0f0e0d0c-0b0a-4909-8807-060504030201  (imported)",
		"Holly Health Visitor  slack:U0HOLLY01  (file)", "Erin Email  email:erin@nhs.example  (imported)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "Sam Social Worker") {
		t.Error("list --agency nhs showed another agency's people")
	}

	// The file lists no senior manager for the NHS trust: stage 3.
	out.Reset()
	err := run(ctx, []string{"directory", "check"}, &out, getenv, log)
	if err == nil || !strings.Contains(err.Error(), "1 stage roles have nobody to hold them") {
		t.Fatalf("check: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "NHS Trust: nobody could hold Stage 3") || !strings.Contains(out.String(), "as senior manager") {
		t.Errorf("check:\n%s", out.String())
	}

	// Export, and the export imported again is the same people.
	exported := filepath.Join(dir, "export.csv")
	out.Reset()
	if err := run(ctx, []string{"directory", "export", "--out", exported}, &out, getenv, log); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"name", "email", "agency", "role", "slack", "teams"},
		{"Priya Shah", "priya@nhs.example", "nhs", "line_manager", "U0PRIYA01", "0f0e0d0c-0b0a-4909-8807-060504030201"},
		{"Reed, Tom", "tom@csc.example", "csc", "practitioner", "U0TOM0001", ""},
		{"Erin Email", "erin@nhs.example", "nhs", "practitioner", "", ""}}
	if len(rows) != len(want) {
		t.Fatalf("export:\n%s", b)
	}
	for i := range want {
		if !slices.Equal(rows[i], want[i]) {
			t.Errorf("row %d: %q, want %q", i, rows[i], want[i])
		}
	}
	a, err := adminApp(ctx, getenv, log)
	if err != nil {
		t.Fatal(err)
	}
	before, _, _ := a.store.ImportedPeople(ctx)
	a.Close()
	if err := run(ctx, []string{"directory", "import", exported, "--allow-email-only"}, &out, getenv, log); err != nil {
		t.Fatal(err)
	}
	a, err = adminApp(ctx, getenv, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	after, _, _ := a.store.ImportedPeople(ctx)
	if !slices.Equal(before, after) {
		t.Errorf("the export imported again is not the same people:\n%+v\n%+v", before, after)
	}
	if info, err := os.Stat(exported); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the export's mode: %v %v", info.Mode(), err)
	}
}
