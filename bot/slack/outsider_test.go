package slack

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/escalate-app/escalate/workflow"
)

// outsiderRequests are everything someone outside a case can send about
// it over signed HTTP: typed commands, every button (in a DM they are not
// in, and in their own), and every follow-up form, forged with the case in
// its metadata.
func (h *harness) outsiderRequests(ref string) []func() response {
	var reqs []func() response
	for _, text := range []string{"show " + ref, "show " + strings.ToLower(ref), "record " + ref} {
		reqs = append(reqs, func() response { return h.command(uStranger, text) })
	}
	kinds := []workflow.ActionKind{workflow.ActResolved, workflow.ActEscalate, workflow.ActNote, workflow.ActConfirm, workflow.ActReject,
		workflow.ActWithdraw, workflow.ActShow, workflow.ActDebrief, workflow.ActLearning, workflow.ActPanel, workflow.ActResolve}
	values := []string{ref + "|1", ref + "|1|v1", ref + "|1|1773136800000000|v1", ref + "|2|v9"}
	for _, channel := range []string{"D" + uResponder[1:], "D" + uStranger[1:]} {
		for _, k := range kinds {
			for _, v := range values {
				reqs = append(reqs, func() response {
					return h.interact(map[string]any{
						"type": "block_actions", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": uStranger}, "api_app_id": "A1",
						"trigger_id": h.fake.trigger(uStranger), "response_url": h.fake.responseURL(),
						"container": map[string]any{"type": "message", "message_ts": "1773136800.000100", "channel_id": channel, "is_ephemeral": false},
						"channel":   map[string]any{"id": channel},
						"actions":   []any{map[string]any{"type": "button", "action_id": actionPrefix + string(k), "block_id": "acts", "value": v}},
					}, nil)
				})
			}
		}
	}
	forms := map[workflow.FormKind]workflow.ActionKind{
		workflow.FormNote: workflow.ActNote, workflow.FormEscalate: workflow.ActEscalate, workflow.FormPropose: workflow.ActResolved,
		workflow.FormReject: workflow.ActReject, workflow.FormWithdraw: workflow.ActWithdraw, workflow.FormDebrief: workflow.ActDebrief,
		workflow.FormResolve: workflow.ActResolve, workflow.FormPanel: workflow.ActPanel, workflow.FormLearning: workflow.ActLearning,
	}
	for _, f := range []workflow.FormKind{workflow.FormNote, workflow.FormEscalate, workflow.FormPropose, workflow.FormReject, workflow.FormWithdraw,
		workflow.FormDebrief, workflow.FormResolve, workflow.FormPanel, workflow.FormLearning} {
		meta := formMeta{Form: f, Action: forms[f], Ref: ref, Stage: 1, Version: 1, Src: source{Channel: "D" + uResponder[1:], TS: "1773136800.000100"}}
		reqs = append(reqs, func() response {
			return h.interact(map[string]any{
				"type": "view_submission", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": uStranger}, "api_app_id": "A1",
				"trigger_id": h.fake.trigger(uStranger),
				"view": map[string]any{"id": "VFORGED", "hash": "hforged", "type": "modal", "callback_id": callbackForm, "private_metadata": meta.encode(),
					"blocks": []any{map[string]any{"type": "input", "block_id": workflow.FieldText, "label": map[string]any{"type": "plain_text", "text": "Note"},
						"element": map[string]any{"type": "plain_text_input", "action_id": workflow.FieldText}}},
					"state": map[string]any{"values": map[string]any{
						workflow.FieldText:    map[string]any{workflow.FieldText: map[string]any{"type": "plain_text_input", "value": "Let me in"}},
						workflow.FieldOutcome: map[string]any{workflow.FieldOutcome: map[string]any{"type": "plain_text_input", "value": "Agreed"}},
					}}},
			}, nil)
		})
	}
	return reqs
}

// outsiderSaw is everything the outsider was shown: the answers to their
// requests, ephemeral messages, what went to their response_urls and the
// modals opened for them, in order.
type outsiderSaw struct {
	answers, ephemerals, responses, views []string
}

func (h *harness) outsiderSees(ref string) outsiderSaw {
	h.t.Helper()
	h.fake.mu.Lock()
	ephBefore, respBefore, viewsBefore := len(h.fake.ephemerals), len(h.fake.responses), len(h.fake.opened)
	h.fake.mu.Unlock()
	var saw outsiderSaw
	for _, req := range h.outsiderRequests(ref) {
		r := req()
		saw.answers = append(saw.answers, fmt.Sprintf("%d %s", r.status, r.body))
	}
	h.fake.mu.Lock()
	defer h.fake.mu.Unlock()
	for _, m := range h.fake.ephemerals[ephBefore:] {
		if m.User != uStranger {
			h.t.Errorf("someone else (%s) was shown an ephemeral message: %s", m.User, m.Raw)
		}
		saw.ephemerals = append(saw.ephemerals, m.Channel+" "+m.Text+" "+m.Raw)
	}
	for _, m := range h.fake.responses[respBefore:] {
		b, _ := json.Marshal(m)
		saw.responses = append(saw.responses, string(b))
	}
	for _, v := range h.fake.opened[viewsBefore:] {
		b, _ := json.Marshal(v.View)
		saw.views = append(saw.views, v.User+" "+string(b))
	}
	return saw
}

