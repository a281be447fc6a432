package graph

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
	"time"

	"github.com/escalate-app/escalate/bot/directory"
	"github.com/escalate-app/escalate/bot/entra"
	"github.com/escalate-app/escalate/workflow"
)

// Defaults: Microsoft's global cloud. Sovereign clouds (and tests) set
// GRAPH_API_URL and the token URL.
const (
	DefaultBaseURL = "https://graph.microsoft.com/v1.0"
	// DefaultTokenURL is the tenant's token endpoint; {tenant} is replaced
	// by the tenant id.
	DefaultTokenURL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
)

const (
	callTimeout = 15 * time.Second
	// pageSize is the most Graph returns a page for directory objects.
	pageSize = 999
	// maxPages bounds one group's paging: 999 × 500 people is far beyond any
	// agency, and a server that pages forever must not hold a refresh.
	maxPages = 500
	// retries is how often a 429 is waited out inside one paged read or
	// manager look-up before it is handed back.
	retries = 5
	// userFields are the only fields asked for: what Escalate shows.
	userFields = "id,displayName,jobTitle,mail,userPrincipalName,accountEnabled"
)

// Config is one app registration on one tenant.
type Config struct {
	// BaseURL is Graph's REST root (GRAPH_API_URL), "" for DefaultBaseURL.
	BaseURL string
	// TokenURL is the token endpoint ("" for DefaultTokenURL); {tenant}
	// in it is replaced by TenantID.
	TokenURL                         string
	TenantID, ClientID, ClientSecret string
	// HTTP is the client to use (nil: one with a 30 s timeout).
	HTTP *http.Client
	// Now is the clock tokens expire by (nil: time.Now).
	Now func() time.Time
	// Wait waits out a Retry-After (nil: sleeps, or returns when ctx ends).
	Wait func(ctx context.Context, d time.Duration) error
}

// Client calls Graph. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	http  *http.Client
	now   func() time.Time
	wait  func(context.Context, time.Duration) error
	token *entra.Token
}

// New checks the configuration and builds a client; it calls nothing.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if cfg.TenantID == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("graph: a tenant id, a client id and a client secret are required")
	}
	base, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("graph: the base URL must be an http(s) URL, not %q", cfg.BaseURL)
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Wait == nil {
		cfg.Wait = sleep
	}
	c := &Client{base: base, http: cfg.HTTP, now: cfg.Now, wait: cfg.Wait}
	c.token = &entra.Token{
		URL:      strings.ReplaceAll(cfg.TokenURL, "{tenant}", url.PathEscape(cfg.TenantID)),
		ClientID: cfg.ClientID, Secret: cfg.ClientSecret,
		// The token is for the cloud Graph is in: graph.microsoft.com's
		// default scope, or a sovereign cloud's own host.
		Scope:  base.Scheme + "://" + base.Host + "/.default",
		Client: cfg.HTTP, Now: cfg.Now,
	}
	return c, nil
}

// User is a person as Entra ID has them.
type User struct {
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	JobTitle       string `json:"jobTitle"`
	Mail           string `json:"mail"`
	UPN            string `json:"userPrincipalName"`
	AccountEnabled *bool  `json:"accountEnabled"`
	// Type is @odata.type in lists of directory objects
	// ("#microsoft.graph.user", "#microsoft.graph.group", …).
	Type string `json:"@odata.type"`
}

// UserID is the person's Escalate id: their Teams (Entra object) id.
func (u User) UserID() workflow.UserID { return workflow.UserID("teams:" + strings.ToLower(u.ID)) }

// Found is the person as bot/directory names them.
func (u User) Found() directory.Found {
	email := u.Mail
	if email == "" {
		email = u.UPN
	}
	return directory.Found{Name: strings.TrimSpace(u.DisplayName), Title: strings.TrimSpace(u.JobTitle), Email: strings.ToLower(email),
		Deleted: u.AccountEnabled != nil && !*u.AccountEnabled}
}

func (u User) isUser() bool { return u.Type == "" || u.Type == "#microsoft.graph.user" }

