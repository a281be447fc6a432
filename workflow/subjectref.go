package workflow

import (
	"regexp"
	"strings"
)

// SubjectRefRule is a partnership's own shape for the agency case numbers
// it expects (subject_ref_pattern in the configuration): a case number that
// does not match is refused with Example in the message, so a practitioner
// sees at once what is wanted. The zero rule accepts any shape that passes
// the identifying-shape checks below.
type SubjectRefRule struct {
	Pattern *regexp.Regexp
	// Example is how a valid case number looks, shown in the refusal.
	Example string
}

// The shapes that identify a person rather than a case. A subject
// reference is typed into a chat form and stored beside the disagreement,
// so it is where a name, a date of birth or a national identifier slips in
// most easily; each is refused with a message that says what was seen.
var (
	// 12/03/2015, 12-03-15, 12.3.2015, 2015-03-12
	numericDate = regexp.MustCompile(`(^|[^0-9])([0-3]?[0-9][/.\-][01]?[0-9][/.\-]([12][0-9])?[0-9]{2}|[12][0-9]{3}-[01][0-9]-[0-3][0-9])([^0-9]|$)`)
	// 12 March 2015, 3rd Mar 15, March 12 2015
	wordDate = regexp.MustCompile(`(?i)\b([0-3]?[0-9](st|nd|rd|th)?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+[0-9]{2,4}|(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+[0-3]?[0-9](st|nd|rd|th)?,?\s+[0-9]{4})\b`)
	email    = regexp.MustCompile(`[^\s@]+@[^\s@]+\.[a-zA-Z]{2,}`)
	// AB 12 34 56 C (National Insurance number)
	niNumber = regexp.MustCompile(`(?i)\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s?[0-9]{2}\s?[0-9]{2}\s?[0-9]{2}\s?[A-D]\b`)
	// BN1 2AB, SW1A 1AA (a home address narrows a child down to a household)
	postcode = regexp.MustCompile(`(?i)\b[A-Z]{1,2}[0-9][A-Z0-9]?\s+[0-9][A-Z]{2}\b`)
	// 07700 900123, +44 7700 900123, 01632 960001
	phone = regexp.MustCompile(`(\+44\s?|\b0)[1-9][0-9](\s?[0-9]){8,9}\b`)
	// two or more words that start with a capital letter: "Jayden Smith"
	capitalisedWords = regexp.MustCompile(`\b[A-Z][a-z'’\-]+\b`)
	nhsRun           = regexp.MustCompile(`\b[0-9]{3}\s?[0-9]{3}\s?[0-9]{4}\b`)
)

// subjectRefProblem says why s cannot be a subject reference, or "".
func (r SubjectRefRule) subjectRefProblem(s string) string {
	const never = ". Use the agency's case number: names, dates of birth and other personal details never go in Escalate"
	switch {
	case !strings.ContainsAny(s, "0123456789"):
		return "This looks like a name. Use the agency's case number: names never go in Escalate"
	case numericDate.MatchString(s) || wordDate.MatchString(s):
		return "This looks like it holds a date of birth" + never
	case email.MatchString(s):
		return "This looks like an email address" + never
	case niNumber.MatchString(s):
		return "This looks like a National Insurance number" + never
	case r.Pattern == nil && looksLikeNHSNumber(s):
		// A partnership whose own case numbers are ten digits says so with
		// its pattern; otherwise a valid NHS number is taken for what it is.
		return "This looks like an NHS number" + never
	case phone.MatchString(s):
		return "This looks like a phone number" + never
	case postcode.MatchString(s):
		return "This looks like a postcode" + never
	case len(capitalisedWords.FindAllString(s, 3)) >= 2:
		return "This looks like it holds a name" + never
	}
	if r.Pattern != nil && !r.Pattern.MatchString(s) {
		if r.Example != "" {
			return "This is not a case number of the shape the partnership uses, for example " + r.Example
		}
		return "This is not a case number of the shape the partnership uses"
	}
	return ""
}

// looksLikeNHSNumber reports a ten-digit run (spaced 3-3-4 or not) whose
// last digit is the NHS number's modulus-11 check digit.
func looksLikeNHSNumber(s string) bool {
	for _, m := range nhsRun.FindAllString(s, -1) {
		d := strings.ReplaceAll(m, " ", "")
		sum := 0
		for i := 0; i < 9; i++ {
			sum += int(d[i]-'0') * (10 - i)
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check != 10 && check == int(d[9]-'0') {
			return true
		}
	}
	return false
}
