package slack

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// TestProposeConfirmAndDoubleClick: Resolved opens the outcome form; the
// other side confirms; both get the written record; a second click on
// Confirm is refused and changes nothing.
func TestProposeConfirmAndDoubleClick(t *testing.T) {
	h := newHarness(t)
	ref := h.raise(raiseAnswers())
	h.deliver()

	h.click(uResponder, h.lastDM(uResponder), "resolved")
	form := h.fake.lastOpened()
	for _, id := range []string{workflow.FieldOutcome, workflow.FieldOutstanding, workflow.FieldHowPursued, workflow.FieldRecordedOnFile} {
		inputBlock(t, form.View, id)
	}
	// Outstanding issues without how they will be pursued: answered inline.
	r := h.submit(form, uResponder, map[string]any{workflow.FieldOutcome: "Strategy discussion booked", workflow.FieldOutstanding: "School attendance"})
	if m := r.json(t); m["response_action"] != "errors" || !strings.Contains(allText(m["errors"]), workflow.FieldHowPursued) {
		t.Fatalf("a proposal without how outstanding issues are pursued was answered %s", r.body)
	}
	if d := h.dispute(ref); d.State != workflow.StateOpen {
		t.Fatalf("a refused proposal changed the case to %s", d.State)
	}
	h.submit(form, uResponder, map[string]any{workflow.FieldOutcome: "Strategy discussion booked", workflow.FieldOutstanding: "School attendance",
		workflow.FieldHowPursued: "Reviewed at the next core group", workflow.FieldRecordedOnFile: true})
	h.deliver()
	proposal := h.lastDM(uRaiser)
	assertButtons(t, "the raiser", proposal, "confirm", "reject", "note", "withdraw")
	assertContains(t, "the proposal", proposal.Raw, "Strategy discussion booked", "Reviewed at the next core group")

	// Confirm closes the case; the clicked message loses Confirm.
	if r := h.click(uRaiser, proposal, "confirm"); r.status != http.StatusOK {
		t.Fatalf("confirm was answered %d", r.status)
	}
	d := h.dispute(ref)
	if d.State != workflow.StateResolved {
		t.Fatalf("the case is %s after Confirm", d.State)
	}
	used := h.fake.message(proposal.Channel, proposal.TS)
	assertButtons(t, "the confirmed message", used, "debrief")
	assertContains(t, "the confirmed message", used.Raw, "You confirmed the resolution")
	h.deliver()
	for _, u := range []string{uRaiser, uResponder} {
		rec := h.lastDM(u)
		assertContains(t, u+"'s written record", rec.Raw, "is resolved", "Strategy discussion booked", "History")
		// The record itself comes as a PDF, beside the message, in the DM.
		files := h.fake.sharedIn(rec.Channel)
		if len(files) != 1 || !strings.HasPrefix(string(files[0].Data), "%PDF") || !strings.HasPrefix(rec.Channel, "D") {
			t.Fatalf("%s should have the record's PDF in the DM %s: %d files", u, rec.Channel, len(files))
		}
	}
	if h.deliver() != 0 || len(h.fake.allShared()) != 2 {
		t.Fatal("each party gets the record's PDF exactly once")
	}

	// The same Confirm clicked again (the double click): refused, nothing changes.
	before := h.fake.countCalls("chat.postEphemeral")
	h.click(uRaiser, proposal, "confirm")
	if h.dispute(ref).Version != d.Version {
		t.Fatal("a second Confirm changed the case")
	}
	eph := h.fake.ephemeralsFor(uRaiser)
	if h.fake.countCalls("chat.postEphemeral") != before+1 || len(eph) == 0 {
		t.Fatal("the second Confirm was not answered with an ephemeral refusal")
	}
	assertContains(t, "the refusal", eph[len(eph)-1].Raw, ref+" was resolved on ")
	if h.deliver() != 0 {
		t.Fatal("a refused click sent messages")
	}
	// A stage-1 resolution between the two practitioners is not the business team's.
	if n := len(h.fake.channelPosts(feedChan)); n != 0 {
		t.Fatalf("the feed got %d posts for a stage-1 case", n)
	}
}

