package slack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// fakeSlack is a Slack Web API that answers like Slack: form-encoded and
// JSON requests, {"ok":false,"error":…} for what Slack refuses (including
// Block Kit it would not accept), single-use trigger ids, view hashes, and
// HTTP 429 with Retry-After when told to rate-limit.
type fakeSlack struct {
	t     testing.TB
	token string
	srv   *httptest.Server

	mu         sync.Mutex
	calls      []apiCall
	messages   map[string]*postedMsg // "channel|ts" → current content
	posts      []*postedMsg          // every accepted chat.postMessage, in order
	updates    []*postedMsg          // every accepted chat.update
	ephemerals []*postedMsg
	responses  []map[string]any    // bodies posted to response_urls
	responded  []string            // the response_url each of responses went to
	issued     map[string]int      // response_url path → uses left (Slack allows 5)
	members    map[string][]string // channel → members, for the channels a test names
	views      map[string]*fakeView
	opened     []*fakeView // every accepted views.open, in order
	viewUpd    []*fakeView // every accepted views.update
	homes      map[string]map[string]any
	publishes  []string // users whose Home tab was published, in order
	triggers   map[string]string
	groups     map[string][]string
	users      map[string]fakeUser
	feed       string
	limited    map[string][]int
	seq        int
	uploads    map[string]*fakeFile // file id → the file, once asked for
	shared     []*fakeFile          // files completed into a channel, in order
	timeline   []*postedMsg         // every message in a conversation (posts and file shares), oldest first
	scopes     map[string]bool      // the bot token's scopes: manifest.yaml's
	// now is the clock message timestamps are taken from (Slack's ts is
	// the time of posting); nil is a fixed day.
	now func() time.Time
}

// fakeFile is a file uploaded the way Slack asks: an upload URL from
// files.getUploadURLExternal, the bytes posted to it, then
// files.completeUploadExternal to share it in a channel.
type fakeFile struct {
	ID, Name, Title, Channel string
	Length                   int
	Data                     []byte
	Uploaded                 bool
}

type fakeUser struct {
	bot, deleted    bool
	realName, title string
	email           string
}

type apiCall struct {
	Method string
	Status int
	Error  string
	Params map[string]any
}

type postedMsg struct {
	Channel, TS, ThreadTS, User, Text string
	Blocks                            []any
	Raw                               string         // the blocks as sent
	Metadata                          map[string]any // message metadata, as posted
	Files                             []any          // files shared with the message
}

type fakeView struct {
	ID, Hash, User, Trigger string
	View                    map[string]any
}

func newFakeSlack(t testing.TB, token, feed string) *fakeSlack {
	f := &fakeSlack{t: t, token: token, feed: feed,
		messages: map[string]*postedMsg{}, views: map[string]*fakeView{}, homes: map[string]map[string]any{},
		triggers: map[string]string{}, issued: map[string]int{}, members: map[string][]string{}, groups: map[string][]string{}, users: map[string]fakeUser{}, limited: map[string][]int{}, uploads: map[string]*fakeFile{},
		scopes: manifestScopes(t)}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// userJSON is a user as users.info and users.lookupByEmail answer: the
// real name at the top and in the profile, with the title and address.
func (f *fakeSlack) userJSON(id string, u fakeUser) map[string]any {
	return map[string]any{"id": id, "name": strings.ToLower(id), "real_name": u.realName, "is_bot": u.bot, "deleted": u.deleted,
		"profile": map[string]any{"real_name": u.realName, "display_name": strings.ToLower(id), "title": u.title, "email": u.email}}
}

// rateLimit makes the next n calls of method answer 429 with Retry-After.
func (f *fakeSlack) rateLimit(method string, n, retryAfter int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.limited[method] = append(f.limited[method], retryAfter)
	}
}

// trigger issues a trigger id, as Slack does with every command and click.
func (f *fakeSlack) trigger(user string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	id := fmt.Sprintf("trig-%d", f.seq)
	f.triggers[id] = user
	return id
}

func (f *fakeSlack) responseURL() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	path := fmt.Sprintf("/response/%d", f.seq)
	f.issued[path] = 5
	return f.srv.URL + path
}

func (f *fakeSlack) nextTS() string {
	f.seq++
	secs := int64(1773136800)
	if f.now != nil {
		secs = f.now().Unix()
	}
	return fmt.Sprintf("%d.%06d", secs, f.seq%1000000)
}

