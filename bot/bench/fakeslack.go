package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// fakeSlack is a stand-in for Slack's Web API as Escalate uses it, for the
// fault runs: DMs and channel posts with their message metadata (found
// again with conversations.history, as a retry looks for a message it may
// have posted), views opened by a trigger id once, response URLs. It can
// be put into an outage: its messaging methods answer HTTP 500, or 429
// with Retry-After, as Slack does when it is degraded. It counts every
// message posted by the outbox id its metadata carries, so a message
// posted twice is seen.
type fakeSlack struct {
	token, feed string
	users       map[string]string // id → real name

	mu       sync.Mutex
	outage   string // "", "500" or "429"
	callsOut int    // calls refused by the outage
	seq      int64
	views    map[string]map[string]any // trigger id → the view opened with it
	msgs     []*fakeMsg                // every message posted, in order
	triggers map[string]bool
}

type fakeMsg struct {
	channel, ts, thread, id string // id: the outbox id of the metadata
}

func newFakeSlack(token, feed string, users map[string]string) *fakeSlack {
	return &fakeSlack{token: token, feed: feed, users: users, views: map[string]map[string]any{}, triggers: map[string]bool{}}
}

// setOutage puts the messaging methods into an outage ("500", "429") or
// out of it ("").
func (f *fakeSlack) setOutage(mode string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.outage = mode
}

// trigger issues a trigger id, as Slack does with each command.
func (f *fakeSlack) trigger(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.triggers[id] = true
	return id
}

// view is the view opened with a trigger id, if any.
func (f *fakeSlack) view(trigger string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.views[trigger]
}

func (f *fakeSlack) nextTS() string {
	f.seq++
	now := time.Now()
	return fmt.Sprintf("%d.%06d", now.Unix(), f.seq%1_000_000)
}

