package teams

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/bottest"
	"github.com/escalate-app/escalate/bot/budget"

	"github.com/golang-jwt/jwt/v5"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/config"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
	"github.com/escalate-app/escalate/workflow/calendar"
)

const (
	appID     = "a1b2c3d4-0000-4000-8000-00000000b07a"
	appSecret = "test-app-password"
	tenantID  = "70000000-0000-4000-8000-000000000001"
	feedConv  = "19:feed0001@thread.tacv2"
	keyID     = "test-key-1"
)

// Teams people: AAD object ids (the raiser's in upper case, as Teams may
// send them, to prove ids are lower-cased).
const (
	aadRaiser    = "AAAA0001-0000-4000-8000-000000000001"
	aadResponder = "aaaa0002-0000-4000-8000-000000000002"
	aadLM1       = "aaaa0003-0000-4000-8000-000000000003"
	aadLM2       = "aaaa0004-0000-4000-8000-000000000004"
)

func uid(aad string) workflow.UserID { return workflow.UserID("teams:" + strings.ToLower(aad)) }

// teamsID is the Teams (29:) id the connector knows a person by.
func teamsID(aad string) string { return "29:" + strings.ToLower(aad) }

// personalConv is a person's 1:1 chat with the bot, as the harness's
// activities name it.
func personalConv(aad string) string { return "a:personal-" + strings.ToLower(aad) }

func mustContain(t testing.TB, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Fatalf("%s does not contain %q:\n%s", what, w, s)
		}
	}
}

func mustNotContain(t testing.TB, what, s string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(s, w) {
			t.Fatalf("%s contains %q:\n%s", what, w, s)
		}
	}
}

// identity is the fake Bot Framework login service: OpenID metadata, the
// signing keys (JWKS, each key endorsed for msteams), and the token
// endpoint for the bot's own tenant.
type identity struct {
	srv          *httptest.Server
	key          *rsa.PrivateKey
	metaFetches  atomic.Int64
	jwksFetches  atomic.Int64
	tokenFetches atomic.Int64
	tokenLife    atomic.Int64 // expires_in, seconds
	tokenN       atomic.Int64
	// revokedThrough: connector tokens numbered up to it are refused.
	revokedThrough atomic.Int64

	mu       sync.Mutex
	keys     map[string]*rsa.PrivateKey // published keys by kid
	creds    map[string][2]string       // tenant → its bot's app id and secret
	issued   map[string]string          // token → the tenant it was issued by (tenants other than tenantID)
	perTenat map[string]int             // tenant → token requests answered
}

// addTenant gives the fake login service another tenant with its own bot.
func (id *identity) addTenant(tenant, app, secret string) {
	id.mu.Lock()
	defer id.mu.Unlock()
	id.creds[tenant] = [2]string{app, secret}
}

// tokenRequests is how many tokens a tenant's endpoint has issued.
func (id *identity) tokenRequests(tenant string) int {
	id.mu.Lock()
	defer id.mu.Unlock()
	return id.perTenat[tenant]
}

// validTokenFor is whether a connector token was issued by a tenant.
func (id *identity) validTokenFor(tok, tenant string) bool {
	if tenant == tenantID {
		return id.validToken(tok)
	}
	id.mu.Lock()
	defer id.mu.Unlock()
	return id.issued[tok] == tenant
}

func newKey(t testing.TB) *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func newIdentity(t testing.TB) *identity {
	id := &identity{key: newKey(t)}
	id.keys = map[string]*rsa.PrivateKey{keyID: id.key}
	id.creds = map[string][2]string{tenantID: {appID, appSecret}}
	id.issued, id.perTenat = map[string]string{}, map[string]int{}
	id.tokenLife.Store(3600)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/.well-known/openidconfiguration", func(w http.ResponseWriter, r *http.Request) {
		id.metaFetches.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"issuer": botFrameworkIssuer, "jwks_uri": id.srv.URL + "/v1/.well-known/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /v1/.well-known/keys", func(w http.ResponseWriter, r *http.Request) {
		id.jwksFetches.Add(1)
		b64 := base64.RawURLEncoding.EncodeToString
		var keys []map[string]any
		id.mu.Lock()
		for kid, k := range id.keys {
			keys = append(keys, map[string]any{"kty": "RSA", "use": "sig", "kid": kid,
				"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes()), "endorsements": []string{"msteams"}})
		}
		id.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	})
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", func(w http.ResponseWriter, r *http.Request) {
		tenant := r.PathValue("tenant")
		id.mu.Lock()
		creds, known := id.creds[tenant]
		id.mu.Unlock()
		if !known {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": "AADSTS90002: Tenant not found"})
			return
		}
		id.tokenFetches.Add(1)
		r.ParseForm()
		if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_id") != creds[0] ||
			r.PostForm.Get("client_secret") != creds[1] || (r.PostForm.Get("scope") != connectorScope && r.PostForm.Get("scope") != graphScope) {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
			return
		}
		if r.PostForm.Get("scope") == graphScope {
			// A Graph token is good for Graph only, never the connector.
			tok := fmt.Sprintf("graph-token-%s-%d", tenant, id.tokenN.Add(1))
			json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": id.tokenLife.Load(), "access_token": tok})
			return
		}
		time.Sleep(20 * time.Millisecond) // long enough for concurrent callers to pile up
		tok := fmt.Sprintf("connector-token-%d", id.tokenN.Add(1))
		id.mu.Lock()
		id.perTenat[tenant]++
		if tenant != tenantID {
			tok = fmt.Sprintf("tenant-%s-token-%d", tenant, id.perTenat[tenant])
			id.issued[tok] = tenant
		}
		id.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": id.tokenLife.Load(), "access_token": tok})
	})
	id.srv = httptest.NewServer(mux)
	t.Cleanup(id.srv.Close)
	return id
}

