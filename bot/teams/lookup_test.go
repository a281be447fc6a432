package teams

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// fakeGraph is Microsoft Graph as a bot with TeamsAppInstallation and Chat
// read permissions sees it: a person's installed apps, the 1:1 chat
// between them and the app, and that chat's messages (the activities the
// fake connector created there, newest first, each with its cards as JSON
// strings, under the activity's id as Teams gives them). It wants a Graph
// token (never the connector's), and can be told to refuse with 403, as
// Graph does when the permissions are not granted.
type fakeGraph struct {
	srv     *httptest.Server
	conn    *fakeConnector
	forbid  atomic.Bool
	reads   atomic.Int64 // chat message listings answered
	mu      sync.Mutex
	refused int
}

func newFakeGraph(t testing.TB, conn *fakeConnector) *fakeGraph {
	g := &fakeGraph{conn: conn}
	mux := http.NewServeMux()
	auth := func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer graph-token-") {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			if g.forbid.Load() {
				g.mu.Lock()
				g.refused++
				g.mu.Unlock()
				http.Error(w, `{"error":{"code":"Forbidden","message":"Missing role permissions on the request."}}`, http.StatusForbidden)
				return
			}
			next(w, r)
		}
	}
	mux.HandleFunc("GET /v1.0/users/{aad}/teamwork/installedApps", auth(func(w http.ResponseWriter, r *http.Request) {
		value := []any{}
		if r.URL.Query().Get("$filter") == "teamsApp/externalId eq '"+conn.app+"'" {
			value = append(value, map[string]any{"id": "inst-" + r.PathValue("aad")})
		}
		json.NewEncoder(w).Encode(map[string]any{"value": value})
	}))
	mux.HandleFunc("GET /v1.0/users/{aad}/teamwork/installedApps/{inst}/chat", auth(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("inst") != "inst-"+r.PathValue("aad") {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"id": "19:" + r.PathValue("aad") + "_" + conn.app + "@unq.gbl.spaces"})
	}))
	mux.HandleFunc("GET /v1.0/chats/{chat}/messages", auth(func(w http.ResponseWriter, r *http.Request) {
		aad, ok := strings.CutPrefix(r.PathValue("chat"), "19:")
		aad, _, ok2 := strings.Cut(aad, "_")
		if !ok || !ok2 {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		g.reads.Add(1)
		top, _ := strconv.Atoi(r.URL.Query().Get("$top"))
		convs := map[string]bool{personalConv(aad): true, "a:dm-" + aad: true, "a:dm-" + teamsID(aad): true}
		value := []any{}
		calls := conn.ops("send")
		for i := len(calls) - 1; i >= 0 && (top == 0 || len(value) < top); i-- {
			c := calls[i]
			if !convs[c.Conversation] {
				continue
			}
			card, _ := json.Marshal(c.card())
			value = append(value, map[string]any{"id": c.ID, "messageType": "message",
				"from":        map[string]any{"application": map[string]any{"id": conn.app}},
				"attachments": []any{map[string]any{"contentType": cardContentType, "content": string(card)}}})
		}
		json.NewEncoder(w).Encode(map[string]any{"value": value})
	}))
	// The business team's channel: its posts changed since a time (delta,
	// the only listing Graph filters by date) and a thread's replies.
	channelPosts := func(w http.ResponseWriter, conv string) {
		value := []any{}
		for _, c := range conn.ops("send") {
			if c.Conversation != conv {
				continue
			}
			card, _ := json.Marshal(c.card())
			value = append(value, map[string]any{"id": c.ID, "messageType": "message",
				"attachments": []any{map[string]any{"contentType": cardContentType, "content": string(card)}}})
		}
		json.NewEncoder(w).Encode(map[string]any{"value": value})
	}
	mux.HandleFunc("GET /v1.0/teams/{team}/channels/{channel}/messages/delta", auth(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("team") != feedTeamID || r.PathValue("channel") != feedConv || !strings.HasPrefix(r.URL.Query().Get("$filter"), "lastModifiedDateTime gt ") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		g.reads.Add(1)
		channelPosts(w, feedConv)
	}))
	mux.HandleFunc("GET /v1.0/teams/{team}/channels/{channel}/messages/{root}/replies", auth(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("team") != feedTeamID || r.PathValue("channel") != feedConv {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		g.reads.Add(1)
		channelPosts(w, feedConv+";messageid="+r.PathValue("root"))
	}))
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

