package slack

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

func blockIDs(view map[string]any) []string {
	var ids []string
	blocks, _ := view["blocks"].([]any)
	for _, b := range blocks {
		m, _ := b.(map[string]any)
		if id, _ := m["block_id"].(string); id != "" && m["type"] == "input" {
			ids = append(ids, id)
		}
	}
	return ids
}

func inputBlock(t testing.TB, view map[string]any, id string) map[string]any {
	t.Helper()
	blocks, _ := view["blocks"].([]any)
	for _, b := range blocks {
		m, _ := b.(map[string]any)
		if m["block_id"] == id {
			return m
		}
	}
	t.Fatalf("the view has no block %q (it has %v)", id, blockIDs(view))
	return nil
}

func element(t testing.TB, view map[string]any, id string) map[string]any {
	t.Helper()
	el, _ := inputBlock(t, view, id)["element"].(map[string]any)
	return el
}

func strs(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func assertButtons(t testing.TB, who string, m *postedMsg, want ...string) {
	t.Helper()
	if got := buttons(m.Blocks); !slices.Equal(got, want) {
		t.Fatalf("%s's message has buttons %v, want %v\n%s", who, got, want, m.Raw)
	}
}

func assertContains(t testing.TB, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Fatalf("%s does not say %q:\n%s", what, w, truncate(s, 4000))
		}
	}
}