var (
	_ directory.EmailLookup = (*Client)(nil)
	_ directory.Lookup      = (*Client)(nil)
)

// User reads one person by object id, user principal name or (where it is
// their principal name) work address: GET /users/{id}.
func (c *Client) User(ctx context.Context, idOrMail string) (User, error) {
	var u User
	err := c.get(ctx, c.endpoint("users/"+url.PathEscape(idOrMail), url.Values{"$select": {userFields}}), "user", &u)
	return u, err
}

// ByEmail implements directory.EmailLookup: GET /users/{mail}, and where a
// person's address is not their sign-in name, the user whose mail it is.
func (c *Client) ByEmail(ctx context.Context, email string) (workflow.UserID, directory.Found, error) {
	u, err := c.User(ctx, email)
	if errors.Is(err, directory.ErrNotFound) {
		var list struct {
			Value []User `json:"value"`
		}
		q := url.Values{"$filter": {"mail eq '" + strings.ReplaceAll(email, "'", "''") + "'"}, "$select": {userFields}}
		if err := c.get(ctx, c.endpoint("users", q), "users by mail", &list); err != nil {
			return "", directory.Found{}, err
		}
		if len(list.Value) != 1 {
			return "", directory.Found{}, fmt.Errorf("graph: %w", directory.ErrNotFound)
		}
		u = list.Value[0]
	} else if err != nil {
		return "", directory.Found{}, err
	}
	return u.UserID(), u.Found(), nil
}

// LookUp implements directory.Lookup for Teams people by their Entra
// object id: their display name and job title.
func (c *Client) LookUp(ctx context.Context, id workflow.UserID) (directory.Found, error) {
	local := id.Local()
	if id.Platform() != "teams" || strings.HasPrefix(local, "29:") || local == "" {
		return directory.Found{}, fmt.Errorf("graph: %w: not an Entra object id", directory.ErrNotFound)
	}
	u, err := c.User(ctx, local)
	if err != nil {
		return directory.Found{}, err
	}
	return u.Found(), nil
}

// GroupMembers are the people in a group and the groups nested in it
// (GET /groups/{id}/transitiveMembers, every page). Devices, contacts and
// the nested groups themselves are left out.
func (c *Client) GroupMembers(ctx context.Context, groupID string) ([]User, error) {
	next := c.endpoint("groups/"+url.PathEscape(groupID)+"/transitiveMembers", url.Values{"$select": {userFields}, "$top": {strconv.Itoa(pageSize)}})
	var out []User
	for page := 0; next != ""; page++ {
		if page >= maxPages {
			return nil, fmt.Errorf("graph: group %s has more than %d pages of members", groupID, maxPages)
		}
		var p struct {
			Value    []User `json:"value"`
			NextLink string `json:"@odata.nextLink"`
		}
		if err := c.getRetrying(ctx, next, "group members", &p); err != nil {
			return nil, err
		}
		for _, u := range p.Value {
			if u.isUser() && u.ID != "" && (u.AccountEnabled == nil || *u.AccountEnabled) {
				out = append(out, u)
			}
		}
		if p.NextLink != "" {
			if err := c.sameHost(p.NextLink); err != nil {
				return nil, err
			}
		}
		next = p.NextLink
	}
	return out, nil
}

// Manager is a person's manager (GET /users/{id}/manager); ErrNotFound
// when Entra ID records none.
func (c *Client) Manager(ctx context.Context, userID string) (User, error) {
	var u User
	err := c.getRetrying(ctx, c.endpoint("users/"+url.PathEscape(userID)+"/manager", url.Values{"$select": {userFields}}), "manager", &u)
	if err == nil && (!u.isUser() || u.ID == "") {
		return User{}, fmt.Errorf("graph: the manager is not a person: %w", directory.ErrNotFound)
	}
	return u, err
}

func (c *Client) endpoint(escapedPath string, q url.Values) string {
	return strings.TrimSuffix(c.base.String(), "/") + "/" + escapedPath + "?" + q.Encode()
}

