package slack

import (
	"strings"
	"testing"

	"github.com/escalate-app/escalate/workflow"
)

// An escalation naming someone who cannot hold the stage (the business
// team's officer, the other agency's line manager) is refused inline in
// the modal, over signed HTTP, naming who and why; the case stays where it
// was and nobody is messaged.
func TestEscalationNamingSomeoneWhoCannotHoldItIsRefusedInline(t *testing.T) {
	h := newHarness(t)
	ref := h.raise(raiseAnswers())
	h.deliver()
	posts := len(where(h.fake, h.fake.posts, func(*postedMsg) bool { return true }))

	h.click(uRaiser, h.lastDM(uRaiser), "escalate")
	esc := h.fake.lastOpened()
	r := h.submit(esc, uRaiser, map[string]any{
		workflow.FieldText:             "Still no strategy discussion",
		workflow.FieldRaiserHolders:    []string{uBiz},
		workflow.FieldResponderHolders: []string{uLM1},
	})
	m := r.json(t)
	if r.status != 200 || m["response_action"] != "errors" {
		t.Fatalf("an escalation to people who cannot hold the stage was answered %d %s", r.status, r.body)
	}
	errs, _ := m["errors"].(map[string]any)
	if got, _ := errs[workflow.FieldRaiserHolders].(string); !strings.Contains(got, "Bea Business holds no role") {
		t.Errorf("the raiser's side error: %q", got)
	}
	if got, _ := errs[workflow.FieldResponderHolders].(string); !strings.Contains(got, "Lee Manager is in Children's Social Care, not Community Health") {
		t.Errorf("the other side's error: %q", got)
	}
	if d := h.dispute(ref); d.Stage != 1 {
		t.Fatalf("a refused escalation moved the case to stage %d", d.Stage)
	}
	h.deliver()
	if n := len(where(h.fake, h.fake.posts, func(*postedMsg) bool { return true })); n != posts {
		t.Fatalf("a refused escalation messaged people: %d posts, was %d", n, posts)
	}
	if dm := h.fake.dms(uBiz); len(dm) != 0 {
		t.Fatalf("the business team's officer was told: %d DMs", len(dm))
	}

	// The right people get it through.
	r = h.submit(esc, uRaiser, map[string]any{workflow.FieldText: "Still no strategy discussion"})
	if r.status != 200 || len(r.json(t)) != 0 {
		t.Fatalf("escalating to the directory's people: %d %s", r.status, r.body)
	}
	if d := h.dispute(ref); d.Stage != 2 {
		t.Fatalf("stage %d", d.Stage)
	}
}
