package teams

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func mustContain(t testing.TB, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Fatalf("%s does not contain %q:\n%s", what, w, s)
		}
	}
}

// channelHello makes a person known to the bot from a team channel only: the
// bot knows their Teams id but has no 1:1 conversation with them yet.
func (h *harness) channelHello(aad string) {
	act := h.activity(aad, "<at>Escalate</at> help", nil, "")
	act["conversation"] = map[string]any{"id": "19:team-general@thread.tacv2", "conversationType": "channel", "isGroup": true, "tenantId": tenantID}
	h.send(act)
}

func TestEscalateProposeConfirm(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, p := range []string{aadResponder, aadLM1, aadLM2} {
		h.channelHello(p)
	}
	mustContain(t, "help in a channel", h.conn.all()[0].Raw, "Professional disagreements", "Call 999")

	// "escalate" → the raise form.
	h.send(h.activity(aadRaiser, "<at>Escalate</at> escalate", nil, ""))
	form := h.lastReply(aadRaiser)
	mustContain(t, "the raise card", form.Raw, `"style":"attention"`, "01403 229900", `"Input.ChoiceSet"`, string(uid(aadResponder)), `"isMultiline":true`, `"Input.Toggle"`)
	if strings.Contains(form.Raw, "slack:UOTHER") {
		t.Fatal("the raise card offers a Slack person")
	}
	submit := button(t, form.card(), "submit")

	// A bad answer: the form comes back with the problem in red, nothing raised.
	bad := raiseValues(submit)
	bad[workflow.FieldSubjectRef] = "Jane Smith"
	h.send(h.activity(aadRaiser, "", bad, form.ID))
	again := h.lastReply(aadRaiser)
	mustContain(t, "the form sent back", again.Raw, `"color":"Attention"`, "Jane Smith")
	if refs, _ := h.st.AllRefs(ctx); len(refs) != 0 {
		t.Fatal("a bad form raised a case")
	}

	h.send(h.activity(aadRaiser, "", raiseValues(submit), again.ID))
	refs, _ := h.st.AllRefs(ctx)
	if len(refs) != 1 {
		t.Fatalf("cases after the raise: %v", refs)
	}
	ref := refs[0]
	if u := h.conn.ops("update"); len(u) != 1 || u[0].Activity != again.ID || !strings.Contains(u[0].Raw, "Done") {
		t.Fatalf("the submitted card was not replaced by Done: %+v", u)
	}
	if h.kicks.Load() == 0 {
		t.Fatal("the outbox was not kicked")
	}

	h.deliver()
	creates := h.conn.ops("create")
	if len(creates) != 1 || !strings.Contains(creates[0].Raw, teamsID(aadResponder)) || !strings.Contains(creates[0].Raw, `"28:`+appID+`"`) || !strings.Contains(creates[0].Raw, tenantID) {
		t.Fatalf("a 1:1 conversation with the responder was not created: %+v", creates)
	}
	respDM := h.lastDM(creates[0].ID)
	mustContain(t, "the responder's DM", respDM.Raw, ref, "Health visitor declined", "application/vnd.microsoft.card.adaptive")
	button(t, respDM.card(), "resolved")
	ack := h.lastDM("a:personal-" + strings.ToLower(aadRaiser))
	mustContain(t, "the raiser's DM", ack.Raw, ref)

	// The raiser escalates: button → form → submit.
	h.send(h.activity(aadRaiser, "", button(t, ack.card(), "escalate"), ack.ID))
	escForm := h.lastReply(aadRaiser)
	mustContain(t, "the escalate form", escForm.Raw, workflow.FieldRaiserHolders, string(uid(aadLM1)))
	reason := "Spoke twice and still no strategy discussion"
	vals := button(t, escForm.card(), "submit")
	vals[workflow.FieldText] = reason
	vals[workflow.FieldRaiserHolders] = string(uid(aadLM1))
	vals[workflow.FieldResponderHolders] = string(uid(aadLM2))
	h.send(h.activity(aadRaiser, "", vals, escForm.ID))
	if d, _, _ := h.st.Load(ctx, ref); d.Stage != 2 {
		t.Fatalf("stage %d after escalating", d.Stage)
	}
	// The used DM's button again: refused, nothing changes.
	h.send(h.activity(aadRaiser, "", button(t, ack.card(), "escalate"), ack.ID))
	mustContain(t, "a stale button's answer", h.lastReply(aadRaiser).Raw, "Not done")

	h.deliver()
	lm2conv := "a:dm-" + teamsID(aadLM2)
	lm1conv := "a:dm-" + teamsID(aadLM1)
	lm2 := h.lastDM(lm2conv)
	mustContain(t, "the responder's line manager's DM", lm2.Raw, "History", reason)
	feed := h.conn.ops("send")
	var root string
	for _, c := range feed {
		if c.Conversation == feedConv {
			root = c.ID
		}
	}
	if root == "" {
		t.Fatal("no business-team feed post at stage 2")
	}

	// The responder's line manager proposes; the raiser's confirms.
	h.send(h.activity(aadLM2, "", button(t, lm2.card(), "resolved"), lm2.ID))
	prop := h.lastReply(aadLM2)
	pv := button(t, prop.card(), "submit")
	outcome := "Joint visit next week with both agencies"
	pv[workflow.FieldOutcome] = outcome
	pv[workflow.FieldRecordedOnFile] = "true"
	h.send(h.activity(aadLM2, "", pv, prop.ID))
	h.deliver()
	lm1 := h.lastDM(lm1conv)
	mustContain(t, "the proposal", lm1.Raw, outcome)
	confirm := h.activity(aadLM1, "", button(t, lm1.card(), "confirm"), lm1.ID)
	confirm["conversation"] = map[string]any{"id": lm1conv, "conversationType": "personal", "tenantId": tenantID}
	h.send(confirm)
	if d, _, _ := h.st.Load(ctx, ref); d.State != workflow.StateResolved {
		t.Fatalf("state %s after confirming", d.State)
	}
	if u := h.conn.ops("update"); u[len(u)-1].Activity != lm1.ID || u[len(u)-1].Conversation != lm1conv {
		t.Fatalf("the confirmed card was not replaced: %+v", u[len(u)-1])
	}
	h.deliver()

	// Later feed posts reply in the case's thread; none carries free text.
	threaded := 0
	for _, c := range h.conn.all() {
		if !strings.HasPrefix(c.Conversation, feedConv) {
			continue
		}
		if c.Conversation == feedConv+";messageid="+root {
			threaded++
		}
		for _, free := range []string{reason, outcome, "CSC-4471-XQ", "Health visitor declined", "bruises", `"Action.Submit"`} {
			if strings.Contains(c.Raw, free) {
				t.Fatalf("a feed post carries %q:\n%s", free, c.Raw)
			}
		}
	}
	if threaded == 0 {
		t.Fatal("no feed post replied in the case's thread")
	}

	// list and show.
	h.send(h.activity(aadRaiser, "show "+ref, nil, ""))
	mustContain(t, "show", h.lastReply(aadRaiser).Raw, "History", reason)
	h.send(h.activity(aadRaiser, "what?", nil, ""))
	mustContain(t, "usage", h.lastReply(aadRaiser).Raw, "escalate", "list")
}