func answer(w http.ResponseWriter, v map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// messaging methods are the ones an outage refuses.
func messaging(method string) bool {
	return strings.HasPrefix(method, "chat.") || strings.HasPrefix(method, "conversations.")
}

func (f *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if strings.HasPrefix(r.URL.Path, "/respond/") {
		answer(w, map[string]any{"ok": true})
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	params := map[string]any{}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &params)
	} else {
		form, _ := url.ParseQuery(string(body))
		for k := range form {
			params[k] = form.Get(k)
		}
		if t := form.Get("token"); t != "" {
			token = t
		}
	}
	str := func(k string) string { s, _ := params[k].(string); return s }
	f.mu.Lock()
	defer f.mu.Unlock()
	if messaging(method) && f.outage != "" {
		f.callsOut++
		if f.outage == "429" {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		http.Error(w, "internal_error", http.StatusInternalServerError)
		return
	}
	fail := func(code string) { answer(w, map[string]any{"ok": false, "error": code}) }
	if token != f.token {
		fail("invalid_auth")
		return
	}
	switch method {
	case "auth.test":
		answer(w, map[string]any{"ok": true, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1"})
	case "chat.postMessage":
		ch := str("channel")
		switch {
		case strings.HasPrefix(ch, "U"):
			if _, known := f.users[ch]; !known {
				fail("channel_not_found")
				return
			}
			ch = "D" + ch[1:]
		case strings.HasPrefix(ch, "D"), ch == f.feed:
		default:
			fail("channel_not_found")
			return
		}
		m := &fakeMsg{channel: ch, ts: f.nextTS(), thread: str("thread_ts"), id: metadataID(params["metadata"])}
		f.msgs = append(f.msgs, m)
		answer(w, map[string]any{"ok": true, "channel": ch, "ts": m.ts, "message": map[string]any{"ts": m.ts}})
	case "chat.update":
		answer(w, map[string]any{"ok": true, "channel": str("channel"), "ts": str("ts")})
	case "chat.postEphemeral":
		answer(w, map[string]any{"ok": true, "message_ts": f.nextTS()})
	case "conversations.open":
		u := strings.Split(str("users"), ",")[0]
		if _, known := f.users[u]; !known {
			fail("user_not_found")
			return
		}
		answer(w, map[string]any{"ok": true, "channel": map[string]any{"id": "D" + u[1:]}})
	case "conversations.history", "conversations.replies":
		// Newest first, every message of the conversation (the fault
		// runs' conversations are short: one page).
		ch, thread := str("channel"), str("ts")
		var out []any
		for i := len(f.msgs) - 1; i >= 0; i-- {
			m := f.msgs[i]
			if m.channel != ch || (method == "conversations.replies" && m.thread != thread && m.ts != thread) ||
				(method == "conversations.history" && m.thread != "") {
				continue
			}
			msg := map[string]any{"type": "message", "ts": m.ts, "text": "…"}
			if m.thread != "" {
				msg["thread_ts"] = m.thread
			}
			if m.id != "" {
				msg["metadata"] = map[string]any{"event_type": "escalate_outbox", "event_payload": map[string]any{"id": m.id}}
			}
			out = append(out, msg)
		}
		answer(w, map[string]any{"ok": true, "messages": out, "has_more": false})
	case "views.open":
		trig := str("trigger_id")
		if !f.triggers[trig] {
			fail("invalid_trigger_id")
			return
		}
		delete(f.triggers, trig)
		view, _ := params["view"].(map[string]any)
		if view == nil {
			if s := str("view"); s != "" {
				_ = json.Unmarshal([]byte(s), &view)
			}
		}
		f.seq++
		v := map[string]any{"id": "V" + strconv.FormatInt(f.seq, 10), "hash": "h" + strconv.FormatInt(f.seq, 10)}
		for k, x := range view {
			v[k] = x
		}
		f.views[trig] = v
		answer(w, map[string]any{"ok": true, "view": v})
	case "views.update", "views.publish":
		answer(w, map[string]any{"ok": true, "view": map[string]any{"id": str("view_id"), "hash": "hu"}})
	case "users.info":
		id := str("user")
		name, known := f.users[id]
		if !known {
			fail("user_not_found")
			return
		}
		answer(w, map[string]any{"ok": true, "user": map[string]any{"id": id, "name": strings.ToLower(id), "real_name": name,
			"profile": map[string]any{"real_name": name, "display_name": name}}})
	case "usergroups.users.list":
		answer(w, map[string]any{"ok": true, "users": []string{}})
	default:
		fail("unknown_method")
	}
}

// metadataID is the outbox id a message's metadata carries ("" when none).
func metadataID(v any) string {
	var md map[string]any
	switch m := v.(type) {
	case map[string]any:
		md = m
	case string:
		_ = json.Unmarshal([]byte(m), &md)
	}
	p, _ := md["event_payload"].(map[string]any)
	id, _ := p["id"].(string)
	return id
}

// tally is what the fake received: per (conversation, case) the distinct
// messages, and how many outbox ids were posted more than once.
type tally struct {
	posts      int
	duplicates int
	perCase    map[string]map[string]int // case ref → conversation → distinct messages
	callsOut   int
}

func (f *fakeSlack) tally() tally {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := tally{perCase: map[string]map[string]int{}, callsOut: f.callsOut}
	seen := map[string]int{}
	for _, m := range f.msgs {
		t.posts++
		if m.id == "" {
			continue
		}
		seen[m.id]++
		if seen[m.id] == 2 {
			t.duplicates++
		}
		if seen[m.id] > 1 {
			continue
		}
		ref, _, _ := strings.Cut(m.id, "/")
		if t.perCase[ref] == nil {
			t.perCase[ref] = map[string]int{}
		}
		t.perCase[ref][m.channel]++
	}
	return t
}

// spread is "n" when every (conversation, case) got n messages, else
// "min–max".
func (t tally) spread(feed string) string {
	var ns []int
	for _, convs := range t.perCase {
		for ch, n := range convs {
			if ch != feed {
				ns = append(ns, n)
			}
		}
	}
	if len(ns) == 0 {
		return "—"
	}
	sort.Ints(ns)
	if ns[0] == ns[len(ns)-1] {
		return strconv.Itoa(ns[0])
	}
	return fmt.Sprintf("%d–%d", ns[0], ns[len(ns)-1])
}