// TestStaleAndStrangersClicksAreRefused: a click by someone who does not
// hold the case, or on a case that moved on, gets the workflow's refusal as
// an ephemeral message (through the click's response_url when Slack will
// not post one where they clicked) and changes nothing.
func TestStaleAndStrangersClicksAreRefused(t *testing.T) {
	h := newHarness(t)
	ref := h.raise(raiseAnswers())
	h.deliver()
	msg := h.lastDM(uResponder)
	opened := h.fake.countCalls("views.open")

	// A stranger clicks Escalate (on a copy of the responder's message, in
	// the responder's DM, which the stranger is not in: Slack refuses an
	// ephemeral message there with user_not_in_channel).
	click := h.clickPayload(uStranger, msg, "escalate")
	h.interact(click, nil)
	if eph := h.fake.ephemeralsFor(uStranger); len(eph) != 0 {
		t.Fatalf("Slack showed the stranger %d ephemeral messages in a DM they are not in", len(eph))
	}
	got := h.fake.responsesTo(click["response_url"].(string))
	if len(got) != 1 || got[0]["response_type"] != "ephemeral" || got[0]["replace_original"] != false {
		t.Fatalf("the stranger's refusal through the response_url: %v", got)
	}
	assertContains(t, "the stranger's refusal", allText(got[0]), "There is no case "+ref+" that you can see")
	if h.fake.countCalls("views.open") != opened {
		t.Fatal("a stranger's click opened a form")
	}
	if d := h.dispute(ref); d.Version != 1 || d.Stage != 1 {
		t.Fatal("a stranger's click changed the case")
	}

	// The raiser escalates; the responder then clicks Resolved on the
	// stage-1 message they still have open.
	h.click(uRaiser, h.lastDM(uRaiser), "escalate")
	h.submit(h.fake.lastOpened(), uRaiser, map[string]any{workflow.FieldText: "No reply"})
	opened = h.fake.countCalls("views.open")
	h.click(uResponder, msg, "resolved")
	eph := h.fake.ephemeralsFor(uResponder)
	if len(eph) != 1 {
		t.Fatalf("the responder got %d ephemeral answers to a stale click", len(eph))
	}
	assertContains(t, "the stale-click refusal", eph[0].Raw, ref+" was escalated to Stage 2 (Manager to manager) by Pat Practitioner")
	if h.fake.countCalls("views.open") != opened {
		t.Fatal("a stale click opened a form")
	}
	if d := h.dispute(ref); d.Stage != 2 || d.State != workflow.StateOpen {
		t.Fatal("a stale click changed the case")
	}

	// A form opened before the case moved on is refused when submitted.
	h.deliver()
	h.click(uLM2, h.lastDM(uLM2), "note")
	noteForm := h.fake.lastOpened()
	h.click(uLM1, h.lastDM(uLM1), "escalate")
	h.submit(h.fake.lastOpened(), uLM1, map[string]any{workflow.FieldText: "Managers disagree"})
	h.click(uLM2, h.lastDM(uLM2), "resolved") // stage 2 button, case now at 3
	if eph := h.fake.ephemeralsFor(uLM2); len(eph) != 1 {
		t.Fatalf("a stale Resolved got %d answers", len(eph))
	}
	// The note form opened at stage 2 is refused at stage 3, saying why.
	v := h.dispute(ref).Version
	r := h.submit(noteForm, uLM2, map[string]any{workflow.FieldText: "Still concerned"})
	if m := r.json(t); m["response_action"] != "update" || !strings.Contains(allText(m), "was escalated to Stage 3") {
		t.Fatalf("a form submitted after the case moved on was answered %s", r.body)
	}
	if h.dispute(ref).Version != v {
		t.Fatal("a form submitted after the case moved on changed it")
	}
}

