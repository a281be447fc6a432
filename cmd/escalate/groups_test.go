package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/graph/graphtest"
	"github.com/escalate-app/escalate/config"
	"github.com/escalate-app/escalate/workflow"
)

// Entra ID groups and line managers, read from a fake Graph: a group's
// members hold its role in its agency, a practitioner's Entra manager
// holds the line manager's stage there, and the group's entry itself is
// nobody anyone is shown. When Graph is down the last members read keep
// their stages, with a metric and a log line; a leaver removed from the
// group holds nothing after the next read.
func TestEntraGroupsAndManagersHoldTheirStages(t *testing.T) {
	const group = "9a000000-0000-4000-8000-0000000000a1"
	const tara, mo, nia, manager = "7a000000-0000-4000-8000-0000000000a1", "7a000000-0000-4000-8000-0000000000a2", "7a000000-0000-4000-8000-0000000000a3", "7a000000-0000-4000-8000-0000000000a4"
	fg := graphtest.New(t)
	for _, u := range []graphtest.User{
		{ID: mo, DisplayName: "Mo Senior", Mail: "mo@nhs.example"},
		{ID: nia, DisplayName: "Nia Senior", Mail: "nia@nhs.example"},
		{ID: manager, DisplayName: "Marta Manager", Mail: "marta@nhs.example"},
	} {
		fg.AddUser(u)
	}
	fg.AddUser(graphtest.User{ID: tara, DisplayName: "Tara Teams", Mail: "tara@nhs.example"})
	fg.SetGroup(group, mo, nia)
	fg.SetManager(tara, manager)

	env := adminEnv(t)
	delete(env, "ESCALATE_ENV")
	dir := t.TempDir()
	file := filepath.Join(dir, "escalate.yaml")
	yaml := strings.Replace(slackConfig, "  chair:\n", "    - {name: NHS senior managers, agency: nhs, role: senior_manager, entra_group: "+group+"}\n"+
		"    - {name: Tara Teams, agency: nhs, role: practitioner, teams: "+tara+", email: tara@nhs.example}\n  chair:\n", 1) +
		"graph: {enabled: true, line_managers: true}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"ESCALATE_CONFIG": file, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret", "SLACK_API_URL": "http://127.0.0.1:1/api/",
		"GRAPH_API_URL": fg.BaseURL(), "GRAPH_TOKEN_URL": fg.TokenURL(), "GRAPH_TENANT_ID": graphtest.Tenant, "GRAPH_CLIENT_ID": graphtest.ClientID, "GRAPH_CLIENT_SECRET": graphtest.Secret} {
		env[k] = v
	}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := config.Load(file, getenv)
	if err != nil {
		t.Fatal(err)
	}
	a, err := open(ctx, cfg, getenv, log, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, ok := a.engine.Env().Directory.Person(workflow.UserID("entragroup:" + group)); ok {
		t.Fatal("the group's entry is in the running directory as if it were a person")
	}
	groups, err := groupsRefresher(cfg, a, time.Now, log)
	if err != nil || groups == nil {
		t.Fatalf("no refresher: %v", err)
	}
	if err := refreshGroups(ctx, a, cfg, groups, getenv, log); err != nil {
		t.Fatal(err)
	}
	d := a.engine.Env().Directory
	holds := func(d *workflow.Directory, id string, role workflow.Role) bool {
		for _, h := range d.Holders("nhs", role) {
			if h == workflow.UserID("teams:"+id) {
				return true
			}
		}
		return false
	}
	if !holds(d, mo, workflow.RoleSeniorManager) || !holds(d, nia, workflow.RoleSeniorManager) {
		t.Errorf("the group's members do not hold its role: %v", d.Holders("nhs", workflow.RoleSeniorManager))
	}
	if !holds(d, manager, workflow.RoleLineManager) {
		t.Errorf("Tara's Entra manager is not an NHS line manager: %v", d.Holders("nhs", workflow.RoleLineManager))
	}
	if p, _ := d.Person(workflow.UserID("teams:" + mo)); p.Name != "Mo Senior" {
		t.Errorf("a member is named %q", p.Name)
	}

	// Graph down: the read fails, the directory keeps the members, and the
	// metric says Graph could not be read.
	fg.Down(true)
	nia2 := fg.Calls("members")
	if err := refreshGroups(ctx, a, cfg, groups, getenv, log); err == nil {
		t.Fatal("a read of a Graph that is down succeeded")
	}
	if fg.Calls("members") == nia2 {
		t.Error("Graph was not asked")
	}
	if !holds(a.engine.Env().Directory, nia, workflow.RoleSeniorManager) {
		t.Error("a Graph outage took the group's members away")
	}
	rec := httptest.NewRecorder()
	a.metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `result="unavailable",source="graph"`) && !strings.Contains(rec.Body.String(), `source="graph",result="unavailable"`) {
		t.Errorf("no metric for Graph being down:\n%s", grepLines(rec.Body.String(), "graph"))
	}

	// Back, with Nia gone from the group: she holds nothing after the read.
	fg.Down(false)
	fg.SetGroup(group, mo)
	if err := refreshGroups(ctx, a, cfg, groups, getenv, log); err != nil {
		t.Fatal(err)
	}
	if d := a.engine.Env().Directory; holds(d, nia, workflow.RoleSeniorManager) || !holds(d, mo, workflow.RoleSeniorManager) {
		t.Errorf("after Nia left the group: %v", d.Holders("nhs", workflow.RoleSeniorManager))
	}
}

// A saved configuration file reloads the directory, as SIGHUP does; a
// file saved unchanged, or broken, changes nothing.
func TestAChangedFileReloadsTheDirectory(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "escalate.yaml")
	if err := os.WriteFile(file, []byte("one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ticks := make(chan time.Time)
	changed := make(chan struct{}, 4)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		watchFile(ctx, file, ticks, func() { changed <- struct{}{} }, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	tick := func() { ticks <- time.Now(); ticks <- time.Now() } // the second is taken once the first is looked at
	// Saved as editors save: a new file renamed over the old, so the
	// watcher never reads half of one.
	save := func(s string) {
		t.Helper()
		tmp := file + ".new"
		if err := os.WriteFile(tmp, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, file); err != nil {
			t.Fatal(err)
		}
	}
	tick()
	// The same contents saved again (a new time): nothing to reload.
	save("one\n")
	future := time.Now().Add(time.Minute)
	_ = os.Chtimes(file, future, future)
	tick()
	if len(changed) != 0 {
		t.Fatal("an unchanged file reloaded the directory")
	}
	save("two, longer\n")
	tick()
	if len(changed) != 1 {
		t.Fatalf("a changed file reloaded %d times, want once", len(changed))
	}
	stop()
	<-done
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