func TestForgedActivitiesAreRejected(t *testing.T) {
	h := newHarness(t)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	svc := h.conn.srv.URL
	expired := goodClaims(svc)
	expired["exp"] = time.Now().Add(-10 * time.Minute).Unix()
	audience := goodClaims(svc)
	audience["aud"] = "someone-else"
	issuer := goodClaims(svc)
	issuer["iss"] = "https://sts.example.com"
	cases := map[string]string{
		"unsigned":            "",
		"another key":         sign(t, other, keyID, goodClaims(svc)),
		"another key and kid": sign(t, other, "unknown-kid", goodClaims(svc)),
		"wrong audience":      sign(t, h.id.key, keyID, audience),
		"wrong issuer":        sign(t, h.id.key, keyID, issuer),
		"expired":             sign(t, h.id.key, keyID, expired),
		"other service url":   sign(t, h.id.key, keyID, goodClaims("https://evil.example.com/")),
		"none alg": func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, goodClaims(svc)).SignedString(jwt.UnsafeAllowNoneSignatureType)
			return s
		}(),
	}
	for name, tok := range cases {
		act := h.activity(aadRaiser, "", raiseValues(map[string]any{dataForm: "raise"}), "")
		if code := h.post(act, tok); code != http.StatusUnauthorized {
			t.Errorf("%s: answered %d, want 401", name, code)
		}
	}
	// Expired but within five minutes of leeway is fine.
	late := goodClaims(svc)
	late["exp"] = time.Now().Add(-2 * time.Minute).Unix()
	if code := h.post(h.activity(aadRaiser, "help", nil, ""), sign(t, h.id.key, keyID, late)); code != http.StatusOK {
		t.Fatalf("a token two minutes past expiry answered %d", code)
	}
	if refs, _ := h.st.AllRefs(context.Background()); len(refs) != 0 {
		t.Fatalf("a forged activity raised %v", refs)
	}
	if n := len(h.conn.all()); n != 1 {
		t.Fatalf("forged activities reached the connector: %d calls", n)
	}
	if _, ok, _ := h.st.GetRef(context.Background(), refConversation, "teams:nobody"); ok {
		t.Fatal("unexpected reference")
	}
	// Keys are cached: one metadata fetch; the unknown kid refreshed the
	// keys at most once.
	if m, k := h.id.metaFetches.Load(), h.id.jwksFetches.Load(); m != 1 || k > 2 {
		t.Fatalf("metadata fetched %d times, keys %d times", m, k)
	}
}

