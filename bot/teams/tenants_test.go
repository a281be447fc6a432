package teams

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// The NHS trust's tenant and bot, beside the council's (tenantID, appID).
const (
	nhsTenant = "80000000-0000-4000-8000-000000000002"
	nhsApp    = "b2c3d4e5-0000-4000-8000-00000000b07b"
	nhsSecret = "nhs-app-password"
	// aadStray is a council person whose directory entry names a tenant
	// Escalate has no bot in.
	aadStray    = "aaaa0009-0000-4000-8000-000000000009"
	strayTenant = "90000000-0000-4000-8000-000000000009"
)

// nhsPeople are the harness's people in the NHS trust's tenant.
var nhsPeople = map[string]bool{aadResponder: true, aadLM2: true}

// newTwoTenantHarness is one Escalate serving two single-tenant bots: the
// council's (its people in Children's Social Care) and the NHS trust's
// (Community Health), with one Bot Framework login service (OpenID, JWKS,
// a token endpoint per tenant) and a connector per tenant that accepts
// only its own tenant's tokens.
func newTwoTenantHarness(t *testing.T) *harness {
	return newHarnessWith(t, func(h *harness) (workflow.Env, Config) {
		h.id.addTenant(nhsTenant, nhsApp, nhsSecret)
		h.nhs = newTenantConnector(t, h.id, nhsTenant, nhsApp)
		env := testEnv(t)
		dir := *env.Directory
		dir.Agencies = []workflow.Agency{{ID: "csc", Name: "Children's Social Care", TeamsTenant: tenantID}, {ID: "health", Name: "Community Health", TeamsTenant: nhsTenant}}
		dir.People = append(append([]workflow.Person(nil), dir.People...),
			workflow.Person{ID: uid(aadStray), Name: "Sid Seconded", Agency: "csc", Role: workflow.RolePractitioner, TeamsTenant: strayTenant})
		env.Directory = &dir
		cfg := h.config()
		cfg.AppID, cfg.AppPassword, cfg.TenantID, cfg.ServiceURL = "", "", "", ""
		cfg.TokenURL = h.id.srv.URL + "/{tenant}/oauth2/v2.0/token"
		cfg.Registrations = []Registration{
			{Name: "council", TenantID: tenantID, AppID: appID, AppPassword: appSecret, ServiceURL: h.conn.srv.URL},
			{Name: "nhs-trust", TenantID: nhsTenant, AppID: nhsApp, AppPassword: nhsSecret, ServiceURL: h.nhs.srv.URL},
		}
		cfg.FeedTenant = tenantID
		return env, cfg
	})
}

// onlyOwnTenant: every call a connector accepted carried its own tenant's
// token, and no connector refused a token (no message was tried through
// the wrong bot).
func (h *harness) onlyOwnTenant() {
	h.t.Helper()
	for _, c := range []*fakeConnector{h.conn, h.nhs} {
		if n := c.auths.Load(); n != 0 {
			h.t.Fatalf("the %s connector refused %d requests for their token", c.tenant, n)
		}
		for _, call := range c.all() {
			if !h.id.validTokenFor(call.Token, c.tenant) {
				h.t.Fatalf("a %s call carried another tenant's token: %+v", c.tenant, call)
			}
		}
	}
}

// creates are the 1:1 chats a connector opened, by member.
func creates(c *fakeConnector) map[string]string {
	out := map[string]string{}
	for _, call := range c.ops("create") {
		members, _ := call.Body["members"].([]any)
		m, _ := members[0].(map[string]any)
		out[fmt.Sprint(m["id"])] = call.ID
	}
	return out
}