// manifestScopes are the bot scopes manifest.yaml asks for: the token the
// fake accepts has those and no others, as an app installed from it.
func manifestScopes(t testing.TB) map[string]bool {
	data, err := os.ReadFile("../../manifest.yaml")
	if err != nil {
		t.Fatalf("manifest.yaml: %v", err)
	}
	var m struct {
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("manifest.yaml: %v", err)
	}
	out := map[string]bool{}
	for _, sc := range m.OAuth.Scopes.Bot {
		out[sc] = true
	}
	return out
}

// historyScope is the scope reading a conversation's history needs, by
// the kind of conversation its id names.
func historyScope(channel string) string {
	switch {
	case strings.HasPrefix(channel, "D"):
		return "im:history"
	case strings.HasPrefix(channel, "G"):
		return "groups:history"
	}
	return "channels:history"
}

// tsLess orders Slack timestamps ("seconds.micros").
func tsLess(a, b string) bool {
	as, af, _ := strings.Cut(a, ".")
	bs, bf, _ := strings.Cut(b, ".")
	ai, _ := strconv.ParseInt(as, 10, 64)
	bi, _ := strconv.ParseInt(bs, 10, 64)
	if ai != bi {
		return ai < bi
	}
	for len(af) < 6 {
		af += "0"
	}
	for len(bf) < 6 {
		bf += "0"
	}
	return af < bf
}

// metadataFrom checks chat.* metadata as Slack does: a JSON object with an
// event_type (lower case letters, digits and underscores) and an
// event_payload object. "" is no metadata.
func metadataFrom(v any) (map[string]any, string) {
	s, _ := v.(string)
	if s == "" {
		return nil, ""
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, "invalid_metadata_format"
	}
	typ, _ := m["event_type"].(string)
	_, payload := m["event_payload"].(map[string]any)
	if typ == "" || !payload || strings.Trim(typ, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		return nil, "invalid_metadata_schema"
	}
	return m, ""
}

// listed is a message as conversations.history and .replies list it:
// metadata only when include_all_metadata is asked for.
func listed(m *postedMsg, withMeta bool) map[string]any {
	out := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "blocks": m.Blocks}
	if m.User == "" || strings.HasPrefix(m.Channel, "C") {
		out["bot_id"] = "BESCALATE"
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if len(m.Files) > 0 {
		out["files"] = m.Files
	}
	if withMeta && m.Metadata != nil {
		out["metadata"] = m.Metadata
	}
	return out
}

// page answers a history or replies call: messages within oldest/latest
// (exclusive unless inclusive), limit (default 100) at a time, with a
// cursor for the rest.
func (f *fakeSlack) page(msgs []*postedMsg, params map[string]any, fail func(string)) (map[string]any, bool) {
	str := func(k string) string { s, _ := params[k].(string); return s }
	incl := str("inclusive") == "1" || str("inclusive") == "true"
	withMeta := str("include_all_metadata") == "1" || str("include_all_metadata") == "true"
	var in []*postedMsg
	for _, m := range msgs {
		if o := str("oldest"); o != "" && (tsLess(m.TS, o) || (!incl && m.TS == o)) {
			continue
		}
		if l := str("latest"); l != "" && (tsLess(l, m.TS) || (!incl && m.TS == l)) {
			continue
		}
		in = append(in, m)
	}
	limit := 100
	if l := str("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			fail("invalid_limit")
			return nil, false
		}
		limit = min(n, 999)
	}
	start := 0
	if c := str("cursor"); c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "next:"))
		if err != nil || n < 0 || n > len(in) {
			fail("invalid_cursor")
			return nil, false
		}
		start = n
	}
	end := min(start+limit, len(in))
	out := []any{}
	for _, m := range in[start:end] {
		out = append(out, listed(f.messages[m.Channel+"|"+m.TS], withMeta))
	}
	res := map[string]any{"ok": true, "messages": out, "has_more": end < len(in)}
	if end < len(in) {
		res["response_metadata"] = map[string]any{"next_cursor": fmt.Sprintf("next:%d", end)}
	}
	return res, true
}

