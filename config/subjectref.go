package config

import (
	"regexp"
	"strings"

	"github.com/escalate-app/escalate/workflow"
)

// resolveSubjectRef reads subject_ref_pattern: the shape of the case
// numbers the partnership's agencies use. The pattern is anchored (a case
// number must match it whole), and its example must fit it, so the inline
// error a practitioner sees never shows an example that would be refused.
func resolveSubjectRef(fc *fileConfig, probs *problems) workflow.SubjectRefRule {
	pattern := strings.TrimSpace(fc.SubjectRefPattern)
	example := strings.TrimSpace(fc.SubjectRefExample)
	if pattern == "" {
		if example != "" {
			probs.add("subject_ref_example", "is set without subject_ref_pattern; give the pattern it is an example of")
		}
		return workflow.SubjectRefRule{}
	}
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		probs.add("subject_ref_pattern", "is not a regular expression: %v", err)
		return workflow.SubjectRefRule{}
	}
	if example == "" {
		probs.add("subject_ref_example", "is required with subject_ref_pattern: the form shows it when a case number does not fit (e.g. CS-123456)")
	} else if !re.MatchString(example) {
		probs.add("subject_ref_example", "%q does not match subject_ref_pattern", example)
	}
	return workflow.SubjectRefRule{Pattern: re, Example: example}
}
