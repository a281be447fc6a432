package teams

import (
	"bytes"
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

	"github.com/escalate-app/escalate/bot/outbox"
)

// DefaultTokenURL issues the bot's tokens for calling the connector.
const DefaultTokenURL = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"

const connectorScope = "https://api.botframework.com/.default"

// tokenSource holds the bot's client-credentials token, fetched once and
// reused until five minutes before it expires. The mutex is held across the
// fetch so concurrent sends wait for one token rather than each fetching.
type tokenSource struct {
	url, clientID, secret string
	client                *http.Client
	now                   func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

func (t *tokenSource) get(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && t.now().Before(t.expires.Add(-5*time.Minute)) {
		return t.token, nil
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {t.clientID},
		"client_secret": {t.secret},
		"scope":         {connectorScope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := t.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("fetch token: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Transient for the outbox: a wrong password is fixed by the
		// operator, after which the waiting items go out.
		return "", fmt.Errorf("fetch token: status %d", resp.StatusCode)
	}
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", fmt.Errorf("decode token: %w", err)
	}
	if body.AccessToken == "" {
		return "", errors.New("token response has no access_token")
	}
	t.token = body.AccessToken
	t.expires = t.now().Add(time.Duration(body.ExpiresIn) * time.Second)
	return t.token, nil
}

// connector calls the Bot Framework connector REST API.
type connector struct {
	tokens *tokenSource
	client *http.Client
}

// statusError is a connector answer that was not a success.
type statusError struct {
	Status int
	Op     string
}

func (e *statusError) Error() string { return fmt.Sprintf("%s: connector answered %d", e.Op, e.Status) }

// call sends one request and decodes the {id} the connector answers with.
// Errors follow the outbox contract: 429 → *outbox.RetryAfter, 401/403/404 →
// permanent, anything else transient.
func (c *connector) call(ctx context.Context, method, u, op string, body any) (string, error) {
	tok, err := c.tokens.get(ctx)
	if err != nil {
		return "", err
	}
	buf, err := json.Marshal(body)
	if err != nil {
		return "", fmt.Errorf("%s: encode: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(buf))
	if err != nil {
		return "", fmt.Errorf("%s: request: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		secs, _ := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After")))
		if secs <= 0 {
			secs = 1
		}
		return "", &outbox.RetryAfter{After: time.Duration(secs) * time.Second}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound:
		return "", outbox.Permanent(&statusError{Status: resp.StatusCode, Op: op})
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return "", &statusError{Status: resp.StatusCode, Op: op}
	}
	var out struct {
		ID string `json:"id"`
	}
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			return "", fmt.Errorf("%s: decode: %w", op, err)
		}
	}
	return out.ID, nil
}

func conversationsURL(serviceURL string) string {
	return strings.TrimSuffix(serviceURL, "/") + "/v3/conversations"
}

func activitiesURL(serviceURL, conversationID string) string {
	return conversationsURL(serviceURL) + "/" + url.PathEscape(conversationID) + "/activities"
}

// createConversation opens a 1:1 conversation with a Teams user.
func (c *connector) createConversation(ctx context.Context, serviceURL, appID, tenantID, teamsUserID string) (string, error) {
	body := map[string]any{
		"bot":      map[string]string{"id": "28:" + appID},
		"members":  []map[string]string{{"id": teamsUserID}},
		"isGroup":  false,
		"tenantId": tenantID,
	}
	if tenantID != "" {
		body["channelData"] = map[string]any{"tenant": map[string]string{"id": tenantID}}
	}
	id, err := c.call(ctx, http.MethodPost, conversationsURL(serviceURL), "create conversation", body)
	if err == nil && id == "" {
		return "", errors.New("create conversation: no id in the answer")
	}
	return id, err
}

// outgoing is an activity the bot sends.
type outgoing struct {
	Type        string       `json:"type"`
	ReplyToID   string       `json:"replyToId,omitempty"`
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	ContentType string `json:"contentType"`
	Content     *Card  `json:"content"`
}

func cardActivity(c *Card) outgoing {
	return outgoing{Type: "message", Attachments: []attachment{{ContentType: "application/vnd.microsoft.card.adaptive", Content: c}}}
}

// send posts a card to a conversation.
func (c *connector) send(ctx context.Context, serviceURL, conversationID string, card *Card) (string, error) {
	return c.call(ctx, http.MethodPost, activitiesURL(serviceURL, conversationID), "send", cardActivity(card))
}

// reply answers an incoming activity in its conversation.
func (c *connector) reply(ctx context.Context, serviceURL, conversationID, activityID string, card *Card) (string, error) {
	a := cardActivity(card)
	a.ReplyToID = activityID
	return c.call(ctx, http.MethodPost, activitiesURL(serviceURL, conversationID)+"/"+url.PathEscape(activityID), "reply", a)
}

// update replaces a card the bot sent earlier.
func (c *connector) update(ctx context.Context, serviceURL, conversationID, activityID string, card *Card) error {
	_, err := c.call(ctx, http.MethodPut, activitiesURL(serviceURL, conversationID)+"/"+url.PathEscape(activityID), "update", cardActivity(card))
	return err
}