// conversation is whether the fake knows a conversation the app can read:
// the feed, or the DM of a known person.
func (f *fakeSlack) conversation(ch string) bool {
	if ch == f.feed {
		return true
	}
	if strings.HasPrefix(ch, "D") {
		_, known := f.users["U"+ch[1:]]
		return known
	}
	return false
}

func reply(w http.ResponseWriter, v map[string]any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/response/") {
		// A response_url Slack issued, used at most five times; a JSON
		// message, ephemeral or in the channel, replacing the original or
		// (replace_original false or absent) posted beside it.
		if f.issued[r.URL.Path] <= 0 {
			http.Error(w, "expired_url", http.StatusNotFound)
			return
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		switch m["response_type"] {
		case nil, "ephemeral", "in_channel":
		default:
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		if _, ok := m["replace_original"]; ok {
			if _, isBool := m["replace_original"].(bool); !isBool {
				http.Error(w, "invalid_payload", http.StatusBadRequest)
				return
			}
		}
		f.issued[r.URL.Path]--
		f.responses = append(f.responses, m)
		f.responded = append(f.responded, r.URL.Path)
		reply(w, map[string]any{"ok": true})
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/upload/"); ok {
		f.receiveUpload(w, r, id, body)
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
		if len(body) == 0 {
			body = []byte("{}")
		}
		if err := json.Unmarshal(body, &params); err != nil {
			reply(w, map[string]any{"ok": false, "error": "invalid_json"})
			return
		}
	} else {
		form, _ := url.ParseQuery(string(body))
		for k := range form {
			params[k] = form.Get(k)
		}
		if tok := form.Get("token"); tok != "" {
			token = tok
		}
	}
	call := apiCall{Method: method, Params: params, Status: http.StatusOK}
	defer func() { f.calls = append(f.calls, call) }()
	if q := f.limited[method]; len(q) > 0 {
		f.limited[method] = q[1:]
		call.Status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", strconv.Itoa(q[0]))
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	fail := func(code string) {
		call.Error = code
		reply(w, map[string]any{"ok": false, "error": code})
	}
	if token != f.token {
		fail("invalid_auth")
		return
	}
	str := func(k string) string { s, _ := params[k].(string); return s }
	switch method {
	case "chat.postMessage", "chat.update", "chat.postEphemeral":
		blocks, raw, problem := decodeBlocks(params["blocks"])
		if problem != "" {
			f.t.Errorf("%s: Slack would refuse these blocks: %s\n%s", method, problem, raw)
			fail("invalid_blocks")
			return
		}
		if str("text") == "" && len(blocks) == 0 {
			fail("no_text")
			return
		}
		meta, metaProblem := metadataFrom(params["metadata"])
		if metaProblem != "" {
			f.t.Errorf("%s: Slack would refuse this metadata: %s", method, metaProblem)
			fail(metaProblem)
			return
		}
		m := &postedMsg{Channel: str("channel"), ThreadTS: str("thread_ts"), Text: str("text"), Blocks: blocks, Raw: raw, User: str("user"), Metadata: meta}
		switch method {
		case "chat.postMessage":
			switch ch := m.Channel; {
			case strings.HasPrefix(ch, "U"):
				u, known := f.users[ch]
				if !known || u.deleted {
					fail("channel_not_found")
					return
				}
				m.User, m.Channel = ch, "D"+ch[1:]
			case ch == f.feed:
			case strings.HasPrefix(ch, "C"):
				fail("not_in_channel")
				return
			default:
				fail("channel_not_found")
				return
			}
			if m.ThreadTS != "" {
				if _, exists := f.messages[m.Channel+"|"+m.ThreadTS]; !exists {
					fail("thread_not_found")
					return
				}
			}
			m.TS = f.nextTS()
			f.messages[m.Channel+"|"+m.TS] = m
			f.posts = append(f.posts, m)
			f.timeline = append(f.timeline, m)
			reply(w, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "message": map[string]any{"ts": m.TS, "text": m.Text}})
		case "chat.update":
			key := m.Channel + "|" + str("ts")
			old, exists := f.messages[key]
			if !exists {
				fail("message_not_found")
				return
			}
			m.TS, m.User, m.ThreadTS, m.Files = old.TS, old.User, old.ThreadTS, old.Files
			if m.Metadata == nil {
				// chat.update without metadata keeps the message's own.
				m.Metadata = old.Metadata
			}
			f.messages[key] = m
			f.updates = append(f.updates, m)
			reply(w, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "text": m.Text})
		default:
			if m.User == "" {
				fail("user_not_found")
				return
			}
			// Slack shows an ephemeral message only to a member of the
			// conversation: a DM is its one person's.
			switch ch := m.Channel; {
			case strings.HasPrefix(ch, "D"):
				if _, known := f.users["U"+ch[1:]]; !known {
					fail("channel_not_found")
					return
				}
				if m.User != "U"+ch[1:] {
					fail("user_not_in_channel")
					return
				}
			case f.members[ch] != nil:
				if !slices.Contains(f.members[ch], m.User) {
					fail("user_not_in_channel")
					return
				}
			}
			m.TS = f.nextTS()
			f.ephemerals = append(f.ephemerals, m)
			reply(w, map[string]any{"ok": true, "message_ts": m.TS})
		}
	case "conversations.open":
		if !f.scopes["im:write"] {
			fail("missing_scope")
			return
		}
		users := strings.Split(str("users"), ",")
		u, known := f.users[users[0]]
		if len(users) != 1 || !known || u.deleted {
			fail("user_not_found")
			return
		}
		reply(w, map[string]any{"ok": true, "channel": map[string]any{"id": "D" + users[0][1:]}})
	case "conversations.history":
		ch := str("channel")
		if !f.scopes[historyScope(ch)] {
			fail("missing_scope")
			return
		}
		if !f.conversation(ch) {
			fail("channel_not_found")
			return
		}
		// Newest first, and a thread's replies are not listed (only
		// conversations.replies lists them).
		var msgs []*postedMsg
		for i := len(f.timeline) - 1; i >= 0; i-- {
			if m := f.timeline[i]; m.Channel == ch && (m.ThreadTS == "" || m.ThreadTS == m.TS) {
				msgs = append(msgs, m)
			}
		}
		if res, ok := f.page(msgs, params, fail); ok {
			reply(w, res)
		}
	case "conversations.replies":
		ch, ts := str("channel"), str("ts")
		if !f.scopes[historyScope(ch)] {
			fail("missing_scope")
			return
		}
		if !f.conversation(ch) {
			fail("channel_not_found")
			return
		}
		if _, exists := f.messages[ch+"|"+ts]; !exists {
			fail("thread_not_found")
			return
		}
		// The parent first, then its replies, oldest first.
		var msgs []*postedMsg
		for _, m := range f.timeline {
			if m.Channel == ch && (m.TS == ts || m.ThreadTS == ts) {
				msgs = append(msgs, m)
			}
		}
		if res, ok := f.page(msgs, params, fail); ok {
			reply(w, res)
		}
	case "views.open":
		trig := str("trigger_id")
		user, valid := f.triggers[trig]
		if !valid {
			fail("invalid_trigger_id")
			return
		}
		delete(f.triggers, trig) // a trigger opens one view
		view, _ := params["view"].(map[string]any)
		if problem := checkModal(view); problem != "" {
			f.t.Errorf("views.open: Slack would refuse this view: %s", problem)
			fail("invalid_arguments")
			return
		}
		f.seq++
		v := &fakeView{ID: fmt.Sprintf("V%04d", f.seq), Hash: fmt.Sprintf("h%d", f.seq), User: user, Trigger: trig, View: view}
		f.views[v.ID] = v
		f.opened = append(f.opened, v)
		reply(w, map[string]any{"ok": true, "view": v.response()})
	case "views.update":
		v, exists := f.views[str("view_id")]
		if !exists {
			fail("not_found")
			return
		}
		if h := str("hash"); h != "" && h != v.Hash {
			fail("hash_conflict")
			return
		}
		view, _ := params["view"].(map[string]any)
		if problem := checkModal(view); problem != "" {
			f.t.Errorf("views.update: Slack would refuse this view: %s", problem)
			fail("invalid_arguments")
			return
		}
		f.seq++
		nv := &fakeView{ID: v.ID, Hash: fmt.Sprintf("h%d", f.seq), User: v.User, View: view}
		f.views[v.ID] = nv
		f.viewUpd = append(f.viewUpd, nv)
		reply(w, map[string]any{"ok": true, "view": nv.response()})
	case "views.publish":
		view, _ := params["view"].(map[string]any)
		blocks, _ := view["blocks"].([]any)
		if view["type"] != "home" || len(blocks) > maxViewBlocks {
			f.t.Errorf("views.publish: Slack would refuse this view (%v, %d blocks)", view["type"], len(blocks))
			fail("invalid_arguments")
			return
		}
		if problem := checkBlocks(blocks, maxViewBlocks); problem != "" {
			f.t.Errorf("views.publish: %s", problem)
			fail("invalid_blocks")
			return
		}
		f.homes[str("user_id")] = view
		f.publishes = append(f.publishes, str("user_id"))
		reply(w, map[string]any{"ok": true, "view": map[string]any{"id": "VHOME", "hash": "hh"}})
	case "usergroups.users.list":
		members, exists := f.groups[str("usergroup")]
		if !exists {
			fail("no_such_subteam")
			return
		}
		reply(w, map[string]any{"ok": true, "users": members})
	case "users.info":
		id := str("user")
		u, exists := f.users[id]
		if !exists {
			fail("user_not_found")
			return
		}
		reply(w, map[string]any{"ok": true, "user": f.userJSON(id, u)})
	case "users.lookupByEmail":
		email := strings.ToLower(str("email"))
		for id, u := range f.users {
			if u.email != "" && strings.ToLower(u.email) == email {
				reply(w, map[string]any{"ok": true, "user": f.userJSON(id, u)})
				return
			}
		}
		fail("users_not_found")
	case "files.getUploadURLExternal":
		n, err := strconv.Atoi(str("length"))
		if str("filename") == "" || err != nil || n <= 0 {
			fail("invalid_arguments")
			return
		}
		f.seq++
		file := &fakeFile{ID: fmt.Sprintf("F%04d", f.seq), Name: str("filename"), Length: n}
		f.uploads[file.ID] = file
		reply(w, map[string]any{"ok": true, "upload_url": f.srv.URL + "/upload/" + file.ID, "file_id": file.ID})
	case "files.completeUploadExternal":
		var list []map[string]any
		if err := json.Unmarshal([]byte(str("files")), &list); err != nil || len(list) == 0 {
			fail("invalid_arguments")
			return
		}
		ch := str("channel_id")
		switch {
		case ch == "", ch == f.feed:
		case strings.HasPrefix(ch, "D"):
			// The app can share into a DM it has opened by posting to it.
			opened := false
			for _, m := range f.posts {
				opened = opened || m.Channel == ch
			}
			if !opened {
				fail("channel_not_found")
				return
			}
		case strings.HasPrefix(ch, "C"):
			fail("not_in_channel")
			return
		default:
			fail("channel_not_found")
			return
		}
		var out []any
		for _, it := range list {
			id, _ := it["id"].(string)
			file, known := f.uploads[id]
			if !known || !file.Uploaded {
				fail("file_not_found")
				return
			}
			file.Title, _ = it["title"].(string)
			file.Channel = ch
			f.shared = append(f.shared, file)
			out = append(out, map[string]any{"id": id, "title": file.Title})
		}
		if ch != "" {
			// Sharing into a conversation posts a message carrying the files.
			share := &postedMsg{Channel: ch, TS: f.nextTS(), Files: out}
			f.messages[ch+"|"+share.TS] = share
			f.timeline = append(f.timeline, share)
		}
		reply(w, map[string]any{"ok": true, "files": out})
	default:
		fail("unknown_method")
	}
}

