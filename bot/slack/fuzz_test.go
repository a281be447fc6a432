package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/escalate-app/escalate/workflow"
)

// fuzzCase is a harness with one case raised, and what an outsider's
// request must leave as it is.
type fuzzCase struct {
	h                         *harness
	ref                       string
	version                   int
	refs                      []string
	posts, updates, publishes int
	ephemerals                int
}

func newFuzzCase(f *testing.F) *fuzzCase {
	h := newHarness(f)
	h.a.HandleSubcommand("record", h.a.RecordHandler())
	ref := h.raise(raiseAnswers())
	h.deliver()
	c := &fuzzCase{h: h, ref: ref}
	c.snapshot()
	return c
}

func (c *fuzzCase) snapshot() {
	c.version = c.h.dispute(c.ref).Version
	c.refs, _ = c.h.st.AllRefs(context.Background())
	c.h.fake.mu.Lock()
	c.posts, c.updates, c.ephemerals = len(c.h.fake.posts), len(c.h.fake.updates), len(c.h.fake.ephemerals)
	c.h.fake.mu.Unlock()
	c.publishes = c.h.fake.countCalls("views.publish")
}

// unchanged checks that a request from someone who holds nothing changed
// nothing and told nobody else anything.
func (c *fuzzCase) unchanged(t *testing.T, what string) {
	t.Helper()
	if d := c.h.dispute(c.ref); d.Version != c.version {
		t.Fatalf("%s changed the case to version %d (was %d)", what, d.Version, c.version)
	}
	refs, err := c.h.st.AllRefs(context.Background())
	if err != nil || !slices.Equal(refs, c.refs) {
		t.Fatalf("%s changed the cases: %v → %v (%v)", what, c.refs, refs, err)
	}
	if n, err := c.h.sender.RunOnce(context.Background()); err != nil || n != 0 {
		t.Fatalf("%s queued %d messages (%v)", what, n, err)
	}
	c.h.fake.mu.Lock()
	defer c.h.fake.mu.Unlock()
	if len(c.h.fake.posts) != c.posts || len(c.h.fake.updates) != c.updates {
		t.Fatalf("%s posted %d and updated %d messages", what, len(c.h.fake.posts)-c.posts, len(c.h.fake.updates)-c.updates)
	}
	for _, m := range c.h.fake.ephemerals[c.ephemerals:] {
		if m.User != uStranger {
			t.Fatalf("%s showed %s an ephemeral message: %s", what, m.User, m.Raw)
		}
	}
	c.ephemerals = len(c.h.fake.ephemerals)
}

// answered checks the status of an answer to a signed request: 200 for
// one Escalate understood, 400 for one it could not read; never a server
// error, and never 401 (the request is signed).
func answered(t *testing.T, what string, r response) {
	t.Helper()
	if r.status != http.StatusOK && r.status != http.StatusBadRequest {
		t.Fatalf("%s was answered %d %s", what, r.status, r.body)
	}
}

// slackInteractionSeeds are interaction payloads as Slack sends them:
// every button on the case, every follow-up form with its metadata, the
// raise form, the risk toggle, and some that are not quite right.
func slackInteractionSeeds(ref string) []string {
	var seeds []string
	add := func(v any) {
		b, _ := json.Marshal(v)
		seeds = append(seeds, string(b))
	}
	for _, k := range []workflow.ActionKind{workflow.ActResolved, workflow.ActEscalate, workflow.ActNote, workflow.ActConfirm, workflow.ActReject, workflow.ActShow} {
		for _, v := range []string{ref + "|1|v1", ref + "|1|1773136800000000|v1", "ESC-2026-0999|2", ref + "|x"} {
			add(map[string]any{"type": "block_actions", "user": map[string]any{"id": uStranger}, "trigger_id": "T.1", "response_url": "http://127.0.0.1:1/r",
				"container": map[string]any{"type": "message", "message_ts": "1773136800.000100", "channel_id": "DUOUT"},
				"channel":   map[string]any{"id": "DUOUT"},
				"actions":   []any{map[string]any{"type": "button", "action_id": actionPrefix + string(k), "block_id": "acts", "value": v}}})
		}
	}
	for _, f := range []workflow.FormKind{workflow.FormNote, workflow.FormEscalate, workflow.FormPropose, workflow.FormResolve, workflow.FormLearning, workflow.FormPanel} {
		meta := formMeta{Form: f, Ref: ref, Stage: 1, Version: 1, Src: source{Channel: "DUPRAC2", TS: "1773136800.000100"}}
		add(map[string]any{"type": "view_submission", "user": map[string]any{"id": uStranger}, "trigger_id": "T.2",
			"view": map[string]any{"id": "V1", "hash": "h1", "type": "modal", "callback_id": callbackForm, "private_metadata": meta.encode(),
				"state": map[string]any{"values": map[string]any{
					workflow.FieldText:    map[string]any{workflow.FieldText: map[string]any{"type": "plain_text_input", "value": "Let me in"}},
					workflow.FieldOutcome: map[string]any{workflow.FieldOutcome: map[string]any{"type": "plain_text_input", "value": "Agreed"}},
				}}}})
	}
	add(map[string]any{"type": "view_submission", "user": map[string]any{"id": uStranger}, "view": map[string]any{"id": "V2", "hash": "h2", "callback_id": callbackForm,
		"private_metadata": formMeta{Form: workflow.FormRaise}.encode(), "state": map[string]any{"values": map[string]any{
			workflow.FieldSubjectRef: map[string]any{workflow.FieldSubjectRef: map[string]any{"type": "plain_text_input", "value": "CSC-1"}}}}}})
	add(map[string]any{"type": "block_actions", "user": map[string]any{"id": uStranger}, "view": map[string]any{"id": "V2", "hash": "h2", "callback_id": callbackForm},
		"actions": []any{map[string]any{"type": "checkboxes", "action_id": workflow.FieldImmediateRisk, "block_id": workflow.FieldImmediateRisk}}})
	add(map[string]any{"type": "view_closed", "user": map[string]any{"id": uStranger}})
	add(map[string]any{"type": "shortcut", "callback_id": "x"})
	seeds = append(seeds, `{}`, `[]`, `{"type":"block_actions","actions":null}`, `{"type":"view_submission","view":{"private_metadata":"{\"f\":7}"}}`, `not json`)
	return seeds
}