// barrierStore holds commits until two arrive, so two people act on the
// same version of a case at the same instant.
type barrierStore struct {
	*store.Store
	mu      sync.Mutex
	armed   bool
	arrived int
	gate    chan struct{}
}

func (b *barrierStore) arm() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.armed, b.arrived, b.gate = true, 0, make(chan struct{})
}

func (b *barrierStore) Commit(ctx context.Context, res *workflow.Result, key string) error {
	b.mu.Lock()
	gate := b.gate
	if b.armed {
		b.arrived++
		if b.arrived == 2 {
			close(b.gate)
			b.armed = false
		}
	}
	b.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-time.After(5 * time.Second):
			return errors.New("barrier: the other commit never came")
		}
	}
	return b.Store.Commit(ctx, res, key)
}

// TestSimultaneousEscalateAndResolved: two holders act at the same
// instant; one wins, the other is told someone else acted at the same
// moment and where the case stands.
func TestSimultaneousEscalateAndResolved(t *testing.T) {
	var bs *barrierStore
	h := newHarness(t, harnessOpts{engineStore: func(s *store.Store) engine.Store {
		bs = &barrierStore{Store: s}
		return bs
	}})
	ref := h.raise(raiseAnswers())
	h.deliver()
	h.click(uRaiser, h.lastDM(uRaiser), "escalate")
	escForm := h.fake.lastOpened()
	h.click(uResponder, h.lastDM(uResponder), "resolved")
	propForm := h.fake.lastOpened()

	bodies := []string{
		interactionBody(h.submission(escForm, uRaiser, map[string]any{workflow.FieldText: "No agreement"})),
		interactionBody(h.submission(propForm, uResponder, map[string]any{workflow.FieldOutcome: "Agreed a joint visit"})),
	}
	bs.arm()
	answers := make([]response, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, b := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i], errs[i] = h.tryPost("/slack/interactivity", formType, b, nil)
		}()
	}
	wg.Wait()
	h.a.wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	won, told := -1, -1
	for i, a := range answers {
		m := a.json(t)
		switch {
		case m == nil:
			won = i
		case m["response_action"] == "update" && strings.Contains(allText(m), "at the same moment"):
			told = i
			assertContains(t, "the loser's answer", allText(m), ref, "Stage")
		default:
			t.Fatalf("answer %d: %s", i, a.body)
		}
	}
	if won < 0 || told < 0 {
		t.Fatalf("want one winner and one told; got %s and %s", answers[0].body, answers[1].body)
	}
	d := h.dispute(ref)
	escalated := d.Stage == 2 && d.State == workflow.StateOpen
	proposed := d.Stage == 1 && d.State == workflow.StateProposed
	if escalated == proposed || (won == 0) != escalated {
		t.Fatalf("the case is at stage %d, %s; the winner was answer %d", d.Stage, d.State, won)
	}
	if d.Version != 2 {
		t.Fatalf("the case is at version %d: both commands were recorded", d.Version)
	}
}

