package teams

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/escalate-app/escalate/workflow"
)

// aadOutsider is a person of the tenant who is part of no case.
const aadOutsider = "aaaa0099-0000-4000-8000-000000000099"

// outsiderSees sends, as the outsider, every typed command, button and
// follow-up form about ref that Teams can carry, and returns every card
// Escalate sent anyone in answer (operation, conversation, card).
func (h *harness) outsiderSees(ref string) []string {
	h.t.Helper()
	before := len(h.conn.all())
	for _, text := range []string{"show " + ref, "show " + strings.ToLower(ref), "record " + ref} {
		h.send(h.activity(aadOutsider, "<at>Escalate</at> "+text, nil, ""))
	}
	kinds := []workflow.ActionKind{workflow.ActResolved, workflow.ActEscalate, workflow.ActNote, workflow.ActConfirm, workflow.ActReject,
		workflow.ActWithdraw, workflow.ActShow, workflow.ActDebrief, workflow.ActLearning, workflow.ActPanel, workflow.ActResolve}
	for _, k := range kinds {
		for _, v := range []map[string]any{
			{dataAction: string(k), dataRef: ref, dataStage: "1"},
			{dataAction: string(k), dataRef: ref, dataStage: "1", dataVersion: "1"},
			{dataAction: string(k), dataRef: ref, dataStage: "1", dataProposal: "1773136800000000", dataVersion: "1"},
		} {
			h.send(h.activity(aadOutsider, "", v, "1700000000001"))
		}
	}
	for _, f := range []workflow.FormKind{workflow.FormNote, workflow.FormEscalate, workflow.FormPropose, workflow.FormReject, workflow.FormWithdraw,
		workflow.FormDebrief, workflow.FormResolve, workflow.FormPanel, workflow.FormLearning} {
		h.send(h.activity(aadOutsider, "", map[string]any{dataForm: string(f), dataRef: ref, dataStage: "1", dataVersion: "1",
			workflow.FieldText: "Let me in", workflow.FieldOutcome: "Agreed"}, "1700000000002"))
	}
	var saw []string
	for _, c := range h.conn.all()[before:] {
		card, _ := json.Marshal(c.card())
		saw = append(saw, c.Op+" "+c.Conversation+" "+string(card))
	}
	return saw
}

// TestOutsidersLearnNothing: someone who may not see a case gets one
// answer, the same card whether the case exists or not, to every typed
// command, button and form; it names nobody, no stage, date or outcome;
// only they are answered, and nothing changes.
func TestOutsidersLearnNothing(t *testing.T) {
	exists, missing := newHarness(t), newHarness(t)
	ref := exists.raiseOne()
	exists.deliver()
	version := 0
	if d, _, err := exists.st.Load(t.Context(), ref); err == nil {
		version = d.Version
	}
	a, b := exists.outsiderSees(ref), missing.outsiderSees(ref)
	if len(a) != len(b) {
		t.Fatalf("%d answers for an existing case, %d for a missing one\n%q\n%q", len(a), len(b), a, b)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("answer %d differs:\nexisting %s\nmissing  %s", i, a[i], b[i])
		}
	}
	if len(a) < 3+11*3+9 {
		t.Errorf("the outsider got %d answers", len(a))
	}
	all := strings.Join(a, "\n")
	for _, s := range a {
		if !strings.Contains(s, " "+personalConv(aadOutsider)+" ") {
			t.Errorf("someone else was sent something: %s", s)
		}
	}
	if !strings.Contains(all, "There is no case "+ref+" that you can see") {
		t.Fatalf("the outsider was not told there is no case they can see:\n%s", all)
	}
	for _, leak := range []string{"Pat Practitioner", "Hana Visitor", "Stage 1", "Professional to professional", "Children's Social Care", "Community Health", "2026, ", "CSC-4471-XQ", "Health visitor declined"} {
		if strings.Contains(all, leak) {
			t.Errorf("the outsider was told %q", leak)
		}
	}
	before := len(exists.conn.all())
	exists.deliver()
	if n := len(exists.conn.all()) - before; n != 0 {
		t.Fatalf("the outsider's requests sent %d messages", n)
	}
	if d, _, err := exists.st.Load(t.Context(), ref); err != nil || d.Version != version {
		t.Fatalf("the outsider changed the case: %v", err)
	}
}
