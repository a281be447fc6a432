package htmlui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// surface is a surface with one page that renders the shared templates.
func surface(t *testing.T, base string) *Renderer {
	t.Helper()
	pages := fstest.MapFS{"p/page.html": {Data: []byte(`{{define "page.html"}}{{template "case" .Case}}{{template "form" .Form}}{{template "cases" .List}}{{end}}`)}}
	r, err := New(Surface{Templates: pages, Pattern: "p/*.html", Base: base, Location: time.UTC,
		Name: func(u workflow.UserID) string { return string(u) }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The console ("") and the web page ("/web") render the neutral model
// with the same markup; only their paths differ.
func TestOneRenderingForEverySurface(t *testing.T) {
	d := &workflow.Dispute{Ref: "ESC-2026-0042"}
	data := map[string]any{
		"Case": CaseBody{Dispute: d, Facts: []workflow.Fact{{Label: "Stage", Value: "Stage 1"}},
			Actions: []workflow.Action{{Kind: workflow.ActNote, Label: "Add note", Ref: d.Ref, Stage: 1, Version: 3}}},
		"Form": FormBody{Form: workflow.Form{Title: "Add a note", Submit: "Add", Fields: []workflow.FormField{{Name: "text", Label: "Note", Type: workflow.FieldArea}}}, Action: "/form"},
		"List": CaseList{Heading: "Your open cases (1)", Cases: []CaseRow{{Ref: d.Ref, Stage: "Stage 1"}}},
	}
	render := func(base string) string {
		csrf, err := NewCSRF(base+"/", RandomKey(), false)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		csrf.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			surface(t, base).Render(w, r, http.StatusOK, "page.html", data)
		})).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		return rec.Body.String()
	}
	console, web := render(""), render("/web")
	if !strings.Contains(web, `action="/web/act"`) || !strings.Contains(web, `href="/web/case/ESC-2026-0042"`) || !strings.Contains(console, `action="/act"`) {
		t.Fatalf("paths:\n%s", web)
	}
	norm := func(s string) string {
		s = csrfRE.ReplaceAllString(s, "")
		s = nonceRE.ReplaceAllString(s, "")
		return strings.ReplaceAll(s, `"/web/`, `"/`)
	}
	if norm(console) != norm(web) {
		t.Errorf("the surfaces render differently:\n%s\n---\n%s", console, web)
	}
	if strings.Count(web, `name="csrf"`) != 2 {
		t.Errorf("every form carries the token: %d", strings.Count(web, `name="csrf"`))
	}
}

var (
	csrfRE  = regexp.MustCompile(`name="csrf" value="[^"]*"`)
	nonceRE = regexp.MustCompile(`name="nonce" value="[^"]*"`)
)

// A POST without this browser's token, or from another site, is refused
// and never reaches the handler.
func TestCSRFRefusesForgedPosts(t *testing.T) {
	csrf, err := NewCSRF("/web/", RandomKey(), true)
	if err != nil {
		t.Fatal(err)
	}
	reached := 0
	h := csrf.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++ }))
	get := httptest.NewRecorder()
	var token string
	csrf.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { token = TokenFrom(r) })).ServeHTTP(get, httptest.NewRequest(http.MethodGet, "/web/", nil))
	cookie := get.Result().Cookies()[0]
	if !cookie.Secure || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Errorf("csrf cookie: %+v", cookie)
	}
	post := func(form url.Values, withCookie bool, site string) int {
		r := httptest.NewRequest(http.MethodPost, "/web/act", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if withCookie {
			r.AddCookie(cookie)
		}
		if site != "" {
			r.Header.Set("Sec-Fetch-Site", site)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for name, code := range map[string]int{
		"no token":    post(url.Values{}, true, "same-origin"),
		"no cookie":   post(url.Values{FormField: {token}}, false, "same-origin"),
		"wrong token": post(url.Values{FormField: {token + "x"}}, true, "same-origin"),
		"from a site": post(url.Values{FormField: {token}}, true, "cross-site"),
	} {
		if code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, code)
		}
	}
	if reached != 0 {
		t.Fatalf("a refused POST reached the handler %d times", reached)
	}
	if code := post(url.Values{FormField: {token}}, true, "same-origin"); code != http.StatusOK || reached != 1 {
		t.Errorf("a good POST: %d, reached %d", code, reached)
	}
}
