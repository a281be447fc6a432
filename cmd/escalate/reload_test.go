package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/config"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// SIGHUP reloads the directory without a restart: a person added to the
// file and one imported since start are in the running directory after
// it, a person taken out of the file is gone; a file that no longer loads
// changes nothing.
func TestSIGHUPReloadsTheDirectory(t *testing.T) {
	env := adminEnv(t)
	delete(env, "ESCALATE_ENV")
	dir := t.TempDir()
	file := filepath.Join(dir, "escalate.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(slackConfig)
	env["ESCALATE_CONFIG"], env["SLACK_BOT_TOKEN"], env["SLACK_SIGNING_SECRET"], env["SLACK_API_URL"] = file, "xoxb-test", "secret", "http://127.0.0.1:1/api/"
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

	// Since start: Linda leaves the file, Nina joins it, Priya is imported.
	write(strings.Replace(slackConfig, "    - {name: Linda Manager, agency: nhs, role: line_manager, slack: U0LINDA01}\n",
		"    - {name: Nina Newman, agency: nhs, role: line_manager, slack: U0NINA001}\n", 1))
	if err := a.store.PutImportedPeople(ctx, []workflow.Person{{ID: "slack:U0PRIYA01", Name: "Priya Shah", Agency: "nhs", Role: workflow.RoleSeniorManager}},
		store.ImportMeta{At: time.Now(), Source: "people.csv", Rows: 1, People: 1}); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.engine.Env().Directory.Person("slack:U0NINA001"); ok {
		t.Fatal("the directory changed before the signal")
	}
	sig := make(chan os.Signal)
	loopCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { reloadOnSignal(loopCtx, sig, a, getenv, log); close(done) }()
	// The second send is taken only once the first reload has finished.
	sig <- nil
	sig <- nil
	d := a.engine.Env().Directory
	for id, want := range map[workflow.UserID]bool{"slack:U0NINA001": true, "slack:U0PRIYA01": true, "slack:U0LINDA01": false, "slack:U0SAMSW01": true} {
		if _, ok := d.Person(id); ok != want {
			t.Errorf("%s in the reloaded directory: %v, want %v", id, ok, want)
		}
	}
	if got := d.Holders("nhs", workflow.RoleLineManager); len(got) != 1 || got[0] != "slack:U0NINA001" {
		t.Errorf("the NHS line managers after the reload: %v", got)
	}

	// A broken file leaves the last directory in place.
	write("directory: [this is not a directory")
	if err := reloadDirectory(ctx, a, getenv, log); err == nil {
		t.Fatal("a broken file reloaded")
	}
	if _, ok := a.engine.Env().Directory.Person("slack:U0NINA001"); !ok {
		t.Error("a broken file lost the running directory")
	}
	stop()
	<-done
}