// receiveUpload takes the bytes of a file posted to its upload URL
// (multipart, field "file"), checking the length given beforehand.
func (f *fakeSlack) receiveUpload(w http.ResponseWriter, r *http.Request, id string, body []byte) {
	file, known := f.uploads[id]
	if !known || file.Uploaded {
		http.NotFound(w, r)
		return
	}
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		http.Error(w, "not multipart", http.StatusBadRequest)
		return
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			http.Error(w, "no file part", http.StatusBadRequest)
			return
		}
		if part.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(part)
		if err != nil || len(data) != file.Length {
			http.Error(w, fmt.Sprintf("got %d bytes, expected %d", len(data), file.Length), http.StatusBadRequest)
			return
		}
		file.Data, file.Uploaded = data, true
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "OK - %d", len(data))
		return
	}
}

// sharedIn are the files shared into a channel, in order.
func (f *fakeSlack) sharedIn(channel string) []*fakeFile {
	return where(f, f.shared, func(file *fakeFile) bool { return file.Channel == channel })
}

func (f *fakeSlack) allShared() []*fakeFile {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*fakeFile(nil), f.shared...)
}

func (v *fakeView) response() map[string]any {
	out := map[string]any{}
	for k, val := range v.View {
		out[k] = val
	}
	out["id"], out["hash"], out["state"] = v.ID, v.Hash, map[string]any{"values": map[string]any{}}
	return out
}

