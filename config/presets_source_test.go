package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// presetTexts names the published policy texts (in presets/texts) each
// preset quotes.
var presetTexts = map[string][]string{
	"coventry.yaml":      {"coventry-cscp.txt"},
	"warwickshire.yaml":  {"warwickshire.txt"},
	"west-sussex.yaml":   {"west-sussex-wsscb.txt", "west-sussex-wsscp-training.txt"},
	"wolverhampton.yaml": {"wolverhampton-wst.txt"},
}

// normalQuote folds what differs between a quotation and its source only in
// print: case, runs of space, typographic apostrophes and a space inside
// brackets.
func normalQuote(s string) string {
	s = strings.NewReplacer("\u2019", "'", "\u2018", "'", "\u201c", `"`, "\u201d", `"`, "( ", "(", " )", ")").Replace(s)
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// sources collects every source: text in a parsed YAML tree.
func sources(n *yaml.Node, out *[]string) {
	for i := 0; i < len(n.Content); i++ {
		c := n.Content[i]
		if n.Kind == yaml.MappingNode && i%2 == 0 && c.Value == "source" && i+1 < len(n.Content) {
			*out = append(*out, n.Content[i+1].Value)
			i++
			continue
		}
		sources(c, out)
	}
}

// Every preset quotes its policy: each words in double quotes in a source:
// line are in the published text (pieces joined by "..." each on its own),
// and every stage says where its window and reminder come from, the
// reminder being a default in all four (no preset's text sets one).
func TestPresetSourcesQuoteTheirPolicies(t *testing.T) {
	quoted := regexp.MustCompile(`"([^"]+)"`)
	for preset, texts := range presetTexts {
		var text strings.Builder
		for _, name := range texts {
			b, err := os.ReadFile(filepath.Join("presets", "texts", name))
			if err != nil {
				t.Fatal(err)
			}
			text.WriteString(normalQuote(string(b)) + " ")
		}
		b, err := os.ReadFile(filepath.Join("presets", preset))
		if err != nil {
			t.Fatal(err)
		}
		var root yaml.Node
		if err := yaml.Unmarshal(b, &root); err != nil {
			t.Fatalf("%s: %v", preset, err)
		}
		var srcs []string
		sources(&root, &srcs)
		n := 0
		for _, src := range srcs {
			for _, m := range quoted.FindAllStringSubmatch(src, -1) {
				for _, piece := range strings.Split(m[1], "...") {
					if piece = normalQuote(strings.Trim(piece, " .,;:")); piece == "" {
						continue
					}
					n++
					if !strings.Contains(text.String(), piece) {
						t.Errorf("%s quotes words its policy does not hold: %q", preset, piece)
					}
				}
			}
		}
		if n < 5 {
			t.Errorf("%s quotes its policy %d times", preset, n)
		}

		p, err := Preset(strings.TrimSuffix(preset, ".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Stages {
			src := strings.ToLower(s.Source)
			if !strings.Contains(src, "window") {
				t.Errorf("%s stage %s does not say where its window comes from", preset, s.Label)
			}
			if s.Remind.Amount > 0 && (!strings.Contains(src, "remind") || !(strings.Contains(src, "default") || strings.Contains(src, "silent"))) {
				t.Errorf("%s stage %s does not say its reminder is a default", preset, s.Label)
			}
		}
	}
}
