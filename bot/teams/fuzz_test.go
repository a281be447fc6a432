package teams

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/escalate-app/escalate/workflow"
	"github.com/infracloudio/msbotbuilder-go/schema"
)

// fuzzCase is a harness with one case raised, and what an outsider's
// activity must leave as it is.
type fuzzCase struct {
	h       *harness
	ref     string
	version int
	refs    []string
	calls   int
}

func newFuzzCase(f *testing.F) *fuzzCase {
	h := newHarness(f)
	c := &fuzzCase{h: h, ref: h.raiseOne()}
	h.deliver()
	d, _, err := h.st.Load(f.Context(), c.ref)
	if err != nil {
		f.Fatal(err)
	}
	c.version = d.Version
	if c.refs, err = h.st.AllRefs(f.Context()); err != nil {
		f.Fatal(err)
	}
	c.calls = len(h.conn.all())
	return c
}

// post sends an activity as the outsider, in their own 1:1 chat, with a
// valid token, and checks what must hold whatever else it says: it is
// answered 200 or 400 (never a server error), the case and the list of
// cases are as they were, nothing is queued, and nobody but the outsider
// is sent anything.
func (c *fuzzCase) post(t *testing.T, act map[string]any) {
	t.Helper()
	c.h.t = t
	out := c.h.activity(aadOutsider, "", nil, "")
	for _, k := range []string{"from", "conversation", "recipient", "serviceUrl", "channelData", "channelId"} {
		act[k] = out[k]
	}
	body, err := json.Marshal(act)
	if err != nil {
		return
	}
	// An activity the Bot Framework library cannot read is refused with
	// the unauthenticated ones (401), before anything is done.
	var parsed schema.Activity
	readable := json.Unmarshal(body, &parsed) == nil
	if code := c.h.postRaw(body, c.h.token()); code != http.StatusOK && code != http.StatusBadRequest && (readable || code != http.StatusUnauthorized) {
		t.Fatalf("an outsider's activity was answered %d: %s", code, body)
	}
	d, _, err := c.h.st.Load(t.Context(), c.ref)
	if err != nil || d.Version != c.version {
		t.Fatalf("an outsider's activity changed the case (%v): %s", err, body)
	}
	if refs, err := c.h.st.AllRefs(t.Context()); err != nil || !slices.Equal(refs, c.refs) {
		t.Fatalf("an outsider's activity changed the cases to %v (%v): %s", refs, err, body)
	}
	if n, err := c.h.sender.RunOnce(t.Context()); err != nil || n != 0 {
		t.Fatalf("an outsider's activity queued %d messages (%v): %s", n, err, body)
	}
	calls := c.h.conn.all()
	for _, cl := range calls[c.calls:] {
		if cl.Conversation != personalConv(aadOutsider) {
			t.Fatalf("an outsider's activity sent %s to %s: %s", cl.Op, cl.Conversation, body)
		}
	}
	c.calls = len(calls)
}

// FuzzActivity posts any activity (type, text, name, value, ids, …) from
// someone of the tenant who holds nothing, in their 1:1 chat.
func FuzzActivity(f *testing.F) {
	c := newFuzzCase(f)
	for _, a := range []map[string]any{
		{"type": "message", "text": "<at>Escalate</at> show " + c.ref},
		{"type": "message", "text": "record " + c.ref + " pdf"},
		{"type": "message", "text": "list"},
		{"type": "message", "text": "help"},
		{"type": "message", "text": "raise"},
		{"type": "message", "value": map[string]any{dataAction: string(workflow.ActConfirm), dataRef: c.ref, dataStage: "1", dataProposal: "1", dataVersion: "1"}},
		{"type": "conversationUpdate", "membersAdded": []any{map[string]any{"id": "28:" + appID}}},
		{"type": "invoke", "name": fileConsentInvoke, "value": map[string]any{"action": "accept", "context": map[string]any{"ref": c.ref}}},
		{"type": "invoke", "name": "adaptiveCard/action", "value": map[string]any{"action": map[string]any{"type": "Action.Execute", "data": map[string]any{dataAction: "note", dataRef: c.ref}}}},
		{"type": "typing"},
		{"type": "message", "text": strings.Repeat("show ", 50)},
	} {
		b, _ := json.Marshal(a)
		f.Add(string(b))
	}
	f.Add(`{"type":"message","value":"not an object"}`)
	f.Add(`{"type":"message","value":{"form":7}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var act map[string]any
		if json.Unmarshal([]byte(s), &act) != nil || act == nil {
			act = map[string]any{"type": "message", "text": s}
		}
		if _, ok := act["id"]; !ok {
			act["id"] = "fuzz"
		}
		c.post(t, act)
	})
}

// FuzzCardSubmission posts any card submission (the value of a message
// activity: a button's data or a form's inputs) from someone who holds
// nothing.
func FuzzCardSubmission(f *testing.F) {
	c := newFuzzCase(f)
	for _, k := range []workflow.ActionKind{workflow.ActResolved, workflow.ActEscalate, workflow.ActNote, workflow.ActConfirm, workflow.ActReject, workflow.ActShow} {
		b, _ := json.Marshal(map[string]any{dataAction: string(k), dataRef: c.ref, dataStage: "1", dataProposal: "1773136800000000", dataVersion: "1"})
		f.Add(string(b))
	}
	for _, fk := range []workflow.FormKind{workflow.FormNote, workflow.FormEscalate, workflow.FormPropose, workflow.FormResolve, workflow.FormLearning, workflow.FormPanel, workflow.FormRaise} {
		b, _ := json.Marshal(map[string]any{dataForm: string(fk), dataRef: c.ref, dataStage: "1", dataVersion: "1", dataCard: "1700000000001",
			workflow.FieldText: "Let me in", workflow.FieldOutcome: "Agreed", workflow.FieldRaiserHolders: aadOutsider + "," + aadRaiser,
			workflow.FieldSubjectRef: "CSC-1", workflow.FieldResponder: aadResponder})
		f.Add(string(b))
	}
	f.Add(`{"form":"raise","immediate_risk":"true","start_stage":"4"}`)
	f.Add(`{"action":"confirm","ref":"ESC-2026-0001","stage":"x","version":"-1"}`)
	f.Add(`{"action":["confirm"]}`)
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			v = s
		}
		c.post(t, map[string]any{"type": "message", "id": "fuzz", "value": v, "replyToId": "1700000000001"})
	})
}
