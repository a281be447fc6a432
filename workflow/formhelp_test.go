package workflow

import (
	"slices"
	"strings"
	"testing"
)

// The error summary follows the form, top to bottom, whatever the map's
// order: the form as a whole, then each field where it is asked.
func TestProblemsFollowTheForm(t *testing.T) {
	env := newEnv(t)
	f := RaiseForm(env)
	errs := RaiseInput{}.Validate(env, sw)
	errs[""] = "Some answers need a look"
	errs["not_on_the_form"] = "A problem of no field"
	var got []string
	for _, p := range f.Problems(errs) {
		got = append(got, p.Field)
	}
	want := []string{"", FieldSubjectRef, FieldCategory, FieldResponderAgency, FieldResponder, FieldDisagreement, FieldOutcomeSought, FieldEvidence, "not_on_the_form"}
	if !slices.Equal(got, want) {
		t.Errorf("summary order %q, want %q", got, want)
	}
}

// A raise from a form that never asked who it is about (one possible
// answer) is about a child, and raised.
func TestASingleAnswerIsGivenForThePerson(t *testing.T) {
	env := newEnv(t)
	in := raiseInput()
	in.SubjectType = ""
	if errs := in.Validate(env, sw); len(errs) != 0 {
		t.Fatalf("problems %v", errs)
	}
	c := newCase(t, env)
	res := c.do(raiseCmd(in, t0))
	if res.Dispute.SubjectType != SubjectChild {
		t.Errorf("subject %q", res.Dispute.SubjectType)
	}
}

func TestRoomWords(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{RoomHint(3000), "Up to 3,000 characters."},
		{RoomLeft(strings.Repeat("é", 588), 3000), "2,412 characters left"},
		{RoomLeft(strings.Repeat("x", 3214), 3000), "214 characters too many"},
		{RoomLeft("ab", 3), "1 character left"},
		{Thousands(1234567), "1,234,567"},
		{Thousands(999), "999"},
	} {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
}

// Whom one may disagree with: not oneself, the chair or the business team.
func TestDisagreeWithLeavesOutOneselfTheChairAndTheBusinessTeam(t *testing.T) {
	env := newEnv(t)
	dir := env.Directory
	people := append(slices.Clone(dir.People), Person{ID: bt, Name: "Business team"}, Person{ID: chair, Name: "Chair"})
	for _, p := range DisagreeWith(dir, sw, people) {
		if p.ID == sw || p.ID == chair || p.ID == bt || dir.InBusinessTeam(p.ID) || dir.IsChair(p.ID) {
			t.Errorf("offered %s", p.ID)
		}
	}
	if !slices.ContainsFunc(DisagreeWith(dir, sw, people), func(p Person) bool { return p.ID == hv }) {
		t.Error("the other practitioner is not offered")
	}
}
