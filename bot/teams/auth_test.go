package teams

import (
	"context"
	"fmt"
	"github.com/escalate-app/escalate/bot/bottest"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/escalate-app/escalate/workflow"
)

// Every forged or unfit token gets 401 and changes nothing: no case, no
// conversation reference, no call to the connector.
func TestForgedActivitiesAreRejected(t *testing.T) {
	h := newHarness(t)
	other := newKey(t)
	svc := h.conn.srv.URL
	with := func(k string, v any) jwt.MapClaims {
		c := goodClaims(svc)
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	cases := map[string]string{
		"unsigned":                  "",
		"another key":               sign(t, other, keyID, goodClaims(svc)),
		"another key, unknown kid":  sign(t, other, "unknown-kid", goodClaims(svc)),
		"wrong audience":            sign(t, h.id.key, keyID, with("aud", "someone-else")),
		"no audience":               sign(t, h.id.key, keyID, with("aud", nil)),
		"wrong issuer":              sign(t, h.id.key, keyID, with("iss", "https://sts.example.com")),
		"expired":                   sign(t, h.id.key, keyID, with("exp", time.Now().Add(-10*time.Minute).Unix())),
		"no expiry":                 sign(t, h.id.key, keyID, with("exp", nil)),
		"not yet valid":             sign(t, h.id.key, keyID, with("nbf", time.Now().Add(10*time.Minute).Unix())),
		"other service url":         sign(t, h.id.key, keyID, with("serviceurl", "https://evil.example.com/")),
		"no service url claim":      sign(t, h.id.key, keyID, with("serviceurl", nil)),
		"not a JWT":                 "not-a-token",
		"HS256 with the public key": hs256(t, h),
		"alg none": func() string {
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
	// A valid token for an activity claiming another service URL (where a
	// forger would have the bot send its replies and its token).
	act := h.activity(aadRaiser, "help", nil, "")
	act["serviceUrl"] = "https://evil.example.com/"
	if code := h.post(act, h.token()); code != http.StatusUnauthorized {
		t.Errorf("service url not the claim's: answered %d", code)
	}
	// A valid token for an activity on a channel its key is not endorsed for.
	act = h.activity(aadRaiser, "help", nil, "")
	act["channelId"] = "webchat"
	if code := h.post(act, h.token()); code != http.StatusUnauthorized {
		t.Errorf("key not endorsed for the channel: answered %d", code)
	}
	// A body that is not an activity, with or without a token.
	for _, tok := range []string{"", h.token()} {
		if code := h.postRaw([]byte(`{"type":`), tok); code != http.StatusUnauthorized {
			t.Errorf("a broken body: answered %d", code)
		}
	}

	ctx := context.Background()
	if refs, _ := h.st.AllRefs(ctx); len(refs) != 0 {
		t.Fatalf("a forged activity raised %v", refs)
	}
	if _, ok, _ := h.a.conversationOf(ctx, uid(aadRaiser)); ok {
		t.Fatal("a forged activity left a conversation reference")
	}
	if n := len(h.conn.all()); n != 0 || h.id.tokenFetches.Load() != 0 {
		t.Fatalf("forged activities reached the connector: %d calls", n)
	}

	// Expired, but within the five minutes' leeway: accepted.
	late := goodClaims(svc)
	late["exp"] = time.Now().Add(-2 * time.Minute).Unix()
	if code := h.post(h.activity(aadRaiser, "help", nil, ""), sign(t, h.id.key, keyID, late)); code != http.StatusOK {
		t.Fatalf("a token two minutes past expiry answered %d", code)
	}
	if _, ok, _ := h.a.conversationOf(ctx, uid(aadRaiser)); !ok {
		t.Fatal("an authentic activity left no conversation reference")
	}
}

// hs256 signs a token with HMAC using the RSA public key's bytes as the
// secret: the old algorithm-confusion forgery.
func hs256(t *testing.T, h *harness) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, goodClaims(h.conn.srv.URL))
	tok.Header["kid"] = keyID
	s, err := tok.SignedString(h.id.key.PublicKey.N.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The metadata and keys are fetched once for many requests (concurrent
// ones wait for the one fetch); an unknown key id fetches them again once,
// and again only after the rate limit; they are refreshed when a day old.
func TestSigningKeysAreCachedAndRefreshed(t *testing.T) {
	h := newHarness(t)
	keyClock := bottest.NewClock(time.Now())
	h.a.keys.now = keyClock.Now

	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = h.post(h.activity(aadRaiser, "help", nil, ""), h.token())
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("request %d answered %d", i, c)
		}
	}
	if m, k := h.id.metaFetches.Load(), h.id.jwksFetches.Load(); m != 1 || k != 1 {
		t.Fatalf("20 requests fetched the metadata %d times and the keys %d times, want once each", m, k)
	}

	// The Bot Framework rolls a new key: the first token signed with it
	// fetches the keys again, and is accepted.
	rolled := newKey(t)
	h.id.publish("rolled-key", rolled)
	if code := h.post(h.activity(aadRaiser, "help", nil, ""), sign(t, rolled, "rolled-key", goodClaims(h.conn.srv.URL))); code != http.StatusOK {
		t.Fatalf("a token with the new key answered %d", code)
	}
	if k := h.id.jwksFetches.Load(); k != 2 {
		t.Fatalf("keys fetched %d times after a new key id, want 2", k)
	}

	// Forged tokens naming unknown key ids do not make a fetch each.
	forger := newKey(t)
	for i := range 10 {
		if code := h.post(h.activity(aadRaiser, "help", nil, ""), sign(t, forger, fmt.Sprintf("forged-%d", i), goodClaims(h.conn.srv.URL))); code != http.StatusUnauthorized {
			t.Fatalf("forged kid %d answered %d", i, code)
		}
	}
	if k := h.id.jwksFetches.Load(); k != 2 {
		t.Fatalf("unknown key ids fetched the keys %d times within the rate limit", k)
	}
	keyClock.Advance(unknownKeyEvery + time.Second)
	h.post(h.activity(aadRaiser, "help", nil, ""), sign(t, forger, "forged-late", goodClaims(h.conn.srv.URL)))
	if k := h.id.jwksFetches.Load(); k != 3 {
		t.Fatalf("an unknown key id after the rate limit fetched the keys %d times in all, want 3", k)
	}

	// A day later the next request refreshes metadata and keys.
	keyClock.Advance(keysMaxAge)
	if code := h.post(h.activity(aadRaiser, "help", nil, ""), h.token()); code != http.StatusOK {
		t.Fatalf("after a day: %d", code)
	}
	if m, k := h.id.metaFetches.Load(), h.id.jwksFetches.Load(); m != 4 || k != 4 {
		t.Fatalf("after a day: metadata %d, keys %d fetches; want 4 and 4", m, k)
	}
}

// If the key service is down when the keys are a day old, the cached keys
// go on working.
func TestStaleKeysAreKeptWhenTheRefreshFails(t *testing.T) {
	h := newHarness(t)
	keyClock := bottest.NewClock(time.Now())
	h.a.keys.now = keyClock.Now
	h.send(h.activity(aadRaiser, "help", nil, ""))
	h.id.srv.Close()
	keyClock.Advance(keysMaxAge + time.Minute)
	if code := h.post(h.activity(aadRaiser, "help", nil, ""), h.token()); code != http.StatusOK {
		t.Fatalf("with the key service down: %d", code)
	}
}

// New refuses to run without credentials: no endpoint that accepts
// unauthenticated activities can be built.
func TestNewRefusesWithoutCredentials(t *testing.T) {
	h := newHarness(t)
	for name, mutate := range map[string]func(*Config){
		"no app id":       func(c *Config) { c.AppID = "" },
		"blank app id":    func(c *Config) { c.AppID = "  " },
		"no app password": func(c *Config) { c.AppPassword = "" },
	} {
		cfg := h.config()
		mutate(&cfg)
		if a, err := New(cfg, h.eng, h.st, nil, nil); err == nil || a != nil || !strings.Contains(err.Error(), "TEAMS_APP_ID") {
			t.Errorf("%s: got %v, %v", name, a, err)
		}
	}
	// The defaults point at the public cloud and the bot's own tenant.
	cfg := h.config()
	cfg.OpenIDMetadataURL, cfg.TokenURL = "", ""
	a, err := New(cfg, h.eng, h.st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.keys.metadataURL != DefaultOpenIDMetadataURL || a.regs[0].conn.tokens.URL != "https://login.microsoftonline.com/"+tenantID+"/oauth2/v2.0/token" {
		t.Fatalf("defaults: %q %q", a.keys.metadataURL, a.regs[0].conn.tokens.URL)
	}
}

// Activities from another tenant are ignored: Escalate serves its own
// organisation.
func TestOtherTenantIsIgnored(t *testing.T) {
	h := newHarness(t)
	act := h.activity(aadRaiser, "escalate", nil, "")
	act["conversation"] = map[string]any{"id": personalConv(aadRaiser), "conversationType": "personal", "tenantId": "99999999-0000-4000-8000-000000000000"}
	h.send(act)
	if n := len(h.conn.all()); n != 0 {
		t.Fatalf("another tenant's activity was answered: %d calls", n)
	}
	if _, ok, _ := h.a.conversationOf(context.Background(), workflow.UserID(uid(aadRaiser))); ok {
		t.Fatal("another tenant's person was remembered")
	}
}
