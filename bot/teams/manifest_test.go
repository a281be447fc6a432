package teams

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// appDir is the Teams app package's folder.
var appDir = "app"

// The app manifest is what makes the bot installable: v1.22, the bot's id
// left as a placeholder, personal and team scopes, the typed commands in
// the command list, and the limits the v1.22 schema sets on its strings.
func TestAppManifest(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(appDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Schema          string `json:"$schema"`
		ManifestVersion string `json:"manifestVersion"`
		Version         string `json:"version"`
		ID              string `json:"id"`
		Developer       struct {
			Name, WebsiteURL, PrivacyURL, TermsOfUseURL string
		} `json:"developer"`
		Name        struct{ Short, Full string } `json:"name"`
		Description struct{ Short, Full string } `json:"description"`
		Icons       struct{ Color, Outline string }
		AccentColor string `json:"accentColor"`
		Bots        []struct {
			BotID        string   `json:"botId"`
			Scopes       []string `json:"scopes"`
			CommandLists []struct {
				Scopes   []string `json:"scopes"`
				Commands []struct{ Title, Description string }
			} `json:"commandLists"`
		} `json:"bots"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if m.ManifestVersion != "1.22" || m.Schema != "https://developer.microsoft.com/en-us/json-schemas/teams/v1.22/MicrosoftTeams.schema.json" {
		t.Errorf("manifest version %q, schema %q", m.ManifestVersion, m.Schema)
	}
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(m.Version) || !regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`).MatchString(m.AccentColor) {
		t.Errorf("version %q or accent colour %q malformed", m.Version, m.AccentColor)
	}
	for field, s := range map[string]struct {
		v   string
		max int
	}{
		"description.short": {m.Description.Short, 80}, "description.full": {m.Description.Full, 4000},
	} {
		if n := len([]rune(s.v)); n == 0 || n > s.max {
			t.Errorf("%s is %d characters; the schema allows 1 to %d", field, n, s.max)
		}
	}
	// The partnership's own details are filled in when the package is made.
	if m.Developer.Name != "${{DEVELOPER_NAME}}" || m.Developer.WebsiteURL != "${{WEBSITE_URL}}" || m.Developer.PrivacyURL != "${{PRIVACY_URL}}" ||
		m.Developer.TermsOfUseURL != "${{TERMS_URL}}" || m.Name.Short != "${{SHORT_NAME}}" || m.Name.Full != "${{FULL_NAME}}" {
		t.Errorf("the developer and name must be placeholders: %+v %+v", m.Developer, m.Name)
	}
	if m.ID != "${{TEAMS_APP_ID}}" || len(m.Bots) != 1 || m.Bots[0].BotID != "${{TEAMS_APP_ID}}" {
		t.Errorf("the app and bot ids must be the ${{TEAMS_APP_ID}} placeholder: %q %+v", m.ID, m.Bots)
	}
	bot := m.Bots[0]
	if !slices.Contains(bot.Scopes, "personal") || !slices.Contains(bot.Scopes, "team") {
		t.Errorf("bot scopes %v", bot.Scopes)
	}
	var titles []string
	for _, l := range bot.CommandLists {
		if len(l.Commands) > 10 {
			t.Errorf("a command list has %d commands; the schema allows 10", len(l.Commands))
		}
		for _, c := range l.Commands {
			if len(c.Title) > 32 || len(c.Description) > 128 {
				t.Errorf("command %q too long", c.Title)
			}
			titles = append(titles, c.Title)
		}
	}
	for _, want := range []string{"escalate", "list", "show", "help"} {
		if !slices.Contains(titles, want) {
			t.Errorf("the command list lacks %q: %v", want, titles)
		}
		// The bot understands what the list offers.
		if !slices.ContainsFunc(usageLines, func(l string) bool { return len(l) >= len(want) && l[:len(want)] == want }) {
			t.Errorf("the usage does not name %q", want)
		}
	}
	if m.Icons.Color != "color.png" || m.Icons.Outline != "outline.png" {
		t.Errorf("icons %+v", m.Icons)
	}
}

// The two icons the package needs are drawn here: run with -update to
// write them. The test checks what Teams requires of them: a 192×192
// colour icon, and a 32×32 outline icon that is white on transparent.
func TestAppIcons(t *testing.T) {
	icons := map[string]*image.NRGBA{"color.png": colorIcon(), "outline.png": outlineIcon()}
	for name, img := range icons {
		path := filepath.Join(appDir, name)
		if *update {
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestAppIcons -update)", err)
		}
		got, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Bounds() != img.Bounds() {
			t.Fatalf("%s is %v, want %v", name, got.Bounds().Size(), img.Bounds().Size())
		}
		for y := range img.Bounds().Dy() {
			for x := range img.Bounds().Dx() {
				w, g := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA), color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA)
				if w != g {
					t.Fatalf("%s differs from the drawing at (%d,%d) (run with -update)", name, x, y)
				}
				if name == "outline.png" && g.A != 0 && (g.R != 255 || g.G != 255 || g.B != 255) {
					t.Fatalf("outline.png has a pixel that is neither white nor transparent at (%d,%d)", x, y)
				}
			}
		}
	}
}

// glyph is Escalate's mark: three rising steps (the stages) and an arrow
// up, on a grid of 8×8 cells.
var glyph = []string{
	"......#.",
	".....###",
	"......#.",
	"....###.",
	"....#...",
	"..###...",
	"..#.....",
	"###.....",
}

// paint draws the glyph, each cell size×size, at offset off.
func paint(img *image.NRGBA, off, size int, c color.NRGBA) {
	for gy, row := range glyph {
		for gx, ch := range row {
			if ch != '#' {
				continue
			}
			for y := range size {
				for x := range size {
					img.SetNRGBA(off+gx*size+x, off+gy*size+y, c)
				}
			}
		}
	}
}

func colorIcon() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 192, 192))
	accent := color.NRGBA{R: 0x1F, G: 0x4E, B: 0x79, A: 0xFF}
	for y := range 192 {
		for x := range 192 {
			img.SetNRGBA(x, y, accent)
		}
	}
	paint(img, 32, 16, color.NRGBA{R: 255, G: 255, B: 255, A: 255})
	return img
}

func outlineIcon() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	paint(img, 4, 3, color.NRGBA{R: 255, G: 255, B: 255, A: 255})
	return img
}
