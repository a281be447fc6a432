package record

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

//go:embed templates/record.html
var htmlFS embed.FS

// recordHTML is parsed once per call: the template is small and a record
// is written rarely, and a package-level template would be shared state.
func recordHTML() (*template.Template, error) {
	return template.New("record.html").Funcs(template.FuncMap{
		"time":      FormatTime,
		"iso":       func(t time.Time) string { return t.Format(time.RFC3339) },
		"join":      func(s []string) string { return strings.Join(s, ", ") },
		"yesNotYet": yesNotYet,
		"removed":   func() string { return removed },
	}).ParseFS(htmlFS, "templates/record.html")
}

// htmlRecord is what the template reads: the record and the little it
// cannot work out for itself.
type htmlRecord struct {
	Record
	Mark      string
	Withdrawn bool
}

// HTML writes the record as one accessible HTML page: its language set,
// headings in order, every field a labelled term, times machine-readable.
// It is the PDF's twin for people who read with a screen reader,
// magnification or their own colours, which a PDF of positioned text
// serves badly; the words are the same as in every other format.
func HTML(w io.Writer, rec Record) error {
	t, err := recordHTML()
	if err != nil {
		return fmt.Errorf("the record's HTML template: %w", err)
	}
	var b bytes.Buffer
	data := htmlRecord{Record: rec, Mark: PracticeMark, Withdrawn: rec.State == StateLabel(workflow.StateWithdrawn)}
	if err := t.Execute(&b, data); err != nil {
		return fmt.Errorf("write the record of %s as HTML: %w", rec.Ref, err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write the record of %s as HTML: %w", rec.Ref, err)
	}
	return nil
}
