package graph

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/bottest"
	"github.com/escalate-app/escalate/bot/directory"
	"github.com/escalate-app/escalate/bot/graph/graphtest"
	"github.com/escalate-app/escalate/workflow"
)

const (
	aadJo  = "0a0a0a0a-0000-4000-8000-00000000000a"
	aadLee = "0b0b0b0b-0000-4000-8000-00000000000b"
	aadKim = "0c0c0c0c-0000-4000-8000-00000000000c"
)

type waits struct{ got []time.Duration }

func (w *waits) wait(_ context.Context, d time.Duration) error {
	w.got = append(w.got, d)
	return nil
}

func newClient(t *testing.T, f *graphtest.Fake, clock *bottest.Clock, w *waits) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: f.BaseURL(), TokenURL: f.TokenURL(), TenantID: graphtest.Tenant,
		ClientID: graphtest.ClientID, ClientSecret: graphtest.Secret, Now: clock.Now, Wait: w.wait})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func people(f *graphtest.Fake) {
	f.AddUser(graphtest.User{ID: aadJo, DisplayName: "Jo Bloggs", JobTitle: "Senior Social Worker", Mail: "jo.bloggs@council.gov.uk"})
	// Lee signs in as lee@… but is mailed at l.manager@…: found by $filter.
	f.AddUser(graphtest.User{ID: aadLee, DisplayName: "Lee Manager", JobTitle: "Team Manager", Mail: "l.manager@council.gov.uk", UPN: "lee@council.onmicrosoft.com"})
	f.AddUser(graphtest.User{ID: aadKim, DisplayName: "Kim Gone", Mail: "kim@council.gov.uk", Disabled: true})
}

// TestTheFakeRefusesWhatGraphRefuses: no token, no answer; Graph's error
// JSON on an unknown user.
func TestTheFakeRefusesWhatGraphRefuses(t *testing.T) {
	f := graphtest.New(t)
	resp, err := http.Get(f.BaseURL() + "/users/" + aadJo)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || f.Calls("refused") != 1 {
		t.Fatalf("a call without a token was answered %d", resp.StatusCode)
	}
	c := newClient(t, f, bottest.NewClock(time.Now()), &waits{})
	_, err = c.User(context.Background(), "nobody@council.gov.uk")
	var ae *APIError
	if !errors.Is(err, directory.ErrNotFound) || !errors.As(err, &ae) || ae.Code != "Request_ResourceNotFound" {
		t.Fatalf("an unknown user: %v", err)
	}
}

// TestUsersAreFoundByAddressAndIdWithOneToken: a person by their sign-in
// address, by their mail when it is not that, by object id; one token for
// all of it until it is near expiry, then a new one; a revoked token is
// replaced without failing the call.
func TestUsersAreFoundByAddressAndIdWithOneToken(t *testing.T) {
	ctx := context.Background()
	f := graphtest.New(t)
	people(f)
	clock := bottest.NewClock(time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
	c := newClient(t, f, clock, &waits{})

	id, found, err := c.ByEmail(ctx, "jo.bloggs@council.gov.uk")
	if err != nil || id != "teams:"+aadJo || found.Display() != "Jo Bloggs, Senior Social Worker" {
		t.Fatalf("by address: %q %+v %v", id, found, err)
	}
	id, found, err = c.ByEmail(ctx, "l.manager@council.gov.uk")
	if err != nil || id != "teams:"+aadLee || found.Name != "Lee Manager" {
		t.Fatalf("by mail that is not the sign-in name: %q %+v %v", id, found, err)
	}
	if _, _, err := c.ByEmail(ctx, "o'brien@council.gov.uk"); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("an unknown address: %v", err)
	}
	if _, found, err := c.ByEmail(ctx, "kim@council.gov.uk"); err != nil || !found.Deleted {
		t.Fatalf("a disabled account must say so: %+v %v", found, err)
	}
	found, err = c.LookUp(ctx, workflow.UserID("teams:"+strings.ToUpper(aadJo)))
	if err != nil || found.Display() != "Jo Bloggs, Senior Social Worker" {
		t.Fatalf("by object id: %+v %v", found, err)
	}
	if _, err := c.LookUp(ctx, "teams:29:1abc"); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("a Teams 29: id is not Graph's: %v", err)
	}
	if n := f.Calls("token"); n != 1 {
		t.Fatalf("%d tokens fetched for one hour's calls", n)
	}
	clock.Advance(56 * time.Minute) // within five minutes of expiry
	if _, err := c.User(ctx, aadJo); err != nil {
		t.Fatal(err)
	}
	if n := f.Calls("token"); n != 2 {
		t.Fatalf("a token near expiry was not renewed: %d fetched", n)
	}
	f.Revoke()
	if _, err := c.User(ctx, aadJo); err != nil {
		t.Fatalf("a revoked token must be replaced: %v", err)
	}
	if n := f.Calls("token"); n != 3 {
		t.Fatalf("tokens after a revocation: %d", n)
	}
}

