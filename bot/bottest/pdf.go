package bottest

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/ledongthuc/pdf"
)

// PDFText reads a PDF's text back with the whitespace removed (line
// wrapping moves it), for tests that look for words in a written record.
func PDFText(t testing.TB, b []byte) string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("the PDF does not parse: %v", err)
	}
	txt, err := r.GetPlainText()
	if err != nil {
		t.Fatalf("read the PDF's text: %v", err)
	}
	all, err := io.ReadAll(txt)
	if err != nil {
		t.Fatal(err)
	}
	return Squash(string(all))
}

// Squash removes all whitespace, to compare words with PDFText's.
func Squash(s string) string { return strings.Join(strings.Fields(s), "") }
