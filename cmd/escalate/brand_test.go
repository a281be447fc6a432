package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Escalate looks the same wherever a person meets it: the Slack app's
// background, the Teams app's accent and the console's brand are one
// colour.
func TestOneColourEverywhere(t *testing.T) {
	places := []struct{ file, pattern string }{
		{"../../manifest.yaml", `background_color: "(#[0-9a-fA-F]{6})"`},
		{"../../bot/teams/app/manifest.json", `"accentColor": "(#[0-9a-fA-F]{6})"`},
		{"../../bot/htmlui/templates/shared.html", `--brand:(#[0-9a-fA-F]{6})`}, // the console and the web page
	}
	colours := map[string][]string{}
	for _, p := range places {
		b, err := os.ReadFile(p.file)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(p.pattern).FindSubmatch(b)
		if m == nil {
			t.Fatalf("%s names no colour (%s)", p.file, p.pattern)
		}
		c := strings.ToLower(string(m[1]))
		colours[c] = append(colours[c], p.file)
	}
	if len(colours) != 1 {
		t.Errorf("Escalate has %d colours: %v", len(colours), colours)
	}
}