// TestClicksInAnEphemeralList: a button in `/escalate list` (an ephemeral
// message, which chat.update cannot reach) works; afterwards the list is
// replaced through its response_url, and a refusal goes there too.
func TestClicksInAnEphemeralList(t *testing.T) {
	h := newHarness(t)
	ref := h.raise(raiseAnswers())
	h.deliver()
	list := h.command(uResponder, "list").json(t)
	var blocks []any
	if err := jsonRoundTrip(list["blocks"], &blocks); err != nil {
		t.Fatal(err)
	}
	ephemeral := func(user, kind, responseURL string) map[string]any {
		bid, value, ok := button(blocks, kind)
		if !ok {
			t.Fatalf("the list has no %s button", kind)
		}
		return map[string]any{"type": "block_actions", "user": map[string]any{"id": user}, "trigger_id": h.fake.trigger(user),
			"response_url": responseURL, "channel": map[string]any{"id": "CWORK"},
			"container": map[string]any{"type": "message", "message_ts": "1773136800.9", "channel_id": "CWORK", "is_ephemeral": true},
			"actions":   []any{map[string]any{"type": "button", "action_id": actionPrefix + kind, "block_id": bid, "value": value}}}
	}
	url := h.fake.responseURL()
	h.interact(ephemeral(uResponder, "note", url), nil)
	form := h.fake.lastOpened()
	if form.User != uResponder {
		t.Fatal("the list's button opened no form")
	}
	h.submit(form, uResponder, map[string]any{workflow.FieldText: "Spoke to the GP"})
	if _, hist, _ := h.st.Load(context.Background(), ref); len(hist) != 2 {
		t.Fatal("the note from the list was not recorded")
	}
	h.fake.mu.Lock()
	last := h.fake.responses[len(h.fake.responses)-1]
	h.fake.mu.Unlock()
	if last["replace_original"] != true || !strings.Contains(allText(last), "You added a note") {
		t.Fatalf("the list was not replaced after the click: %v", last)
	}
	if h.fake.countCalls("chat.update") != 0 {
		t.Fatal("chat.update was tried on an ephemeral message")
	}
	// A stranger's click on the same list: the refusal goes to its response_url.
	h.interact(ephemeral(uStranger, "escalate", h.fake.responseURL()), nil)
	h.fake.mu.Lock()
	last = h.fake.responses[len(h.fake.responses)-1]
	h.fake.mu.Unlock()
	if last["response_type"] != "ephemeral" || !strings.Contains(allText(last), "that you can see") {
		t.Fatalf("the stranger's refusal: %v", last)
	}
}

// TestAFormDrawnBeforeAProposalIsRefused: the raiser opens Escalate, the
// responder then proposes a resolution; the raiser's escalate form, sent
// after, is refused with what happened, by whom and when; the message it
// came from now carries the buttons for the case as it stands (Confirm,
// Not agreed), and nothing of the escalation is recorded or sent.
func TestAFormDrawnBeforeAProposalIsRefused(t *testing.T) {
	h := newHarness(t)
	ref := h.raise(raiseAnswers())
	h.deliver()
	msg := h.lastDM(uRaiser)
	h.click(uRaiser, msg, "escalate")
	escForm := h.fake.lastOpened()
	h.click(uResponder, h.lastDM(uResponder), "resolved")
	if r := h.submit(h.fake.lastOpened(), uResponder, map[string]any{workflow.FieldOutcome: "Agreed a joint visit", workflow.FieldRecordedOnFile: true}); len(r.body) != 0 {
		t.Fatalf("the proposal was answered %s", r.body)
	}
	version := h.dispute(ref).Version
	h.deliver()

	r := h.submit(escForm, uRaiser, map[string]any{workflow.FieldText: "No agreement"})
	m := r.json(t)
	if m["response_action"] != "update" {
		t.Fatalf("the stale escalate form was answered %s", r.body)
	}
	name := h.env.Directory.Name(userID(uResponder))
	assertContains(t, "the refusal", allText(m), ref+" has moved on since this was shown to you: resolution proposed", "by "+name+" on ", "Nothing you sent was recorded")
	if d := h.dispute(ref); d.Version != version || d.Stage != 1 || d.State != workflow.StateProposed {
		t.Fatalf("the stale form changed the case: version %d, stage %d, %s", d.Version, d.Stage, d.State)
	}
	redrawn := h.fake.message(msg.Channel, msg.TS)
	assertButtons(t, "the raiser's message", redrawn, "confirm", "reject", "note", "withdraw")
	assertContains(t, "the raiser's message", redrawn.Raw, "the case moved on before this was sent")
	if n := h.deliver(); n != 0 {
		t.Fatalf("the refused escalation sent %d messages", n)
	}
}