// FuzzInteraction posts signed interaction payloads as someone who holds
// nothing (whatever user the payload names is replaced by the outsider):
// each is answered 200 or 400, never a server error, and none changes a
// case, raises one, queues or posts a message, or shows anyone else
// anything.
func FuzzInteraction(f *testing.F) {
	c := newFuzzCase(f)
	for _, s := range slackInteractionSeeds(c.ref) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		c.h.t = t
		var m map[string]any
		if json.Unmarshal([]byte(payload), &m) == nil && m != nil {
			m["user"] = map[string]any{"id": uStranger, "team_id": "T1"}
			if r, ok := m["trigger_id"].(string); !ok || r == "" {
				m["trigger_id"] = c.h.fake.trigger(uStranger)
			}
			b, err := json.Marshal(m)
			if err != nil {
				return
			}
			payload = string(b)
		}
		r := c.h.post("/slack/interactivity", formType, url.Values{"payload": {payload}}.Encode(), nil)
		answered(t, "an interaction", r)
		c.unchanged(t, "an outsider's interaction")
	})
}

// FuzzSlashCommand types /escalate with any text (and any other fields)
// as someone who holds nothing: every answer is 200 or 400, and nothing
// changes for anyone.
func FuzzSlashCommand(f *testing.F) {
	c := newFuzzCase(f)
	for _, text := range []string{"", "help", "list", "list 2", "show " + c.ref, "show esc-2026-0001", "record " + c.ref, "record ESC-2026-0999 pdf",
		"raise", "show", "show ESC-2026-", "  show   " + c.ref + "  ", "unknown words", "show ESC-2026-0001|1|v1", "\x00", "list -1", "list 99999999999999999999"} {
		f.Add(text, "/escalate", "CWORK")
	}
	f.Add("show "+c.ref, "/other", "")
	f.Fuzz(func(t *testing.T, text, command, channel string) {
		c.h.t = t
		body := url.Values{"token": {"legacy"}, "team_id": {"T1"}, "channel_id": {channel}, "user_id": {uStranger}, "command": {command}, "text": {text},
			"response_url": {c.h.fake.responseURL()}, "trigger_id": {c.h.fake.trigger(uStranger)}, "api_app_id": {"A1"}}.Encode()
		r := c.h.post("/slack/commands", formType, body, nil)
		answered(t, "a command", r)
		c.unchanged(t, "an outsider's command")
	})
}

// FuzzFormMeta: a modal's private metadata is read back from Slack, which
// returns what Escalate wrote but anyone could forge. What decodes
// re-encodes to metadata that decodes the same; what does not decode is
// an error, never a panic.
func FuzzFormMeta(f *testing.F) {
	for _, m := range []formMeta{{Form: workflow.FormRaise}, {Form: workflow.FormNote, Action: workflow.ActNote, Ref: "ESC-2026-0001", Stage: 2, Version: 7,
		Risk: true, Src: source{Channel: "D1", TS: "1.2", Ephemeral: true, ResponseURL: "https://hooks.slack.com/x", Home: true}, Keep: map[string][]string{"raiser_holders": {"teams:abc"}}}} {
		f.Add(m.encode())
	}
	f.Add(`{"f":1}`)
	f.Add(`{"s":"2"}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := decodeMeta(s)
		if err != nil {
			return
		}
		again, err := decodeMeta(m.encode())
		if err != nil {
			t.Fatalf("metadata %q re-encoded as %q does not decode: %v", s, m.encode(), err)
		}
		if again.encode() != m.encode() {
			t.Fatalf("metadata does not round-trip: %q → %q", m.encode(), again.encode())
		}
	})
}
