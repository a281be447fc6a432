package slack

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/bottest"
	"github.com/escalate-app/escalate/bot/record"
	"github.com/escalate-app/escalate/workflow"
)

// People the directory does not list: a family support worker raising a
// case, and the school nurse they disagree with.
const (
	uNewRaiser    = "UNEW1"
	uNewResponder = "UNEW2"
)

// TestUnlistedPeopleAreNamedEverywhere: a raiser and another practitioner
// the directory does not list are named from Slack (users.info's real name
// and title) in every DM, feed post and format of the written record, and
// no Slack id reaches any of them. Slack is asked once per person: later
// messages use the name kept in the store and on the case.
func TestUnlistedPeopleAreNamedEverywhere(t *testing.T) {
	h := newRecordHarness(t)
	h.fake.users[uNewRaiser] = fakeUser{realName: "Nia Newcombe", title: "Family Support Worker"}
	h.fake.users[uNewResponder] = fakeUser{realName: "Omar Okafor", title: "School Nurse"}
	const raiserName, responderName = "Nia Newcombe, Family Support Worker", "Omar Okafor, School Nurse"

	if r := h.command(uNewRaiser, ""); r.status != http.StatusOK {
		t.Fatalf("/escalate: %d %s", r.status, r.body)
	}
	form := h.fake.lastOpened()
	answers := raiseAnswers()
	answers[workflow.FieldRaiserAgency] = "csc"
	answers[workflow.FieldResponder] = uNewResponder
	r := h.submit(form, uNewRaiser, answers)
	if m := r.json(t); m["response_action"] != "update" {
		t.Fatalf("the raise was answered %s", r.body)
	}
	const ref = "ESC-2026-0001"
	h.deliver()
	lookups := h.fake.countCalls("users.info")
	if lookups == 0 || lookups > 3 {
		t.Fatalf("raising looked people up %d times; want each unlisted person once (and the other practitioner checked)", lookups)
	}
	d := h.dispute(ref)
	if d.Names["slack:"+uNewRaiser] != raiserName || d.Names["slack:"+uNewResponder] != responderName {
		t.Fatalf("the case kept the names %v", d.Names)
	}

	// Stage 1 → 2, then the line managers agree a resolution.
	h.click(uNewRaiser, h.lastDM(uNewRaiser), "escalate")
	h.submit(h.fake.lastOpened(), uNewRaiser, map[string]any{workflow.FieldText: "We spoke and could not agree"})
	h.deliver()
	h.click(uLM1, h.lastDM(uLM1), "resolved")
	h.submit(h.fake.lastOpened(), uLM1, map[string]any{workflow.FieldOutcome: "Strategy discussion on Monday", workflow.FieldRecordedOnFile: true})
	h.deliver()
	h.click(uLM2, h.lastDM(uLM2), "confirm")
	h.deliver()
	if d := h.dispute(ref); d.State != workflow.StateResolved {
		t.Fatalf("the case is %s", d.State)
	}
	h.clock.Advance(2 * time.Hour)
	h.command(uNewResponder, "record "+ref)

	// Slack was not asked again: every later message used the kept names.
	if n := h.fake.countCalls("users.info"); n != lookups {
		t.Fatalf("users.info was called %d times in all, %d after the raise; the names were not kept", n, n-lookups)
	}

	leak := func(what, s string) {
		t.Helper()
		for _, id := range []string{uNewRaiser, uNewResponder, "<slack:", "slack:U"} {
			if strings.Contains(s, id) {
				t.Fatalf("%s carries the platform id %q:\n%s", what, id, truncate(s, 3000))
			}
		}
	}
	// Every DM to anyone, with the names where people are named.
	for _, c := range h.fake.snapshotCalls() {
		if c.Method == "chat.postMessage" || c.Method == "chat.update" {
			ch, _ := c.Params["channel"].(string)
			leak(c.Method+" to "+ch, allText(c.Params["blocks"])+allText(c.Params["text"]))
		}
	}
	assertContains(t, "the other practitioner's DM", h.fake.dms(uNewResponder)[0].Raw, raiserName)
	assertContains(t, "the raiser's acknowledgement", h.fake.dms(uNewRaiser)[0].Raw, responderName)
	assertContains(t, "the line manager's DM", h.fake.dms(uLM1)[0].Raw, "Raised by "+raiserName)
	feed := h.fake.channelPosts(feedChan)
	if len(feed) == 0 {
		t.Fatal("the business team's feed got nothing from stage 2")
	}
	var feedText string
	for _, p := range feed {
		feedText += p.Raw
	}
	assertContains(t, "the feed", feedText, "Nia Newcombe")

	// The record, in every format, names them.
	files := h.fake.allShared()
	if len(files) == 0 || files[len(files)-1].Channel != "D"+uNewResponder[1:] {
		t.Fatalf("the record was not shared with the other practitioner: %+v", files)
	}
	for _, f := range files {
		if !strings.HasSuffix(f.Name, ".pdf") {
			continue
		}
		text := bottest.PDFText(t, f.Data)
		assertContains(t, "the record's PDF in "+f.Channel, text, bottest.Squash(raiserName), bottest.Squash(responderName))
		leak("the record's PDF in "+f.Channel, text)
	}
	rec, err := record.ForViewer(context.Background(), h.eng, ref, "slack:"+uNewRaiser)
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	for _, format := range []string{"md", "json", "html"} {
		var b bytes.Buffer
		if err := record.Render(&b, rec, format); err != nil {
			t.Fatalf("render %s: %v", format, err)
		}
		assertContains(t, "the record as "+format, b.String(), "Nia Newcombe", "Omar Okafor")
		leak("the record as "+format, b.String())
	}
}

// TestAPersonSlackDoesNotKnowIsNotShownByTheirID: users.info answers
// user_not_found, and the case shows a neutral description.
func TestAPersonSlackDoesNotKnowIsNotShownByTheirID(t *testing.T) {
	h := newHarness(t)
	const ghost = "UGHOST"
	h.command(uRaiser, "")
	answers := raiseAnswers()
	answers[workflow.FieldResponder] = ghost
	h.submit(h.fake.lastOpened(), uRaiser, answers)
	h.deliver()
	var failed bool
	for _, c := range h.fake.snapshotCalls() {
		failed = failed || (c.Method == "users.info" && c.Error == "user_not_found")
	}
	if !failed {
		t.Fatal("Slack was never asked about the unknown person")
	}
	ack := h.fake.dms(uRaiser)[0].Raw
	assertContains(t, "the raiser's acknowledgement", ack, "a Slack user")
	if strings.Contains(ack, ghost) {
		t.Fatalf("the acknowledgement shows the Slack id:\n%s", ack)
	}
}
