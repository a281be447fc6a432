package teams

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

func TestWritePackage(t *testing.T) {
	const id = "11111111-2222-3333-4444-555555555555"
	var buf bytes.Buffer
	if err := WritePackage(&buf, id); err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
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
	if len(got) != 3 || got["color.png"] == nil || got["outline.png"] == nil {
		t.Fatalf("the package holds manifest.json and two icons at its top level: %v", len(got))
	}
	var m struct {
		ManifestVersion string `json:"manifestVersion"`
		ID              string `json:"id"`
		Bots            []struct {
			BotID        string `json:"botId"`
			CommandLists []struct {
				Commands []struct{ Title string } `json:"commands"`
			} `json:"commandLists"`
		} `json:"bots"`
	}
	if err := json.Unmarshal(got["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	if m.ID != id || len(m.Bots) != 1 || m.Bots[0].BotID != id || m.ManifestVersion != "1.22" {
		t.Fatalf("manifest: %+v", m)
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
	if bytes.Contains(got["manifest.json"], []byte("${{")) {
		t.Error("a placeholder is left in the manifest")
	}
	if err := WritePackage(io.Discard, "not-a-guid"); err == nil || !strings.Contains(err.Error(), "TEAMS_APP_ID") {
		t.Errorf("a bad app id: %v", err)
	}
}