// TestOutsidersLearnNothing: someone who may not see a case gets one
// answer, byte for byte the same whether the case exists or not, to every
// command, button and form; it names no holder, stage, date or outcome;
// and nobody else is messaged or shown anything.
func TestOutsidersLearnNothing(t *testing.T) {
	exists, missing := newHarness(t), newHarness(t)
	for _, h := range []*harness{exists, missing} {
		h.a.HandleSubcommand("record", h.a.RecordHandler())
	}
	ref := exists.raise(raiseAnswers())
	if ref != "ESC-2026-0001" {
		t.Fatalf("the first case of 2026 is %s", ref)
	}
	exists.deliver()
	exists.fake.mu.Lock()
	posts, updates := len(exists.fake.posts), len(exists.fake.updates)
	exists.fake.mu.Unlock()
	version := exists.dispute(ref).Version

	a, b := exists.outsiderSees(ref), missing.outsiderSees(ref)
	for _, c := range []struct {
		what string
		a, b []string
	}{{"answers", a.answers, b.answers}, {"ephemeral messages", a.ephemerals, b.ephemerals}, {"response_url posts", a.responses, b.responses}, {"modals", a.views, b.views}} {
		if len(c.a) != len(c.b) {
			t.Fatalf("%s: %d for an existing case, %d for a missing one\n%q\n%q", c.what, len(c.a), len(c.b), c.a, c.b)
		}
		for i := range c.a {
			if c.a[i] != c.b[i] {
				t.Errorf("%s %d differ:\nexisting %s\nmissing  %s", c.what, i, c.a[i], c.b[i])
			}
		}
	}
	// Every click was answered (most through the response_url, as Slack
	// will not show an ephemeral message in someone else's DM), and what
	// the outsider saw says only that there is no such case they can see.
	if len(a.ephemerals)+len(a.responses)+len(a.views) < 2*11*4 {
		t.Errorf("the outsider was answered %d times", len(a.ephemerals)+len(a.responses)+len(a.views))
	}
	all := strings.Join(append(append(append(a.answers, a.ephemerals...), a.responses...), a.views...), "\n")
	if !strings.Contains(all, "There is no case "+ref+" that you can see") {
		t.Fatalf("the outsider was not told there is no case they can see:\n%s", all)
	}
	for _, leak := range []string{"Pat Practitioner", "Hana Visitor", "Stage 1", "Professional to professional", "Children's Social Care", "Community Health", "2026, ", "open", "CSC-4471-XQ", "Health visitor declined"} {
		if strings.Contains(all, leak) {
			t.Errorf("the outsider was told %q", leak)
		}
	}
	// Nothing changed and nobody else heard of it.
	if d := exists.dispute(ref); d.Version != version {
		t.Fatalf("the outsider changed the case to version %d", d.Version)
	}
	if n := exists.deliver(); n != 0 {
		t.Fatalf("the outsider's requests sent %d messages", n)
	}
	if exists.fake.countCalls("views.publish") != 0 {
		t.Fatal("a Home tab was published")
	}
	exists.fake.mu.Lock()
	defer exists.fake.mu.Unlock()
	if len(exists.fake.posts) != posts || len(exists.fake.updates) != updates {
		t.Fatalf("the outsider's requests posted %d and updated %d messages", len(exists.fake.posts)-posts, len(exists.fake.updates)-updates)
	}
}

// TestAForgedRequestNeverActs: sanity of the harness above — the same
// forged note from the raiser (who may see the case) does act, so the
// outsider's refusals are the permission check and not a broken request.
func TestAForgedRequestNeverActs(t *testing.T) {
	h := newHarness(t)
	ref := h.raise(raiseAnswers())
	meta := formMeta{Form: workflow.FormNote, Action: workflow.ActNote, Ref: ref, Stage: 1, Version: 1}
	r := h.interact(map[string]any{
		"type": "view_submission", "user": map[string]any{"id": uRaiser}, "trigger_id": h.fake.trigger(uRaiser),
		"view": map[string]any{"id": "VFORGED", "hash": "hforged", "type": "modal", "callback_id": callbackForm, "private_metadata": meta.encode(),
			"state": map[string]any{"values": map[string]any{workflow.FieldText: map[string]any{workflow.FieldText: map[string]any{"type": "plain_text_input", "value": "A note"}}}}},
	}, nil)
	if r.status != http.StatusOK || len(r.body) != 0 {
		t.Fatalf("the raiser's note was answered %d %s", r.status, r.body)
	}
	if d := h.dispute(ref); d.Version != 2 {
		t.Fatalf("the raiser's note was not recorded: version %d", d.Version)
	}
}
