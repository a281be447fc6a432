package workflow

import (
	"slices"
	"testing"
)

// The escalation form offers the next stage's holders who are on email
// only beside the platform's picker (which cannot list them), chosen to
// begin with; the command holds whom the person kept, from both.
func TestEscalateFormOffersHoldersOnEmail(t *testing.T) {
	env := newEnv(t)
	mail := UserID("email:manager@nhs.example")
	env.Directory.People = append(env.Directory.People, Person{ID: mail, Name: "Mo Mailer", Agency: agNHS, Role: RoleLineManager})
	c := raised(t)
	f, ok := ActionForm(env, c.d, ActEscalate)
	if !ok {
		t.Fatal("no escalate form")
	}
	var picker, byEmail *FormField
	for i := range f.Fields {
		switch f.Fields[i].Name {
		case FieldResponderHolders:
			picker = &f.Fields[i]
		case FieldResponderHoldersEmail:
			byEmail = &f.Fields[i]
		case FieldRaiserHoldersEmail:
			t.Errorf("the raiser's side has nobody on email, yet the form asks: %+v", f.Fields[i])
		}
	}
	if picker == nil || byEmail == nil {
		t.Fatalf("fields: %+v", f.Fields)
	}
	if slices.Contains(picker.Values, string(mail)) || !slices.Equal(picker.Values, []string{string(lmB)}) {
		t.Errorf("the picker holds %v", picker.Values)
	}
	if byEmail.Type != FieldMulti || len(byEmail.Options) != 1 || byEmail.Options[0].Value != string(mail) ||
		byEmail.Options[0].Label != "Mo Mailer (by email)" || !slices.Equal(byEmail.Values, []string{string(mail)}) {
		t.Errorf("the email choice: %+v", byEmail)
	}
	cmd, err := FormCommand(FormEscalate, 1, c.d.Version, Values{FieldText: {"Not agreed"},
		FieldRaiserHolders: {string(lmA)}, FieldResponderHolders: {string(lmB)}, FieldResponderHoldersEmail: {string(mail)}})
	if err != nil {
		t.Fatal(err)
	}
	if cmd.Holders == nil || !slices.Equal(cmd.Holders.Responder, []UserID{lmB, mail}) || !slices.Equal(cmd.Holders.Raiser, []UserID{lmA}) {
		t.Errorf("holders: %+v", cmd.Holders)
	}
	// Someone on email alone may be chosen on their side.
	cmd, _ = FormCommand(FormEscalate, 1, c.d.Version, Values{FieldText: {"Not agreed"}, FieldResponderHoldersEmail: {string(mail)}})
	if cmd.Holders == nil || !slices.Equal(cmd.Holders.Responder, []UserID{mail}) {
		t.Errorf("holders, email only: %+v", cmd.Holders)
	}
}