// decodeBlocks reads chat.* blocks (a JSON string in a form) and checks
// them as Slack would.
func decodeBlocks(p any) ([]any, string, string) {
	s, _ := p.(string)
	if s == "" {
		return nil, "", ""
	}
	var blocks []any
	if err := json.Unmarshal([]byte(s), &blocks); err != nil {
		return nil, s, "not JSON: " + err.Error()
	}
	return blocks, allText(blocks), checkBlocks(blocks, maxMessageBlocks)
}

func textOf(o any) (typ, text string) {
	m, _ := o.(map[string]any)
	typ, _ = m["type"].(string)
	text, _ = m["text"].(string)
	return typ, text
}

// checkBlocks applies Block Kit's limits.
func checkBlocks(blocks []any, max int) string {
	if len(blocks) > max {
		return fmt.Sprintf("%d blocks (at most %d)", len(blocks), max)
	}
	ids := map[string]bool{}
	for i, b := range blocks {
		m, _ := b.(map[string]any)
		if id, _ := m["block_id"].(string); id != "" {
			if ids[id] {
				return "duplicate block_id " + id
			}
			ids[id] = true
		}
		switch m["type"] {
		case "header":
			typ, text := textOf(m["text"])
			if typ != "plain_text" || utf8.RuneCountInString(text) > maxHeaderText || text == "" {
				return fmt.Sprintf("block %d: header must be plain_text of 1–150 characters", i)
			}
		case "section":
			if m["text"] == nil && m["fields"] == nil {
				return fmt.Sprintf("block %d: empty section", i)
			}
			if _, text := textOf(m["text"]); utf8.RuneCountInString(text) > maxSectionText {
				return fmt.Sprintf("block %d: section text of %d characters", i, utf8.RuneCountInString(text))
			}
			fields, _ := m["fields"].([]any)
			if len(fields) > maxFields {
				return fmt.Sprintf("block %d: %d fields", i, len(fields))
			}
			for _, fl := range fields {
				if _, text := textOf(fl); utf8.RuneCountInString(text) > maxFieldText {
					return fmt.Sprintf("block %d: a field of %d characters", i, utf8.RuneCountInString(text))
				}
			}
		case "context":
			els, _ := m["elements"].([]any)
			if len(els) == 0 || len(els) > 10 {
				return fmt.Sprintf("block %d: context with %d elements", i, len(els))
			}
		case "actions":
			els, _ := m["elements"].([]any)
			if len(els) == 0 || len(els) > maxButtons {
				return fmt.Sprintf("block %d: actions with %d elements", i, len(els))
			}
			aids := map[string]bool{}
			for _, e := range els {
				em, _ := e.(map[string]any)
				aid, _ := em["action_id"].(string)
				if aids[aid] {
					return "duplicate action_id " + aid
				}
				aids[aid] = true
				if _, text := textOf(em["text"]); utf8.RuneCountInString(text) > maxButtonText {
					return "button text too long"
				}
				if v, _ := em["value"].(string); len(v) > 2000 {
					return "button value too long"
				}
			}
		case "divider", "input":
		default:
			return fmt.Sprintf("block %d: unexpected type %v", i, m["type"])
		}
	}
	return ""
}

