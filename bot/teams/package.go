package teams

import (
	"archive/zip"
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// appFiles is the Teams app package's template: the manifest (with the
// bot's id, the app's name and the publisher's details left as
// placeholders) and Escalate's own two icons, used when no icons folder is
// given.
//
//go:embed app/manifest.json app/color.png app/outline.png
var appFiles embed.FS

// appIDPattern is a Microsoft App ID: a GUID.
var appIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Package is what a partnership says about its Teams app: the bot's id,
// the name people see, who publishes it and the pages Teams links to from
// the app's details. Teams shows all of them to every person who installs
// the app, so none is made up: the URLs have no default.
type Package struct {
	AppID      string // the bot's Microsoft App ID
	Name       string // the app's short name (default "Escalate")
	Developer  string // the publisher: the partnership or the council running Escalate
	WebsiteURL string
	PrivacyURL string
	TermsURL   string
	// IconsDir holds color.png (192×192) and outline.png (32×32, white on
	// transparent), read when the package is written; "" is Escalate's own.
	IconsDir string
}

// The limits the Teams manifest schema (v1.22) sets.
const (
	maxShortName = 30
	maxFullName  = 100
	maxDeveloper = 32
	maxURL       = 2048
)

// DefaultAppName is the app's short name when none is given.
const DefaultAppName = "Escalate"

// Check says everything wrong with p at once, each problem naming the flag
// that sets it, so the IT person making a package fixes them in one go.
func (p Package) Check() error {
	var probs []string
	add := func(format string, a ...any) { probs = append(probs, fmt.Sprintf(format, a...)) }
	if err := checkAppID(p.AppID); err != nil {
		add("%v", err)
	}
	name := p.name()
	if n := len([]rune(name)); n > maxShortName {
		add("--name: %q is %d characters; Teams allows at most %d", name, n, maxShortName)
	}
	switch dev := strings.TrimSpace(p.Developer); {
	case dev == "":
		add("--developer: is required: who publishes the app (your partnership or council), shown in its details in Teams")
	case len([]rune(dev)) > maxDeveloper:
		add("--developer: %q is %d characters; Teams allows at most %d (use a short form of the name)", dev, len([]rune(dev)), maxDeveloper)
	}
	for _, u := range []struct{ flag, value, what string }{
		{"--website-url", p.WebsiteURL, "a page about Escalate at your partnership"},
		{"--privacy-url", p.PrivacyURL, "your privacy notice"},
		{"--terms-url", p.TermsURL, "your terms of use"},
	} {
		if err := checkPageURL(u.value); err != nil {
			add("%s: %v (%s, linked from the app's details in Teams)", u.flag, err, u.what)
		}
	}
	if _, err := p.icons(); err != nil {
		add("%v", err)
	}
	if len(probs) > 0 {
		return errors.New("the Teams app package cannot be made:\n  " + strings.Join(probs, "\n  "))
	}
	return nil
}

// checkAppID refuses what cannot be a bot's Microsoft App ID: anything
// that is not a GUID, and the GUIDs Azure never issues (all zeros, all
// f's), which are placeholders left in a script.
func checkAppID(id string) error {
	const form = "a GUID such as 3f2504e0-4f89-41d3-9a0c-0305e82c3301, the Azure Bot's Microsoft App ID"
	switch low := strings.ToLower(id); {
	case id == "":
		return fmt.Errorf("TEAMS_APP_ID: is required (or --app-id): %s", form)
	case !appIDPattern.MatchString(id):
		return fmt.Errorf("TEAMS_APP_ID: %q is not a Microsoft App ID (%s)", id, form)
	case low == "00000000-0000-0000-0000-000000000000" || low == "ffffffff-ffff-ffff-ffff-ffffffffffff":
		return fmt.Errorf("TEAMS_APP_ID: %q is a placeholder, not an App ID Azure issues: copy the Microsoft App ID from your Azure Bot's Configuration page", id)
	}
	return nil
}

// checkPageURL: Teams requires https pages; an address of the reserved
// example domains is a placeholder that would reach nobody.
func checkPageURL(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return errors.New("is required")
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q must be an https:// address", s)
	}
	if len(s) > maxURL {
		return fmt.Errorf("is %d characters; Teams allows at most %d", len(s), maxURL)
	}
	host := strings.ToLower(u.Hostname())
	for _, reserved := range []string{"example.org", "example.com", "example.net", "example", "test", "invalid", "localhost"} {
		if host == reserved || strings.HasSuffix(host, "."+reserved) {
			return fmt.Errorf("%q is a placeholder address (%s is reserved for examples): give your own page", s, reserved)
		}
	}
	return nil
}

