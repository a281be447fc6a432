package teams

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/escalate-app/escalate/workflow"
)

// channelHello makes a person known to the bot from a team channel only:
// the bot knows their Teams id but has no 1:1 chat with them yet.
func (h *harness) channelHello(aad string) {
	h.send(inChannel(h.activity(aad, "<at>Escalate</at> help", nil, "")))
}

// TestEscalateProposeConfirm runs a case end to end over HTTP: "escalate"
// in Teams, the raise card, a refused and a good submit, proactive DMs in
// conversations the bot creates, escalation to stage 2 with the business
// team's feed thread, a proposal and its confirmation.
func TestEscalateProposeConfirm(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// The responder and the responder's manager have spoken to the bot in
	// a channel only; the raiser's manager never has.
	for _, p := range []string{aadResponder, aadLM2} {
		h.channelHello(p)
	}
	help := h.conn.all()[0]
	if help.Op != "reply" || help.Conversation != "19:team-general@thread.tacv2" {
		t.Fatalf("help was not answered in the channel: %+v", help)
	}
	mustContain(t, "help in a channel", help.Raw, "Professional disagreements", "Call 999", "escalate")

	// "escalate" → the raise card, emergency route first.
	h.send(h.activity(aadRaiser, "<at>Escalate</at> escalate", nil, ""))
	form := h.lastReply(aadRaiser)
	body, _ := form.card()["body"].([]any)
	first, _ := body[0].(map[string]any)
	if first["type"] != "Container" || first["style"] != "attention" || !strings.Contains(form.Raw, "01403 229900") {
		t.Fatalf("the raise card does not open with the emergency route: %v", first)
	}
	mustContain(t, "the raise card", form.Raw, `"Input.ChoiceSet"`, `"choices.data":{"type":"Data.Query","dataset":"graph.microsoft.com/users"}`,
		`"value":"`+strings.ToLower(aadResponder)+`"`, `"isMultiline":true`, `"Input.Toggle"`, `"id":"immediate_risk"`, `"style":"emphasis"`)
	mustNotContain(t, "the raise card", form.Raw, "UOTHER")
	submit := button(t, form.card(), "submit")
	if submit[dataForm] != "raise" {
		t.Fatalf("the raise card's submit data: %v", submit)
	}

	// A bad answer: the card is redrawn in place with the problem in red
	// and the answers kept; nothing is raised.
	bad := raiseValues(submit)
	bad[workflow.FieldSubjectRef] = "Jane Smith"
	h.send(h.activity(aadRaiser, "", bad, form.ID))
	redrawn := h.conn.ops("update")
	if len(redrawn) != 1 || redrawn[0].Activity != form.ID || redrawn[0].Conversation != personalConv(aadRaiser) {
		t.Fatalf("the refused form was not redrawn in place: %+v", redrawn)
	}
	mustContain(t, "the form redrawn", redrawn[0].Raw, `"color":"Attention"`, "Case number: This looks like a name", "Health visitor declined")
	if refs, _ := h.st.AllRefs(ctx); len(refs) != 0 {
		t.Fatal("a bad form raised a case")
	}

	h.send(h.activity(aadRaiser, "", raiseValues(submit), form.ID))
	refs, _ := h.st.AllRefs(ctx)
	if len(refs) != 1 {
		t.Fatalf("cases after the raise: %v", refs)
	}
	ref := refs[0]
	if u := h.conn.ops("update"); len(u) != 2 || u[1].Activity != form.ID || !strings.Contains(u[1].Raw, "Raised as "+ref) || hasButton(u[1].card()) {
		t.Fatalf("the submitted form was not replaced by its confirmation: %+v", u)
	}
	d, _, _ := h.st.Load(ctx, ref)
	if d.Responder.Person != uid(aadResponder) || d.Raiser.Person != uid(aadRaiser) {
		t.Fatalf("people on the case: %v, %v", d.Raiser.Person, d.Responder.Person)
	}
	if h.kicks.Load() == 0 {
		t.Fatal("the outbox was not kicked")
	}

	h.deliver()
	creates := h.conn.ops("create")
	if len(creates) != 1 || !strings.Contains(creates[0].Raw, `"members":[{"id":"`+teamsID(aadResponder)+`"}]`) {
		t.Fatalf("a 1:1 chat with the responder was not created with their Teams id: %+v", creates)
	}
	respDM := h.lastDM(creates[0].ID)
	mustContain(t, "the responder's DM", respDM.Raw, ref, "Health visitor declined", "CSC-4471-XQ", cardContentType)
	button(t, respDM.card(), "resolved")
	ack := h.lastDM(personalConv(aadRaiser))
	mustContain(t, "the raiser's DM", ack.Raw, ref)
	if v, ok, _ := h.st.GetRef(ctx, refActivity, ref+"|"+string(uid(aadResponder))); !ok || v != creates[0].ID+"|"+respDM.ID {
		t.Fatalf("the responder's DM was not remembered: %q", v)
	}
	for _, c := range h.conn.all() {
		if strings.HasPrefix(c.Conversation, feedConv) {
			t.Fatal("West Sussex's business team was told at stage 1")
		}
	}

	// The raiser escalates: button → form → submit.
	h.send(h.activity(aadRaiser, "", button(t, ack.card(), "escalate"), ack.ID))
	escForm := h.lastReply(aadRaiser)
	mustContain(t, "the escalate form", escForm.Raw, workflow.FieldRaiserHolders, strings.ToLower(aadLM1), "Lee Manager")
	reason := "Spoke twice and still no strategy discussion"
	vals := button(t, escForm.card(), "submit")
	if vals[dataCard] != ack.ID || vals[dataRef] != ref || vals[dataStage] != "1" {
		t.Fatalf("the escalate form's data: %v", vals)
	}
	vals[workflow.FieldText] = reason
	vals[workflow.FieldRaiserHolders] = strings.ToLower(aadLM1)
	vals[workflow.FieldResponderHolders] = strings.ToLower(aadLM2)
	h.send(h.activity(aadRaiser, "", vals, escForm.ID))
	if d, _, _ := h.st.Load(ctx, ref); d.Stage != 2 {
		t.Fatalf("stage %d after escalating", d.Stage)
	}
	updates := h.conn.ops("update")
	formDone, ackRetired := updates[len(updates)-2], updates[len(updates)-1]
	if formDone.Activity != escForm.ID || !strings.Contains(formDone.Raw, "You escalated the case") || hasButton(formDone.card()) {
		t.Fatalf("the escalate form was not closed: %+v", formDone)
	}
	if ackRetired.Activity != ack.ID || !strings.Contains(ackRetired.Raw, "You escalated the case") ||
		strings.Contains(ackRetired.Raw, `"stage":"1"`) || !strings.Contains(ackRetired.Raw, ref) {
		t.Fatalf("the used card kept its stale buttons: %s", ackRetired.Raw)
	}

	// The old button pressed again (a card Teams still shows): refused,
	// told to the person who pressed it, nothing changes.
	before := len(h.conn.all())
	h.send(h.activity(aadRaiser, "", button(t, ack.card(), "escalate"), ack.ID))
	stale := h.conn.all()[before:]
	if len(stale) != 1 || stale[0].Op != "reply" || stale[0].Conversation != personalConv(aadRaiser) {
		t.Fatalf("the stale press was not answered to its presser alone: %+v", stale)
	}
	mustContain(t, "a stale button's answer", stale[0].Raw, "Nothing was changed", "was escalated to Stage 2")
	if d, _, _ := h.st.Load(ctx, ref); d.Stage != 2 || d.Version != 2 {
		t.Fatalf("a stale press changed the case: stage %d version %d", d.Stage, d.Version)
	}

	h.deliver()
	creates = h.conn.ops("create")
	var lm1conv, lm2conv string
	for _, c := range creates {
		switch {
		case strings.Contains(c.Raw, `"members":[{"id":"`+strings.ToLower(aadLM1)+`"}]`):
			lm1conv = c.ID // never spoke to the bot: reached by AAD object id
		case strings.Contains(c.Raw, `"members":[{"id":"`+teamsID(aadLM2)+`"}]`):
			lm2conv = c.ID
		}
	}
	if lm1conv == "" || lm2conv == "" || len(creates) != 3 {
		t.Fatalf("1:1 chats with the managers were not created: %+v", creates)
	}
	lm2 := h.lastDM(lm2conv)
	mustContain(t, "the responder's manager's DM", lm2.Raw, "History", reason, "Health visitor declined")
	var root string
	for _, c := range h.conn.ops("send") {
		if c.Conversation == feedConv {
			if root != "" {
				t.Fatal("a second feed post started a new thread")
			}
			root = c.ID
		}
	}
	if root == "" {
		t.Fatal("no business-team feed post at stage 2")
	}
	if v, _, _ := h.st.GetRef(ctx, refThread, ref); v != root {
		t.Fatalf("the feed thread was not remembered: %q", v)
	}

	// The responder's manager proposes; the raiser's manager confirms.
	h.send(h.activity(aadLM2, "", button(t, lm2.card(), "resolved"), lm2.ID))
	prop := h.lastReply(aadLM2)
	pv := button(t, prop.card(), "submit")
	outcome := "Joint visit next week with both agencies"
	pv[workflow.FieldOutcome] = outcome
	pv[workflow.FieldRecordedOnFile] = "true"
	h.send(h.activity(aadLM2, "", pv, prop.ID))
	if d, _, _ := h.st.Load(ctx, ref); d.State != workflow.StateProposed {
		t.Fatalf("state %s after proposing", d.State)
	}
	h.deliver()
	lm1 := h.lastDM(lm1conv)
	mustContain(t, "the proposal", lm1.Raw, outcome)
	confirm := h.activity(aadLM1, "", button(t, lm1.card(), "confirm"), lm1.ID)
	confirm["conversation"] = map[string]any{"id": lm1conv, "conversationType": "personal", "tenantId": tenantID}
	h.send(confirm)
	if d, _, _ := h.st.Load(ctx, ref); d.State != workflow.StateResolved {
		t.Fatalf("state %s after confirming", d.State)
	}
	u := h.conn.ops("update")
	if last := u[len(u)-1]; last.Activity != lm1.ID || last.Conversation != lm1conv || !strings.Contains(last.Raw, "You confirmed the resolution") ||
		strings.Contains(last.Raw, `"action":"confirm"`) {
		t.Fatalf("the confirmed card was not redrawn without its buttons: %+v", last)
	}
	// The bot kept LM1's conversation from their activity.
	if r, ok, _ := h.a.conversationOf(ctx, uid(aadLM1)); !ok || r.ConversationID != lm1conv || r.TeamsUserID != teamsID(aadLM1) {
		t.Fatalf("LM1's conversation reference: %+v", r)
	}
	h.deliver()

	// Later feed posts reply in the case's thread; none carries free text,
	// the subject reference or a button.
	threaded := 0
	for _, c := range h.conn.all() {
		if !strings.HasPrefix(c.Conversation, feedConv) {
			continue
		}
		if c.Conversation == feedConv+";messageid="+root {
			threaded++
		}
		mustNotContain(t, "a feed post", c.Raw, reason, outcome, "CSC-4471-XQ", "Health visitor declined", "bruises", "History", `"Action.Submit"`)
	}
	if threaded < 2 {
		t.Fatalf("%d feed posts replied in the case's thread", threaded)
	}

	// show and list answer privately; an unknown command gets the usage.
	h.send(h.activity(aadRaiser, "show "+strings.ToLower(ref), nil, ""))
	mustContain(t, "show", h.lastReply(aadRaiser).Raw, "History", reason, outcome)
	h.send(h.activity(aadLM2, "list", nil, ""))
	mustContain(t, "list", h.lastReply(aadLM2).Raw, "no open cases")
	h.send(h.activity(aadRaiser, "what?", nil, ""))
	mustContain(t, "usage", h.lastReply(aadRaiser).Raw, "does not know", "escalate", "list", "show ESC-")
}