// TestGroupMembersArePagedNestedAndThrottled: a group's people through a
// nested group, across pages, waiting out Graph's Retry-After.
func TestGroupMembersArePagedNestedAndThrottled(t *testing.T) {
	ctx := context.Background()
	f := graphtest.New(t)
	f.PageSize = 2
	people(f)
	extra := []string{}
	for i := range 5 {
		id := strings.Replace(aadJo, "0a0a0a0a", "1000000"+string(rune('0'+i)), 1)
		f.AddUser(graphtest.User{ID: id, DisplayName: "Manager " + string(rune('A'+i)), Mail: "m" + string(rune('a'+i)) + "@council.gov.uk"})
		extra = append(extra, id)
	}
	const group, nested = "9a9a9a9a-0000-4000-8000-0000000000a9", "9b9b9b9b-0000-4000-8000-0000000000b9"
	f.SetGroup(nested, extra...)
	f.SetGroup(group, aadLee, nested, aadKim)
	w := &waits{}
	c := newClient(t, f, bottest.NewClock(time.Now()), w)
	f.Throttle(2)
	got, err := c.GroupMembers(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, u := range got {
		names[u.DisplayName] = true
	}
	if len(got) != 6 || !names["Lee Manager"] || !names["Manager E"] || names["Kim Gone"] {
		t.Fatalf("members: %+v", got)
	}
	if len(w.got) != 2 || w.got[0] != time.Second {
		t.Fatalf("429s were not waited out by Retry-After: %v", w.got)
	}
	// 8 directory objects (7 people and the nested group) in pages of 2,
	// plus the two throttled answers.
	if n := f.Calls("members"); n != 4+2 {
		t.Fatalf("%d member pages asked for", n)
	}
	if _, err := c.GroupMembers(ctx, "deadbeef-0000-4000-8000-000000000000"); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("an unknown group: %v", err)
	}
	f.Down(true)
	if _, err := c.GroupMembers(ctx, group); err == nil || errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("Graph down must be an error that is not 'not found': %v", err)
	}
}

// TestManagers: a person's manager, and none.
func TestManagers(t *testing.T) {
	ctx := context.Background()
	f := graphtest.New(t)
	people(f)
	f.SetManager(aadJo, aadLee)
	c := newClient(t, f, bottest.NewClock(time.Now()), &waits{})
	m, err := c.Manager(ctx, aadJo)
	if err != nil || m.UserID() != "teams:"+aadLee || m.DisplayName != "Lee Manager" {
		t.Fatalf("manager: %+v %v", m, err)
	}
	if _, err := c.Manager(ctx, aadLee); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("no manager: %v", err)
	}
}

// TestAWrongSecretSaysWhatToCheck.
func TestAWrongSecretSaysWhatToCheck(t *testing.T) {
	f := graphtest.New(t)
	c, err := New(Config{BaseURL: f.BaseURL(), TokenURL: f.TokenURL(), TenantID: graphtest.Tenant, ClientID: graphtest.ClientID, ClientSecret: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.User(context.Background(), aadJo)
	if err == nil || !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("a wrong secret: %v", err)
	}
	if f.GraphCalls() != 0 {
		t.Fatal("Graph was called without a token")
	}
}
