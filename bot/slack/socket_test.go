package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/escalate-app/escalate/workflow"
)

// fakeAcker records Socket Mode acknowledgements.
type fakeAcker struct {
	mu   sync.Mutex
	acks map[string][]any // envelope id → payloads
}

func (f *fakeAcker) Ack(req socketmode.Request, payload ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.acks == nil {
		f.acks = map[string][]any{}
	}
	f.acks[req.EnvelopeID] = append(f.acks[req.EnvelopeID], payload...)
	if len(payload) == 0 {
		f.acks[req.EnvelopeID] = append(f.acks[req.EnvelopeID], nil)
	}
	return nil
}

func (f *fakeAcker) payload(t testing.TB, id string) any {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.acks[id]
	if !ok || len(p) != 1 {
		t.Fatalf("envelope %s was acknowledged %d times", id, len(p))
	}
	return p[0]
}

// TestSocketModeSharesTheHandlers: Socket Mode events go to the same
// handlers as HTTP requests, and each is acknowledged with what HTTP would
// have answered.
func TestSocketModeSharesTheHandlers(t *testing.T) {
	h := newHarness(t, harnessOpts{socket: true})
	ctx := context.Background()
	ack := &fakeAcker{}

	// Without a signing secret the HTTP endpoints accept nothing.
	if r := h.command(uRaiser, ""); r.status != http.StatusUnauthorized {
		t.Fatalf("HTTP without a signing secret answered %d", r.status)
	}

	// A slash command opens the raise form with its trigger.
	trig := h.fake.trigger(uRaiser)
	h.a.socketEvent(ctx, ack, socketmode.Event{Type: socketmode.EventTypeSlashCommand, Request: &socketmode.Request{EnvelopeID: "env-1", Type: "slash_commands"},
		Data: slack.SlashCommand{UserID: uRaiser, Command: "/escalate", TriggerID: trig, ResponseURL: h.fake.responseURL()}})
	h.a.wait()
	if ack.payload(t, "env-1") != nil {
		t.Fatal("the command was acknowledged with a body")
	}
	form := h.fake.lastOpened()
	if form == nil || form.Trigger != trig {
		t.Fatal("the Socket Mode command did not open the form with its trigger")
	}

	// help answers in the acknowledgement.
	h.a.socketEvent(ctx, ack, socketmode.Event{Type: socketmode.EventTypeSlashCommand, Request: &socketmode.Request{EnvelopeID: "env-2"},
		Data: slack.SlashCommand{UserID: uRaiser, Command: "/escalate", Text: "help", TriggerID: h.fake.trigger(uRaiser)}})
	h.a.wait()
	assertContains(t, "the help acknowledgement", allText(ack.payload(t, "env-2")), "ephemeral", "Call 999")

	// A submission, decoded as the socketmode client decodes it: bad input
	// is answered with errors in the acknowledgement, good input raises.
	submit := func(env string, answers map[string]any) any {
		var cb slack.InteractionCallback
		b, _ := json.Marshal(h.submission(form, uRaiser, answers))
		if err := json.Unmarshal(b, &cb); err != nil {
			t.Fatal(err)
		}
		h.a.socketEvent(ctx, ack, socketmode.Event{Type: socketmode.EventTypeInteractive, Request: &socketmode.Request{EnvelopeID: env}, Data: cb})
		h.a.wait()
		return ack.payload(t, env)
	}
	bad := raiseAnswers()
	bad[workflow.FieldEvidence] = ""
	got, _ := submit("env-3", bad).(*slack.ViewSubmissionResponse)
	if got == nil || got.ResponseAction != slack.RAErrors || got.Errors[workflow.FieldEvidence] == "" {
		t.Fatalf("bad input over Socket Mode was acknowledged with %+v", got)
	}
	if ok, _ := submit("env-4", raiseAnswers()).(*slack.ViewSubmissionResponse); ok == nil || ok.ResponseAction != slack.RAUpdate {
		t.Fatalf("the raise over Socket Mode was acknowledged with %+v", ok)
	}
	if refs, _ := h.st.AllRefs(ctx); len(refs) != 1 {
		t.Fatalf("Socket Mode raised %d cases", len(refs))
	}

	// An Events API event: acknowledged at once, the Home tab published;
	// Slack's retry of it is not handled twice.
	raw := json.RawMessage(`{"type":"event_callback","event_id":"EvSock1","event":{"type":"app_home_opened","user":"UPRAC1","tab":"home"}}`)
	ev, err := slackevents.ParseEvent(raw, slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatal(err)
	}
	h.a.socketEvent(ctx, ack, socketmode.Event{Type: socketmode.EventTypeEventsAPI, Request: &socketmode.Request{EnvelopeID: "env-5"}, Data: ev})
	h.a.socketEvent(ctx, ack, socketmode.Event{Type: socketmode.EventTypeEventsAPI, Request: &socketmode.Request{EnvelopeID: "env-6", RetryAttempt: 1}, Data: ev})
	h.a.wait()
	ack.payload(t, "env-5")
	ack.payload(t, "env-6")
	if n := h.fake.countCalls("views.publish"); n != 1 {
		t.Fatalf("the Home tab was published %d times for one event", n)
	}
}

// TestSocketModeStopsOnARefusedToken: Slack refusing the app token ends
// RunSocketMode with an error instead of retrying for ever.
func TestSocketModeStopsOnARefusedToken(t *testing.T) {
	h := newHarness(t, harnessOpts{socket: true}) // the fake knows only the bot token
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := h.a.RunSocketMode(ctx)
	if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("RunSocketMode with a refused token returned %v", err)
	}
	if h.fake.countCalls("apps.connections.open") != 1 {
		t.Fatal("Socket Mode did not ask Slack for a connection")
	}
}
