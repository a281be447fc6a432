package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/infracloudio/msbotbuilder-go/connector/auth"
	"github.com/infracloudio/msbotbuilder-go/schema"
)

// botFrameworkIssuer is the issuer of every token the Bot Framework
// connector sends with an activity.
const botFrameworkIssuer = "https://api.botframework.com"

// DefaultOpenIDMetadataURL is where the Bot Framework publishes the
// location of its signing keys (public cloud).
const DefaultOpenIDMetadataURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"

// How the signing keys are kept.
const (
	clockSkew = 5 * time.Minute // leeway on exp and nbf
	// keysMaxAge: the keys are fetched again after this long. The Bot
	// Framework rotates keys with notice, publishing new ones well ahead.
	keysMaxAge = 24 * time.Hour
	// unknownKeyEvery: a token with a key id not in the cache fetches the
	// keys again at most this often, so a flood of forged tokens cannot
	// become a flood of fetches.
	unknownKeyEvery = 5 * time.Minute
	// failedFetchEvery: after a failed fetch, the next waits this long.
	failedFetchEvery = 10 * time.Second
	fetchTimeout     = 10 * time.Second
	maxKeysBody      = 1 << 20
)

// validator authenticates incoming activities. It implements the
// library's auth.TokenValidator, replacing v0.2.5's own (which fetches the
// metadata on every request from a fixed address, keeps keys without a
// lock, has no clock leeway, and lets everything through when the app id
// is empty).
type validator struct {
	audience []string          // the app ids of the registrations
	tenants  map[string]string // lower-cased app id → its registration's tenant
	strict   bool              // the activity's tenant must be its token's registration's
	keys     *keySource
	now      func() time.Time
}

var _ auth.TokenValidator = (*validator)(nil)

// errUnauthorized is every reason an activity is refused; the reason is
// logged, the caller only learns 401.
var errUnauthorized = errors.New("unauthorized")

// AuthenticateRequest checks the Bearer token of an activity: signed by a
// Bot Framework key endorsed for the activity's channel, issued by the Bot
// Framework for this bot, in date (five minutes' leeway), and naming the
// activity's service URL. The credentials argument is ignored: the
// audience is fixed when the validator is built, never empty.
func (v *validator) AuthenticateRequest(ctx context.Context, act schema.Activity, authHeader string, _ auth.CredentialProvider, _ string) (auth.ClaimsIdentity, error) {
	raw, ok := strings.CutPrefix(strings.TrimSpace(authHeader), "Bearer ")
	if !ok || strings.TrimSpace(raw) == "" {
		return nil, fmt.Errorf("%w: no bearer token", errUnauthorized)
	}
	claims := jwt.MapClaims{}
	var endorsements []string
	_, err := jwt.ParseWithClaims(strings.TrimSpace(raw), claims, func(t *jwt.Token) (any, error) {
		key, end, err := v.keys.key(ctx, t)
		endorsements = end
		return key, err
	},
		jwt.WithValidMethods([]string{"RS256", "RS384", "RS512"}),
		jwt.WithIssuer(botFrameworkIssuer),
		jwt.WithAudience(v.audience...),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(clockSkew),
		jwt.WithTimeFunc(v.now),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: token: %w", errUnauthorized, err)
	}
	claimed, _ := claims["serviceurl"].(string)
	if claimed == "" || !sameServiceURL(claimed, act.ServiceURL) {
		return nil, fmt.Errorf("%w: the token's service url is not the activity's", errUnauthorized)
	}
	// The Bot Framework endorses each key for the channels it may sign
	// for; a key not endorsed for this activity's channel is refused.
	if act.ChannelID == "" || !slices.Contains(endorsements, act.ChannelID) {
		return nil, fmt.Errorf("%w: the signing key is not endorsed for channel %q", errUnauthorized, act.ChannelID)
	}
	if v.strict {
		// Several single-tenant bots: a token for one of them is good
		// only for activities from that one's tenant.
		want, ok := v.tenants[strings.ToLower(audienceOf(claims))]
		got, known := activityTenant(act)
		if !ok || !known || got != want {
			return nil, fmt.Errorf("%w: the activity's tenant is not its token's registration's", errUnauthorized)
		}
	}
	strs := map[string]any{}
	for k, val := range claims {
		if s, ok := val.(string); ok {
			strs[k] = s
		}
	}
	return auth.NewClaimIdentity(strs, true), nil
}

