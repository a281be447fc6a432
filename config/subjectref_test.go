package config

import (
	"strings"
	"testing"
)

// subject_ref_pattern: a broken pattern, a missing or non-matching example
// are each named by their key and line; a good one reaches the workflow.
func TestSubjectRefPatternConfig(t *testing.T) {
	broken := []struct{ yaml, want string }{
		{"subject_ref_pattern: \"CS-([0-9]\"\nsubject_ref_example: CS-1\n", "subject_ref_pattern: is not a regular expression"},
		{"subject_ref_pattern: \"CS-[0-9]{6}\"\n", "subject_ref_example: is required with subject_ref_pattern"},
		{"subject_ref_pattern: \"CS-[0-9]{6}\"\nsubject_ref_example: CS-12\n", `subject_ref_example: "CS-12" does not match subject_ref_pattern (line 2)`},
		{"subject_ref_example: CS-123456\n", "subject_ref_example: is set without subject_ref_pattern"},
	}
	for _, tc := range broken {
		_, err := Parse([]byte(tc.yaml), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}

	c, err := Parse([]byte("subject_ref_pattern: \"CS-[0-9]{6}\"\nsubject_ref_example: CS-123456\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	env, _, err := c.WorkflowEnv()
	if err != nil {
		t.Fatal(err)
	}
	// Anchored: a case number must match whole, not merely contain a match.
	if r := env.SubjectRef; r.Pattern == nil || !r.Pattern.MatchString("CS-123456") || r.Pattern.MatchString("XCS-1234567") || r.Example != "CS-123456" {
		t.Errorf("the workflow's rule is %+v", r)
	}
}
