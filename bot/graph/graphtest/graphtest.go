// Package graphtest is a fake Microsoft Graph and Entra ID token endpoint
// for tests, on 127.0.0.1. It refuses what the real one refuses: a call
// without a token it issued is answered 401 InvalidAuthenticationToken; an
// unknown user, group or manager 404 Request_ResourceNotFound in Graph's
// error JSON; it can be told to throttle (429 with Retry-After) or to be
// down (503); lists of members come in pages with @odata.nextLink. It
// counts what it was asked, so tests can say how often Graph was called.
package graphtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Tenant, ClientID and Secret are the app registration the fake accepts.
const (
	Tenant   = "70000000-0000-4000-8000-0000000000aa"
	ClientID = "c1c1c1c1-0000-4000-8000-00000000c11e"
	Secret   = "graph-test-secret"
)

// User is a person in the fake tenant.
type User struct {
	ID, DisplayName, JobTitle, Mail, UPN string
	Disabled                             bool
}

// Fake is the fake Graph.
type Fake struct {
	Srv *httptest.Server
	// PageSize is the most members one page carries (default 100, as
	// Graph's default; $top asks for fewer or more up to 999).
	PageSize int

	mu        sync.Mutex
	users     map[string]User     // by lower-case id
	groups    map[string][]string // group id → member ids (users or groups)
	managers  map[string]string   // user id → manager id
	tokens    map[string]bool
	tokenN    int
	TokenLife int // expires_in, seconds (default 3599)
	throttle  int // the next Graph requests answered 429
	down      bool
	calls     map[string]int
}

// New starts the fake; it is closed when the test ends.
func New(t testing.TB) *Fake {
	f := &Fake{PageSize: 100, TokenLife: 3599, users: map[string]User{}, groups: map[string][]string{},
		managers: map[string]string{}, tokens: map[string]bool{}, calls: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", f.token)
	mux.HandleFunc("GET /v1.0/users/{id}", f.guard("user", f.user))
	mux.HandleFunc("GET /v1.0/users", f.guard("users", f.usersByMail))
	mux.HandleFunc("GET /v1.0/users/{id}/manager", f.guard("manager", f.manager))
	mux.HandleFunc("GET /v1.0/groups/{id}/transitiveMembers", f.guard("members", f.members))
	f.Srv = httptest.NewServer(mux)
	t.Cleanup(f.Srv.Close)
	return f
}

// BaseURL is what GRAPH_API_URL is set to.
func (f *Fake) BaseURL() string { return f.Srv.URL + "/v1.0" }

// TokenURL is the tenant's token endpoint.
func (f *Fake) TokenURL() string { return f.Srv.URL + "/{tenant}/oauth2/v2.0/token" }

// AddUser adds (or replaces) a person.
func (f *Fake) AddUser(u User) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u.UPN == "" {
		u.UPN = u.Mail
	}
	f.users[strings.ToLower(u.ID)] = u
}

// RemoveUser deletes a person (a leaver).
func (f *Fake) RemoveUser(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.users, strings.ToLower(id))
}

// SetGroup sets a group's direct members: people's or nested groups' ids.
func (f *Fake) SetGroup(id string, members ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups[strings.ToLower(id)] = members
}

// SetManager records who a person's manager is ("" for none).
func (f *Fake) SetManager(user, manager string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if manager == "" {
		delete(f.managers, strings.ToLower(user))
		return
	}
	f.managers[strings.ToLower(user)] = strings.ToLower(manager)
}

// Throttle answers the next n Graph requests 429 with Retry-After: 1.
func (f *Fake) Throttle(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle = n
}

// Down makes every Graph request answer 503 (true) or work again.
func (f *Fake) Down(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// Calls is how many requests of a kind ("user", "users", "manager",
// "members", "token", "refused") were answered, throttled or not.
func (f *Fake) Calls(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[kind]
}

// GraphCalls is every Graph request answered (tokens not counted).
func (f *Fake) GraphCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls["user"] + f.calls["users"] + f.calls["manager"] + f.calls["members"]
}

func graphError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": message,
		"innerError": map[string]string{"date": "2026-03-10T10:00:00", "request-id": "00000000-0000-4000-8000-000000000001", "client-request-id": "00000000-0000-4000-8000-000000000002"}}})
}

func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["token"]++
	switch {
	case r.PathValue("tenant") != Tenant:
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": "AADSTS90002: Tenant not found."})
		return
	case r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_id") != ClientID:
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "unauthorized_client"})
		return
	case r.PostForm.Get("client_secret") != Secret:
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
		return
	case r.PostForm.Get("scope") != f.Srv.URL+"/.default":
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_scope"})
		return
	}
	f.tokenN++
	tok := fmt.Sprintf("graph-token-%d", f.tokenN)
	f.tokens[tok] = true
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": f.TokenLife, "ext_expires_in": f.TokenLife, "access_token": tok})
}

// Revoke makes every token issued so far invalid (a rotated secret).
func (f *Fake) Revoke() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]bool{}
}

