package teams

import (
	"archive/zip"
	"bytes"
	"embed"
	"fmt"
	"io"
	"regexp"
)

// appFiles is the Teams app package: the manifest (with the bot's id left
// as a placeholder) and the two icons Teams requires.
//
//go:embed app/manifest.json app/color.png app/outline.png
var appFiles embed.FS

// appIDPattern is a Microsoft App ID: a GUID.
var appIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// WritePackage writes the app package Teams admins upload: a zip of
// manifest.json (with the bot's Microsoft App ID in place) and the icons,
// at the top level of the archive as Teams requires.
func WritePackage(w io.Writer, appID string) error {
	if !appIDPattern.MatchString(appID) {
		return fmt.Errorf("TEAMS_APP_ID: %q is not a Microsoft App ID (a GUID such as 11111111-2222-3333-4444-555555555555)", appID)
	}
	manifest, err := appFiles.ReadFile("app/manifest.json")
	if err != nil {
		return fmt.Errorf("teams package: %w", err)
	}
	manifest = bytes.ReplaceAll(manifest, []byte("${{TEAMS_APP_ID}}"), []byte(appID))
	z := zip.NewWriter(w)
	files := []struct {
		name string
		data []byte
	}{{"manifest.json", manifest}}
	for _, icon := range []string{"color.png", "outline.png"} {
		b, err := appFiles.ReadFile("app/" + icon)
		if err != nil {
			return fmt.Errorf("teams package: %w", err)
		}
		files = append(files, struct {
			name string
			data []byte
		}{icon, b})
	}
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
