package slack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/bottest"
	"github.com/escalate-app/escalate/bot/budget"

	"github.com/escalate-app/escalate/bot/directory"
	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/config"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
	"github.com/escalate-app/escalate/workflow/calendar"
)

const (
	testToken  = "xoxb-test-token"
	testSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	feedChan   = "CFEED01"
)

// People of the test partnership (Slack ids).
const (
	uRaiser    = "UPRAC1" // children's social care practitioner
	uResponder = "UPRAC2" // health visitor
	uLM1       = "ULM1"   // line managers
	uLM2       = "ULM2"
	uSen1a     = "USEN1A" // the children's social care senior managers' user group
	uSen1b     = "USEN1B"
	uSen2      = "USEN2"
	uChair     = "UCHAIR"
	uBiz       = "UBIZ"
	uStranger  = "UOUT"
	uBot       = "UBOT"
	groupSen1  = "SSEN1"
)

type harness struct {
	t      testing.TB
	fake   *fakeSlack
	clock  *fakeClock
	st     *store.Store
	eng    *engine.Engine
	a      *Adapter
	srv    *httptest.Server
	sender *outbox.Sender
	env    workflow.Env
	logs   *syncBuffer
	kicks  atomic.Int64
	names  *directory.Names
}

type harnessOpts struct {
	engineStore func(*store.Store) engine.Store
	socket      bool // no signing secret: Socket Mode only
}

func testEnv(t testing.TB) workflow.Env {
	t.Helper()
	p, err := config.Preset("west-sussex")
	if err != nil {
		t.Fatalf("west-sussex preset: %v", err)
	}
	cal, err := calendar.New(calendar.Config{})
	if err != nil {
		t.Fatalf("calendar: %v", err)
	}
	s := func(id string) workflow.UserID { return workflow.UserID("slack:" + id) }
	dir := &workflow.Directory{
		Agencies: []workflow.Agency{
			{ID: "csc", Name: "Children's Social Care"}, {ID: "health", Name: "Community Health"},
			{ID: "police", Name: "Sussex Police"}, {ID: "school", Name: "Education"},
		},
		People: []workflow.Person{
			{ID: s(uRaiser), Name: "Pat Practitioner", Agency: "csc", Role: workflow.RolePractitioner},
			{ID: s(uResponder), Name: "Hana Visitor", Agency: "health", Role: workflow.RolePractitioner},
			{ID: s(uLM1), Name: "Lee Manager", Agency: "csc", Role: workflow.RoleLineManager},
			{ID: s(uLM2), Name: "Mo Manager", Agency: "health", Role: workflow.RoleLineManager},
			{ID: workflow.UserID(groupPrefix + groupSen1), Name: "CSC senior managers", Agency: "csc", Role: workflow.RoleSeniorManager},
			{ID: s(uSen1a), Name: "Ada Senior", Agency: "csc"},
			{ID: s(uSen1b), Name: "Ben Senior", Agency: "csc"},
			{ID: s(uSen2), Name: "Sam Senior", Agency: "health", Role: workflow.RoleSeniorManager},
			{ID: s(uChair), Name: "Chris Chair", Role: workflow.RoleChair},
			{ID: s(uBiz), Name: "Bea Business"},
		},
		Chair:        []workflow.UserID{s(uChair)},
		BusinessTeam: []workflow.UserID{s(uBiz)},
	}
	return workflow.Env{Policy: p, Directory: dir, Calendar: cal, Emergency: []string{
		"Call 999 if a child is in immediate danger",
		"Children's front door (MASH): 01403 229900",
		"Out of hours: 0330 222 6664",
	}}
}

func newHarness(t testing.TB, opt ...harnessOpts) *harness {
	t.Helper()
	var o harnessOpts
	if len(opt) > 0 {
		o = opt[0]
	}
	london, _ := time.LoadLocation("Europe/London")
	h := &harness{t: t, clock: bottest.NewClock(time.Date(2026, 3, 10, 10, 0, 0, 0, london)), logs: &syncBuffer{}}
	h.fake = newFakeSlack(t, testToken, feedChan)
	h.fake.now = h.clock.Now
	for _, u := range []string{uRaiser, uResponder, uLM1, uLM2, uSen1a, uSen1b, uSen2, uChair, uBiz, uStranger} {
		h.fake.users[u] = fakeUser{}
	}
	h.fake.users[uBot] = fakeUser{bot: true}
	h.fake.groups[groupSen1] = []string{uSen1a, uSen1b}
	h.env = testEnv(t)
	h.st = storetest.New(t, store.Options{FeedPlatforms: []string{"slack"}, Now: h.clock.Now})
	var es engine.Store = h.st
	if o.engineStore != nil {
		es = o.engineStore(h.st)
	}
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.eng = engine.New(es, h.env, h.clock.Now, log, nil)
	cfg := Config{BotToken: testToken, SigningSecret: testSecret, APIURL: h.fake.srv.URL + "/api", FeedChannel: feedChan,
		Help: HelpText{For: []string{"Professional disagreements about a child's safety"}, NotFor: []string{"Complaints and whistleblowing"}},
		// A budget on the real clock would cancel work on a slow machine
		// (under -race, say); the tests of budgets end theirs by hand.
		Work: budget.New(budget.Options{AfterFunc: bottest.NeverAfter})}
	if o.socket {
		cfg.SigningSecret, cfg.AppToken = "", "xapp-test"
	}
	a, err := New(cfg, h.eng, h.st, log, func() { h.kicks.Add(1) })
	if err != nil {
		t.Fatalf("new adapter: %v", err)
	}
	h.a = a
	// People the directory does not list are named from Slack, as the
	// binary wires it.
	h.names = directory.NewNames(h.st, h.clock.Now, log, nil)
	h.names.Register("slack", a.People())
	h.eng.UseNamer(h.names)
	mux := http.NewServeMux()
	a.Register(mux)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	t.Cleanup(a.wait)
	h.sender = outbox.New(h.st, []outbox.Transport{a.Transport()}, h.clock.Now, log, nil, outbox.Options{})
	return h
}

