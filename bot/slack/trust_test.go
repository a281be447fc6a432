package slack

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// TestForgedRequestsAreRefused: a request not signed with the signing
// secret, unsigned, stale (6 minutes old) or altered after signing gets
// 401, and nothing happens.
func TestForgedRequestsAreRefused(t *testing.T) {
	h := newHarness(t)
	// A real form to forge a submission of.
	h.command(uRaiser, "")
	form := h.fake.lastOpened()
	opened := h.fake.countCalls("views.open")

	cases := []struct {
		name    string
		prepare func(body string) func(http.Header)
		alter   func(body string) string
	}{
		{"signed with another secret", func(body string) func(http.Header) {
			return func(hd http.Header) {
				hd.Set("X-Slack-Signature", sign("not-the-secret", hd.Get("X-Slack-Request-Timestamp"), body))
			}
		}, nil},
		{"unsigned", func(string) func(http.Header) {
			return func(hd http.Header) { hd.Del("X-Slack-Signature"); hd.Del("X-Slack-Request-Timestamp") }
		}, nil},
		{"stale: signed six minutes ago", func(body string) func(http.Header) {
			return func(hd http.Header) {
				ts := strconv.FormatInt(time.Now().Add(-6*time.Minute).Unix(), 10)
				hd.Set("X-Slack-Request-Timestamp", ts)
				hd.Set("X-Slack-Signature", sign(testSecret, ts, body))
			}
		}, nil},
		{"garbage signature", func(string) func(http.Header) {
			return func(hd http.Header) { hd.Set("X-Slack-Signature", "v0=zz") }
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := h.commandBody(uRaiser, "")
			if r := h.post("/slack/commands", formType, cmd, c.prepare(cmd)); r.status != http.StatusUnauthorized {
				t.Fatalf("a forged command was answered %d", r.status)
			}
			sub := interactionBody(h.submission(form, uRaiser, raiseAnswers()))
			if r := h.post("/slack/interactivity", formType, sub, c.prepare(sub)); r.status != http.StatusUnauthorized {
				t.Fatalf("a forged submission was answered %d", r.status)
			}
			ev := `{"type":"event_callback","event_id":"EvForged","event":{"type":"app_home_opened","user":"UPRAC1","tab":"home"}}`
			if r := h.post("/slack/events", "application/json", ev, c.prepare(ev)); r.status != http.StatusUnauthorized {
				t.Fatalf("a forged event was answered %d", r.status)
			}
		})
	}
	// A body changed after it was signed.
	cmd := h.commandBody(uRaiser, "help")
	altered := func(hd http.Header) {
		// Signed for the command "help"; the body sent says "list".
		hd.Set("X-Slack-Signature", sign(testSecret, hd.Get("X-Slack-Request-Timestamp"), cmd))
	}
	if r := h.post("/slack/commands", formType, strings.Replace(cmd, "text=help", "text=list", 1), altered); r.status != http.StatusUnauthorized {
		t.Fatalf("an altered command was answered %d", r.status)
	}

	if n := h.fake.countCalls("views.open"); n != opened {
		t.Fatalf("a forged request opened a modal (%d views.open)", n-opened)
	}
	if h.fake.countCalls("views.publish") != 0 {
		t.Fatal("a forged event published a Home tab")
	}
	if refs, _ := h.st.AllRefs(context.Background()); len(refs) != 0 {
		t.Fatalf("a forged submission raised %v", refs)
	}
	if h.deliver() != 0 {
		t.Fatal("a forged request sent messages")
	}
}

// TestNothingActsTwice: Slack's retries, the same view submitted twice and
// the same event delivered twice are acted on once.
func TestNothingActsTwice(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()

	// A retried command is acknowledged and ignored.
	retry := func(hd http.Header) { hd.Set("X-Slack-Retry-Num", "1"); hd.Set("X-Slack-Retry-Reason", "http_timeout") }
	if r := h.post("/slack/commands", formType, h.commandBody(uRaiser, ""), retry); r.status != http.StatusOK {
		t.Fatalf("a retried command was answered %d", r.status)
	}
	if h.fake.countCalls("views.open") != 0 {
		t.Fatal("a retried command opened a second modal")
	}

	// The same view submitted twice raises one case.
	h.command(uRaiser, "")
	form := h.fake.lastOpened()
	first := h.submit(form, uRaiser, raiseAnswers())
	if first.json(t)["response_action"] != "update" {
		t.Fatalf("the first submission was answered %s", first.body)
	}
	second := h.submit(form, uRaiser, raiseAnswers())
	if second.status != http.StatusOK || second.json(t)["response_action"] == "errors" {
		t.Fatalf("the repeated submission was answered %d %s", second.status, second.body)
	}
	refs, _ := h.st.AllRefs(ctx)
	if len(refs) != 1 {
		t.Fatalf("one view submitted twice raised %d cases", len(refs))
	}
	// The second submission is told the reference the first one got.
	assertContains(t, "the repeated submission's answer", allText(second.json(t)), "Already raised as "+refs[0])
	h.deliver()
	if n := len(h.fake.dms(uResponder)); n != 1 {
		t.Fatalf("the responder got %d DMs for one submission", n)
	}

	// The same follow-up form submitted twice acts once.
	h.click(uResponder, h.lastDM(uResponder), "note")
	note := h.fake.lastOpened()
	h.submit(note, uResponder, map[string]any{workflow.FieldText: "Called the school"})
	h.submit(note, uResponder, map[string]any{workflow.FieldText: "Called the school"})
	if _, hist, _ := h.st.Load(ctx, refs[0]); len(hist) != 2 {
		t.Fatalf("one note submitted twice left %d events, want raise + note", len(hist))
	}

	// The same event delivered twice (Slack's retry) is handled once.
	ev := `{"type":"event_callback","event_id":"Ev0001","event_time":1773136800,"event":{"type":"app_home_opened","user":"UPRAC2","channel":"D1","tab":"home","event_ts":"1773136800.1"}}`
	h.post("/slack/events", "application/json", ev, nil)
	h.post("/slack/events", "application/json", ev, retry)
	if n := h.fake.countCalls("views.publish"); n != 1 {
		t.Fatalf("one event published the Home tab %d times", n)
	}
}

// TestURLVerification answers Slack's challenge when the events URL is set.
func TestURLVerification(t *testing.T) {
	h := newHarness(t)
	r := h.post("/slack/events", "application/json", `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`, nil)
	if r.status != http.StatusOK || r.json(t)["challenge"] != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("the challenge was answered %d %s", r.status, r.body)
	}
}
