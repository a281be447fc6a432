package bottest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The browser tests (build tag "browser": go test -tags browser ./...) drive
// headless Chromium, and the web page's run axe-core in it. They are not
// part of plain go test, which needs nothing but Go; when they are asked
// for, a missing browser or axe-core fails them, never skips them. .ci/run
// installs both and runs them.

// Chromium is the path of Debian's Chromium (or another Chrome).
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the browser tests need Chromium: apt-get install chromium (.ci/run installs it)")
	return ""
}

// AxeSource is axe-core's script: ESCALATE_AXE names it, else the cache
// .ci/run installs it in (npm install --prefix ~/.cache/escalate-ci axe-core).
func AxeSource(t testing.TB) string {
	t.Helper()
	path := os.Getenv("ESCALATE_AXE")
	if path == "" {
		home, _ := os.UserHomeDir()
		path = filepath.Join(home, ".cache", "escalate-ci", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the accessibility test needs axe-core at %s: npm install --prefix ~/.cache/escalate-ci axe-core (.ci/run installs it)", path)
	}
	return string(b)
}