// A raise at immediate risk shows the emergency route again, first, in the
// card that confirms it.
func TestImmediateRiskConfirmationShowsTheEmergencyRoute(t *testing.T) {
	h := newHarness(t)
	h.send(h.activity(aadRaiser, "escalate", nil, ""))
	form := h.lastReply(aadRaiser)
	v := raiseValues(button(t, form.card(), "submit"))
	v[workflow.FieldImmediateRisk] = "true"
	v[workflow.FieldStartStage] = "2"
	v[workflow.FieldStartReason] = "Bruising seen today; the police were called first"
	h.send(h.activity(aadRaiser, "", v, form.ID))
	refs, _ := h.st.AllRefs(context.Background())
	if len(refs) != 1 {
		t.Fatalf("cases: %v", refs)
	}
	d, _, _ := h.st.Load(context.Background(), refs[0])
	if !d.ImmediateRisk || d.Stage != 2 {
		t.Fatalf("risk %v stage %d", d.ImmediateRisk, d.Stage)
	}
	done := h.conn.ops("update")
	if len(done) != 1 {
		t.Fatalf("updates: %+v", done)
	}
	body, _ := done[0].card()["body"].([]any)
	first, _ := json.Marshal(body[0])
	mustContain(t, "the confirmation's first element", string(first), `"style":"attention"`, "Call 999", "emergency route")
	mustContain(t, "the confirmation", done[0].Raw, "Raised as "+refs[0])
}