// checkModal applies the limits of a modal view.
func checkModal(view map[string]any) string {
	if view["type"] != "modal" {
		return "not a modal"
	}
	for _, k := range []string{"title", "submit", "close"} {
		if view[k] == nil {
			if k == "title" {
				return "no title"
			}
			continue
		}
		typ, text := textOf(view[k])
		if typ != "plain_text" || text == "" || utf8.RuneCountInString(text) > maxModalTitle {
			return fmt.Sprintf("%s %q must be plain_text of 1–24 characters", k, text)
		}
	}
	if pm, _ := view["private_metadata"].(string); len(pm) > 3000 {
		return "private_metadata over 3000 characters"
	}
	blocks, _ := view["blocks"].([]any)
	if p := checkBlocks(blocks, maxViewBlocks); p != "" {
		return p
	}
	inputs := 0
	for _, b := range blocks {
		m, _ := b.(map[string]any)
		if m["type"] != "input" {
			continue
		}
		inputs++
		if typ, text := textOf(m["label"]); typ != "plain_text" || text == "" || utf8.RuneCountInString(text) > 2000 {
			return "input label must be plain_text"
		}
		el, _ := m["element"].(map[string]any)
		if el["action_id"] == nil {
			return "input element without action_id"
		}
		opts, _ := el["options"].([]any)
		if len(opts) > 100 {
			return "more than 100 options"
		}
		for _, o := range opts {
			om, _ := o.(map[string]any)
			if _, text := textOf(om["text"]); utf8.RuneCountInString(text) > maxOptionText {
				return fmt.Sprintf("option text %q over 75 characters", text)
			}
		}
		if el["type"] == "plain_text_input" {
			if ml, ok := el["max_length"].(float64); ok && ml > 3000 {
				return "max_length over 3000"
			}
		}
	}
	if inputs > 0 && view["submit"] == nil {
		return "a modal with inputs needs a submit button"
	}
	return ""
}