// guard checks the token, counts the call and applies throttling and
// outages before the handler runs.
func (f *Fake) guard(kind string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		valid := f.tokens[tok]
		if !valid {
			f.calls["refused"]++
			f.mu.Unlock()
			graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
			return
		}
		f.calls[kind]++
		throttled, down := f.throttle > 0, f.down
		if throttled {
			f.throttle--
		}
		f.mu.Unlock()
		switch {
		case down:
			graphError(w, http.StatusServiceUnavailable, "serviceNotAvailable", "The service is temporarily unavailable.")
		case throttled:
			w.Header().Set("Retry-After", "1")
			graphError(w, http.StatusTooManyRequests, "TooManyRequests", "Too many requests.")
		default:
			h(w, r)
		}
	}
}

func (f *Fake) findUser(key string) (User, bool) {
	key = strings.ToLower(key)
	if u, ok := f.users[key]; ok {
		return u, true
	}
	for _, u := range f.users {
		if strings.EqualFold(u.UPN, key) {
			return u, true
		}
	}
	return User{}, false
}

func userJSON(u User, selected string) map[string]any {
	all := map[string]any{"@odata.type": "#microsoft.graph.user", "id": u.ID, "displayName": u.DisplayName,
		"jobTitle": nullable(u.JobTitle), "mail": nullable(u.Mail), "userPrincipalName": u.UPN, "accountEnabled": !u.Disabled}
	if selected == "" {
		delete(all, "accountEnabled") // not among Graph's default fields
		return all
	}
	out := map[string]any{"@odata.type": all["@odata.type"]}
	for _, k := range strings.Split(selected, ",") {
		if v, ok := all[strings.TrimSpace(k)]; ok {
			out[strings.TrimSpace(k)] = v
		}
	}
	return out
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal")
	json.NewEncoder(w).Encode(v)
}

func (f *Fake) user(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	u, ok := f.findUser(r.PathValue("id"))
	f.mu.Unlock()
	if !ok {
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", r.PathValue("id")))
		return
	}
	writeJSON(w, userJSON(u, r.URL.Query().Get("$select")))
}

func (f *Fake) usersByMail(w http.ResponseWriter, r *http.Request) {
	filter := r.URL.Query().Get("$filter")
	mail, ok := strings.CutPrefix(filter, "mail eq '")
	if !ok || !strings.HasSuffix(mail, "'") {
		graphError(w, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported query.")
		return
	}
	mail = strings.ReplaceAll(strings.TrimSuffix(mail, "'"), "''", "'")
	f.mu.Lock()
	var value []map[string]any
	for _, u := range f.users {
		if strings.EqualFold(u.Mail, mail) {
			value = append(value, userJSON(u, r.URL.Query().Get("$select")))
		}
	}
	f.mu.Unlock()
	if value == nil {
		value = []map[string]any{}
	}
	writeJSON(w, map[string]any{"@odata.context": f.BaseURL() + "/$metadata#users", "value": value})
}

func (f *Fake) manager(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	u, ok := f.findUser(r.PathValue("id"))
	var m User
	var has bool
	if ok {
		m, has = f.users[f.managers[strings.ToLower(u.ID)]]
	}
	f.mu.Unlock()
	if !ok || !has {
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", "manager"))
		return
	}
	writeJSON(w, userJSON(m, r.URL.Query().Get("$select")))
}

// members answers one page of a group's transitive members; the skip
// token is the offset into the flattened list.
func (f *Fake) members(w http.ResponseWriter, r *http.Request) {
	id := strings.ToLower(r.PathValue("id"))
	q := r.URL.Query()
	f.mu.Lock()
	if _, ok := f.groups[id]; !ok {
		f.mu.Unlock()
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
		return
	}
	var flat []map[string]any
	seen := map[string]bool{}
	var walk func(g string)
	walk = func(g string) {
		for _, m := range f.groups[g] {
			m = strings.ToLower(m)
			if seen[m] {
				continue
			}
			seen[m] = true
			if _, isGroup := f.groups[m]; isGroup {
				flat = append(flat, map[string]any{"@odata.type": "#microsoft.graph.group", "id": m, "displayName": "Nested group " + m})
				walk(m)
				continue
			}
			if u, ok := f.users[m]; ok {
				flat = append(flat, userJSON(u, q.Get("$select")))
			}
		}
	}
	walk(id)
	size := f.PageSize
	f.mu.Unlock()
	if top, err := strconv.Atoi(q.Get("$top")); err == nil && top > 0 && top < size {
		size = top
	}
	skip, _ := strconv.Atoi(q.Get("$skiptoken"))
	end := min(skip+size, len(flat))
	page := map[string]any{"@odata.context": f.BaseURL() + "/$metadata#directoryObjects", "value": flat[min(skip, len(flat)):end]}
	if end < len(flat) {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("$skiptoken", strconv.Itoa(end))
		page["@odata.nextLink"] = f.BaseURL() + "/groups/" + id + "/transitiveMembers?" + next.Encode()
	}
	writeJSON(w, page)
}