func (p Package) name() string {
	if n := strings.TrimSpace(p.Name); n != "" {
		return n
	}
	return DefaultAppName
}

// fullName is the longer name Teams shows in the app's details.
func (p Package) fullName() string {
	full := p.name() + ": professional disagreements"
	if len([]rune(full)) > maxFullName {
		return p.name()
	}
	return full
}

// icon is one of the package's two icons, as Teams requires it.
type icon struct {
	file    string
	size    int
	outline bool // white on transparent only
}

var appIcons = []icon{{"color.png", 192, false}, {"outline.png", 32, true}}

// icons reads the two icons, from IconsDir at this moment (so a changed
// icon needs no rebuild) or Escalate's own, and checks each is what Teams
// accepts: a PNG of the right size, the outline white on transparent.
func (p Package) icons() (map[string][]byte, error) {
	got := map[string][]byte{}
	var probs []string
	for _, ic := range appIcons {
		var b []byte
		var err error
		where := ic.file
		if p.IconsDir == "" {
			b, err = appFiles.ReadFile("app/" + ic.file)
		} else {
			where = filepath.Join(p.IconsDir, ic.file)
			b, err = os.ReadFile(where)
		}
		if err != nil {
			probs = append(probs, fmt.Sprintf("--icons: %s: cannot be read (%v); the folder needs color.png (192×192) and outline.png (32×32)", where, unwrapPath(err)))
			continue
		}
		if err := ic.check(b); err != nil {
			probs = append(probs, fmt.Sprintf("--icons: %s: %v", where, err))
			continue
		}
		got[ic.file] = b
	}
	if len(probs) > 0 {
		return nil, errors.New(strings.Join(probs, "\n  "))
	}
	return got, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (ic icon) check(b []byte) error {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("is not a PNG image (%v)", err)
	}
	if s := img.Bounds().Size(); s.X != ic.size || s.Y != ic.size {
		return fmt.Errorf("is %d×%d; Teams requires %d×%d", s.X, s.Y, ic.size, ic.size)
	}
	if ic.outline {
		if x, y, ok := notWhiteOnTransparent(img); !ok {
			return fmt.Errorf("has a pixel at (%d,%d) that is neither white nor transparent; Teams requires the outline icon white on a transparent background", x, y)
		}
	}
	return nil
}

func notWhiteOnTransparent(img image.Image) (int, int, bool) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if c.A != 0 && (c.R != 255 || c.G != 255 || c.B != 255) {
				return x, y, false
			}
		}
	}
	return 0, 0, true
}

// WritePackage writes the app package Teams admins upload: a zip of
// manifest.json (the template with p's values in place) and the two icons,
// at the top level of the archive as Teams requires. Nothing is written
// unless p passes Check.
func WritePackage(w io.Writer, p Package) error {
	if err := p.Check(); err != nil {
		return err
	}
	icons, err := p.icons()
	if err != nil {
		return err
	}
	manifest, err := appFiles.ReadFile("app/manifest.json")
	if err != nil {
		return fmt.Errorf("teams package: %w", err)
	}
	for placeholder, v := range map[string]string{
		"TEAMS_APP_ID":   strings.ToLower(p.AppID),
		"SHORT_NAME":     p.name(),
		"FULL_NAME":      p.fullName(),
		"DEVELOPER_NAME": strings.TrimSpace(p.Developer),
		"WEBSITE_URL":    strings.TrimSpace(p.WebsiteURL),
		"PRIVACY_URL":    strings.TrimSpace(p.PrivacyURL),
		"TERMS_URL":      strings.TrimSpace(p.TermsURL),
	} {
		manifest = bytes.ReplaceAll(manifest, []byte("${{"+placeholder+"}}"), jsonString(v))
	}
	if bytes.Contains(manifest, []byte("${{")) || !json.Valid(manifest) {
		return errors.New("teams package: the manifest template has a placeholder nothing fills")
	}
	z := zip.NewWriter(w)
	files := []struct {
		name string
		data []byte
	}{{"manifest.json", manifest}, {"color.png", icons["color.png"]}, {"outline.png", icons["outline.png"]}}
	for _, f := range files {
		fw, err := z.Create(f.name)
		if err != nil {
			return fmt.Errorf("teams package: %w", err)
		}
		if _, err := fw.Write(f.data); err != nil {
			return fmt.Errorf("teams package: %w", err)
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("teams package: %w", err)
	}
	return nil
}

// jsonString is v as the inside of a JSON string literal (the template's
// quotes stay), so a name with a quote or a backslash keeps the manifest
// valid.
func jsonString(v string) []byte {
	b, _ := json.Marshal(v)
	return b[1 : len(b)-1]
}