// In a channel, "escalate" and "show" answer in the person's 1:1 chat (made
// for them when there is none); the channel hears only where to look.
func TestChannelCommandsAnswerPrivately(t *testing.T) {
	h := newHarness(t)
	h.send(inChannel(h.activity(aadRaiser, "<at>Escalate</at> escalate", nil, "")))
	calls := h.conn.all()
	if len(calls) != 3 || calls[0].Op != "create" || calls[1].Op != "send" || calls[2].Op != "reply" {
		t.Fatalf("calls: %+v", calls)
	}
	if calls[1].Conversation != calls[0].ID || !strings.Contains(calls[1].Raw, `"Input.Text"`) {
		t.Fatalf("the raise card did not go to the new 1:1 chat: %+v", calls[1])
	}
	if calls[2].Conversation != "19:team-general@thread.tacv2" || strings.Contains(calls[2].Raw, "Input.") {
		t.Fatalf("the channel got more than a pointer: %s", calls[2].Raw)
	}
	mustContain(t, "the channel's answer", calls[2].Raw, "1:1 chat")
	if r, ok, _ := h.a.conversationOf(context.Background(), uid(aadRaiser)); !ok || r.ConversationID != calls[0].ID {
		t.Fatalf("the new 1:1 chat was not remembered: %+v", r)
	}
}

