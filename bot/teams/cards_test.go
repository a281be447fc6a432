package teams

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata (and the Teams app icons)")

// golden compares a card with testdata/name; -update rewrites it.
func golden(t *testing.T, name string, card *Card) {
	t.Helper()
	got, err := json.MarshalIndent(card, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGoldenCards -update)", err)
	}
	if string(want) != string(got) {
		t.Fatalf("%s differs from the golden file (run with -update if the change is meant):\n%s", name, got)
	}
}

// raisedCase is a case as the workflow raises it, for rendering forms.
func raisedCase(t *testing.T, env workflow.Env) *workflow.Dispute {
	t.Helper()
	in := workflow.RaiseInput{Ref: "ESC-2026-0001", SubjectType: workflow.SubjectChild, SubjectRef: "CSC-4471-XQ",
		Category: workflow.CatThresholds, RaiserAgency: "csc", ResponderAgency: "health", Responder: uid(aadResponder),
		Disagreement: "Declined the strategy discussion", OutcomeSought: "A strategy discussion", Evidence: "Bruises recorded", StartStage: 1}
	at := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	res, err := workflow.Apply(env, nil, nil, workflow.Command{Kind: workflow.CmdRaise, Actor: uid(aadRaiser), At: at, Raise: &in})
	if err != nil {
		t.Fatal(err)
	}
	return res.Dispute
}

// The cards Escalate draws, pinned: the raise form (emergency route first,
// people picker, immediate-risk band), the same form sent back with
// problems, the follow-up forms, a DM and a feed post.
func TestGoldenCards(t *testing.T) {
	env := testEnv(t)
	r := renderer{env: env}
	golden(t, "raise.json", r.form(workflow.RaiseForm(env), nil, formSource{}))

	vals := workflow.Values{workflow.FieldSubjectRef: {"Jane Smith"}, workflow.FieldResponder: {string(uid(aadResponder))}, workflow.FieldImmediateRisk: {"true"}}
	refused := r.form(withValues(workflow.RaiseForm(env), vals), map[string]string{"": "some answers need a look",
		workflow.FieldSubjectRef: "This looks like a name", "elsewhere": "A problem with no field of its own"}, formSource{})
	golden(t, "raise-problems.json", refused)

	d := raisedCase(t, env)
	for kind, name := range map[workflow.ActionKind]string{workflow.ActEscalate: "escalate.json", workflow.ActResolved: "propose.json", workflow.ActNote: "note.json"} {
		f, ok := workflow.ActionForm(env, d, kind)
		if !ok {
			t.Fatalf("no form for %s", kind)
		}
		golden(t, name, r.form(f, nil, formSource{Card: "1700000000001"}))
	}

	at := time.Date(2026, 3, 11, 10, 0, 0, 0, time.UTC)
	msg := workflow.Message{ID: "ESC-2026-0001/1/1", Kind: workflow.MsgRaised, Ref: "ESC-2026-0001", To: uid(aadResponder),
		Title: "A disagreement was raised with you: ESC-2026-0001", Lines: []string{"The disagreement: *not* a [link](http://x) <b>or</b> # heading"},
		Facts:   []workflow.Fact{{Label: "Stage", Value: "1"}, {Label: "Window closes", Value: "Wed 11 Mar, 10:00", Time: &at}},
		History: []workflow.HistoryEntry{{At: at.Add(-24 * time.Hour), Stage: 1, Actor: "Pat Practitioner", Summary: "Raised", Text: "Words"}},
		Actions: workflow.ActionsFor(env, d, uid(aadResponder))}
	golden(t, "dm.json", r.message(msg, modeDM))

	// The same message as a feed post loses its free text and buttons.
	msg.Feed, msg.To = true, ""
	feed := r.message(msg, modeDM)
	golden(t, "feed.json", feed)
	raw, _ := json.Marshal(feed)
	mustNotContain(t, "a feed card", string(raw), "The disagreement", "Words", "Action.Submit", "History")
}

// Every control a form draws comes back: the submit names the form, the
// case and the stage, and the answers are read by each field's type.
func TestFormValuesRoundTrip(t *testing.T) {
	env := testEnv(t)
	d := raisedCase(t, env)
	f, _ := workflow.ActionForm(env, d, workflow.ActEscalate)
	card := renderer{env: env}.form(f, nil, formSource{Card: "card-1"})
	raw, _ := json.Marshal(card)
	var m map[string]any
	json.Unmarshal(raw, &m)
	data := button(t, m, "submit")
	if data[dataForm] != "escalate" || data[dataRef] != d.Ref || data[dataStage] != "1" || data[dataCard] != "card-1" {
		t.Fatalf("submit data: %v", data)
	}
	// Teams merges the inputs in; the people picker answers AAD ids.
	data[workflow.FieldText] = "Tried twice"
	data[workflow.FieldRaiserHolders] = strings.ToUpper(aadLM1) + ", 29:AbC"
	data["unrelated"] = "ignored"
	v := values(f, data)
	if got := v[workflow.FieldRaiserHolders]; len(got) != 2 || got[0] != string(uid(aadLM1)) || got[1] != "teams:29:AbC" {
		t.Fatalf("people: %v", got)
	}
	if v.Get(workflow.FieldText) != "Tried twice" || v["unrelated"] != nil || v[dataForm] != nil {
		t.Fatalf("values: %v", v)
	}
	cmd, err := workflow.CommandFromForm(workflow.FormEscalate, 1, v)
	if err != nil || cmd.Kind != workflow.CmdEscalate || cmd.Holders == nil || len(cmd.Holders.Raiser) != 2 {
		t.Fatalf("command: %+v %v", cmd, err)
	}
}
