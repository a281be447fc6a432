package teams

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/escalate-app/escalate/bot/directory"
	"github.com/escalate-app/escalate/workflow"
)

// TestAnUnlistedRaiserIsNamedByTeams: someone the directory does not list
// raises a case; Teams names them in the activity (from.name), and that
// name, never their id, is what the other practitioner's card says.
func TestAnUnlistedRaiserIsNamedByTeams(t *testing.T) {
	h := newHarness(t)
	names := directory.NewNames(h.st, h.clock.Now, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	h.a.KeepNames(names)
	h.eng.UseNamer(names)
	const aadNew = "0f0e0d0c-0b0a-4909-8807-060504030201"
	h.channelHello(aadResponder)

	named := func(act map[string]any) map[string]any {
		act["from"].(map[string]any)["name"] = "Tara Tennant"
		return act
	}
	h.send(named(h.activity(aadNew, "escalate", nil, "")))
	form := h.lastReply(aadNew)
	h.send(named(h.activity(aadNew, "", raiseValues(button(t, form.card(), "submit")), form.ID)))
	refs, _ := h.st.AllRefs(context.Background())
	if len(refs) != 1 {
		t.Fatalf("cases: %v", refs)
	}
	h.deliver()
	d, _, _ := h.st.Load(context.Background(), refs[0])
	if d.Names[workflow.UserID("teams:"+aadNew)] != "Tara Tennant" {
		t.Fatalf("the case kept %v", d.Names)
	}
	var told string
	for _, c := range h.allCalls() {
		if c.Conversation != personalConv(aadNew) {
			told += c.Raw
		}
	}
	mustContain(t, "what the other practitioner was sent", told, "Tara Tennant (Children's Social Care) disagrees with you about case ESC-2026-0001 and asks you to talk it through by")
	mustNotContain(t, "what the other practitioner was sent", told, aadNew, "<teams:", strings.ToUpper(aadNew))
}
