package teams

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goodPackage is what a partnership's IT gives for its package.
func goodPackage() Package {
	return Package{
		AppID:      "3F2504E0-4F89-41D3-9A0C-0305E82C3301",
		Name:       "Anyshire Escalate",
		Developer:  `Anyshire "SCP"`,
		WebsiteURL: "https://www.anyshire-scp.org.uk/escalate",
		PrivacyURL: "https://www.anyshire-scp.org.uk/privacy",
		TermsURL:   "https://www.anyshire-scp.org.uk/terms",
	}
}

func unzip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return got
}

type manifestOut struct {
	ManifestVersion string `json:"manifestVersion"`
	ID              string `json:"id"`
	Developer       struct {
		Name          string `json:"name"`
		WebsiteURL    string `json:"websiteUrl"`
		PrivacyURL    string `json:"privacyUrl"`
		TermsOfUseURL string `json:"termsOfUseUrl"`
	} `json:"developer"`
	Name struct{ Short, Full string } `json:"name"`
	Bots []struct {
		BotID        string `json:"botId"`
		CommandLists []struct {
			Commands []struct{ Title string } `json:"commands"`
		} `json:"commandLists"`
	} `json:"bots"`
}

func TestWritePackage(t *testing.T) {
	p := goodPackage()
	var buf bytes.Buffer
	if err := WritePackage(&buf, p); err != nil {
		t.Fatal(err)
	}
	got := unzip(t, buf.Bytes())
	if len(got) != 3 || got["color.png"] == nil || got["outline.png"] == nil {
		t.Fatalf("the package holds manifest.json and two icons at its top level: %v", len(got))
	}
	var m manifestOut
	if err := json.Unmarshal(got["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	const id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301" // Teams compares ids in lower case
	if m.ID != id || len(m.Bots) != 1 || m.Bots[0].BotID != id || m.ManifestVersion != "1.22" {
		t.Fatalf("manifest: %+v", m)
	}
	if m.Developer.Name != `Anyshire "SCP"` || m.Developer.WebsiteURL != p.WebsiteURL || m.Developer.PrivacyURL != p.PrivacyURL || m.Developer.TermsOfUseURL != p.TermsURL {
		t.Errorf("developer: %+v", m.Developer)
	}
	if m.Name.Short != "Anyshire Escalate" || m.Name.Full != "Anyshire Escalate: professional disagreements" {
		t.Errorf("name: %+v", m.Name)
	}
	var titles []string
	for _, c := range m.Bots[0].CommandLists[0].Commands {
		titles = append(titles, c.Title)
	}
	for _, want := range []string{"escalate", "list", "show", "help"} {
		if !strings.Contains(strings.Join(titles, " "), want) {
			t.Errorf("the command list lacks %q: %v", want, titles)
		}
	}
	if bytes.Contains(got["manifest.json"], []byte("${{")) || bytes.Contains(got["manifest.json"], []byte("example.org")) {
		t.Error("a placeholder is left in the manifest")
	}
	if own, _ := appFiles.ReadFile("app/color.png"); !bytes.Equal(got["color.png"], own) {
		t.Error("without --icons the package carries Escalate's own icons")
	}
}

// What cannot make a real package is refused, every problem named by the
// flag that sets it, and nothing is written.
func TestPackageRefusals(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Package)
		want []string
	}{
		{"nothing given", func(p *Package) { *p = Package{} }, []string{"TEAMS_APP_ID: is required", "--developer: is required", "--website-url: is required", "--privacy-url: is required", "--terms-url: is required"}},
		{"not a GUID", func(p *Package) { p.AppID = "not-a-guid" }, []string{`TEAMS_APP_ID: "not-a-guid" is not a Microsoft App ID`}},
		{"a GUID without dashes", func(p *Package) { p.AppID = "3f2504e04f8941d39a0c0305e82c3301" }, []string{"is not a Microsoft App ID"}},
		{"the all-zero GUID", func(p *Package) { p.AppID = "00000000-0000-0000-0000-000000000000" }, []string{"is a placeholder, not an App ID Azure issues"}},
		{"the all-f GUID", func(p *Package) { p.AppID = "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF" }, []string{"is a placeholder"}},
		{"the old hard-coded website", func(p *Package) { p.WebsiteURL = "https://escalate.example.org" }, []string{"--website-url:", "is a placeholder address (example.org"}},
		{"an http page", func(p *Package) { p.PrivacyURL = "http://www.anyshire-scp.org.uk/privacy" }, []string{"--privacy-url:", "must be an https:// address"}},
		{"not a URL", func(p *Package) { p.TermsURL = "terms" }, []string{"--terms-url:", "must be an https:// address"}},
		{"a long developer", func(p *Package) { p.Developer = "Anyshire Safeguarding Children Partnership" }, []string{"--developer:", "42 characters; Teams allows at most 32"}},
		{"a long name", func(p *Package) { p.Name = "Anyshire Professional Disagreements" }, []string{"--name:", "Teams allows at most 30"}},
		{"no icons folder", func(p *Package) { p.IconsDir = filepath.Join(t.TempDir(), "none") }, []string{"--icons:", "color.png: cannot be read", "outline.png: cannot be read"}},
	}
	for _, tc := range cases {
		p := goodPackage()
		tc.edit(&p)
		var buf bytes.Buffer
		err := WritePackage(&buf, p)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\nwant %q", tc.name, err, w)
			}
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes of a refused package", tc.name, buf.Len())
		}
	}
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func filled(size int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// --icons reads the partnership's icons when the package is made (no
// rebuild), and checks them as Teams does: PNGs of 192×192 and 32×32, the
// outline white on transparent.
func TestPackageIconsFromAFolder(t *testing.T) {
	dir := t.TempDir()
	green := color.NRGBA{R: 0, G: 0x80, B: 0x40, A: 255}
	writePNG(t, filepath.Join(dir, "color.png"), filled(192, green))
	outline := filled(32, color.NRGBA{})
	outline.SetNRGBA(16, 16, color.NRGBA{R: 255, G: 255, B: 255, A: 255})
	writePNG(t, filepath.Join(dir, "outline.png"), outline)
	p := goodPackage()
	p.IconsDir = dir
	var buf bytes.Buffer
	if err := WritePackage(&buf, p); err != nil {
		t.Fatal(err)
	}
	got := unzip(t, buf.Bytes())
	mine, _ := os.ReadFile(filepath.Join(dir, "color.png"))
	if !bytes.Equal(got["color.png"], mine) {
		t.Error("the package does not carry the folder's color.png")
	}

	bad := []struct {
		file string
		img  image.Image
		raw  []byte
		want string
	}{
		{"color.png", filled(96, green), nil, "color.png: is 96×96; Teams requires 192×192"},
		{"outline.png", filled(32, green), nil, "outline.png: has a pixel at (0,0) that is neither white nor transparent"},
		{"outline.png", filled(48, color.NRGBA{}), nil, "outline.png: is 48×48; Teams requires 32×32"},
		{"color.png", nil, []byte("GIF89a not a png"), "color.png: is not a PNG image"},
	}
	for _, b := range bad {
		d := t.TempDir()
		writePNG(t, filepath.Join(d, "color.png"), filled(192, green))
		writePNG(t, filepath.Join(d, "outline.png"), outline)
		if b.raw != nil {
			if err := os.WriteFile(filepath.Join(d, b.file), b.raw, 0o644); err != nil {
				t.Fatal(err)
			}
		} else {
			writePNG(t, filepath.Join(d, b.file), b.img)
		}
		p.IconsDir = d
		if err := WritePackage(io.Discard, p); err == nil || !strings.Contains(err.Error(), b.want) || !strings.Contains(err.Error(), "--icons:") {
			t.Errorf("%s: %v, want %q", b.file, err, b.want)
		}
	}
}