// audienceOf is a token's audience: a string, or a list of one.
func audienceOf(c jwt.MapClaims) string {
	aud, err := c.GetAudience()
	if err != nil || len(aud) != 1 {
		return ""
	}
	return aud[0]
}

func sameServiceURL(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "/"), strings.TrimSuffix(b, "/"))
}

// keySource keeps the Bot Framework's signing keys: fetched from the
// OpenID metadata's jwks_uri on first use, again when they are a day old,
// and again (at most every few minutes) when a token names a key id not
// among them. Nothing is fetched per request. The lock is held during a
// fetch, so requests arriving meanwhile wait for it rather than each
// fetching.
type keySource struct {
	metadataURL string
	client      *http.Client
	now         func() time.Time
	log         *slog.Logger

	mu           sync.Mutex
	keys         keyfunc.Keyfunc     // over the fetched JWK set
	endorsements map[string][]string // key id → channels it may sign for
	fetched      time.Time           // last successful fetch
	tried        time.Time           // last fetch, successful or not
	unknownAt    time.Time           // last fetch for an unknown key id
}

// key finds the key that signed t, and the channels it is endorsed for.
func (s *keySource) key(ctx context.Context, t *jwt.Token) (any, []string, error) {
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		return nil, nil, errors.New("the token names no key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	switch {
	case s.keys == nil && now.Sub(s.tried) >= failedFetchEvery,
		s.keys != nil && now.Sub(s.fetched) >= keysMaxAge && now.Sub(s.tried) >= failedFetchEvery:
		if err := s.refresh(ctx, now); err != nil && s.keys == nil {
			return nil, nil, err
		} else if err != nil {
			// Keep the keys we have: the Bot Framework publishes new
			// keys well before it uses them.
			s.log.WarnContext(ctx, "refresh signing keys; keeping the cached ones", "error", err.Error())
		}
	case s.keys == nil:
		return nil, nil, errors.New("signing keys unavailable")
	}
	if _, known := s.endorsements[kid]; !known && (s.unknownAt.IsZero() || now.Sub(s.unknownAt) >= unknownKeyEvery) {
		s.unknownAt = now
		if err := s.refresh(ctx, now); err != nil {
			s.log.WarnContext(ctx, "refresh signing keys for an unknown key id", "error", err.Error())
		}
	}
	end, known := s.endorsements[kid]
	if !known {
		return nil, nil, fmt.Errorf("unknown signing key %q", kid)
	}
	key, err := s.keys.KeyfuncCtx(ctx)(t)
	if err != nil {
		return nil, nil, err
	}
	return key, end, nil
}

// refresh fetches the metadata, then the key set it points to.
func (s *keySource) refresh(ctx context.Context, now time.Time) error {
	s.tried = now
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := s.getJSON(ctx, s.metadataURL, &meta); err != nil {
		return fmt.Errorf("openid metadata: %w", err)
	}
	if meta.JWKSURI == "" {
		return errors.New("openid metadata has no jwks_uri")
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := s.getJSON(ctx, meta.JWKSURI, &set); err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	storage := jwkset.NewMemoryStorage()
	endorsements := map[string][]string{}
	for _, raw := range set.Keys {
		var m jwkset.JWKMarshal
		var extra struct {
			Endorsements []string `json:"endorsements"`
		}
		if json.Unmarshal(raw, &m) != nil || json.Unmarshal(raw, &extra) != nil || m.KID == "" {
			continue
		}
		jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			s.log.WarnContext(ctx, "skip an unusable signing key", "kid", m.KID, "error", err.Error())
			continue
		}
		if err := storage.KeyWrite(ctx, jwk); err != nil {
			return fmt.Errorf("keep signing key: %w", err)
		}
		endorsements[m.KID] = extra.Endorsements
	}
	if len(endorsements) == 0 {
		return errors.New("the key set has no usable keys")
	}
	kf, err := keyfunc.New(keyfunc.Options{Storage: storage, UseWhitelist: []jwkset.USE{jwkset.UseSig}})
	if err != nil {
		return fmt.Errorf("signing key source: %w", err)
	}
	s.keys, s.endorsements, s.fetched = kf, endorsements, now
	return nil
}

func (s *keySource) getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, maxKeysBody)).Decode(out)
}
