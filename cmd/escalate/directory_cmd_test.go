package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/escalate-app/escalate/bot/graph/graphtest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/escalate-app/escalate/bot/directory"
	"github.com/escalate-app/escalate/bot/slack"
	"github.com/escalate-app/escalate/config"
	"github.com/escalate-app/escalate/workflow"
)

// fakeSlackPeople answers users.lookupByEmail as Slack does: the user, or
// users_not_found; the first call is refused with 429 and Retry-After, as
// Slack's rate limits do.
func fakeSlackPeople(t *testing.T, users map[string]string) (url string, calls *atomic.Int64) {
	t.Helper()
	calls = &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		_ = r.ParseForm()
		token := r.Form.Get("token")
		if token == "" {
			token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		}
		if !strings.HasSuffix(r.URL.Path, "/users.lookupByEmail") || token != "xoxb-test" {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		if n == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		id, ok := users[strings.ToLower(r.Form.Get("email"))]
		if !ok {
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "users_not_found"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "user": map[string]any{"id": id, "real_name": "Someone", "profile": map[string]any{"email": r.Form.Get("email")}}})
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/", calls
}

func TestDirectoryImport(t *testing.T) {
	env := adminEnv(t)
	delete(env, "ESCALATE_ENV")
	dir := t.TempDir()
	file := filepath.Join(dir, "escalate.yaml")
	if err := os.WriteFile(file, []byte(slackConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	api, calls := fakeSlackPeople(t, map[string]string{"priya.shah@nhs.example": "U0PRIYA01"})
	env["ESCALATE_CONFIG"], env["SLACK_BOT_TOKEN"], env["SLACK_SIGNING_SECRET"], env["SLACK_API_URL"] = file, "xoxb-test", "secret", api
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	csvFile := filepath.Join(dir, "people.csv")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(csvFile, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// Bad rows: every one named by its line, and nothing imported.
	write("name,email,agency,role,slack\n" +
		"Priya Shah,priya.shah@nhs.example,nhs,line_manager,\n" +
		"Nobody Known,nobody@nhs.example,nhs,practitioner,\n" +
		"Tom Reed,tom@csc.example,police,practitioner,U0TOM0001\n")
	var out bytes.Buffer
	err := run(ctx, []string{"directory", "import", csvFile}, &out, getenv, log)
	if err == nil || !strings.Contains(err.Error(), `line 4, agency: unknown agency "police"`) {
		t.Fatalf("a bad file: %v", err)
	}
	if calls.Load() != 0 {
		t.Errorf("a file with a bad row was looked up on Slack (%d calls)", calls.Load())
	}
	write("name,email,agency,role,slack\n" +
		"Priya Shah,priya.shah@nhs.example,nhs,line_manager,\n" +
		"Nobody Known,nobody@nhs.example,nhs,practitioner,\n" +
		"Tom Reed,tom@csc.example,csc,practitioner,U0TOM0001\n")
	err = run(ctx, []string{"directory", "import", csvFile}, &out, getenv, log)
	if err == nil || !strings.Contains(err.Error(), "line 3, email: nobody@nhs.example is not found on Slack") {
		t.Fatalf("an address Slack does not know: %v", err)
	}
	a, err := adminApp(ctx, getenv, log)
	if err != nil {
		t.Fatal(err)
	}
	if p, _, _ := a.store.ImportedPeople(ctx); len(p) != 0 {
		t.Fatalf("a refused import wrote %d people", len(p))
	}
	a.Close()

	// With people on email allowed it imports, Slack ids found by address
	// (the first look-up waited out a 429), the file's people untouched.
	out.Reset()
	if err := run(ctx, []string{"directory", "import", csvFile, "--allow-email-only"}, &out, getenv, log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Imported 3 people (3 directory entries)") {
		t.Errorf("output: %s", out.String())
	}
	a, err = adminApp(ctx, getenv, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	dirOf := a.engine.Env().Directory
	for id, want := range map[workflow.UserID]string{"slack:U0PRIYA01": "Priya Shah", "email:nobody@nhs.example": "Nobody Known", "slack:U0TOM0001": "Tom Reed", "slack:U0SAMSW01": "Sam Social Worker"} {
		if p, ok := dirOf.Person(id); !ok || p.Name != want {
			t.Errorf("%s in the running directory: %+v %v", id, p, ok)
		}
	}
	if p, _ := dirOf.Person("slack:U0PRIYA01"); p.Agency != "nhs" || p.Role != workflow.RoleLineManager {
		t.Errorf("Priya: %+v", p)
	}
}

// Importing 10,000 people, half found on a fake Slack and half in a fake
// Microsoft Graph (each address asked of Slack first): the import's own
// cost, look-ups included.
func BenchmarkDirectoryImport10000(b *testing.B) {
	fg := graphtest.New(b)
	c, err := config.Parse([]byte(slackConfig), func(k string) string {
		return map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s", "ESCALATE_ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
			"GRAPH_API_URL": fg.BaseURL(), "GRAPH_TOKEN_URL": fg.TokenURL(), "GRAPH_TENANT_ID": graphtest.Tenant, "GRAPH_CLIENT_ID": graphtest.ClientID, "GRAPH_CLIENT_SECRET": graphtest.Secret}[k]
	})
	if err != nil {
		b.Fatal(err)
	}
	users := map[string]string{}
	var sb strings.Builder
	sb.WriteString("name,email,agency,role\n")
	for i := range 10_000 {
		email := fmt.Sprintf("person.%d@agency.example", i)
		if i%2 == 0 {
			users[email] = fmt.Sprintf("U%08d", i)
		} else {
			fg.AddUser(graphtest.User{ID: fmt.Sprintf("%08x-0000-4000-8000-000000000001", i), DisplayName: fmt.Sprintf("Person %d", i), Mail: email, UPN: email})
		}
		fmt.Fprintf(&sb, "Person %d,%s,nhs,practitioner\n", i, email)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		id, ok := users[r.Form.Get("email")]
		if !ok {
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "users_not_found"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "user": map[string]any{"id": id, "profile": map[string]any{}}})
	}))
	defer srv.Close()
	g, err := graphClient(c)
	if err != nil {
		b.Fatal(err)
	}
	in := sb.String()
	b.ResetTimer()
	for b.Loop() {
		rows, err := c.ReadPeopleCSV(strings.NewReader(in), "people.csv")
		if err != nil {
			b.Fatal(err)
		}
		rows, err = resolveRows(context.Background(), c, rows, []directory.EmailLookup{slack.NewPeople("xoxb-test", srv.URL+"/api/"), g}, "on Slack or in Microsoft Entra ID", false, "people.csv")
		if err != nil {
			b.Fatal(err)
		}
		people, _ := c.People(rows)
		teams := 0
		for _, p := range people {
			if p.ID.Platform() == "teams" {
				teams++
			}
		}
		if len(people) != 10_000 || teams != 5_000 {
			b.Fatalf("%d people, %d on Teams", len(people), teams)
		}
	}
	b.ReportMetric(float64(10_000*b.N)/b.Elapsed().Seconds(), "people/s")
	b.ReportMetric(float64(g.TokenFetches()), "graph-tokens")
}

