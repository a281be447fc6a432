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
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/connector/client"
	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/escalate-app/escalate/bot/entra"
	"github.com/escalate-app/escalate/bot/outbox"
)

// connectorScope is what the bot's token is for: calling the connector.
const connectorScope = "https://api.botframework.com/.default"

// TokenURL is the token endpoint of a tenant: single-tenant bots, which
// Microsoft now requires for new bots, get their tokens from their own
// tenant. An empty tenant is a legacy multi-tenant bot.
func TokenURL(tenantID string) string {
	if tenantID == "" {
		tenantID = "botframework.com"
	}
	return "https://login.microsoftonline.com/" + url.PathEscape(tenantID) + "/oauth2/v2.0/token"
}

const callTimeout = 15 * time.Second

// connector calls the Bot Framework connector REST API with the bot's
// token and the caller's context. Its answers follow the outbox contract:
// 429 → *outbox.RetryAfter, a refusal that retrying cannot change (400,
// 403, 404, …) → outbox.Permanent, anything else transient.
type connector struct {
	tokens *entra.Token
	client *http.Client
}

// token is the bot's token; a throttled fetch waits as the outbox waits
// out any 429.
func (c *connector) token(ctx context.Context) (string, error) {
	tok, err := c.tokens.Get(ctx)
	if th, ok := errors.AsType[*entra.Throttled](err); ok {
		return "", &outbox.RetryAfter{After: th.After}
	}
	return tok, err
}

// statusError is a connector answer that was not a success.
type statusError struct {
	Status int
	Op     string
}

func (e *statusError) Error() string { return fmt.Sprintf("%s: connector answered %d", e.Op, e.Status) }

// call sends one request and decodes the answer into out (may be nil).
func (c *connector) call(ctx context.Context, method, u, op string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	tok, err := c.token(ctx)
	if err != nil {
		return err
	}
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s: encode: %w", op, err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("%s: request: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests:
		return &outbox.RetryAfter{After: entra.RetryAfter(resp.Header.Get("Retry-After"), c.tokens.Now())}
	case s == http.StatusUnauthorized:
		// The token was refused (revoked, or the secret rotated): fetch
		// a new one next time.
		c.tokens.Forget(tok)
		return &statusError{Status: s, Op: op}
	case s == http.StatusRequestTimeout:
		return &statusError{Status: s, Op: op}
	case s >= 400 && s < 500:
		return outbox.Permanent(&statusError{Status: s, Op: op})
	case s < 200 || s > 299:
		return &statusError{Status: s, Op: op}
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s: decode: %w", op, err)
		}
	}
	return nil
}

func conversationsURL(serviceURL string) string {
	return strings.TrimSuffix(serviceURL, "/") + "/v3/conversations"
}

func activitiesURL(serviceURL, conversationID string) string {
	return conversationsURL(serviceURL) + "/" + url.PathEscape(conversationID) + "/activities"
}

// newConversation is the body of POST /v3/conversations for a 1:1 chat.
type newConversation struct {
	Bot         schema.ChannelAccount   `json:"bot"`
	Members     []schema.ChannelAccount `json:"members"`
	IsGroup     bool                    `json:"isGroup"`
	TenantID    string                  `json:"tenantId,omitempty"`
	ChannelData map[string]any          `json:"channelData,omitempty"`
}

// createConversation opens (or finds) the bot's 1:1 chat with a person,
// named by their Teams id (29:…) or their AAD object id.
func (c *connector) createConversation(ctx context.Context, serviceURL, appID, tenantID, member string) (string, error) {
	body := newConversation{
		Bot:     schema.ChannelAccount{ID: "28:" + appID},
		Members: []schema.ChannelAccount{{ID: member}},
	}
	if tenantID != "" {
		body.TenantID = tenantID
		body.ChannelData = map[string]any{"tenant": map[string]string{"id": tenantID}}
	}
	var out schema.ConversationResourceResponse
	if err := c.call(ctx, http.MethodPost, conversationsURL(serviceURL), "create conversation", body, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", errors.New("create conversation: no id in the answer")
	}
	return out.ID, nil
}

// outgoing is an activity the bot sends: a message with one card.
type outgoing struct {
	Type        string              `json:"type"`
	ID          string              `json:"id,omitempty"`
	ReplyToID   string              `json:"replyToId,omitempty"`
	Summary     string              `json:"summary,omitempty"`
	Attachments []schema.Attachment `json:"attachments"`
}

func cardActivity(c *Card, summary string) outgoing {
	return outgoing{Type: string(schema.Message), Summary: summary,
		Attachments: []schema.Attachment{{ContentType: cardContentType, Content: c}}}
}

// send posts a card to a conversation and returns the new activity's id.
func (c *connector) send(ctx context.Context, serviceURL, conversationID string, card *Card, summary string) (string, error) {
	var out schema.ResourceResponse
	err := c.call(ctx, http.MethodPost, activitiesURL(serviceURL, conversationID), "send", cardActivity(card, summary), &out)
	return out.ID, err
}

// reply answers an activity in its conversation.
func (c *connector) reply(ctx context.Context, serviceURL, conversationID, activityID string, card *Card, summary string) (string, error) {
	a := cardActivity(card, summary)
	a.ReplyToID = activityID
	var out schema.ResourceResponse
	err := c.call(ctx, http.MethodPost, activitiesURL(serviceURL, conversationID)+"/"+url.PathEscape(activityID), "reply", a, &out)
	return out.ID, err
}

// libraryClient is the connector as the library's client.Client, bound to
// one request's context (the interface has none). The library builds the
// URL; this sends the activity with the bot's token and maps the answer
// as call does.
type libraryClient struct {
	ctx context.Context
	c   *connector
}

var _ client.Client = libraryClient{}

func (l libraryClient) Post(u url.URL, act schema.Activity) error {
	return l.c.call(l.ctx, http.MethodPost, u.String(), "post activity", wire(act), nil)
}

func (l libraryClient) Put(u url.URL, act schema.Activity) error {
	return l.c.call(l.ctx, http.MethodPut, u.String(), "update activity", wire(act), nil)
}

func (l libraryClient) Delete(u url.URL, _ schema.Activity) error {
	ctx, cancel := context.WithTimeout(l.ctx, callTimeout)
	defer cancel()
	tok, err := l.c.token(ctx)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u.String(), nil)
	if err != nil {
		return fmt.Errorf("delete activity: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := l.c.client.Do(req)
	if err != nil {
		return fmt.Errorf("delete activity: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &statusError{Status: resp.StatusCode, Op: "delete activity"}
	}
	return nil
}

// wire is the part of a library activity the connector needs: the
// library's struct would also send empty timestamps and accounts.
func wire(act schema.Activity) outgoing {
	return outgoing{Type: string(act.Type), ID: act.ID, ReplyToID: act.ReplyToID, Summary: act.Summary, Attachments: act.Attachments}
}
