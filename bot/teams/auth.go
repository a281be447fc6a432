package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// botFrameworkIssuer is the issuer of every token the Bot Framework
// connector sends with an activity.
const botFrameworkIssuer = "https://api.botframework.com"

// DefaultOpenIDMetadataURL is where the Bot Framework publishes its signing keys.
const DefaultOpenIDMetadataURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"

// verifier checks the Bearer token of incoming activities. Keys come from the
// OpenID metadata's JWKS, fetched once and cached; an unknown key id causes
// a refresh, at most once every few minutes, so a flood of forged tokens
// cannot turn into a flood of key fetches.
type verifier struct {
	metadataURL string
	audience    string
	client      *http.Client
	leeway      time.Duration
	now         func() time.Time

	mu      sync.Mutex
	keys    keyfunc.Keyfunc
	lastTry time.Time
}

func newVerifier(metadataURL, audience string, client *http.Client, now func() time.Time) *verifier {
	return &verifier{metadataURL: metadataURL, audience: audience, client: client, leeway: 5 * time.Minute, now: now}
}

// keyfunc returns the cached key source, building it on first use.
func (v *verifier) keyfunc(ctx context.Context) (keyfunc.Keyfunc, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys != nil {
		return v.keys, nil
	}
	// A failing metadata endpoint is not asked again on every request.
	if !v.lastTry.IsZero() && time.Since(v.lastTry) < 10*time.Second {
		return nil, errors.New("signing keys unavailable")
	}
	v.lastTry = time.Now()
	jwksURL, err := v.jwksURI(ctx)
	if err != nil {
		return nil, err
	}
	remote, err := jwkset.NewStorageFromHTTP(jwksURL, jwkset.HTTPClientStorageOptions{Client: v.client, HTTPTimeout: 10 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("fetch signing keys: %w", err)
	}
	storage, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs:          map[string]jwkset.Storage{jwksURL: remote},
		RefreshUnknownKID: rate.NewLimiter(rate.Every(5*time.Minute), 1),
		// Never queue behind the limiter: an unknown key beyond the
		// allowance is simply unknown.
		RateLimitWaitMax: time.Millisecond,
	})
	if err != nil {
		return nil, fmt.Errorf("signing key client: %w", err)
	}
	kf, err := keyfunc.New(keyfunc.Options{Storage: storage})
	if err != nil {
		return nil, fmt.Errorf("signing key source: %w", err)
	}
	v.keys = kf
	return kf, nil
}

func (v *verifier) jwksURI(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.metadataURL, nil)
	if err != nil {
		return "", fmt.Errorf("openid metadata request: %w", err)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("fetch openid metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("fetch openid metadata: status %d", resp.StatusCode)
	}
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&meta); err != nil {
		return "", fmt.Errorf("decode openid metadata: %w", err)
	}
	if meta.JWKSURI == "" {
		return "", errors.New("openid metadata has no jwks_uri")
	}
	return meta.JWKSURI, nil
}

// verify checks the Authorization header against the activity's serviceUrl.
func (v *verifier) verify(ctx context.Context, authorization, serviceURL string) error {
	raw, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok || raw == "" {
		return errors.New("no bearer token")
	}
	kf, err := v.keyfunc(ctx)
	if err != nil {
		return err
	}
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(raw, claims, kf.KeyfuncCtx(ctx),
		jwt.WithValidMethods([]string{"RS256", "RS384", "RS512"}),
		jwt.WithIssuer(botFrameworkIssuer),
		jwt.WithAudience(v.audience),
		jwt.WithLeeway(v.leeway),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(v.now),
	)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	claimed, _ := claims["serviceurl"].(string)
	if claimed == "" || !sameServiceURL(claimed, serviceURL) {
		return errors.New("token's service url does not match the activity's")
	}
	return nil
}

func sameServiceURL(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}