// publish adds a signing key to the JWKS (a key rotation).
func (id *identity) publish(kid string, key *rsa.PrivateKey) {
	id.mu.Lock()
	defer id.mu.Unlock()
	id.keys[kid] = key
}

// validToken is whether a connector token was issued by the fake.
func (id *identity) validToken(tok string) bool {
	var n int64
	if _, err := fmt.Sscanf(tok, "connector-token-%d", &n); err != nil {
		return false
	}
	return n > id.revokedThrough.Load() && n <= id.tokenN.Load()
}

// revokeIssued refuses every connector token issued so far, as Entra
// refuses a token whose secret was rotated; tokens fetched later work.
func (id *identity) revokeIssued() { id.revokedThrough.Store(id.tokenN.Load()) }

// sign makes the token the Bot Framework sends with an activity.
func sign(t testing.TB, key *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func goodClaims(serviceURL string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"iss": botFrameworkIssuer, "aud": appID, "serviceurl": serviceURL,
		"nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix()}
}

// call is one request the fake connector accepted.
type call struct {
	Token                          string // the bearer token it carried
	Method, Conversation, Activity string // Activity: the id in the path, if any
	Op                             string // "create", "send", "reply", "update"
	Body                           map[string]any
	Raw                            string
	ID                             string // the id answered
}

// fakeConnector behaves like the Bot Framework connector: it wants the
// bot's token, answers POST /v3/conversations with the conversation's id,
// POSTs of activities with the new activity's id, and PUTs with the
// updated one's; it can be told to answer the next requests of an
// operation with an error status (429 with Retry-After).
type fakeConnector struct {
	t      testing.TB
	srv    *httptest.Server
	id     *identity
	tenant string // whose bot it serves: only that tenant's tokens are good
	app    string
	mu     sync.Mutex
	calls  []call
	n      int
	fail   map[string][]int // op → statuses to answer next
	auths  atomic.Int64     // requests refused for their token
}

func newFakeConnector(t testing.TB, id *identity) *fakeConnector {
	return newTenantConnector(t, id, tenantID, appID)
}

// newTenantConnector is the connector as one tenant's bot sees it.
func newTenantConnector(t testing.TB, id *identity, tenant, app string) *fakeConnector {
	f := &fakeConnector{t: t, id: id, tenant: tenant, app: app, fail: map[string][]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// failNext makes the next requests of op answer these statuses.
func (f *fakeConnector) failNext(op string, statuses ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[op] = append(f.fail[op], statuses...)
}

func (f *fakeConnector) serve(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !f.id.validTokenFor(tok, f.tenant) {
		f.auths.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		http.Error(w, `{"error":{"code":"BadArgument"}}`, http.StatusBadRequest)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v3/conversations")
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	c := call{Method: r.Method, Body: body, Raw: string(raw), Token: tok}
	switch {
	case rest == "" && r.Method == http.MethodPost:
		c.Op = "create"
		members, _ := body["members"].([]any)
		bot, _ := body["bot"].(map[string]any)
		if len(members) != 1 || body["isGroup"] != false || body["tenantId"] != f.tenant || bot["id"] != "28:"+f.app {
			http.Error(w, `{"error":{"code":"BadArgument"}}`, http.StatusBadRequest)
			return
		}
	default:
		conv, act, found := strings.Cut(strings.TrimPrefix(rest, "/"), "/activities")
		if !found {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		c.Conversation, c.Activity = conv, strings.TrimPrefix(act, "/")
		switch {
		case r.Method == http.MethodPost && c.Activity == "":
			c.Op = "send"
		case r.Method == http.MethodPost:
			c.Op = "reply"
		case r.Method == http.MethodPut && c.Activity != "":
			c.Op = "update"
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if body["type"] != "message" || (c.fileCard() == nil && (c.card() == nil || c.card()["type"] != "AdaptiveCard" || c.card()["version"] != "1.5")) {
			http.Error(w, `{"error":{"code":"BadArgument"}}`, http.StatusBadRequest)
			return
		}
		if p := cardProblem(c.card()); c.fileCard() == nil && p != "" {
			f.t.Errorf("a card Teams would not draw (%s): %s", p, raw)
			http.Error(w, `{"error":{"code":"BadArgument"}}`, http.StatusBadRequest)
			return
		}
	}
	f.mu.Lock()
	if q := f.fail[c.Op]; len(q) > 0 {
		status := q[0]
		f.fail[c.Op] = q[1:]
		f.mu.Unlock()
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		w.WriteHeader(status)
		return
	}
	f.n++
	switch c.Op {
	case "create":
		members, _ := body["members"].([]any)
		m, _ := members[0].(map[string]any)
		c.ID = "a:dm-" + fmt.Sprint(m["id"])
	case "update":
		c.ID = c.Activity
	default:
		c.ID = fmt.Sprintf("1700000000%03d", f.n)
	}
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]string{"id": c.ID})
}

func (f *fakeConnector) all() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func (f *fakeConnector) ops(op string) []call {
	var out []call
	for _, c := range f.all() {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// card is the Adaptive Card a call carried.
func (c call) card() map[string]any {
	atts, _ := c.Body["attachments"].([]any)
	if len(atts) == 0 {
		return nil
	}
	a, _ := atts[0].(map[string]any)
	if a["contentType"] != cardContentType {
		return nil
	}
	card, _ := a["content"].(map[string]any)
	return card
}

// fileCard is the file-consent or file-info attachment a call carried, as
// Teams wants them: a name, and for file-info a content URL.
func (c call) fileCard() map[string]any {
	atts, _ := c.Body["attachments"].([]any)
	if len(atts) != 1 {
		return nil
	}
	a, _ := atts[0].(map[string]any)
	content, _ := a["content"].(map[string]any)
	name, _ := a["name"].(string)
	switch {
	case content == nil || name == "":
		return nil
	case a["contentType"] == fileConsentType:
	case a["contentType"] == fileInfoType && a["contentUrl"] != nil && a["contentUrl"] != "":
	default:
		return nil
	}
	return a
}

type harness struct {
	t      testing.TB
	id     *identity
	conn   *fakeConnector
	nhs    *fakeConnector // a second tenant's connector (two-tenant harness only)
	clock  *fakeClock
	st     *store.Store
	eng    *engine.Engine
	a      *Adapter
	srv    *httptest.Server
	sender *outbox.Sender
	kicks  atomic.Int64
	seq    atomic.Int64
	// graphURL is the fake Graph's base, for harnesses that have one, and
	// feedTeam the business team's team there.
	graphURL, feedTeam string
}

// testEnv is a West-Sussex-shaped partnership: the West Sussex preset
// policy, two agencies, practitioners and line managers on Teams.
func testEnv(t testing.TB) workflow.Env {
	p, err := config.Preset("west-sussex")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.New(calendar.Config{})
	if err != nil {
		t.Fatal(err)
	}
	dir := &workflow.Directory{
		Agencies: []workflow.Agency{{ID: "csc", Name: "Children's Social Care"}, {ID: "health", Name: "Community Health"}},
		People: []workflow.Person{
			{ID: uid(aadRaiser), Name: "Pat Practitioner", Agency: "csc", Role: workflow.RolePractitioner},
			{ID: uid(aadResponder), Name: "Hana Visitor", Agency: "health", Role: workflow.RolePractitioner},
			{ID: uid(aadLM1), Name: "Lee Manager", Agency: "csc", Role: workflow.RoleLineManager},
			{ID: uid(aadLM2), Name: "Mo Manager", Agency: "health", Role: workflow.RoleLineManager},
			{ID: "slack:UOTHER", Name: "Sol Slack", Agency: "csc", Role: workflow.RolePractitioner},
		},
	}
	return workflow.Env{Policy: p, Directory: dir, Calendar: cal, Emergency: []string{"Call 999 if a child is in immediate danger", "Children's front door (MASH): 01403 229900"}}
}

func newHarness(t testing.TB) *harness {
	return newHarnessWith(t, func(h *harness) (workflow.Env, Config) { return testEnv(t), h.config() })
}

// newHarnessWith starts a harness whose environment and adapter
// configuration setup gives, once the fakes are up.
func newHarnessWith(t testing.TB, setup func(h *harness) (workflow.Env, Config)) *harness {
	london, _ := time.LoadLocation("Europe/London")
	h := &harness{t: t, clock: bottest.NewClock(time.Date(2026, 3, 10, 10, 0, 0, 0, london))}
	h.id = newIdentity(t)
	h.conn = newFakeConnector(t, h.id)
	h.st = storetest.New(t, store.Options{FeedPlatforms: []string{"teams"}, Now: h.clock.Now})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	env, cfg := setup(h)
	h.eng = engine.New(h.st, env, h.clock.Now, log, nil)
	a, err := New(cfg, h.eng, h.st, log, func() { h.kicks.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	h.a = a
	mux := http.NewServeMux()
	a.Register(mux)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	h.sender = outbox.New(h.st, []outbox.Transport{a.Transport()}, h.clock.Now, log, nil, outbox.Options{})
	return h
}

func (h *harness) config() Config {
	return Config{AppID: appID, AppPassword: appSecret, TenantID: tenantID,
		OpenIDMetadataURL: h.id.srv.URL + "/v1/.well-known/openidconfiguration",
		TokenURL:          h.id.srv.URL + "/" + tenantID + "/oauth2/v2.0/token",
		ServiceURL:        h.conn.srv.URL, FeedConversation: feedConv, GraphURL: h.graphURL, FeedTeam: h.feedTeam,
		Help: HelpText{For: []string{"Professional disagreements about a child's safety"}, NotFor: []string{"Complaints"}, Emergency: []string{"Call 999"}},
		// See the Slack harness: budgets end by hand in their own tests.
		Work: budget.New(budget.Options{AfterFunc: bottest.NeverAfter})}
}

// post sends an activity to /api/messages with the given token ("" for none).
func (h *harness) post(act map[string]any, token string) int {
	h.t.Helper()
	buf, _ := json.Marshal(act)
	return h.postRaw(buf, token)
}

func (h *harness) postRaw(body []byte, token string) int {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/api/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// activity builds a message activity from a person in their 1:1 chat, as
// Teams sends it (a card's Action.Submit arrives as value, with replyToId
// naming the card).
func (h *harness) activity(aad string, text string, value map[string]any, replyTo string) map[string]any {
	n := h.seq.Add(1)
	side := h.connOf(aad)
	act := map[string]any{
		"type": "message", "id": fmt.Sprintf("in-%d", n), "serviceUrl": side.srv.URL, "channelId": "msteams",
		"timestamp":    "2026-03-10T10:00:00.1234567Z",
		"from":         map[string]any{"id": teamsID(aad), "name": "someone", "aadObjectId": aad},
		"conversation": map[string]any{"id": personalConv(aad), "conversationType": "personal", "tenantId": side.tenant},
		"recipient":    map[string]any{"id": "28:" + side.app, "name": "Escalate"},
		"channelData":  map[string]any{"tenant": map[string]any{"id": side.tenant}},
	}
	if text != "" {
		act["text"] = text
	}
	if value != nil {
		act["value"] = value
	}
	if replyTo != "" {
		act["replyToId"] = replyTo
	}
	return act
}

// inChannel moves an activity to a team channel.
func inChannel(act map[string]any) map[string]any {
	act["conversation"] = map[string]any{"id": "19:team-general@thread.tacv2", "conversationType": "channel", "isGroup": true, "tenantId": tenantID}
	return act
}

// token is a valid Bot Framework token for an activity from the fake connector.
func (h *harness) token() string { return sign(h.t, h.id.key, keyID, goodClaims(h.conn.srv.URL)) }

// connOf is the connector of a person's tenant: the NHS trust's for its
// people in the two-tenant harness, else the council's.
func (h *harness) connOf(aad string) *fakeConnector {
	if h.nhs != nil && nhsPeople[strings.ToLower(aad)] {
		return h.nhs
	}
	return h.conn
}

// tokenFor is the token the Bot Framework sends with an activity: for the
// bot of the connector it comes from.
func (h *harness) tokenFor(act map[string]any) string {
	side := h.conn
	if h.nhs != nil && act["serviceUrl"] == h.nhs.srv.URL {
		side = h.nhs
	}
	claims := goodClaims(side.srv.URL)
	claims["aud"] = side.app
	return sign(h.t, h.id.key, keyID, claims)
}

// send posts a properly signed activity and expects 200.
func (h *harness) send(act map[string]any) {
	h.t.Helper()
	if code := h.post(act, h.tokenFor(act)); code != http.StatusOK {
		h.t.Fatalf("activity answered %d", code)
	}
}

// deliver drains the outbox through the real sender.
func (h *harness) deliver() {
	h.t.Helper()
	for range 10 {
		n, err := h.sender.RunOnce(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// lastReply is the last card replied to a person's 1:1 chat.
func (h *harness) lastReply(aad string) call {
	h.t.Helper()
	return h.last("reply", personalConv(aad))
}

// allCalls are the calls both tenants' connectors accepted.
func (h *harness) allCalls() []call {
	calls := h.conn.all()
	if h.nhs != nil {
		calls = append(calls, h.nhs.all()...)
	}
	return calls
}

// lastDM is the last card sent (not replied) to a conversation.
func (h *harness) lastDM(conv string) call {
	h.t.Helper()
	return h.last("send", conv)
}

func (h *harness) last(op, conv string) call {
	h.t.Helper()
	calls := h.allCalls()
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Op == op && calls[i].Conversation == conv {
			return calls[i]
		}
	}
	h.t.Fatalf("no %s in %s", op, conv)
	return call{}
}

// button finds the submit data of a card's button: an action kind, or
// "submit" for a form's submit.
func button(t testing.TB, card map[string]any, kind string) map[string]any {
	t.Helper()
	var found map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "Action.Submit" {
				if d, _ := x["data"].(map[string]any); d != nil && (d[dataAction] == kind || (kind == "submit" && d[dataForm] != nil)) {
					found = map[string]any{}
					for k, v := range d {
						found[k] = v
					}
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(card)
	if found == nil {
		t.Fatalf("no %q button on the card: %v", kind, card)
	}
	return found
}

func hasButton(card map[string]any) bool {
	b, _ := json.Marshal(card)
	return strings.Contains(string(b), `"Action.Execute"`) && strings.Contains(string(b), `"Action.Submit"`)
}

// cardProblem is what a Teams client would refuse to draw or run in a card
// (Universal Actions): an Action.Execute without its verb or data, a
// fallback that is not an Action.Submit, a refresh whose action is not an
// Action.Execute or whose userIds are not Teams ids (29:…) or more than
// 60; "" for a card it draws.
func cardProblem(card map[string]any) string {
	if card == nil {
		return ""
	}
	problem := ""
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "Action.Execute" {
				if verb, _ := x["verb"].(string); verb == "" {
					problem = "an Action.Execute without a verb"
				}
				if _, ok := x["data"].(map[string]any); !ok {
					problem = "an Action.Execute without data"
				}
				if fb, ok := x["fallback"]; ok {
					if m, _ := fb.(map[string]any); m == nil || m["type"] != "Action.Submit" {
						problem = "a fallback that is not an Action.Submit"
					}
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(card)
	if r, ok := card["refresh"].(map[string]any); ok {
		act, _ := r["action"].(map[string]any)
		if act["type"] != "Action.Execute" {
			return "a refresh whose action is not an Action.Execute"
		}
		if ids, ok := r["userIds"].([]any); ok {
			if len(ids) > 60 {
				return "a refresh for more than 60 people"
			}
			for _, id := range ids {
				if s, _ := id.(string); !strings.HasPrefix(s, "29:") {
					return "a refresh userId that is not a Teams id"
				}
			}
		}
	}
	return problem
}

// raiseValues is a raise form's submit as Teams sends it: the button's
// data merged with the inputs (the people picker answers AAD object ids).
func raiseValues(data map[string]any) map[string]any {
	v := map[string]any{}
	for k, x := range data {
		v[k] = x
	}
	for k, x := range map[string]any{
		workflow.FieldSubjectType: "child", workflow.FieldSubjectRef: "CSC-4471-XQ",
		workflow.FieldCategory: string(workflow.CatThresholds), workflow.FieldRaiserAgency: "csc",
		workflow.FieldResponderAgency: "health", workflow.FieldResponder: strings.ToUpper(aadResponder),
		workflow.FieldDisagreement:  "Health visitor declined the strategy discussion despite bruising",
		workflow.FieldOutcomeSought: "A strategy discussion within one working day",
		workflow.FieldEvidence:      "Two unexplained bruises recorded on the home visit",
		workflow.FieldImmediateRisk: "false",
	} {
		v[k] = x
	}
	return v
}

type fakeClock = bottest.Clock
