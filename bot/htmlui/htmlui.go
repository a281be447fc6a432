// Package htmlui is the one HTML rendering of Escalate's neutral model —
// messages, forms, cases — shared by the practice console and the web page
// for people reached by email, with the protection every browser form needs
// (a CSRF token and an Origin check on every POST).
//
// Guarantee: a page of either surface renders a workflow.Message,
// workflow.Form or case the same way, and no state-changing request is
// served unless it carries this browser's CSRF token and did not come from
// another site. Steps serves what a person does to a case (a button, its
// follow-up form, the submission) through the engine for both surfaces, and
// CaseFor and ListOf build the case page and the list of open cases, so
// neither surface has logic of its own: the console adds its practice
// people and clock, the web page its links and sessions. Trade-off: each page is rendered from a fresh clone of the
// templates (so the request's token can be a template function); at these
// volumes that costs microseconds. Keys: none (no state outside the
// browser's own cookie).
package htmlui

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

//go:embed templates/*.html
var sharedFS embed.FS

// Renderer renders one surface's pages: the shared templates plus the
// surface's own (its layout "top" and "bottom", and its pages).
type Renderer struct {
	master *template.Template
	log    *slog.Logger
}

// Surface is what a surface brings to the renderer.
type Surface struct {
	// Templates and Pattern are the surface's own templates.
	Templates fs.FS
	Pattern   string
	// Base starts every link and form action ("" for the console,
	// "/web" for the web page).
	Base string
	// Location shows times in the partnership's zone.
	Location *time.Location
	// Name shows a person by name.
	Name func(workflow.UserID) string
	// Funcs are the surface's own template functions.
	Funcs template.FuncMap
}

// New parses the shared templates and the surface's.
func New(s Surface, log *slog.Logger) (*Renderer, error) {
	if log == nil {
		log = slog.Default()
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	funcs := template.FuncMap{
		"when":    func(t time.Time) string { return workflow.FormatTime(t, loc) },
		"name":    s.Name,
		"lines":   func(s string) []string { return strings.Split(s, "\n") },
		"fieldID": FieldID,
		"describedBy": func(name, hint, err string) string {
			var ids []string
			if hint != "" {
				ids = append(ids, FieldID(name)+"-hint")
			}
			if err != "" {
				ids = append(ids, FieldID(name)+"-error")
			}
			return strings.Join(ids, " ")
		},
		"notes":     func(id, hint, err string) fieldNotes { return fieldNotes{ID: id, Hint: hint, Error: err} },
		"now_nonce": Nonce,
		"path":      func(p string) string { return s.Base + p },
		"has": func(vals []string, v string) bool {
			for _, x := range vals {
				if x == v {
					return true
				}
			}
			return false
		},
		// Replaced per request by Render.
		"csrfField": func() template.HTML { return "" },
		"csrfToken": func() string { return "" },
	}
	for k, v := range s.Funcs {
		funcs[k] = v
	}
	t, err := template.New("").Funcs(funcs).ParseFS(sharedFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("shared templates: %w", err)
	}
	if s.Templates != nil {
		if t, err = t.ParseFS(s.Templates, s.Pattern); err != nil {
			return nil, fmt.Errorf("surface templates: %w", err)
		}
	}
	return &Renderer{master: t, log: log}, nil
}

// OutcomeTitle is a page's title when it opens with what the last step
// did (a flash): the outcome's first sentence comes first, so a screen
// reader, a browser tab or a history list says "Raised as ESC-2026-0042"
// or "Resolution confirmed" before the page's own name.
func OutcomeTitle(flash, title string) string {
	flash = strings.TrimSpace(flash)
	if flash == "" {
		return title
	}
	if i := strings.Index(flash, ". "); i > 0 {
		flash = flash[:i]
	}
	return strings.TrimSuffix(flash, ".") + " · " + title
}

// ErrorTitle is the title of a form page sent back with errors: the
// title says so first, as the summary that takes focus does.
func ErrorTitle(title string) string { return "Some answers need a look · " + title }

// FieldID is the id of a form field's control (or its fieldset): the
// error summary's links point at it.
func FieldID(name string) string { return "f-" + name }

// fieldNotes are what the "field-notes" template shows under a label.
type fieldNotes struct{ ID, Hint, Error string }

// Render writes a page with the request's CSRF token in its forms.
func (r *Renderer) Render(w http.ResponseWriter, req *http.Request, code int, name string, data any) {
	tok := TokenFrom(req)
	t, err := r.master.Clone()
	if err == nil {
		t.Funcs(template.FuncMap{
			"csrfField": func() template.HTML {
				return template.HTML(`<input type="hidden" name="` + FormField + `" value="` + template.HTMLEscapeString(tok) + `">`)
			},
			"csrfToken": func() string { return tok },
		})
	}
	SecurityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err != nil {
		r.log.Error("page templates", "page", name, "err", err)
		return
	}
	if err := t.ExecuteTemplate(w, name, data); err != nil {
		r.log.Error("page", "page", name, "err", err)
	}
}

// SecurityHeaders are sent with every page: not cached (pages carry case
// details), not framed, no scripts (the pages need none).
func SecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
}