// TestEscalateThroughEveryStage is the whole West Sussex journey over
// signed HTTP against the fake Slack: raised, escalated through every
// stage, a resolution proposed and not agreed, and resolved by the chair.
func TestEscalateThroughEveryStage(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()

	// /escalate opens the raise form at once, with the command's trigger.
	if r := h.command(uRaiser, ""); r.status != http.StatusOK || len(strings.TrimSpace(string(r.body))) != 0 {
		t.Fatalf("/escalate answered %d %q; want an empty 200 after opening the modal", r.status, r.body)
	}
	form := h.fake.lastOpened()
	if form == nil || form.User != uRaiser {
		t.Fatal("/escalate did not open a modal with the command's trigger_id")
	}
	for _, id := range []string{workflow.FieldSubjectRef, workflow.FieldCategory, workflow.FieldResponderAgency,
		workflow.FieldResponder, workflow.FieldDisagreement, workflow.FieldOutcomeSought, workflow.FieldEvidence, workflow.FieldImmediateRisk} {
		inputBlock(t, form.View, id)
	}
	if el := element(t, form.View, workflow.FieldResponder); el["type"] != "users_select" {
		t.Fatalf("the other practitioner is picked with %v, want users_select", el["type"])
	}
	if inputBlock(t, form.View, workflow.FieldImmediateRisk)["dispatch_action"] != true {
		t.Fatal("the immediate-risk checkbox does not dispatch an action")
	}
	if slices.Contains(blockIDs(form.View), workflow.FieldStartStage) {
		t.Fatal("the start stage shows before immediate risk is chosen")
	}
	assertContains(t, "the subject reference's hint", allText(inputBlock(t, form.View, workflow.FieldSubjectRef)), "No names")
	if el := element(t, form.View, workflow.FieldRaiserAgency); el["initial_option"] == nil {
		t.Fatal("the raiser's agency is not filled in from the directory")
	}

	free := []string{} // every piece of free text typed, to look for where it must not go
	answers := raiseAnswers()
	for _, f := range []string{workflow.FieldSubjectRef, workflow.FieldDisagreement, workflow.FieldOutcomeSought, workflow.FieldEvidence} {
		free = append(free, answers[f].(string))
	}
	r := h.submit(form, uRaiser, answers)
	reply := r.json(t)
	if reply["response_action"] != "update" {
		t.Fatalf("the raise was answered %s", r.body)
	}
	const ref = "ESC-2026-0001"
	assertContains(t, "the answer to the raiser", allText(reply), ref)
	if h.kicks.Load() == 0 {
		t.Fatal("the outbox was not kicked after the raise")
	}
	h.deliver()

	// Both parties get a DM; the responder's has the case and the buttons.
	respRaised := h.lastDM(uResponder)
	assertButtons(t, "the responder", respRaised, "resolved", "escalate", "note")
	assertContains(t, "the responder's DM", respRaised.Raw, ref, answers[workflow.FieldDisagreement].(string), "CSC-4471-XQ")
	assertContains(t, "the responder's DM (what is asked, and by when, first)", respRaised.Raw, "disagrees with you about case "+ref+" and asks you to talk it through by Wed 11 Mar, 10:00")
	ack := h.lastDM(uRaiser)
	assertContains(t, "the raiser's DM", ack.Raw, "Your disagreement is raised as "+ref)
	assertButtons(t, "the raiser", ack, "resolved", "escalate", "note", "withdraw")
	if n := len(h.fake.channelPosts(feedChan)); n != 0 {
		t.Fatalf("the business team was told of a stage-1 case (%d posts); West Sussex tells them from stage 2", n)
	}

	// Stage 1 → 2: the raiser escalates from their DM.
	h.click(uRaiser, ack, "escalate")
	esc := h.fake.lastOpened()
	if esc == form {
		t.Fatal("Escalate opened no form")
	}
	if got := strs(element(t, esc.View, workflow.FieldRaiserHolders)["initial_users"]); !slices.Equal(got, []string{uLM1}) {
		t.Fatalf("the raiser's side at stage 2 is prefilled with %v, want the line manager", got)
	}
	if got := strs(element(t, esc.View, workflow.FieldResponderHolders)["initial_users"]); !slices.Equal(got, []string{uLM2}) {
		t.Fatalf("the responder's side at stage 2 is prefilled with %v", got)
	}
	reason1 := "Spoke twice and still no strategy discussion"
	free = append(free, reason1)
	if r := h.submit(esc, uRaiser, map[string]any{workflow.FieldText: reason1}); r.status != 200 || len(r.json(t)) != 0 {
		t.Fatalf("escalating was answered %d %s", r.status, r.body)
	}
	if d := h.dispute(ref); d.Stage != 2 {
		t.Fatalf("the case is at stage %d after escalating, want 2", d.Stage)
	}
	// The clicked message's stage-1 buttons are gone; what the raiser can
	// do at stage 2 replaces them.
	used := h.fake.message(ack.Channel, ack.TS)
	assertButtons(t, "the used message", used, "escalate", "note", "withdraw")
	if strings.Contains(used.Raw, ref+"|1") || !strings.Contains(used.Raw, "You escalated the case") {
		t.Fatalf("the clicked message still offers its stage-1 buttons:\n%s", used.Raw)
	}
	h.deliver()
	lm1 := h.lastDM(uLM1)
	assertButtons(t, "the raiser's line manager", lm1, "resolved", "escalate", "note")
	assertContains(t, "the escalated DM", lm1.Raw, "History", "Raised by Pat Practitioner", reason1, answers[workflow.FieldEvidence].(string))
	assertButtons(t, "the responder's line manager", h.lastDM(uLM2), "resolved", "escalate", "note")
	assertContains(t, "the raiser's news", h.lastDM(uRaiser).Raw, "was escalated to")
	// The responder's stage-1 DM is stale now: its buttons are replaced.
	if stale := h.fake.message(respRaised.Channel, respRaised.TS); len(buttons(stale.Blocks)) != 0 || !strings.Contains(stale.Raw, "has moved on") {
		t.Fatalf("the responder's stage-1 DM still has its buttons:\n%s", stale.Raw)
	}

	// Stage 2 → 3: the senior managers' user group is expanded in the form.
	h.click(uLM1, lm1, "escalate")
	esc2 := h.fake.lastOpened()
	if got := strs(element(t, esc2.View, workflow.FieldRaiserHolders)["initial_users"]); !slices.Equal(got, []string{uSen1a, uSen1b}) {
		t.Fatalf("the raiser's side at stage 3 is prefilled with %v, want the user group's members", got)
	}
	if h.fake.countCalls("usergroups.users.list") == 0 {
		t.Fatal("the user group was not expanded with usergroups.users.list")
	}
	reason2 := "Managers could not agree on threshold"
	free = append(free, reason2)
	h.submit(esc2, uLM1, map[string]any{workflow.FieldText: reason2})
	d := h.dispute(ref)
	if d.Stage != 3 || !slices.Equal(d.Current().Raiser, []workflow.UserID{"slack:" + uSen1a, "slack:" + uSen1b}) {
		t.Fatalf("stage %d held by %v, want stage 3 held by the group's members", d.Stage, d.Current().Raiser)
	}
	h.deliver()
	for _, u := range []string{uSen1a, uSen1b, uSen2} {
		assertContains(t, u+"'s DM", h.lastDM(u).Raw, "has been escalated to you", "History", reason2)
	}

	// Stage 3: a resolution is proposed, and not agreed.
	h.click(uSen2, h.lastDM(uSen2), "resolved")
	prop := h.fake.lastOpened()
	inputBlock(t, prop.View, workflow.FieldOutcome)
	inputBlock(t, prop.View, workflow.FieldRecordedOnFile)
	outcome := "Joint visit next week with both agencies"
	free = append(free, outcome)
	h.submit(prop, uSen2, map[string]any{workflow.FieldOutcome: outcome, workflow.FieldRecordedOnFile: true})
	if d := h.dispute(ref); d.State != workflow.StateProposed {
		t.Fatalf("the case is %s after a proposal", d.State)
	}
	h.deliver()
	proposal := h.lastDM(uSen1a)
	assertButtons(t, "the other side", proposal, "confirm", "reject", "note")
	h.click(uSen1a, proposal, "reject")
	rej := h.fake.lastOpened()
	why := "A joint visit does not address the bruising"
	free = append(free, why)
	h.submit(rej, uSen1a, map[string]any{workflow.FieldText: why})
	if d := h.dispute(ref); d.State != workflow.StateOpen {
		t.Fatalf("the case is %s after the proposal was not agreed", d.State)
	}
	h.deliver()

	// Stage 3 → 4: the chair.
	h.click(uSen1a, h.lastDM(uSen1a), "escalate")
	esc3 := h.fake.lastOpened()
	if got := strs(element(t, esc3.View, workflow.FieldRaiserHolders)["initial_users"]); !slices.Equal(got, []string{uChair}) {
		t.Fatalf("the chair's stage is prefilled with %v", got)
	}
	reason3 := "Senior managers disagree and the child remains at risk"
	free = append(free, reason3)
	h.submit(esc3, uSen1a, map[string]any{workflow.FieldText: reason3})
	if d := h.dispute(ref); d.Stage != 4 {
		t.Fatalf("the case is at stage %d, want the chair's stage 4", d.Stage)
	}
	h.deliver()
	chair := h.lastDM(uChair)
	assertButtons(t, "the chair", chair, "resolve", "panel", "note")
	assertContains(t, "the chair's DM", chair.Raw, "History", reason1, reason2, why, reason3)

	// The chair convenes a resolution panel of three agencies, then resolves.
	h.click(uChair, chair, "panel")
	panel := h.fake.lastOpened()
	if got := len(element(t, panel.View, workflow.FieldPanel)["initial_options"].([]any)); got != 2 {
		t.Fatalf("the panel form starts with %d agencies, want the two in dispute", got)
	}
	assertContains(t, "the panel form's title", allText(panel.View["title"]), "Convene a resolution…")
	// The panel is a meeting: its day (by the stage's deadline), its three
	// agencies, who attends (the chair, as the form starts).
	london, _ := time.LoadLocation("Europe/London")
	day := h.dispute(ref).Deadline.In(london).Format(time.DateOnly)
	if r := h.submit(panel, uChair, map[string]any{workflow.FieldPanel: []string{"csc", "health"}, workflow.FieldMeetingOn: day}).json(t); r["response_action"] != "errors" {
		t.Fatalf("a panel of two agencies was answered %v", r)
	}
	h.submit(panel, uChair, map[string]any{workflow.FieldPanel: []string{"csc", "health", "police"}, workflow.FieldMeetingOn: day})
	if d := h.dispute(ref); d.State != workflow.StatePanel || d.Meeting == nil || string(d.Meeting.On) != day {
		t.Fatalf("the case is %s after the chair convened a panel (meeting %+v)", d.State, d.Meeting)
	}
	h.deliver()
	chair = h.lastDM(uChair)
	assertButtons(t, "the chair with a panel convened", chair, "resolve", "meeting_outcome", "note")
	h.click(uChair, chair, "resolve")
	res := h.fake.lastOpened()
	decision := "Strategy discussion to be convened by social care today"
	free = append(free, decision)
	h.submit(res, uChair, map[string]any{workflow.FieldOutcome: decision, workflow.FieldRecordedOnFile: true})
	if d := h.dispute(ref); d.State != workflow.StateResolved {
		t.Fatalf("the case is %s after the chair resolved it", d.State)
	}
	h.deliver()
	for _, u := range []string{uRaiser, uResponder, uLM1, uLM2, uSen1a, uSen1b, uSen2, uChair} {
		assertContains(t, u+"'s written record", h.lastDM(u).Raw, "resolved by the chair", decision)
	}

	// The business team's feed: one thread, from stage 2 on.
	feed := h.fake.channelPosts(feedChan)
	if len(feed) < 5 {
		t.Fatalf("the feed has %d posts, want one per step from stage 2", len(feed))
	}
	if feed[0].ThreadTS != "" {
		t.Fatal("the first feed post for the case is not the start of its thread")
	}
	for i, p := range feed[1:] {
		if p.ThreadTS != feed[0].TS {
			t.Fatalf("feed post %d is not in the case's thread (thread_ts %q, want %q)", i+1, p.ThreadTS, feed[0].TS)
		}
	}
	assertContains(t, "the feed", feed[0].Raw, ref, "Escalated to")
	// No free text and no subject reference ever reaches a channel.
	for _, c := range h.fake.snapshotCalls() {
		ch, _ := c.Params["channel"].(string)
		if c.Method != "chat.postMessage" || !strings.HasPrefix(ch, "C") {
			continue
		}
		if ch != feedChan {
			t.Fatalf("Escalate posted to channel %s", ch)
		}
		for _, s := range free {
			if strings.Contains(allText(c.Params), s) {
				t.Fatalf("free text %q reached the channel:\n%v", s, c.Params)
			}
		}
	}
	// Nor the log.
	logs := h.logs.String()
	for _, s := range free {
		if strings.Contains(logs, s) {
			t.Fatalf("free text %q is in the log", s)
		}
	}
	if h.fake.countCalls("users.info") == 0 {
		t.Fatal("the other practitioner was not looked up")
	}
	_ = ctx
}
