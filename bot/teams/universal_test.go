package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/escalate-app/escalate/workflow"
)

// execute runs a card's Action.Execute as Teams does: an invoke named
// adaptiveCard/action from the person's 1:1 chat, signed, naming the card
// (replyToId) and holding the action's verb and its data merged with the
// inputs. It checks the answer is what Teams needs (HTTP 200, a JSON body
// {statusCode, type, value} with an Adaptive Card Teams draws) and
// returns that card, the one Teams shows in place of the pressed one.
func (h *harness) execute(aad, verb string, data map[string]any, cardID, trigger string) map[string]any {
	h.t.Helper()
	card, err := h.tryExecute(aad, verb, data, cardID, trigger)
	if err != nil {
		h.t.Fatal(err)
	}
	return card
}

// tryExecute is execute for a goroutine: it returns what went wrong.
func (h *harness) tryExecute(aad, verb string, data map[string]any, cardID, trigger string) (map[string]any, error) {
	act := h.activity(aad, "", nil, cardID)
	act["type"], act["name"] = "invoke", cardActionInvoke
	act["value"] = map[string]any{"action": map[string]any{"type": "Action.Execute", "id": "", "verb": verb, "data": data}, "trigger": trigger}
	buf, _ := json.Marshal(act)
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/api/messages", bytes.NewReader(buf))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+h.tokenFor(act))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		StatusCode float64        `json:"statusCode"`
		Type       string         `json:"type"`
		Value      map[string]any `json:"value"`
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return nil, fmt.Errorf("the invoke was answered %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("the invoke's answer is not JSON: %v", err)
	}
	if body.StatusCode != 200 || body.Type != invokeCardType || body.Value["type"] != "AdaptiveCard" || body.Value["version"] != "1.5" {
		return nil, fmt.Errorf("the invoke's answer is not a card Teams shows: %+v", body)
	}
	if p := cardProblem(body.Value); p != "" {
		return nil, fmt.Errorf("the invoke's card is one Teams would not draw: %s", p)
	}
	return body.Value, nil
}

