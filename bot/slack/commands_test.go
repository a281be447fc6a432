package slack

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// TestBadInputIsAnsweredInline: a bad raise form is answered with errors
// by block id and nothing is created.
func TestBadInputIsAnsweredInline(t *testing.T) {
	h := newHarness(t)
	h.command(uRaiser, "")
	form := h.fake.lastOpened()
	ids := blockIDs(form.View)

	bad := raiseAnswers()
	bad[workflow.FieldSubjectRef] = "Jane Smith" // a name, not a case number
	bad[workflow.FieldDisagreement] = ""
	bad[workflow.FieldResponder] = uRaiser // themselves
	r := h.submit(form, uRaiser, bad)
	m := r.json(t)
	if r.status != http.StatusOK || m["response_action"] != "errors" {
		t.Fatalf("bad input was answered %d %s", r.status, r.body)
	}
	errs, _ := m["errors"].(map[string]any)
	for _, f := range []string{workflow.FieldSubjectRef, workflow.FieldDisagreement, workflow.FieldResponder} {
		if errs[f] == nil {
			t.Fatalf("no inline error for %s: %v", f, errs)
		}
	}
	for k := range errs {
		if !slices.Contains(ids, k) {
			t.Fatalf("an error is keyed %q, which is not a block of the form", k)
		}
	}
	assertContains(t, "the subject reference's error", errs[workflow.FieldSubjectRef].(string), "looks like a name")

	// An app as the other practitioner.
	bad = raiseAnswers()
	bad[workflow.FieldResponder] = uBot
	m = h.submit(form, uRaiser, bad).json(t)
	if e, _ := m["errors"].(map[string]any); e[workflow.FieldResponder] != "Choose a person, not an app" {
		t.Fatalf("an app as the responder was answered %v", m)
	}

	if refs, _ := h.st.AllRefs(context.Background()); len(refs) != 0 {
		t.Fatalf("bad input raised %v", refs)
	}
	if h.deliver() != 0 || h.kicks.Load() != 0 {
		t.Fatal("bad input sent messages")
	}
}

// TestImmediateRiskShowsTheEmergencyRouteFirst: ticking the box redraws
// the form (views.update, with the view's hash) with the emergency route
// first and the start stage and reason; a case may then start later, its
// holders' user group expanded.
func TestImmediateRiskShowsTheEmergencyRouteFirst(t *testing.T) {
	h := newHarness(t)
	h.command(uRaiser, "")
	form := h.fake.lastOpened()
	answers := raiseAnswers()
	answers[workflow.FieldImmediateRisk] = true

	// Sent before the redraw arrived: the route is shown, nothing raised.
	early := h.submit(form, uRaiser, answers).json(t)
	if early["response_action"] != "update" || !strings.Contains(allText(early), "999") {
		t.Fatalf("a raise with immediate risk was not stopped to show the emergency route: %v", early)
	}
	if refs, _ := h.st.AllRefs(context.Background()); len(refs) != 0 {
		t.Fatal("raised before the emergency route was shown")
	}

	view := viewPayload(form, answers)
	h.interact(map[string]any{"type": "block_actions", "user": map[string]any{"id": uRaiser}, "trigger_id": h.fake.trigger(uRaiser),
		"container": map[string]any{"type": "view", "view_id": form.ID}, "view": view,
		"actions": []any{map[string]any{"type": "checkboxes", "action_id": workflow.FieldImmediateRisk, "block_id": workflow.FieldImmediateRisk,
			"selected_options": []any{map[string]any{"value": workflow.FieldImmediateRisk}}}}}, nil)
	if h.fake.countCalls("views.update") != 1 {
		t.Fatal("ticking immediate risk did not update the view")
	}
	upd := h.fake.current(form.ID)
	if upd.Hash == form.Hash {
		t.Fatal("the view was not redrawn")
	}
	blocks, _ := upd.View["blocks"].([]any)
	assertContains(t, "the first block", allText(blocks[0]), "emergency route", "Call 999", "front door (MASH)")
	ids := blockIDs(upd.View)
	risk, stage, reason := slices.Index(ids, workflow.FieldImmediateRisk), slices.Index(ids, workflow.FieldStartStage), slices.Index(ids, workflow.FieldStartReason)
	if risk < 0 || stage < risk || reason < stage {
		t.Fatalf("the start stage and reason do not follow the risk box: %v", ids)
	}
	if el := element(t, upd.View, workflow.FieldSubjectRef); el["initial_value"] != answers[workflow.FieldSubjectRef] {
		t.Fatal("redrawing the form lost what was typed")
	}

	// A later stage without a reason is answered inline.
	answers[workflow.FieldStartStage] = "3"
	m := h.submit(upd, uRaiser, answers).json(t)
	if e, _ := m["errors"].(map[string]any); e[workflow.FieldStartReason] == nil {
		t.Fatalf("a later start without a reason was answered %v", m)
	}
	answers[workflow.FieldStartReason] = "Child seen with injuries this morning"
	if m := h.submit(upd, uRaiser, answers).json(t); m["response_action"] != "update" {
		t.Fatalf("the raise was answered %v", m)
	}
	refs, _ := h.st.AllRefs(context.Background())
	d := h.dispute(refs[0])
	if d.Stage != 3 || !d.ImmediateRisk {
		t.Fatalf("the case started at stage %d", d.Stage)
	}
	if got := d.Current().Raiser; !slices.Equal(got, []workflow.UserID{"slack:" + uSen1a, "slack:" + uSen1b}) {
		t.Fatalf("the user group was not expanded into people: %v", got)
	}
	h.deliver()
	for _, u := range []string{uSen1a, uSen1b, uSen2} {
		assertContains(t, u+"'s DM", h.lastDM(u).Raw, "risk of immediate harm", "Call 999", "Child seen with injuries")
	}
}