// With Microsoft Graph configured, an address Slack does not know is
// looked up in Entra ID (GET /users/{mail}) and the person imported with
// their Teams (object) id; an address neither knows is refused by line,
// naming both places, and nothing is imported.
func TestDirectoryImportFindsPeopleInGraph(t *testing.T) {
	env := adminEnv(t)
	delete(env, "ESCALATE_ENV")
	dir := t.TempDir()
	file := filepath.Join(dir, "escalate.yaml")
	if err := os.WriteFile(file, []byte(slackConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	api, _ := fakeSlackPeople(t, map[string]string{"priya.shah@nhs.example": "U0PRIYA01"})
	fg := graphtest.New(t)
	fg.AddUser(graphtest.User{ID: "0c8d7e6f-5a4b-4c3d-9e2f-1a0b9c8d7e6f", DisplayName: "Dana Okafor", JobTitle: "Named Nurse", Mail: "dana.okafor@nhs.example", UPN: "dana.okafor@nhs.example"})
	for k, v := range map[string]string{"ESCALATE_CONFIG": file, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret", "SLACK_API_URL": api,
		"GRAPH_API_URL": fg.BaseURL(), "GRAPH_TOKEN_URL": fg.TokenURL(), "GRAPH_TENANT_ID": graphtest.Tenant, "GRAPH_CLIENT_ID": graphtest.ClientID, "GRAPH_CLIENT_SECRET": graphtest.Secret} {
		env[k] = v
	}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	csvFile := filepath.Join(dir, "people.csv")
	rows := "name,email,agency,role\nPriya Shah,priya.shah@nhs.example,nhs,line_manager\nDana Okafor,dana.okafor@nhs.example,nhs,senior_manager\n"
	if err := os.WriteFile(csvFile, []byte(rows+"Nobody Known,nobody@nhs.example,nhs,practitioner\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(ctx, []string{"directory", "import", csvFile}, &out, getenv, log)
	if err == nil || !strings.Contains(err.Error(), "line 4, email: nobody@nhs.example is not found on Slack or in Microsoft Entra ID") {
		t.Fatalf("an address neither knows: %v", err)
	}
	if err := os.WriteFile(csvFile, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"directory", "import", csvFile}, &out, getenv, log); err != nil {
		t.Fatal(err)
	}
	a, err := adminApp(ctx, getenv, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	d := a.engine.Env().Directory
	if p, ok := d.Person("teams:0c8d7e6f-5a4b-4c3d-9e2f-1a0b9c8d7e6f"); !ok || p.Name != "Dana Okafor" || p.Role != workflow.RoleSeniorManager {
		t.Errorf("Dana, found in Entra ID: %+v %v", p, ok)
	}
	if _, ok := d.Person("slack:U0PRIYA01"); !ok {
		t.Errorf("Priya, found on Slack, is not imported")
	}
	// Dana is found by GET /users/{mail} in each run; Nobody, once, also
	// by the mail filter before the refusal.
	if u, byMail := fg.Calls("user"), fg.Calls("users"); u != 3 || byMail != 1 {
		t.Errorf("Graph was asked GET /users/{mail} %d times and by mail filter %d; want 3 and 1", u, byMail)
	}
}