// executeButton finds a card's Action.Execute (not its fallback) for an
// action kind, or "submit" for a form's submit: its verb and data.
func executeData(t testing.TB, card map[string]any, kind string) (string, map[string]any) {
	t.Helper()
	var verb string
	var found map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "Action.Execute" {
				d, _ := x["data"].(map[string]any)
				if d != nil && (d[dataAction] == kind || (kind == "submit" && d[dataForm] != nil)) {
					verb, _ = x["verb"].(string)
					found = map[string]any{}
					for k, v := range d {
						found[k] = v
					}
				}
			}
			for k, e := range x {
				if k != "fallback" && k != "refresh" {
					walk(e)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(card)
	if found == nil {
		t.Fatalf("no %q Action.Execute on the card: %v", kind, card)
	}
	return verb, found
}

// refreshOf is a card's refresh clause: its verb, data and userIds.
func refreshOf(t testing.TB, card map[string]any) (string, map[string]any, []any) {
	t.Helper()
	r, _ := card["refresh"].(map[string]any)
	act, _ := r["action"].(map[string]any)
	if act == nil {
		t.Fatalf("the card has no refresh: %v", card)
	}
	verb, _ := act["verb"].(string)
	data, _ := act["data"].(map[string]any)
	ids, _ := r["userIds"].([]any)
	return verb, data, ids
}

func cardText(card map[string]any) string {
	b, _ := json.Marshal(card)
	return string(b)
}

// raisedWithKnownResponder raises a case (the raiser's typed command and
// form) and delivers the DMs; the responder has a 1:1 chat with the bot.
// It returns the case and the responder's DM.
func (h *harness) raisedWithKnownResponder() (string, call) {
	h.t.Helper()
	h.knownPerson(aadResponder)
	ref := h.raiseOne()
	h.deliver()
	return ref, h.lastDM(personalConv(aadResponder))
}

// A case card's buttons are Action.Execute with their Action.Submit
// fallback, and it carries a refresh naming its holder; pressing Resolved
// answers the invoke with the form in place (nothing is posted in the
// chat), and submitting it answers with the case card redrawn: its words,
// what was done, and the holder's buttons now; the chat's copy is updated
// to match.
func TestUniversalActionsPressAndSubmitInPlace(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ref, dm := h.raisedWithKnownResponder()
	verb, data, ids := refreshOf(t, dm.card())
	if verb != verbRefresh || data[dataRef] != ref || data[dataVersion] != "1" || len(ids) != 1 || ids[0] != teamsID(aadResponder) {
		t.Fatalf("the DM's refresh: %s %v %v", verb, data, ids)
	}
	if !strings.Contains(dm.Raw, `"fallback":{"type":"Action.Submit"`) {
		t.Fatalf("the DM's buttons have no Action.Submit fallback: %s", dm.Raw)
	}

	before := len(h.conn.all())
	verb, data = executeData(t, dm.card(), string(workflow.ActResolved))
	form := h.execute(aadResponder, verb, data, dm.ID, "manual")
	mustContain(t, "the form shown in place", cardText(form), `"Input.Text"`, `"id":"`+workflow.FieldOutcome+`"`)
	if n := len(h.conn.all()); n != before {
		t.Fatalf("pressing a button in place posted %d activities", n-before)
	}

	verb, data = executeData(t, form, "submit")
	if data[dataCard] != dm.ID {
		t.Fatalf("the form does not name the card it came from: %v", data)
	}
	data[workflow.FieldOutcome] = "A joint visit on Friday"
	data[workflow.FieldRecordedOnFile] = "true"
	done := h.execute(aadResponder, verb, data, dm.ID, "manual")
	text := cardText(done)
	mustContain(t, "the card after submitting", text, "✓", ref, "Health visitor declined")
	mustNotContain(t, "the card after submitting", text, `"action":"resolved"`)
	if d, _, _ := h.st.Load(ctx, ref); d.State != workflow.StateProposed {
		t.Fatalf("state %s after proposing through Action.Execute", d.State)
	}
	put := h.last("update", personalConv(aadResponder))
	if put.Activity != dm.ID || !strings.Contains(put.Raw, "✓") {
		t.Fatalf("the chat's copy of the card was not updated: %+v", put)
	}
}

// A card drawn before the case moved on redraws itself when it is shown:
// the refresh answers with what happened, by whom and when, and the
// buttons its holder has now (and the chat's copy is updated); a card that
// is current answers as it is, without an update; a card a newer message
// replaced answers without buttons, pointing to the newer one.
func TestARefreshRedrawsAStaleCard(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ref, dm := h.raisedWithKnownResponder()
	verb, data, _ := refreshOf(t, dm.card())

	updates := len(h.conn.ops("update"))
	same := h.execute(aadResponder, verb, data, dm.ID, "automatic")
	if !hasButton(same) || !strings.Contains(cardText(same), "Health visitor declined") || len(h.conn.ops("update")) != updates {
		t.Fatalf("a current card's refresh: %s", cardText(same))
	}

	// The raiser escalates from their acknowledgement; the responder's
	// card is not yet retired (the outbox has not run).
	ack := h.lastDM(personalConv(aadRaiser))
	h.send(h.activity(aadRaiser, "", button(t, ack.card(), "escalate"), ack.ID))
	vals := button(t, h.lastReply(aadRaiser).card(), "submit")
	vals[workflow.FieldText] = "Still no strategy discussion"
	vals[workflow.FieldRaiserHolders] = strings.ToLower(aadLM1)
	vals[workflow.FieldResponderHolders] = strings.ToLower(aadLM2)
	h.send(h.activity(aadRaiser, "", vals, h.lastReply(aadRaiser).ID))
	if d, _, _ := h.st.Load(ctx, ref); d.Stage != 2 {
		t.Fatalf("stage %d after escalating", d.Stage)
	}

	stale := h.execute(aadResponder, verb, data, dm.ID, "automatic")
	text := cardText(stale)
	mustContain(t, "a stale card's refresh", text, ref+" has moved on since this card was drawn", "Pat Practitioner", "Health visitor declined")
	mustNotContain(t, "a stale card's refresh", text, `"stage":"1"`)
	put := h.last("update", personalConv(aadResponder))
	if put.Activity != dm.ID || !strings.Contains(put.Raw, "has moved on since this card was drawn") {
		t.Fatalf("the chat's copy of a stale card was not redrawn: %+v", put)
	}

	// The outbox runs: the responder gets the newer message; the old
	// card, refreshed, points to it and has no buttons.
	h.deliver()
	newer := h.lastDM(personalConv(aadResponder))
	if newer.ID == dm.ID {
		t.Fatal("no newer DM to the responder")
	}
	old := h.execute(aadResponder, verb, data, dm.ID, "automatic")
	if hasButton(old) || !strings.Contains(cardText(old), "the current buttons are on the newer message below") {
		t.Fatalf("a replaced card's refresh: %s", cardText(old))
	}
}

// A stale press through Action.Execute is refused and answered, in place,
// with what happened and the case as it stands with the presser's buttons
// now; nothing changes, and the connector is answered 200.
func TestAStalePressAnswersTheCurrentCard(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ref, dm := h.raisedWithKnownResponder()
	ack := h.lastDM(personalConv(aadRaiser))
	// The responder proposes a resolution from their card…
	verb, data := executeData(t, dm.card(), string(workflow.ActResolved))
	form := h.execute(aadResponder, verb, data, dm.ID, "manual")
	verb, data = executeData(t, form, "submit")
	data[workflow.FieldOutcome] = "A joint visit on Friday"
	data[workflow.FieldRecordedOnFile] = "true"
	h.execute(aadResponder, verb, data, dm.ID, "manual")
	// …and the raiser then presses Escalate on the card drawn before it.
	verb, data = executeData(t, ack.card(), string(workflow.ActEscalate))
	answer := cardText(h.execute(aadRaiser, verb, data, ack.ID, "manual"))
	mustContain(t, "a stale press's answer", answer, "Nothing was changed", "has moved on since this was shown to you", "Hana Visitor")
	if d, _, _ := h.st.Load(ctx, ref); d.State != workflow.StateProposed || d.Stage != 1 || d.Version != 2 {
		t.Fatalf("a stale press changed the case: %s stage %d version %d", d.State, d.Stage, d.Version)
	}
}

// The raise form submitted through Action.Execute is answered in place with
// its reference; the same submit again (a double click, Teams resending)
// raises nothing more and answers "Already raised as ESC-…".
func TestARaiseExecutedTwiceAnswersItsReference(t *testing.T) {
	h := newHarness(t)
	h.send(h.activity(aadRaiser, "escalate", nil, ""))
	form := h.lastReply(aadRaiser)
	verb, data := executeData(t, form.card(), "submit")
	vals := raiseValues(data)
	first := cardText(h.execute(aadRaiser, verb, vals, form.ID, "manual"))
	refs, _ := h.st.AllRefs(context.Background())
	if len(refs) != 1 {
		t.Fatalf("cases after the raise: %v", refs)
	}
	mustContain(t, "the raise's answer", first, "Raised as "+refs[0])
	second := cardText(h.execute(aadRaiser, verb, vals, form.ID, "manual"))
	mustContain(t, "the second submit's answer", second, "Already raised as "+refs[0])
	if refs, _ := h.st.AllRefs(context.Background()); len(refs) != 1 {
		t.Fatalf("cases after a second submit: %v", refs)
	}
	// The chat's copy of the form is the confirmation, not the form.
	if put := h.last("update", personalConv(aadRaiser)); put.Activity != form.ID || strings.Contains(put.Raw, "Input.") {
		t.Fatalf("the chat's form was not replaced: %+v", put)
	}
}

// TestTeamsHoldersRacingEscalateAndResolved: the two holders of a case, in
// Teams, open Escalate and Resolved on their cards (the forms shown in
// place) and submit them at the same instant, or one just after the
// other, round after round, over HTTP with signed invokes. In every round
// exactly one takes effect; the other is answered, in place, that nothing
// was changed; the case is escalated or has a resolution waiting, never
// both.
func TestTeamsHoldersRacingEscalateAndResolved(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.knownPerson(aadResponder)
	h.knownPerson(aadRaiser)
	wins := map[string]int{}
	const rounds = 12
	for round := range rounds {
		h.send(h.activity(aadRaiser, "escalate", nil, ""))
		raise := h.lastReply(aadRaiser)
		verb, data := executeData(t, raise.card(), "submit")
		mustContain(t, "the raise", cardText(h.execute(aadRaiser, verb, raiseValues(data), raise.ID, "manual")), "Raised as")
		h.deliver()
		ack, dm := h.lastDM(personalConv(aadRaiser)), h.lastDM(personalConv(aadResponder))
		_, rd, _ := refreshOf(t, dm.card())
		caseRef := rd[dataRef].(string)

		verb, data = executeData(t, ack.card(), string(workflow.ActEscalate))
		escForm := h.execute(aadRaiser, verb, data, ack.ID, "manual")
		_, esc := executeData(t, escForm, "submit")
		esc[workflow.FieldText] = "Still no strategy discussion"
		esc[workflow.FieldRaiserHolders] = strings.ToLower(aadLM1)
		esc[workflow.FieldResponderHolders] = strings.ToLower(aadLM2)
		verb, data = executeData(t, dm.card(), string(workflow.ActResolved))
		propForm := h.execute(aadResponder, verb, data, dm.ID, "manual")
		_, prop := executeData(t, propForm, "submit")
		prop[workflow.FieldOutcome] = "A joint visit on Friday"
		prop[workflow.FieldRecordedOnFile] = "true"

		answers := make([]string, 2)
		errs := make([]error, 2)
		submit := func(i int) {
			who, vals, card := aadRaiser, esc, ack.ID
			if i == 1 {
				who, vals, card = aadResponder, prop, dm.ID
			}
			c, err := h.tryExecute(who, verbSubmit, vals, card, "manual")
			answers[i], errs[i] = cardText(c), err
		}
		switch round % 3 {
		case 0: // the same instant
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Add(1)
				go func() { defer wg.Done(); <-start; submit(i) }()
			}
			close(start)
			wg.Wait()
		case 1:
			submit(1)
			submit(0)
		case 2:
			submit(0)
			submit(1)
		}
		for _, err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		d, hist, err := h.st.Load(ctx, caseRef)
		if err != nil {
			t.Fatal(err)
		}
		escalated := d.Stage == 2 && d.State == workflow.StateOpen && d.Proposal == nil
		proposed := d.Stage == 1 && d.State == workflow.StateProposed && d.Proposal != nil
		if escalated == proposed || len(hist) != 2 {
			t.Fatalf("round %d: stage %d, %s, %d events: both or neither took effect", round, d.Stage, d.State, len(hist))
		}
		loser := 1
		if proposed {
			loser = 0
		}
		if !strings.Contains(answers[loser], "Nothing was changed") && !strings.Contains(answers[loser], "at the same moment") {
			t.Fatalf("round %d: the loser was not told nothing changed: %s", round, answers[loser])
		}
		if strings.Contains(answers[1-loser], "Nothing was changed") || !strings.Contains(answers[1-loser], "✓") {
			t.Fatalf("round %d: the winner was not told it was done: %s", round, answers[1-loser])
		}
		wins[map[bool]string{true: "escalate", false: "resolved"}[escalated]]++
		h.deliver()
	}
	if wins["escalate"] == 0 || wins["resolved"] == 0 {
		t.Errorf("each side should win some rounds: %v", wins)
	}
	t.Logf("%d rounds, wins %v", rounds, wins)
}

// A note form submitted twice from the same card (a double click, Teams
// sending the invoke again) adds one note.
func TestANoteExecutedTwiceAddsOneNote(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ref, dm := h.raisedWithKnownResponder()
	verb, data := executeData(t, dm.card(), string(workflow.ActNote))
	form := h.execute(aadResponder, verb, data, dm.ID, "manual")
	verb, data = executeData(t, form, "submit")
	data[workflow.FieldText] = "Spoke to the school nurse this morning"
	for range 2 {
		h.execute(aadResponder, verb, data, dm.ID, "manual")
	}
	_, hist, err := h.st.Load(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	notes := 0
	for _, e := range hist {
		if e.Kind == workflow.CmdComment {
			notes++
		}
	}
	if notes != 1 {
		t.Fatalf("%d notes after a note submitted twice, want 1", notes)
	}
}

// A card redrawn in place keeps its activity id, so the same button used
// again on a later version is a new act, not a repeat: two notes added one
// after the other from the same card are both recorded.
func TestTheSameCardActsAgainOnALaterVersion(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ref, dm := h.raisedWithKnownResponder()
	card := dm.card()
	for _, words := range []string{"Spoke to the school nurse", "The GP has seen the bruising too"} {
		verb, data := executeData(t, card, string(workflow.ActNote))
		form := h.execute(aadResponder, verb, data, dm.ID, "manual")
		verb, data = executeData(t, form, "submit")
		data[workflow.FieldText] = words
		card = h.execute(aadResponder, verb, data, dm.ID, "manual")
		mustNotContain(t, "a note's answer", cardText(card), "already done", "Nothing was changed")
	}
	_, hist, _ := h.st.Load(ctx, ref)
	notes := 0
	for _, e := range hist {
		if e.Kind == workflow.CmdComment {
			notes++
		}
	}
	if notes != 2 {
		t.Fatalf("%d notes recorded from the same card, want 2", notes)
	}
}
