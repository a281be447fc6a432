package htmlui

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/escalate-app/escalate/workflow"
)

// renderForm renders the shared form with these errors.
func renderForm(t *testing.T, f workflow.Form, errs map[string]string) string {
	t.Helper()
	csrf, err := NewCSRF("/", RandomKey(), false)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	body := FormBody{Form: f, Action: "/form", Errors: errs, People: []workflow.Person{{ID: "console:a", Name: "A"}, {ID: "console:b", Name: "B"}}}
	csrf.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		surface(t, "").Render(w, r, http.StatusOK, "page.html", map[string]any{"Form": body, "Case": CaseBody{Dispute: &workflow.Dispute{}}})
	})).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	return rec.Body.String()
}

// everyType is a form with one field of each type, each with a hint, in
// an order that is not alphabetical.
var everyType = workflow.Form{Title: "Every field", Submit: "Send", Fields: []workflow.FormField{
	{Name: "zeta", Label: "One line", Type: workflow.FieldLine, Hint: "A line"},
	{Name: "yarn", Label: "Lines", Type: workflow.FieldArea, Hint: "Some lines"},
	{Name: "xray", Label: "Choose", Type: workflow.FieldSelect, Hint: "One of", Options: []workflow.Option{{Value: "a", Label: "A"}}},
	{Name: "walk", Label: "Who", Type: workflow.FieldUser, Hint: "A person"},
	{Name: "vine", Label: "Whom", Type: workflow.FieldUsers, Hint: "People"},
	{Name: "ulna", Label: "Which", Type: workflow.FieldMulti, Hint: "Several", Options: []workflow.Option{{Value: "a", Label: "A"}, {Value: "b", Label: "B"}}},
	{Name: "tusk", Label: "Yes?", Type: workflow.FieldCheckbox, Hint: "Tick"},
	{Name: "sage", Label: "When", Type: workflow.FieldDate, Hint: "A day"},
}}

var (
	describedRE = regexp.MustCompile(`aria-describedby="([^"]*)"`)
	idRE        = regexp.MustCompile(` id="([^"]+)"`)
)

// Every field's hint is tied to its control, and an invalid field's
// error too, beside the hint; the control says it is invalid; every id
// aria-describedby names is on the page.
func TestFormErrorsAreTiedToTheirFields(t *testing.T) {
	errs := map[string]string{}
	for _, f := range everyType.Fields {
		errs[f.Name] = "Fix " + f.Label
	}
	errs["elsewhere"] = "Something about no one field"
	page := renderForm(t, everyType, errs)
	ids := map[string]bool{}
	for _, m := range idRE.FindAllStringSubmatch(page, -1) {
		if ids[m[1]] {
			t.Errorf("id %q is on the page twice", m[1])
		}
		ids[m[1]] = true
	}
	for _, m := range describedRE.FindAllStringSubmatch(page, -1) {
		for _, id := range strings.Fields(m[1]) {
			if !ids[id] {
				t.Errorf("aria-describedby names %q, which is not on the page", id)
			}
		}
	}
	for _, f := range everyType.Fields {
		id := FieldID(f.Name)
		want := `aria-describedby="` + id + `-hint ` + id + `-error"`
		if !strings.Contains(page, want) {
			t.Errorf("%s (%s): no %s", f.Name, f.Type, want)
		}
		if !strings.Contains(page, `id="`+id+`-error">Fix `+f.Label+`</span>`) {
			t.Errorf("%s: the error is not on the page with its id", f.Name)
		}
	}
	// Each single control is marked invalid; a group's boxes each are.
	if n := strings.Count(page, `aria-invalid="true"`); n != 6+2+2 {
		t.Errorf("%d controls marked invalid, want 10 (6 single, 2+2 in groups)", n)
	}
	// The summary takes focus without a script, and lists the errors in
	// the form's order, then the one about no field.
	if !strings.Contains(page, `id="form-errors" tabindex="-1" autofocus`) {
		t.Error("the error summary does not take focus")
	}
	summary := page[strings.Index(page, `id="form-errors"`):strings.Index(page, "<form ")]
	var got []string
	for _, m := range regexp.MustCompile(`<li>(?:<a href="#([^"]+)">)?([^<]+)`).FindAllStringSubmatch(summary, -1) {
		got = append(got, m[1]+"="+m[2])
	}
	var want []string
	for _, f := range everyType.Fields {
		want = append(want, FieldID(f.Name)+"=Fix "+f.Label)
	}
	want = append(want, "=Something about no one field")
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("summary:\n got %v\nwant %v", got, want)
	}

	// Without errors: hints still tied, nothing invalid, no summary.
	clean := renderForm(t, everyType, nil)
	if strings.Contains(clean, "aria-invalid") || strings.Contains(clean, "form-errors") || strings.Contains(clean, "-error") {
		t.Error("a form without errors shows some")
	}
	if n := len(describedRE.FindAllString(clean, -1)); n != len(everyType.Fields) {
		t.Errorf("%d controls describe their hints, want %d", n, len(everyType.Fields))
	}
}

// A page opened with what the last step did says it first in its title.
func TestOutcomeTitle(t *testing.T) {
	for flash, want := range map[string]string{
		"": "Messages",
		"Raised as ESC-2026-0042. Sam has been told.": "Raised as ESC-2026-0042 · Messages",
		"Resolution confirmed. The case is closed.":   "Resolution confirmed · Messages",
		"Done.": "Done · Messages",
	} {
		if got := OutcomeTitle(flash, "Messages"); got != want {
			t.Errorf("%q: %q, want %q", flash, got, want)
		}
	}
}
