package entra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// renewMargin: a token is renewed this long before it expires, so a
// request never leaves with a token about to lapse.
const renewMargin = 5 * time.Minute

// Token is one app registration's client-credentials token for one scope.
// Its fields are set before first use; it is safe for concurrent use.
type Token struct {
	URL              string // the tenant's token endpoint
	ClientID, Secret string
	Scope            string // e.g. https://api.botframework.com/.default
	Client           *http.Client
	Now              func() time.Time

	mu      sync.Mutex
	token   string
	renewAt time.Time
	fetches int
}

// Throttled is a token fetch the identity platform answered 429.
type Throttled struct{ After time.Duration }

func (e *Throttled) Error() string {
	return fmt.Sprintf("fetch a token: throttled, retry after %s", e.After)
}

// Get returns the current token, fetching one when there is none or it is
// about to expire.
func (t *Token) Get(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && t.Now().Before(t.renewAt) {
		return t.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {t.ClientID}, "client_secret": {t.Secret}, "scope": {t.Scope}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := t.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("fetch a token: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return "", &Throttled{After: RetryAfter(resp.Header.Get("Retry-After"), t.Now())}
	case resp.StatusCode != http.StatusOK:
		// The identity platform's own error shape: {"error":"invalid_client",…}.
		// A wrong secret or tenant is put right by the operator, after
		// which the next call fetches a token.
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		return "", fmt.Errorf("fetch a token: status %d %s (check the tenant, client id and secret)", resp.StatusCode, e.Error)
	}
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return "", fmt.Errorf("decode the token: %w", err)
	}
	if body.AccessToken == "" || body.ExpiresIn <= 0 {
		return "", errors.New("fetch a token: the answer has no access_token or expires_in")
	}
	life := time.Duration(body.ExpiresIn) * time.Second
	t.token, t.renewAt = body.AccessToken, t.Now().Add(life-min(renewMargin, life/2))
	t.fetches++
	return t.token, nil
}

// Forget drops a token the API refused (revoked, or the secret rotated),
// so the next Get fetches a new one; a newer token is kept.
func (t *Token) Forget(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token == token {
		t.token = ""
	}
}

// Fetches is how many tokens have been fetched (one per hour of work, not
// one per call).
func (t *Token) Fetches() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fetches
}

// RetryAfter reads a Retry-After header, seconds or an HTTP date; one
// second when it says neither, so a caller never retries at once.
func RetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if secs, err := strconv.Atoi(h); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(h); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return time.Second
}
