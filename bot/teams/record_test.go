package teams

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

const (
	aadBiz      = "aaaa0009-0000-4000-8000-000000000009" // the business team
	aadStranger = "aaaa0008-0000-4000-8000-000000000008" // not in the directory
)

// raiseOne raises a case as the raiser through the cards and returns it.
func (h *harness) raiseOne() string {
	h.t.Helper()
	h.send(h.activity(aadRaiser, "<at>Escalate</at> escalate", nil, ""))
	form := h.lastReply(aadRaiser)
	h.send(h.activity(aadRaiser, "", raiseValues(button(h.t, form.card(), "submit")), form.ID))
	refs, _ := h.st.AllRefs(context.Background())
	if len(refs) != 1 {
		h.t.Fatalf("cases after the raise: %v", refs)
	}
	return refs[0]
}

// sends are the cards sent (not replied) to a conversation.
func (h *harness) sends(conv string) []call {
	var out []call
	for _, c := range h.conn.ops("send") {
		if c.Conversation == conv {
			out = append(out, c)
		}
	}
	return out
}

// TestRecordCardOnlyForThoseWhoMaySeeTheCase: the raiser gets the whole
// record as a card in their own chat (even when they ask in a channel); a
// stranger is refused and shown nothing of the case.
func TestRecordCardOnlyForThoseWhoMaySeeTheCase(t *testing.T) {
	h := newHarness(t)
	ref := h.raiseOne()

	h.send(h.activity(aadStranger, "<at>Escalate</at> record "+ref, nil, ""))
	refused := h.lastReply(aadStranger).Raw
	mustContain(t, "the stranger's answer", refused, "Not done")
	for _, s := range []string{"CSC-4471-XQ", "bruising", "Written record"} {
		if strings.Contains(refused, s) {
			t.Fatalf("a stranger was shown %q", s)
		}
	}

	h.send(h.activity(aadRaiser, "record "+strings.ToLower(ref), nil, ""))
	mustContain(t, "the record card", h.lastReply(aadRaiser).Raw, "Written record of "+ref, "CSC-4471-XQ",
		"Health visitor declined the strategy discussion despite bruising", "Pat Practitioner", "Community Health", "What happened")

	// Asked in a channel: the card goes to the 1:1 chat, the channel only
	// hears where it went.
	before := len(h.sends("a:personal-" + strings.ToLower(aadRaiser)))
	act := h.activity(aadRaiser, "<at>Escalate</at> record "+ref, nil, "")
	act["conversation"] = map[string]any{"id": "19:team-general@thread.tacv2", "conversationType": "channel", "isGroup": true, "tenantId": tenantID}
	h.send(act)
	var inChannel []call
	for _, c := range h.conn.all() {
		if c.Conversation == "19:team-general@thread.tacv2" {
			inChannel = append(inChannel, c)
		}
	}
	if len(inChannel) != 1 || strings.Contains(inChannel[0].Raw, "CSC-4471-XQ") {
		t.Fatalf("the channel got %d cards, or the record: %+v", len(inChannel), inChannel)
	}
	mustContain(t, "the channel's answer", inChannel[0].Raw, "1:1 chat")
	sent := h.sends("a:personal-" + strings.ToLower(aadRaiser))
	if len(sent) != before+2 {
		t.Fatal("the record and its file offer were not sent to the raiser's own chat")
	}
	mustContain(t, "the record in the 1:1 chat", sent[len(sent)-2].Raw, "Written record of "+ref, "CSC-4471-XQ")
	mustContain(t, "the file offer in the 1:1 chat", sent[len(sent)-1].Raw, fileConsentType, ref+".pdf")
}

// TestReportCardToTheBusinessTeam: a member of the business team posts the
// report's summary to the feed conversation, with no free text and no
// subject reference; anyone else is refused and nothing is posted.
func TestReportCardToTheBusinessTeam(t *testing.T) {
	h := newHarness(t)
	dir := h.eng.Env().Directory
	dir.People = append(dir.People, workflow.Person{ID: uid(aadBiz), Name: "Bea Business"})
	dir.BusinessTeam = []workflow.UserID{uid(aadBiz)}
	h.raiseOne()

	h.send(h.activity(aadRaiser, "report", nil, ""))
	mustContain(t, "the raiser's answer", h.lastReply(aadRaiser).Raw, "Reports are for the business team")
	h.send(h.activity(aadBiz, "report 2026-02-30 2026-03-31", nil, ""))
	mustContain(t, "a bad period's answer", h.lastReply(aadBiz).Raw, "Which period?")
	if n := len(h.sends(feedConv)); n != 0 {
		t.Fatalf("a refused report posted %d cards", n)
	}

	h.clock.Advance(time.Hour) // the period is cut at now: let the case be in it
	h.send(h.activity(aadBiz, "report 2026-03-01 2026-03-31", nil, ""))
	mustContain(t, "the member's answer", h.lastReply(aadBiz).Raw, "Posted to the business-team channel")
	posts := h.sends(feedConv)
	if len(posts) != 1 {
		t.Fatalf("the feed got %d cards, want the report", len(posts))
	}
	mustContain(t, "the report card", posts[0].Raw, "Escalation report: 1 Mar 2026 to 10 Mar 2026", "Raised: 1", "Children's Social Care")
	for _, s := range []string{"CSC-4471-XQ", "bruising", "strategy discussion within", "unexplained bruises"} {
		if strings.Contains(posts[0].Raw, s) {
			t.Fatalf("the report in the channel carries %q", s)
		}
	}
}