// feedTeamID is the team the business team's channel is in.
const feedTeamID = "5f4e3d2c-1b0a-4987-8654-3210fedcba98"

func graphHarness(t *testing.T) (*harness, *fakeGraph) {
	var g *fakeGraph
	h := newHarnessWith(t, func(h *harness) (workflow.Env, Config) {
		g = newFakeGraph(t, h.conn)
		h.graphURL, h.feedTeam = g.srv.URL+"/v1.0", feedTeamID
		return testEnv(t), h.config()
	})
	return h, g
}

// crashAt is a fault that kills the process at step, twice for each item.
func crashAt(step outbox.Step, hits map[string]int, mu *sync.Mutex) outbox.Fault {
	return func(_ context.Context, at outbox.Step, it store.OutboxItem) error {
		mu.Lock()
		defer mu.Unlock()
		if at != step {
			return nil
		}
		if hits[it.ID]++; hits[it.ID] > 2 {
			return nil
		}
		return outbox.ErrCrash
	}
}

// TestTeamsExactlyOnceWhenTheProcessDiesAfterTheAnswer: the process dies
// between the connector's answer and Escalate's record of the activity,
// for every DM, feed post, thread reply and digest, twice; the restarted
// process finds each in the person's chat or the business team's channel
// through Graph and records it instead of posting it again: every one
// arrives exactly once. A crash at the other steps delivers exactly once
// as well with Graph in place.
func TestTeamsExactlyOnceWhenTheProcessDiesAfterTheAnswer(t *testing.T) {
	ref := newHarness(t)
	teamsJourney(ref, nil)
	want := arrived(ref)
	for _, step := range []outbox.Step{outbox.StepMarked, outbox.StepAnswered, outbox.StepRecorded} {
		t.Run(string(step), func(t *testing.T) {
			h, g := graphHarness(t)
			var mu sync.Mutex
			hits := map[string]int{}
			teamsJourney(h, crashAt(step, hits, &mu))
			got := arrived(h)
			for k, n := range got {
				if n != 1 {
					t.Errorf("%s was created %d times", k, n)
				}
			}
			if len(got) != len(want) {
				t.Errorf("created %v, want %v", got, want)
			}
			if len(hits) != 6 {
				t.Errorf("the crash struck %d items, want all 6", len(hits))
			}
			if step == outbox.StepAnswered && g.reads.Load() == 0 {
				t.Error("the restarted process did not look in the chats")
			}
		})
	}
}

// A DM pending with no record whose chat Graph shows without it (the
// process died before the connector took it) is sent, once.
func TestAPendingDMNotInTheChatIsSent(t *testing.T) {
	h, g := graphHarness(t)
	var mu sync.Mutex
	hits := map[string]int{}
	// The process dies after the mark, before any call: each DM is
	// pending, never posted.
	teamsJourney(h, crashAt(outbox.StepMarked, hits, &mu))
	for k, n := range arrived(h) {
		if n != 1 {
			t.Errorf("%s was created %d times", k, n)
		}
	}
	if g.reads.Load() == 0 {
		t.Error("a pending DM was sent without looking in the chat")
	}
}

// Without the Graph permissions (403) an item whose earlier attempt left
// no record cannot be looked for, and is sent again rather than lost or
// parked: at least once, the documented trade-off.
func TestWithoutGraphPermissionsAPendingDMIsSentAgain(t *testing.T) {
	h, g := graphHarness(t)
	g.forbid.Store(true)
	var mu sync.Mutex
	hits := map[string]int{}
	teamsJourney(h, crashAt(outbox.StepAnswered, hits, &mu))
	got := arrived(h)
	twice := 0
	for _, n := range got {
		if n == 3 {
			twice++ // crashed twice after the answer: posted three times
		}
		if n < 1 {
			t.Fatal("a DM was lost")
		}
	}
	if twice != 6 || g.refused == 0 {
		t.Fatalf("posts %v (Graph refused %d times): want every crashed item sent again", got, g.refused)
	}
}
