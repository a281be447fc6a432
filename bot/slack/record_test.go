package slack

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// newRecordHarness is a harness with record and report registered as the
// binary registers them, and time enough to answer at once.
func newRecordHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.a.HandleSubcommand("record", h.a.RecordHandler())
	h.a.HandleSubcommand("report", h.a.ReportHandler())
	h.a.replyBudget = time.Minute
	return h
}

// TestRecordGoesToTheDirectMessages: someone who holds the case gets its
// record as a PDF in their DM with Escalate, never in the channel the
// command was typed in; a stranger is refused and nothing is uploaded.
func TestRecordGoesToTheDirectMessages(t *testing.T) {
	h := newRecordHarness(t)
	ref := h.raise(raiseAnswers())

	r := h.command(uStranger, "record "+ref)
	if r.status != http.StatusOK {
		t.Fatalf("/escalate record: %d %s", r.status, r.body)
	}
	refused := allText(r.json(t))
	assertContains(t, "the stranger's answer", refused, "Nothing was changed")
	if strings.Contains(refused, "Sent to your direct messages") || strings.Contains(refused, "CSC-4471-XQ") {
		t.Fatalf("a stranger was answered as if allowed: %s", refused)
	}
	if n := h.fake.countCalls("files.getUploadURLExternal"); n != 0 || len(h.fake.allShared()) != 0 {
		t.Fatalf("a stranger's request uploaded %d files", n)
	}
	if len(h.fake.dms(uStranger)) != 0 {
		t.Fatal("a stranger was sent a DM")
	}

	r = h.command(uRaiser, "record "+strings.ToLower(ref))
	assertContains(t, "the holder's answer", allText(r.json(t)), "Sent to your direct messages")
	dm := "D" + uRaiser[1:]
	files := h.fake.allShared()
	if len(files) != 1 || files[0].Channel != dm {
		t.Fatalf("the record was shared as %+v, want one file in %s", files, dm)
	}
	if !bytes.HasPrefix(files[0].Data, []byte("%PDF")) {
		t.Fatalf("the uploaded file is not a PDF: %q", files[0].Data[:min(20, len(files[0].Data))])
	}
	if files[0].Name != ref+".pdf" {
		t.Fatalf("the file is called %q", files[0].Name)
	}
	dms := h.fake.dms(uRaiser)
	if len(dms) == 0 || dms[len(dms)-1].Channel != dm {
		t.Fatal("the holder got no DM to carry the record")
	}
	assertContains(t, "the DM", dms[len(dms)-1].Text, "The written record of "+ref+" is attached")
	if len(h.fake.sharedIn("CWORK")) != 0 || len(h.fake.channelPosts("CWORK")) != 0 {
		t.Fatal("something went to the channel the command was typed in")
	}
}

// TestReportGoesToTheBusinessTeamChannel: a member of the business team
// gets the summary and its files in the feed channel, with no free text
// and no subject reference; anyone else is refused and nothing is posted.
func TestReportGoesToTheBusinessTeamChannel(t *testing.T) {
	h := newRecordHarness(t)
	ref := h.raise(raiseAnswers())
	secrets := []string{"CSC-4471-XQ", "bruising", "strategy discussion within", "unexplained bruises"}

	for _, tc := range []struct{ user, args, want string }{
		{uRaiser, "", "Reports are for the business team"},
		{uBiz, "2026-13-01 2026-03-31", "Which period?"},
		{uBiz, "2026-03-01", "Which period?"},
	} {
		r := h.command(tc.user, strings.TrimSpace("report "+tc.args))
		assertContains(t, "the answer to report "+tc.args, allText(r.json(t)), tc.want)
	}
	if len(h.fake.channelPosts(feedChan)) != 0 || h.fake.countCalls("files.getUploadURLExternal") != 0 {
		t.Fatal("a refused report posted something")
	}

	h.clock.Advance(time.Hour) // the period is cut at now: let the case be in it
	r := h.command(uBiz, "report 2026-03-01 2026-03-31")
	assertContains(t, "the member's answer", allText(r.json(t)), "Posted to the business-team channel")
	posts := h.fake.channelPosts(feedChan)
	if len(posts) != 1 || posts[0].ThreadTS != "" {
		t.Fatalf("the feed channel got %d posts, want one top-level report", len(posts))
	}
	post := posts[0]
	assertContains(t, "the report post", post.Text+post.Raw, "Escalation report", "Raised: 1", "Children's Social Care")
	var names []string
	for _, f := range h.fake.sharedIn(feedChan) {
		names = append(names, f.Name)
		all := post.Raw + string(f.Data)
		for _, s := range secrets {
			if strings.Contains(all, s) {
				t.Fatalf("the report in the channel carries %q", s)
			}
		}
		switch {
		case strings.HasSuffix(f.Name, ".png"):
			if !bytes.HasPrefix(f.Data, []byte("\x89PNG")) {
				t.Fatalf("%s is not a PNG", f.Name)
			}
		case f.Name == "cases.csv":
			assertContains(t, "the CSV", string(f.Data), ref)
		}
	}
	slices.Sort(names)
	if want := []string{"agency-pairs.png", "cases.csv", "funnel.png", "trend.png"}; !slices.Equal(names, want) {
		t.Fatalf("the feed channel got files %v, want %v", names, want)
	}
	if len(h.fake.allShared()) != 4 {
		t.Fatal("report files went somewhere other than the feed channel")
	}
}