// TestHelpListShowAndMore: the subcommands, and the extension point.
func TestHelpListShowAndMore(t *testing.T) {
	h := newHarness(t)
	help := h.command(uStranger, "help").json(t)
	if help["response_type"] != "ephemeral" {
		t.Fatalf("help is not ephemeral: %v", help)
	}
	assertContains(t, "help", allText(help), "Professional disagreements about a child's safety", "Complaints and whistleblowing", "Call 999", "/escalate list")

	ref := h.raise(raiseAnswers())
	h.deliver()
	list := allText(h.command(uResponder, "list").json(t))
	assertContains(t, "list", list, ref, "Stage 1 (Professional to professional)", "Window closes", "Wed 11 Mar, 10:00", "esc:resolved")
	if strings.Contains(list, "CSC-4471-XQ") {
		t.Fatal("the list shows the subject reference")
	}
	assertContains(t, "an empty list", allText(h.command(uStranger, "list").json(t)), "no open cases")

	show := allText(h.command(uResponder, "show "+strings.ToLower(ref)).json(t))
	assertContains(t, "show", show, ref, "CSC-4471-XQ", "History", "Raised by Pat Practitioner", "strategy discussion despite bruising")
	assertContains(t, "show to a stranger", allText(h.command(uStranger, "show "+ref).json(t)), "There is no case "+ref+" that you can see")
	assertContains(t, "show without a reference", allText(h.command(uResponder, "show").json(t)), "Give its reference")
	assertContains(t, "usage", allText(h.command(uResponder, "frobnicate now").json(t)), "does not know", "/escalate help")

	// Registered subcommands: a quick one answers inline, a slow one "working
	// on it" and then through the response_url.
	var got SubcommandRequest
	h.a.HandleSubcommand("Record", func(ctx context.Context, req SubcommandRequest) (workflow.Message, error) {
		got = req
		return workflow.Message{Kind: workflow.MsgInfo, Title: "Record of " + req.Args}, nil
	})
	assertContains(t, "record", allText(h.command(uResponder, "record "+ref).json(t)), "Record of "+ref)
	if got.User != "slack:"+uResponder || got.Args != ref || got.TriggerID == "" {
		t.Fatalf("the handler got %+v", got)
	}
	assertContains(t, "usage", allText(h.command(uResponder, "nope").json(t)), "/escalate record")
	h.a.HandleSubcommand("report", func(ctx context.Context, req SubcommandRequest) (workflow.Message, error) {
		time.Sleep(200 * time.Millisecond)
		return workflow.Message{}, &workflow.Refusal{Code: workflow.RefuseNotAllowed, Message: "Only the business team can run reports"}
	})
	h.a.replyBudget = 20 * time.Millisecond
	assertContains(t, "a slow reply", allText(h.command(uResponder, "report").json(t)), "Working on it")
	h.fake.mu.Lock()
	late := allText(h.fake.responses)
	h.fake.mu.Unlock()
	assertContains(t, "the late reply", late, "Only the business team can run reports", "ephemeral")

	defer func() {
		if recover() == nil {
			t.Fatal("replacing a built-in subcommand did not panic")
		}
	}()
	h.a.HandleSubcommand("help", nil)
}

