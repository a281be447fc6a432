package workflow

import (
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Problem is one answer that needs a look, for a form's error summary.
type Problem struct {
	Field   string // "" for the form as a whole
	Message string
}

// Problems are a form's problems in the order a person meets them: the
// form as a whole first, then each field in the form's own order, then any
// problem of a field the form does not show (alphabetically, so the order
// is stable). A summary that followed the map's keys would send a person up
// and down the page.
func (f Form) Problems(errs map[string]string) []Problem {
	var out []Problem
	if m := errs[""]; m != "" {
		out = append(out, Problem{Message: m})
	}
	shown := map[string]bool{"": true}
	for _, fd := range f.Fields {
		shown[fd.Name] = true
		if m := errs[fd.Name]; m != "" {
			out = append(out, Problem{Field: fd.Name, Message: m})
		}
	}
	var rest []string
	for k, m := range errs {
		if !shown[k] && m != "" {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, Problem{Field: k, Message: errs[k]})
	}
	return out
}

// Thousands writes n as people do: 3,000.
func Thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// RoomHint says how much a long field takes: "Up to 3,000 characters."
// Every surface shows it beside the box, so nobody finds out by having
// their words cut.
func RoomHint(max int) string {
	return "Up to " + Thousands(max) + " characters."
}

// RoomLeft is what a box with s in it has left: "2,412 characters left" or
// "214 characters too many".
func RoomLeft(s string, max int) string {
	n := max - utf8.RuneCountInString(s)
	switch {
	case n < 0:
		return fmt.Sprintf("%s characters too many", Thousands(-n))
	case n == 1:
		return "1 character left"
	}
	return Thousands(n) + " characters left"
}

// tooLong is the problem of words over max characters, saying by how much.
func tooLong(s string, max int) string {
	n := utf8.RuneCountInString(s)
	return fmt.Sprintf("%s characters at most: this has %s, so shorten it by %s", Thousands(max), Thousands(n), Thousands(n-max))
}

// DisagreeWith is whom a person may name as the practitioner they disagree
// with, or as sharing their concern: everyone listed but themselves, the
// chair and the business team, who hold no side of a disagreement.
func DisagreeWith(dir *Directory, me UserID, people []Person) []Person {
	var out []Person
	for _, p := range people {
		if p.ID == me || p.ID == SystemActor || dir.InBusinessTeam(p.ID) || dir.IsChair(p.ID) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// PartyFields are the raise form's questions that name a practitioner on
// a side of the disagreement (DisagreeWith's people).
var PartyFields = map[string]bool{FieldResponder: true, FieldCoRaisers: true, FieldResponderListed: true}

// answerSingle takes out of the form each required choice with exactly one
// possible answer: it is answered for the person (RaiseInput.settle) and
// said in the form's intro instead of being asked.
func (f *Form) answerSingle() {
	var keep []FormField
	for _, fd := range f.Fields {
		if fd.Required && fd.Type == FieldSelect && len(fd.Options) == 1 {
			f.Intro = append(f.Intro, fd.Label+" "+upperFirst(fd.Options[0].Label)+".")
			continue
		}
		keep = append(keep, fd)
	}
	f.Fields = keep
}