func TestConcurrentSendsFetchOneToken(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ref, _ := json.Marshal(conversationRef{ServiceURL: h.conn.srv.URL, ConversationID: "a:personal-x", TeamsUserID: "29:x"})
	if err := h.st.SetRef(ctx, refConversation, string(uid(aadLM1)), string(ref)); err != nil {
		t.Fatal(err)
	}
	tr := h.a.Transport()
	if tr.Platform() != "teams" {
		t.Fatal(tr.Platform())
	}
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = tr.Send(ctx, store.OutboxItem{ID: fmt.Sprintf("m%d@teams", i), Target: "teams",
				Message: workflow.Message{ID: fmt.Sprint(i), Kind: workflow.MsgInfo, To: uid(aadLM1), Title: "Hello"}})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := h.id.tokenFetches.Load(); n != 1 {
		t.Fatalf("%d token fetches for 20 concurrent sends", n)
	}
	if n := len(h.conn.ops("send")); n != 20 {
		t.Fatalf("%d sends", n)
	}
}

func TestRateLimitedThenDelivered(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ref, _ := json.Marshal(conversationRef{ServiceURL: h.conn.srv.URL, ConversationID: "a:personal-x", TeamsUserID: "29:x"})
	h.st.SetRef(ctx, refConversation, string(uid(aadLM1)), string(ref))
	if err := h.st.Enqueue(ctx, []workflow.Message{{ID: "hello-1", Kind: workflow.MsgInfo, To: uid(aadLM1), Title: "Hello"}}); err != nil {
		t.Fatal(err)
	}
	h.conn.limitOne.Store(true)
	if _, err := h.sender.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(h.conn.ops("send")); n != 0 {
		t.Fatalf("%d sends while rate limited", n)
	}
	h.sender.RunOnce(ctx)
	if n := len(h.conn.ops("send")); n != 0 {
		t.Fatal("retried before Retry-After")
	}
	h.clock.Add(8 * time.Second)
	h.deliver()
	h.clock.Add(time.Hour)
	h.deliver()
	if n := len(h.conn.ops("send")); n != 1 {
		t.Fatalf("%d sends after the limit lifted, want exactly 1", n)
	}
}

func TestUnknownPersonIsPermanent(t *testing.T) {
	h := newHarness(t)
	err := h.a.Transport().Send(context.Background(), store.OutboxItem{ID: "x@teams", Message: workflow.Message{To: uid(aadLM2), Title: "Hi"}})
	if err == nil || !strings.Contains(err.Error(), "never talked") {
		t.Fatalf("got %v", err)
	}
}

func golden(t *testing.T, name string, card *Card) {
	t.Helper()
	got, err := json.MarshalIndent(card, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != string(got) {
		t.Fatalf("%s differs from the golden file:\n%s", name, got)
	}
}

func TestGoldenCards(t *testing.T) {
	env := testEnv(t)
	r := renderer{env: env}
	golden(t, "raise.json", r.form(workflow.RaiseForm(env), nil))
	at := time.Date(2026, 3, 11, 10, 0, 0, 0, time.UTC)
	dm := workflow.Message{ID: "ESC-2026-0001/1/1", Kind: workflow.MsgRaised, Ref: "ESC-2026-0001", To: uid(aadResponder),
		Title: "A disagreement was raised with you: ESC-2026-0001", Lines: []string{"The disagreement: *not* a [link](http://x)"},
		Facts:   []workflow.Fact{{Label: "Stage", Value: "1"}, {Label: "Respond by", Value: "Wed 11 Mar 2026, 10:00", Time: &at}},
		History: []workflow.HistoryEntry{{At: at.Add(-24 * time.Hour), Stage: 1, Actor: "Pat Practitioner", Summary: "Raised", Text: "Words"}},
		Actions: []workflow.Action{{Kind: workflow.ActResolved, Label: "Resolved", Ref: "ESC-2026-0001", Stage: 1, Style: "primary"}}}
	golden(t, "dm.json", r.message(dm))
	// The same message as a feed post loses its free text and buttons.
	dm.Feed, dm.To = true, ""
	feed, _ := json.Marshal(r.message(dm))
	for _, s := range []string{"The disagreement", "Words", "Action.Submit"} {
		if strings.Contains(string(feed), s) {
			t.Fatalf("a feed card carries %q", s)
		}
	}
}