// TestAppHome publishes the person's open cases with their buttons, and a
// click there opens the form and redraws the Home tab after.
func TestAppHome(t *testing.T) {
	h := newHarness(t)
	ref := h.raise(raiseAnswers())
	h.deliver()
	ev := `{"type":"event_callback","event_id":"EvHome1","event":{"type":"app_home_opened","user":"UPRAC2","channel":"D1","tab":"home","event_ts":"1.2"}}`
	if r := h.post("/slack/events", "application/json", ev, nil); r.status != http.StatusOK {
		t.Fatalf("the event was answered %d", r.status)
	}
	h.fake.mu.Lock()
	home := h.fake.homes[uResponder]
	h.fake.mu.Unlock()
	if home == nil {
		t.Fatal("no Home tab was published")
	}
	text := allText(home)
	assertContains(t, "the Home tab", text, ref, "Stage 1 (Professional to professional)", "Wed 11 Mar, 10:00", "esc:resolved", "esc:escalate", "esc:raise", "Call 999")
	if strings.Contains(text, "CSC-4471-XQ") || strings.Contains(text, "bruising") {
		t.Fatal("the Home tab shows the subject reference or free text")
	}

	// Escalate from the Home tab.
	blocks, _ := home["blocks"].([]any)
	bid, value, _ := button(blocks, "escalate")
	h.interact(map[string]any{"type": "block_actions", "user": map[string]any{"id": uResponder}, "trigger_id": h.fake.trigger(uResponder),
		"container": map[string]any{"type": "view", "view_id": "VHOME"}, "view": map[string]any{"id": "VHOME", "type": "home", "hash": "hh"},
		"actions": []any{map[string]any{"type": "button", "action_id": actionPrefix + "escalate", "block_id": bid, "value": value}}}, nil)
	form := h.fake.lastOpened()
	if form.User != uResponder || !slices.Contains(blockIDs(form.View), workflow.FieldText) {
		t.Fatal("the Home tab's Escalate opened no form")
	}
	published := len(h.fake.publishes)
	h.submit(form, uResponder, map[string]any{workflow.FieldText: "No answer from the practitioner"})
	if h.dispute(ref).Stage != 2 {
		t.Fatal("escalating from the Home tab did not escalate")
	}
	if len(h.fake.publishes) != published+1 {
		t.Fatal("the Home tab was not redrawn after acting from it")
	}
	// A refusal from the Home tab (no channel to answer in) opens a notice.
	h.interact(map[string]any{"type": "block_actions", "user": map[string]any{"id": uStranger}, "trigger_id": h.fake.trigger(uStranger),
		"container": map[string]any{"type": "view", "view_id": "VHOME"}, "view": map[string]any{"id": "VHOME", "type": "home"},
		"actions": []any{map[string]any{"type": "button", "action_id": actionPrefix + "escalate", "block_id": bid, "value": value}}}, nil)
	assertContains(t, "the refusal notice", allText(h.fake.lastOpened().View), "Nothing was changed")
}

func TestNewChecksItsConfiguration(t *testing.T) {
	h := newHarness(t)
	for _, c := range []Config{{}, {BotToken: "xoxb"}} {
		if _, err := New(c, h.eng, h.st, nil, nil); err == nil {
			t.Fatalf("New accepted %+v", c)
		}
	}
	if err := (&Adapter{cfg: Config{}}).RunSocketMode(context.Background()); err == nil || errors.Is(err, context.Canceled) {
		t.Fatal("Socket Mode ran without an app token")
	}
}