// --- what the tests look at ---

func (f *fakeSlack) snapshotCalls() []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiCall(nil), f.calls...)
}

func (f *fakeSlack) countCalls(method string) int {
	n := 0
	for _, c := range f.snapshotCalls() {
		if c.Method == method {
			n++
		}
	}
	return n
}

// dms are the messages Escalate posted to a person, in order.
func (f *fakeSlack) dms(user string) []*postedMsg {
	return where(f, f.posts, func(m *postedMsg) bool { return m.User == user })
}

func (f *fakeSlack) channelPosts(channel string) []*postedMsg {
	return where(f, f.posts, func(m *postedMsg) bool { return m.Channel == channel })
}

// where picks, under the fake's lock, the records of one list that keep
// says to keep, in order.
func where[T any](f *fakeSlack, list []T, keep func(T) bool) []T {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []T
	for _, v := range list {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

func (f *fakeSlack) lastOpened() *fakeView {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.opened) == 0 {
		return nil
	}
	return f.opened[len(f.opened)-1]
}

func (f *fakeSlack) current(id string) *fakeView {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.views[id]
}

func (f *fakeSlack) message(channel, ts string) *postedMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.messages[channel+"|"+ts]
}

// responsesTo are the bodies posted to one response_url, in order.
func (f *fakeSlack) responsesTo(responseURL string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for i, p := range f.responded {
		if f.srv.URL+p == responseURL {
			out = append(out, f.responses[i])
		}
	}
	return out
}

func (f *fakeSlack) ephemeralsFor(user string) []*postedMsg {
	return where(f, f.ephemerals, func(m *postedMsg) bool { return m.User == user })
}

// eachButton calls visit for every button of a message, with the id of its
// actions block, until visit returns false.
func eachButton(blocks []any, visit func(blockID string, el map[string]any) bool) {
	for _, b := range blocks {
		m, _ := b.(map[string]any)
		if m["type"] != "actions" {
			continue
		}
		bid, _ := m["block_id"].(string)
		els, _ := m["elements"].([]any)
		for _, e := range els {
			em, _ := e.(map[string]any)
			if !visit(bid, em) {
				return
			}
		}
	}
}

// buttons are the action ids of a message's buttons.
func buttons(blocks []any) []string {
	var out []string
	eachButton(blocks, func(_ string, el map[string]any) bool {
		id, _ := el["action_id"].(string)
		out = append(out, strings.TrimPrefix(id, actionPrefix))
		return true
	})
	return out
}

// button finds a button of a message by its kind.
func button(blocks []any, kind string) (blockID, value string, ok bool) {
	eachButton(blocks, func(bid string, el map[string]any) bool {
		if el["action_id"] != actionPrefix+kind {
			return true
		}
		blockID, ok = bid, true
		value, _ = el["value"].(string)
		return false
	})
	return blockID, value, ok
}

// allText is everything a value shows, as JSON without HTML escaping,
// for searching.
func allText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return b.String()
}