// TestTwoTenantsEndToEnd: a council practitioner raises a case with an
// NHS health visitor; it is escalated to both line managers and resolved.
// Every message goes through the bot of its reader's tenant, with that
// tenant's token, and the business-team feed through the council's bot
// (the channel's tenant).
func TestTwoTenantsEndToEnd(t *testing.T) {
	h := newTwoTenantHarness(t)
	ctx := context.Background()

	h.send(h.activity(aadRaiser, "escalate", nil, ""))
	form := h.lastReply(aadRaiser)
	h.send(h.activity(aadRaiser, "", raiseValues(button(t, form.card(), "submit")), form.ID))
	refs, _ := h.st.AllRefs(ctx)
	if len(refs) != 1 {
		t.Fatalf("cases: %v", refs)
	}
	ref := refs[0]
	h.deliver()
	// The health visitor is reached through the NHS trust's bot, in
	// their own tenant; the council's connector never hears of them.
	nhsChats := creates(h.nhs)
	respConv, ok := nhsChats[strings.ToLower(aadResponder)]
	if !ok || len(creates(h.conn)) != 0 {
		t.Fatalf("the responder's chat: nhs %v council %v", nhsChats, creates(h.conn))
	}
	respDM := h.lastDM(respConv)
	mustContain(t, "the responder's DM", respDM.Raw, ref, "Health visitor declined")
	for _, c := range h.conn.all() {
		mustNotContain(t, "a council call", c.Conversation, respConv)
	}

	// The raiser escalates to both line managers.
	ack := h.lastDM(personalConv(aadRaiser))
	h.send(h.activity(aadRaiser, "", button(t, ack.card(), "escalate"), ack.ID))
	escForm := h.lastReply(aadRaiser)
	vals := button(t, escForm.card(), "submit")
	vals[workflow.FieldText] = "Still no strategy discussion"
	vals[workflow.FieldRaiserHolders] = strings.ToLower(aadLM1)
	vals[workflow.FieldResponderHolders] = strings.ToLower(aadLM2)
	h.send(h.activity(aadRaiser, "", vals, escForm.ID))
	if d, _, _ := h.st.Load(ctx, ref); d.Stage != 2 {
		t.Fatalf("stage %d after escalating", d.Stage)
	}
	h.deliver()
	lm1conv, lm2conv := creates(h.conn)[strings.ToLower(aadLM1)], creates(h.nhs)[strings.ToLower(aadLM2)]
	if lm1conv == "" || lm2conv == "" {
		t.Fatalf("the managers' chats: council %v nhs %v", creates(h.conn), creates(h.nhs))
	}
	if _, wrong := creates(h.conn)[strings.ToLower(aadLM2)]; wrong {
		t.Fatal("the NHS manager was reached through the council's bot")
	}
	if _, wrong := creates(h.nhs)[strings.ToLower(aadLM1)]; wrong {
		t.Fatal("the council manager was reached through the NHS trust's bot")
	}
	feed := 0
	for _, c := range h.conn.ops("send") {
		if strings.HasPrefix(c.Conversation, feedConv) {
			feed++
		}
	}
	for _, c := range h.nhs.all() {
		if strings.HasPrefix(c.Conversation, feedConv) {
			t.Fatal("the feed was posted through the NHS trust's bot")
		}
	}
	if feed == 0 {
		t.Fatal("no feed post through the council's bot at stage 2")
	}

	// The NHS manager proposes (through the NHS bot); the council manager
	// confirms (through the council's).
	lm2 := h.lastDM(lm2conv)
	lm2press := h.activity(aadLM2, "", button(t, lm2.card(), "resolved"), lm2.ID)
	lm2press["conversation"].(map[string]any)["id"] = lm2conv
	h.send(lm2press)
	prop := h.last("reply", lm2conv)
	if prop.Token == "" || !h.id.validTokenFor(prop.Token, nhsTenant) {
		t.Fatalf("the NHS manager's form was not answered through the NHS bot: %+v", prop)
	}
	pv := button(t, prop.card(), "submit")
	pv[workflow.FieldOutcome] = "Joint visit next week"
	pv[workflow.FieldRecordedOnFile] = "true"
	sub := h.activity(aadLM2, "", pv, prop.ID)
	sub["conversation"].(map[string]any)["id"] = lm2conv
	h.send(sub)
	if d, _, _ := h.st.Load(ctx, ref); d.State != workflow.StateProposed {
		t.Fatalf("state %s after proposing", d.State)
	}
	h.deliver()
	lm1 := h.lastDM(lm1conv)
	confirm := h.activity(aadLM1, "", button(t, lm1.card(), "confirm"), lm1.ID)
	confirm["conversation"].(map[string]any)["id"] = lm1conv
	h.send(confirm)
	if d, _, _ := h.st.Load(ctx, ref); d.State != workflow.StateResolved {
		t.Fatalf("state %s after confirming", d.State)
	}
	h.deliver()
	if parked, _ := h.st.Parked(ctx); len(parked) != 0 {
		t.Fatalf("parked: %+v", parked)
	}
	// Every call, both ways, through the right tenant's connector with
	// that tenant's token and no other.
	h.onlyOwnTenant()
	for _, c := range h.nhs.all() {
		for _, council := range []string{personalConv(aadRaiser), lm1conv} {
			if c.Conversation == council {
				t.Fatalf("a council person's chat was used through the NHS bot: %+v", c)
			}
		}
	}
	if h.id.tokenRequests(tenantID) != 1 || h.id.tokenRequests(nhsTenant) != 1 {
		t.Fatalf("token requests: council %d, nhs %d", h.id.tokenRequests(tenantID), h.id.tokenRequests(nhsTenant))
	}
}