// sameHost refuses a next link elsewhere than Graph: the token goes
// with it.
func (c *Client) sameHost(link string) error {
	u, err := url.Parse(link)
	if err != nil || u.Host != c.base.Host || u.Scheme != c.base.Scheme {
		return fmt.Errorf("graph: a next page outside Graph (%q) was not followed", link)
	}
	return nil
}

// getRetrying is get, waiting out up to retries 429s.
func (c *Client) getRetrying(ctx context.Context, u, op string, out any) error {
	for attempt := 0; ; attempt++ {
		err := c.get(ctx, u, op, out)
		var rl *directory.RateLimited
		if !errors.As(err, &rl) || attempt >= retries {
			return err
		}
		if err := c.wait(ctx, rl.RetryAfter); err != nil {
			return err
		}
	}
}

// APIError is an answer from Graph that was not a success, with Graph's
// error code ("Request_ResourceNotFound", "Authorization_RequestDenied").
type APIError struct {
	Op     string
	Status int
	Code   string
}

func (e *APIError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("graph: %s: %d %s", e.Op, e.Status, e.Code)
	}
	return fmt.Sprintf("graph: %s: %d", e.Op, e.Status)
}

// get sends one GET with the token and decodes the answer. A 401 drops
// the token and tries once more with a new one (a rotated secret, a
// revoked token).
func (c *Client) get(ctx context.Context, u, op string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		tok, err := c.token.Get(ctx)
		if th, ok := errors.AsType[*entra.Throttled](err); ok {
			return &directory.RateLimited{RetryAfter: th.After}
		}
		if err != nil {
			return fmt.Errorf("graph: %w", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return fmt.Errorf("graph: %s: %w", op, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		resp, err := c.http.Do(req)
		if err != nil {
			return fmt.Errorf("graph: %s: %w", op, err)
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		resp.Body.Close()
		switch s := resp.StatusCode; {
		case s == http.StatusOK:
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("graph: %s: decode: %w", op, err)
			}
			return nil
		case s == http.StatusUnauthorized && attempt == 0:
			c.token.Forget(tok)
			continue
		case s == http.StatusNotFound:
			return fmt.Errorf("%w: %w", directory.ErrNotFound, &APIError{Op: op, Status: s, Code: errorCode(data)})
		case s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
			return &directory.RateLimited{RetryAfter: entra.RetryAfter(resp.Header.Get("Retry-After"), c.now())}
		default:
			return &APIError{Op: op, Status: s, Code: errorCode(data)}
		}
	}
}

// errorCode is error.code of Graph's error JSON ("" when not that shape).
func errorCode(data []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(data, &e)
	return e.Error.Code
}

// TokenFetches is how many tokens the client has fetched (for tests and
// the benchmark: one per hour of work, not one per call).
func (c *Client) TokenFetches() int { return c.token.Fetches() }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

var _ directory.GroupReader = (*Client)(nil)

// member is u as bot/directory keeps group members.
func (u User) member() directory.Member {
	f := u.Found()
	return directory.Member{ID: u.UserID(), Name: f.Name, Email: f.Email}
}

// Members implements directory.GroupReader: GroupMembers, as members.
func (c *Client) Members(ctx context.Context, groupID string) ([]directory.Member, error) {
	users, err := c.GroupMembers(ctx, groupID)
	if err != nil {
		return nil, err
	}
	out := make([]directory.Member, 0, len(users))
	for _, u := range users {
		out = append(out, u.member())
	}
	return out, nil
}

// ManagerOf implements directory.GroupReader for a Teams person.
func (c *Client) ManagerOf(ctx context.Context, id workflow.UserID) (directory.Member, error) {
	if id.Platform() != "teams" {
		return directory.Member{}, fmt.Errorf("graph: %s is not an Entra person: %w", id.Platform(), directory.ErrNotFound)
	}
	u, err := c.Manager(ctx, id.Local())
	if err != nil {
		return directory.Member{}, err
	}
	return u.member(), nil
}