// The same card submitted twice (a double click, or Teams resending)
// records one case; the second submit is told the reference the first got.
func TestDoubleSubmitRaisesOnce(t *testing.T) {
	h := newHarness(t)
	h.send(h.activity(aadRaiser, "escalate", nil, ""))
	form := h.lastReply(aadRaiser)
	v := raiseValues(button(t, form.card(), "submit"))
	h.send(h.activity(aadRaiser, "", v, form.ID))
	h.send(h.activity(aadRaiser, "", v, form.ID))
	if refs, _ := h.st.AllRefs(context.Background()); len(refs) != 1 {
		t.Fatalf("cases after a double submit: %v", refs)
	}
	ref := "ESC-2026-0001"
	mustContain(t, "the second submit's answer", h.last("update", personalConv(aadRaiser)).Raw, "Already raised as "+ref)
}

// Add note and Not agreed open the same follow-up forms as in Slack; a
// follow-up form sent back with a problem is redrawn in place, in red,
// and the case is unchanged until it is answered.
func TestNoteAndNotAgreed(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.knownPerson(aadResponder)
	h.send(h.activity(aadRaiser, "escalate", nil, ""))
	form := h.lastReply(aadRaiser)
	h.send(h.activity(aadRaiser, "", raiseValues(button(t, form.card(), "submit")), form.ID))
	ref, _ := h.st.AllRefs(ctx)
	h.deliver()
	resp := h.lastDM(personalConv(aadResponder))

	// A note.
	h.send(h.activity(aadResponder, "", button(t, resp.card(), "note"), resp.ID))
	noteForm := h.lastReply(aadResponder)
	mustContain(t, "the note form", noteForm.Raw, "Add a note", `"isMultiline":true`)
	nv := button(t, noteForm.card(), "submit")
	nv[workflow.FieldText] = "Visited again; no change"
	h.send(h.activity(aadResponder, "", nv, noteForm.ID))
	_, hist, _ := h.st.Load(ctx, ref[0])
	if last := hist[len(hist)-1]; last.Kind != workflow.CmdComment || last.Text != "Visited again; no change" {
		t.Fatalf("the note was not recorded: %+v", last)
	}

	// The responder proposes; the raiser does not agree.
	resp = h.lastDM(personalConv(aadResponder))
	h.send(h.activity(aadResponder, "", button(t, resp.card(), "resolved"), resp.ID))
	prop := h.lastReply(aadResponder)
	pv := button(t, prop.card(), "submit")
	pv[workflow.FieldOutcome] = "A joint visit on Friday"
	h.send(h.activity(aadResponder, "", pv, prop.ID))
	h.deliver()
	raiserDM := h.lastDM(personalConv(aadRaiser))
	h.send(h.activity(aadRaiser, "", button(t, raiserDM.card(), "reject"), raiserDM.ID))
	reject := h.lastReply(aadRaiser)
	mustContain(t, "the Not agreed form", reject.Raw, "Not agreed", "A joint visit on Friday")
	rv := button(t, reject.card(), "submit")
	rv[workflow.FieldText] = " "
	updates := len(h.conn.ops("update"))
	h.send(h.activity(aadRaiser, "", rv, reject.ID))
	redrawn := h.conn.ops("update")[updates:]
	if len(redrawn) != 1 || redrawn[0].Activity != reject.ID || !strings.Contains(redrawn[0].Raw, `"color":"Attention"`) {
		t.Fatalf("an empty reason was not shown in place: %+v", redrawn)
	}
	if d, _, _ := h.st.Load(ctx, ref[0]); d.State != workflow.StateProposed {
		t.Fatalf("state %s after a refused answer", d.State)
	}
	rv[workflow.FieldText] = "Friday is too late"
	h.send(h.activity(aadRaiser, "", rv, reject.ID))
	if d, _, _ := h.st.Load(ctx, ref[0]); d.State == workflow.StateProposed || d.Proposal != nil {
		t.Fatalf("state %s after not agreeing", d.State)
	}
}

