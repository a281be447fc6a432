package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/bottest"
	"github.com/escalate-app/escalate/config"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
)

func TestUniversalOptions(t *testing.T) {
	s := universalOptions(config.Redis{Sentinel: config.Sentinel{MasterName: "escalate", Addrs: []string{"10.0.0.1:26379"}}, Password: "pw", TLS: true})
	if s.MasterName != "escalate" || !slices.Equal(s.Addrs, []string{"10.0.0.1:26379"}) || s.Password != "pw" || s.TLSConfig == nil || s.IsClusterMode {
		t.Errorf("sentinel: %+v", s)
	}
	c := universalOptions(config.Redis{ClusterAddrs: []string{"10.0.0.9:6379"}})
	if !c.IsClusterMode || c.MasterName != "" || c.TLSConfig != nil {
		t.Errorf("cluster: %+v", c)
	}
}

func TestCheckConfigOnEveryPreset(t *testing.T) {
	for _, p := range config.Presets() {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"check-config", "--at", "2026-12-24T10:00:00Z", p}, &out, func(string) string { return "" }, nil); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !strings.Contains(out.String(), "stage 1: Tue 29 Dec 2026, 10:00 GMT") {
			t.Errorf("%s: stage 1 of a case raised on Christmas Eve closes on the 29th:\n%s", p, out.String())
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"check-config", "no-such-file.yaml"}, &out, func(string) string { return "" }, nil); err == nil || !strings.Contains(err.Error(), "not a preset") {
		t.Errorf("a missing file should say so: %v", err)
	}
}