// sign signs a request body exactly as Slack does.
func sign(secret, ts, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

type response struct {
	status int
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if len(bytes.TrimSpace(r.body)) == 0 {
		return m
	}
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, r.body)
	}
	return m
}

// post sends a request to the adapter; prepare may change its headers.
// It returns once the work the request started is done.
func (h *harness) post(path, contentType, body string, prepare func(http.Header)) response {
	h.t.Helper()
	r, err := h.tryPost(path, contentType, body, prepare)
	if err != nil {
		h.t.Fatalf("POST %s: %v", path, err)
	}
	h.a.wait()
	return r
}

// tryPost is post for use from several goroutines at once.
func (h *harness) tryPost(path, contentType, body string, prepare func(http.Header)) (response, error) {
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", contentType)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sign(testSecret, ts, body))
	if prepare != nil {
		prepare(req.Header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{resp.StatusCode, b}, err
}

func interactionBody(payload map[string]any) string {
	b, _ := json.Marshal(payload)
	return url.Values{"payload": {string(b)}}.Encode()
}

const formType = "application/x-www-form-urlencoded"

func (h *harness) commandBody(user, text string) string {
	return url.Values{
		"token": {"legacy"}, "team_id": {"T1"}, "channel_id": {"CWORK"}, "channel_name": {"general"},
		"user_id": {user}, "command": {"/escalate"}, "text": {text},
		"response_url": {h.fake.responseURL()}, "trigger_id": {h.fake.trigger(user)}, "api_app_id": {"A1"},
	}.Encode()
}

// command types /escalate as user.
func (h *harness) command(user, text string) response {
	h.t.Helper()
	return h.post("/slack/commands", formType, h.commandBody(user, text), nil)
}

func (h *harness) interact(payload map[string]any, prepare func(http.Header)) response {
	h.t.Helper()
	return h.post("/slack/interactivity", formType, interactionBody(payload), prepare)
}

// state answers a view as Slack would report it: the given answers, and
// for every other input what it was drawn with (initial values).
func state(view map[string]any, answers map[string]any) map[string]any {
	values := map[string]any{}
	blocks, _ := view["blocks"].([]any)
	for _, b := range blocks {
		m, _ := b.(map[string]any)
		if m["type"] != "input" {
			continue
		}
		bid, _ := m["block_id"].(string)
		el, _ := m["element"].(map[string]any)
		aid, _ := el["action_id"].(string)
		typ, _ := el["type"].(string)
		v := map[string]any{"type": typ}
		ans, answered := answers[bid]
		switch typ {
		case "plain_text_input":
			if answered {
				v["value"] = ans
			} else {
				v["value"] = el["initial_value"]
			}
		case "static_select":
			if answered {
				v["selected_option"] = map[string]any{"value": ans}
			} else {
				v["selected_option"] = el["initial_option"]
			}
		case "multi_static_select":
			if answered {
				var opts []any
				for _, s := range ans.([]string) {
					opts = append(opts, map[string]any{"value": s})
				}
				v["selected_options"] = opts
			} else if iv, ok := el["initial_options"]; ok {
				v["selected_options"] = iv
			} else {
				v["selected_options"] = []any{}
			}
		case "users_select":
			if answered {
				v["selected_user"] = ans
			} else {
				v["selected_user"] = el["initial_user"]
			}
		case "multi_users_select":
			if answered {
				v["selected_users"] = ans
			} else if iu, ok := el["initial_users"]; ok {
				v["selected_users"] = iu
			} else {
				v["selected_users"] = []any{}
			}
		case "datepicker":
			if answered {
				v["selected_date"] = ans
			} else {
				v["selected_date"] = el["initial_date"]
			}
		case "checkboxes":
			sel := []any{}
			if answered {
				if ans.(bool) {
					opts, _ := el["options"].([]any)
					sel = append(sel, opts[0])
				}
			} else if iv, ok := el["initial_options"].([]any); ok {
				sel = iv
			}
			v["selected_options"] = sel
		}
		values[bid] = map[string]any{aid: v}
	}
	return values
}

func viewPayload(v *fakeView, answers map[string]any) map[string]any {
	out := v.response()
	out["type"] = "modal"
	out["state"] = map[string]any{"values": state(v.View, answers)}
	return out
}

// submission is a view submitted as user with the given answers.
func (h *harness) submission(v *fakeView, user string, answers map[string]any) map[string]any {
	return map[string]any{"type": "view_submission", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": user},
		"api_app_id": "A1", "trigger_id": h.fake.trigger(user), "view": viewPayload(v, answers)}
}

// submit submits a view as user with the given answers.
func (h *harness) submit(v *fakeView, user string, answers map[string]any) response {
	h.t.Helper()
	return h.interact(h.submission(v, user, answers), nil)
}

// clickPayload is a click on a button of a message, as Slack sends it.
func (h *harness) clickPayload(user string, m *postedMsg, kind string) map[string]any {
	h.t.Helper()
	bid, value, ok := button(m.Blocks, kind)
	if !ok {
		h.t.Fatalf("the message has no %q button; it has %v\n%s", kind, buttons(m.Blocks), m.Raw)
	}
	return map[string]any{
		"type": "block_actions", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": user}, "api_app_id": "A1",
		"trigger_id": h.fake.trigger(user), "response_url": h.fake.responseURL(),
		"container": map[string]any{"type": "message", "message_ts": m.TS, "channel_id": m.Channel, "is_ephemeral": false},
		"channel":   map[string]any{"id": m.Channel}, "message": map[string]any{"ts": m.TS, "type": "message", "text": m.Text, "blocks": m.Blocks},
		"actions": []any{map[string]any{"type": "button", "action_id": actionPrefix + kind, "block_id": bid, "value": value,
			"action_ts": strconv.FormatInt(time.Now().UnixNano(), 10)}},
	}
}

// click clicks a button of a message as user.
func (h *harness) click(user string, m *postedMsg, kind string) response {
	h.t.Helper()
	return h.interact(h.clickPayload(user, m, kind), nil)
}

// deliver runs the outbox sender until nothing more is due now.
func (h *harness) deliver() int {
	h.t.Helper()
	total := 0
	for range 50 {
		n, err := h.sender.RunOnce(context.Background())
		if err != nil {
			h.t.Fatalf("outbox: %v", err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
	h.t.Fatal("the outbox never emptied")
	return total
}

// lastDM is the latest message a person received.
func (h *harness) lastDM(user string) *postedMsg {
	h.t.Helper()
	ms := h.fake.dms(user)
	if len(ms) == 0 {
		h.t.Fatalf("%s received no DM", user)
	}
	return h.fake.message(ms[len(ms)-1].Channel, ms[len(ms)-1].TS)
}

func (h *harness) dispute(ref string) *workflow.Dispute {
	h.t.Helper()
	d, _, err := h.st.Load(context.Background(), ref)
	if err != nil {
		h.t.Fatalf("load %s: %v", ref, err)
	}
	return d
}

// raiseAnswers fill the raise form well.
func raiseAnswers() map[string]any {
	return map[string]any{
		workflow.FieldSubjectType:     "child",
		workflow.FieldSubjectRef:      "CSC-4471-XQ",
		workflow.FieldCategory:        string(workflow.CatThresholds),
		workflow.FieldResponderAgency: "health",
		workflow.FieldResponder:       uResponder,
		workflow.FieldDisagreement:    "Health visitor declined the strategy discussion despite bruising",
		workflow.FieldOutcomeSought:   "A strategy discussion within one working day",
		workflow.FieldEvidence:        "Two unexplained bruises recorded on the home visit",
	}
}

// raise opens the form and submits it; it returns the new case's ref.
func (h *harness) raise(answers map[string]any) string {
	h.t.Helper()
	before := h.fake.lastOpened()
	if r := h.command(uRaiser, ""); r.status != http.StatusOK {
		h.t.Fatalf("/escalate: %d %s", r.status, r.body)
	}
	v := h.fake.lastOpened()
	if v == nil || v == before {
		h.t.Fatal("/escalate opened no modal")
	}
	r := h.submit(v, uRaiser, answers)
	m := r.json(h.t)
	if r.status != http.StatusOK || m["response_action"] != "update" {
		h.t.Fatalf("raise: %d %s", r.status, r.body)
	}
	refs, err := h.st.AllRefs(context.Background())
	if err != nil || len(refs) == 0 {
		h.t.Fatalf("no case was raised: %v", err)
	}
	return refs[len(refs)-1]
}

type fakeClock = bottest.Clock

type syncBuffer = bottest.LogBuffer