// A form drawn before the case moved on materially: the raiser opens
// Escalate, the responder then proposes a resolution; the raiser's
// escalate form is refused with what happened, by whom and when, shown
// with the case's buttons now (Confirm, Not agreed), and changes nothing.
func TestAFormDrawnBeforeAProposalIsRefused(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.knownPerson(aadResponder)
	ref := h.raiseOne()
	h.deliver()
	ack := h.lastDM(personalConv(aadRaiser))
	h.send(h.activity(aadRaiser, "", button(t, ack.card(), "escalate"), ack.ID))
	escForm := h.lastReply(aadRaiser)
	ev := button(t, escForm.card(), "submit")
	if ev[dataVersion] != "1" {
		t.Fatalf("the escalate form does not carry the version it was drawn for: %v", ev)
	}
	ev[workflow.FieldText] = "Spoke twice and still no strategy discussion"

	resp := h.lastDM(personalConv(aadResponder))
	h.send(h.activity(aadResponder, "", button(t, resp.card(), "resolved"), resp.ID))
	prop := h.lastReply(aadResponder)
	pv := button(t, prop.card(), "submit")
	pv[workflow.FieldOutcome] = "A joint visit on Friday"
	h.send(h.activity(aadResponder, "", pv, prop.ID))
	d, _, _ := h.st.Load(ctx, ref)
	if d.State != workflow.StateProposed {
		t.Fatalf("the proposal was not recorded: %s", d.State)
	}
	h.deliver()
	before := len(h.conn.all())

	h.send(h.activity(aadRaiser, "", ev, escForm.ID))
	answers := h.conn.all()[before:]
	if len(answers) == 0 {
		t.Fatal("the stale form was not answered")
	}
	got := answers[len(answers)-1]
	if got.Conversation != personalConv(aadRaiser) {
		t.Fatalf("the answer went to %s", got.Conversation)
	}
	name := h.eng.Env().Directory.Name(d.Responder.Person)
	mustContain(t, "the refusal", got.Raw, "has moved on since this was shown to you: resolution proposed", "by "+name+" on ", "Nothing you sent was recorded")
	button(t, got.card(), "confirm")
	button(t, got.card(), "reject")
	if after, _, _ := h.st.Load(ctx, ref); after.Version != d.Version || after.Stage != 1 {
		t.Fatalf("the stale form changed the case: version %d → %d, stage %d", d.Version, after.Version, after.Stage)
	}
	n := len(h.conn.all())
	h.deliver()
	if len(h.conn.all()) != n {
		t.Fatal("the refused escalation sent messages")
	}
}