// check-config checks the file by default, the same on any machine: what
// only the environment can give (a key, a Redis, a platform) is listed as a
// reminder; --env checks it as escalate serve would, and fails.
func TestCheckConfigFileThenEnvironment(t *testing.T) {
	noEnv := func(string) string { return "" }
	var out bytes.Buffer
	if err := run(context.Background(), []string{"check-config", "--at", "2026-12-24T10:00:00Z", "../../config/example.yaml"}, &out, noEnv, nil); err != nil {
		t.Fatalf("the example file alone should be valid: %v", err)
	}
	for _, want := range []string{"example.yaml is valid.", "stage 1: Mon 4 Jan 2027, 10:00 GMT", "Not checked: this machine's environment", "ESCALATE_ENCRYPTION_KEY: is required"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	err := run(context.Background(), []string{"check-config", "--env", "../../config/example.yaml"}, &out, noEnv, nil)
	if err == nil || strings.Count(err.Error(), "ESCALATE_ENCRYPTION_KEY: is required") != 1 {
		t.Errorf("--env without the secrets should fail naming the key once: %v", err)
	}
	// A problem of the file itself still fails without --env.
	bad := t.TempDir() + "/bad.yaml"
	if err := os.WriteFile(bad, []byte("policy: {preset: coventry}\nsubject_ref_pattern: \"([\"\nsubject_ref_example: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"check-config", bad}, &out, noEnv, nil); err == nil || !strings.Contains(err.Error(), "subject_ref_pattern: is not a regular expression") || !strings.Contains(err.Error(), "(line 2)") {
		t.Errorf("a broken file: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"check-config", "--help"}, &out, noEnv, nil); !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "FILE|PRESET") {
		t.Errorf("--help: %v\n%s", err, out.String())
	}
}

// The outbox's help needs no store; replaying an unknown id says so once.
func TestOutboxHelpAndUnknownID(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"outbox", "--help"}, &out, func(string) string { return "" }, nil); err != nil || !strings.Contains(out.String(), "replay ID") {
		t.Errorf("outbox --help: %v\n%s", err, out.String())
	}
	st := storetest.New(t)
	err := outboxAdmin(context.Background(), st, []string{"replay", "nope"}, &out, time.Now(), time.UTC)
	if err == nil || err.Error() != `"nope" is not a parked message (escalate outbox list shows their ids)` || !errors.Is(err, store.ErrNotParked) {
		t.Errorf("replay nope: %v", err)
	}
}

func TestOutboxAdminListsParkedWithoutTheirWords(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	st := storetest.New(t, store.Options{Now: func() time.Time { return now }})
	secret := "words only the recipient may read"
	if err := st.Enqueue(ctx, []workflow.Message{{ID: "ESC-2026-0007/3/1", Kind: workflow.MsgNote, Ref: "ESC-2026-0007", To: "slack:U1", Title: "t", Lines: []string{secret}}}); err != nil {
		t.Fatal(err)
	}
	items, err := st.ClaimOutbox(ctx, now, 10, time.Minute)
	if err != nil || len(items) != 1 {
		t.Fatalf("claim: %v %d", err, len(items))
	}
	if err := st.ParkOutbox(ctx, items[0], "user_not_found"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := outboxAdmin(ctx, st, []string{"list"}, &out, now, time.UTC); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ESC-2026-0007") || !strings.Contains(out.String(), "user_not_found") || !strings.Contains(out.String(), "parked:  1") {
		t.Errorf("list:\n%s", out.String())
	}
	if strings.Contains(out.String(), secret) {
		t.Error("the operator's list must not show what a message says")
	}
	out.Reset()
	if err := outboxAdmin(ctx, st, []string{"replay", items[0].ID}, &out, now, time.UTC); err != nil {
		t.Fatal(err)
	}
	again, err := st.ClaimOutbox(ctx, now, 10, time.Minute)
	if err != nil || len(again) != 1 || again[0].ID != items[0].ID {
		t.Fatalf("replayed message not claimable: %v %+v", err, again)
	}
	if err := outboxAdmin(ctx, st, []string{"replay", "nope"}, &out, now, time.UTC); err == nil || !errors.Is(err, store.ErrNotParked) {
		t.Errorf("replaying an unknown id: %v", err)
	}
}

func TestTeamsPackageCommand(t *testing.T) {
	file := t.TempDir() + "/escalate-teams.zip"
	var out bytes.Buffer
	env := func(k string) string {
		return map[string]string{"TEAMS_APP_ID": "11111111-2222-3333-4444-555555555555"}[k]
	}
	if err := run(context.Background(), append([]string{"teams-package", "--out", file}, packagePages...), &out, env, nil); err != nil {
		t.Fatal(err)
	}
	z, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	if len(z.File) != 3 || !strings.Contains(out.String(), "is ready") {
		t.Fatalf("the package has %d files; said %q", len(z.File), out.String())
	}
	if err := run(context.Background(), append([]string{"teams-package", "--out", file}, packagePages...), &out, func(string) string { return "" }, nil); err == nil || !strings.Contains(err.Error(), "TEAMS_APP_ID") {
		t.Errorf("without an app id: %v", err)
	}
}

// A running practice console says how the administrators' commands reach
// its embedded store; with that address they work on its cases, and show
// times in the partnership's own time zone (BST in July).
func TestAdminCommandsReachTheConsolesStore(t *testing.T) {
	var logs bottest.LogBuffer
	serveLogged(t, map[string]string{"ESCALATE_ADDR": "127.0.0.1:0"}, &logs)
	m := regexp.MustCompile(envConsoleRedis + `=(redis://127\.0\.0\.1:[0-9]+)`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("the console did not print its store's address:\n%s", logs.String())
	}
	ctx := context.Background()
	july := time.Date(2026, 7, 23, 10, 0, 0, 0, time.UTC)
	st, err := store.Open(ctx, m[1], store.Options{Prefix: practicePrefix + "esc:", Now: func() time.Time { return july }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Enqueue(ctx, []workflow.Message{{ID: "ESC-2026-0001/1/1", Kind: workflow.MsgNote, Ref: "ESC-2026-0001", To: "console:hv", Title: "t"}}); err != nil {
		t.Fatal(err)
	}
	items, err := st.ClaimOutbox(ctx, july, 10, time.Minute)
	if err != nil || len(items) != 1 {
		t.Fatalf("claim: %v %d", err, len(items))
	}
	if err := st.ParkOutbox(ctx, items[0], "practice"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{envConsoleRedis: m[1]}
	var out bytes.Buffer
	if err := run(ctx, []string{"outbox"}, &out, func(k string) string { return env[k] }, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("outbox on the console's store: %v", err)
	}
	for _, want := range []string{"ESC-2026-0001", "Thu 23 Jul 2026, 11:00 BST"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("outbox list lacks %q:\n%s", want, out.String())
		}
	}
	for _, bad := range []string{"redis://10.0.0.5:6379", "rediss://127.0.0.1:1"} {
		env[envConsoleRedis] = bad
		if err := run(ctx, []string{"outbox"}, &out, func(k string) string { return env[k] }, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), envConsoleRedis) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	env[envConsoleRedis] = ""
	if err := run(ctx, []string{"outbox"}, &out, func(k string) string { return env[k] }, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), envConsoleRedis) {
		t.Errorf("with no store named, the error should say how to reach the console's: %v", err)
	}
}
