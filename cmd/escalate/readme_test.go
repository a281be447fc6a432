package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
)

// readmeCommands are the `go run ./cmd/escalate …` lines of the README's
// shell blocks, as a new user would copy them: the arguments after the
// binary, with trailing comments removed.
func readmeCommands(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open("README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds [][]string
	inShell := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "```sh"):
			inShell = true
			continue
		case strings.HasPrefix(line, "```"):
			inShell = false
			continue
		}
		if !inShell {
			continue
		}
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		_, rest, ok := strings.Cut(line, "go run ./cmd/escalate")
		if !ok || strings.Contains(line[:strings.Index(line, "go run")], "=") {
			continue // a line that needs an environment variable set first
		}
		cmds = append(cmds, strings.Fields(rest))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cmds
}

// The README's check-config commands work as written on a fresh checkout
// with nothing in the environment: the file checks alone succeed, and the
// one with --env fails naming what this machine lacks. Every administrators'
// command it lists answers --help without a store.
func TestReadmeCommandsAsWritten(t *testing.T) {
	t.Chdir("../..")
	noEnv := func(string) string { return "" }
	cmds := readmeCommands(t)
	checks, helps := 0, map[string]bool{}
	for _, args := range cmds {
		if len(args) == 0 || args[0] == "serve" {
			continue // the bot itself: the practice console tests run it
		}
		helps[args[0]] = true
		if args[0] != "check-config" {
			continue
		}
		checks++
		var out bytes.Buffer
		err := run(context.Background(), args, &out, noEnv, nil)
		if slices.Contains(args, "--env") {
			if err == nil || !strings.Contains(err.Error(), "ESCALATE_ENCRYPTION_KEY") {
				t.Errorf("escalate %s: with no key in the environment it should fail naming it, got %v", strings.Join(args, " "), err)
			}
			continue
		}
		if err != nil {
			t.Errorf("escalate %s, as the README writes it: %v", strings.Join(args, " "), err)
		} else if !strings.Contains(out.String(), "is valid.") {
			t.Errorf("escalate %s printed:\n%s", strings.Join(args, " "), out.String())
		}
	}
	if checks < 3 {
		t.Errorf("the README shows %d check-config commands; it should show checking a file, a preset and the environment", checks)
	}
	for _, sub := range []string{"outbox", "record", "report", "purge", "teams-package"} {
		if !helps[sub] {
			t.Errorf("the README lists no escalate %s command", sub)
			continue
		}
		var out bytes.Buffer
		err := run(context.Background(), []string{sub, "--help"}, &out, noEnv, nil)
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			t.Errorf("escalate %s --help needs something: %v", sub, err)
		}
		if !strings.Contains(strings.ToLower(out.String()), "usage") && !strings.Contains(out.String(), "-") {
			t.Errorf("escalate %s --help printed no usage:\n%s", sub, out.String())
		}
	}
}
