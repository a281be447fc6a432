package workflow

import (
	"regexp"
	"strings"
	"testing"
)

// The subject reference check's table: what a practitioner may type as the
// agency's case number, and what is refused because it identifies a person.
func TestSubjectRefShapes(t *testing.T) {
	cases := []struct {
		value string
		want  string // "" accepted, else the start of the refusal
	}{
		{"CS-123456", ""},
		{"MOSAIC 4471203", ""},
		{"CP/2026/0042", ""},
		{"EH 98231", ""},
		{"Case 12345", ""},
		{"1234567890", ""}, // ten digits that are not a valid NHS number
		{"2026/0042-A", ""},
		{"Jayden Smith", "This looks like a name."},
		{"baby", "This looks like a name."},
		{"Jayden Smith 12/03/2015", "This looks like it holds a date of birth."},
		{"JS 12-03-15", "This looks like it holds a date of birth."},
		{"12.3.2015", "This looks like it holds a date of birth."},
		{"born 2015-03-12", "This looks like it holds a date of birth."},
		{"J Smith 12 March 2015", "This looks like it holds a date of birth."},
		{"Smith 3rd Mar 15", "This looks like it holds a date of birth."},
		{"March 12, 2015 CS1", "This looks like it holds a date of birth."},
		{"jayden.smith1@example.org", "This looks like an email address."},
		{"AB 12 34 56 C", "This looks like a National Insurance number."},
		{"JT123456A", "This looks like a National Insurance number."},
		{"943 476 5919", "This looks like an NHS number."},
		{"9434765919", "This looks like an NHS number."},
		{"07700 900123", "This looks like a phone number."},
		{"+44 7700 900123", "This looks like a phone number."},
		{"CS1 BN1 2AB", "This looks like a postcode."},
		{"Jayden Smith 4471203", "This looks like it holds a name."},
	}
	for _, tc := range cases {
		got := SubjectRefRule{}.subjectRefProblem(tc.value)
		switch {
		case tc.want == "" && got != "":
			t.Errorf("%q refused: %s", tc.value, got)
		case tc.want != "" && !strings.HasPrefix(got, tc.want):
			t.Errorf("%q: got %q, want a refusal starting %q", tc.value, got, tc.want)
		}
	}
}

// A partnership's own pattern: what does not match is refused with its
// example; a pattern of ten digits lets its own case numbers through even
// when they happen to pass the NHS number's check digit.
func TestSubjectRefPattern(t *testing.T) {
	r := SubjectRefRule{Pattern: regexp.MustCompile(`^CS-[0-9]{6}$`), Example: "CS-123456"}
	if got := r.subjectRefProblem("CS-123456"); got != "" {
		t.Errorf("a matching case number refused: %s", got)
	}
	want := "This is not a case number of the shape the partnership uses, for example CS-123456"
	if got := r.subjectRefProblem("CS 123456"); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := r.subjectRefProblem("Jayden Smith"); !strings.HasPrefix(got, "This looks like a name.") {
		t.Errorf("a name is refused as a name first, got %q", got)
	}
	ten := SubjectRefRule{Pattern: regexp.MustCompile(`^[0-9]{10}$`)}
	if got := ten.subjectRefProblem("9434765919"); got != "" {
		t.Errorf("the partnership's own ten-digit numbers refused: %s", got)
	}

	env := newEnv(t)
	env.SubjectRef = r
	in := raiseInput()
	in.SubjectRef = "4471203"
	if errs := in.Validate(env, sw); errs[FieldSubjectRef] != want {
		t.Errorf("Validate = %q, want the pattern's refusal inline", errs)
	}
}