// An activity whose token is for the council's bot but whose tenant is the
// NHS trust's is refused, and changes nothing.
func TestTokenForAnotherTenantIsRefused(t *testing.T) {
	h := newTwoTenantHarness(t)
	ctx := context.Background()
	act := h.activity(aadResponder, "escalate", nil, "") // from the NHS tenant
	claims := goodClaims(h.nhs.srv.URL)
	claims["aud"] = appID // the council's bot
	if code := h.post(act, sign(t, h.id.key, keyID, claims)); code != http.StatusUnauthorized {
		t.Fatalf("a token for another tenant's bot: %d", code)
	}
	// Nor is a tenant that the two places Teams names it disagree on.
	mixed := h.activity(aadResponder, "escalate", nil, "")
	mixed["channelData"] = map[string]any{"tenant": map[string]any{"id": tenantID}}
	if code := h.post(mixed, h.tokenFor(mixed)); code != http.StatusUnauthorized {
		t.Fatalf("an activity naming two tenants: %d", code)
	}
	if n := len(h.allCalls()); n != 0 {
		t.Fatalf("a refused activity was answered: %d calls", n)
	}
	if _, ok, _ := h.a.conversationOf(ctx, uid(aadResponder)); ok {
		t.Fatal("a refused activity's sender was remembered")
	}
	if refs, _ := h.st.AllRefs(ctx); len(refs) != 0 {
		t.Fatal("a refused activity raised a case")
	}
	// The same activity with its own bot's token is served.
	h.send(act)
	if h.lastReply(aadResponder).Token == "" {
		t.Fatal("the good activity was not answered")
	}
	h.onlyOwnTenant()
}

// Tokens are cached per tenant: 20 concurrent sends, half to each tenant's
// people, fetch one token from each tenant.
func TestTokensCachedPerTenant(t *testing.T) {
	h := newTwoTenantHarness(t)
	ctx := context.Background()
	tr := h.a.Transport()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		to := uid(aadLM1)
		if i%2 == 1 {
			to = uid(aadLM2)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("m%d", i)
			errs <- tr.Send(ctx, store.OutboxItem{ID: id, Message: workflow.Message{ID: id, To: to, Title: "Hello"}})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if c, n := h.id.tokenRequests(tenantID), h.id.tokenRequests(nhsTenant); c != 1 || n != 1 {
		t.Fatalf("token requests: council %d, nhs %d; want one each", c, n)
	}
	if c, n := len(h.conn.ops("send")), len(h.nhs.ops("send")); c != 10 || n != 10 {
		t.Fatalf("sends: council %d, nhs %d", c, n)
	}
	h.onlyOwnTenant()
}

// A person in a tenant Escalate has no bot in: their messages are parked
// with the reason, and no bot is asked to reach them.
func TestPersonInAnUnregisteredTenantIsParked(t *testing.T) {
	h := newTwoTenantHarness(t)
	ctx := context.Background()
	if err := h.st.Enqueue(ctx, []workflow.Message{{ID: "ESC-2026-0001/1/9", Kind: workflow.MsgInfo, To: uid(aadStray), Title: "For Sid"}}); err != nil {
		t.Fatal(err)
	}
	h.deliver()
	parked, err := h.st.Parked(ctx)
	if err != nil || len(parked) != 1 {
		t.Fatalf("parked: %+v %v", parked, err)
	}
	mustContain(t, "the parked reason", parked[0].LastError, "no Teams bot registration for tenant "+strayTenant, "not sent through another organisation's bot")
	if n := len(h.allCalls()); n != 0 {
		t.Fatalf("%d calls for a person no bot may reach", n)
	}
}
