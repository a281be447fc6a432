package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/bottest"
	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/bot/weblink"
	"github.com/escalate-app/escalate/config"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
	"github.com/escalate-app/escalate/workflow/calendar"
)

const (
	head      = workflow.UserID("email:head@school.example")
	other     = workflow.UserID("email:nurse@gp.example")
	raiser    = workflow.UserID("slack:USW")
	freeText  = "Mother disclosed the bruising at the school gate"
	subjectNo = "CSC-4471902"
)

type rig struct {
	t      *testing.T
	clock  *bottest.Clock
	st     *store.Store
	eng    *engine.Engine
	signer *weblink.Signer
	srv    *httptest.Server
	logs   *bytes.Buffer
}

func testEnv(t *testing.T) workflow.Env {
	t.Helper()
	p, err := config.Preset("west-sussex")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.New(calendar.Config{})
	if err != nil {
		t.Fatal(err)
	}
	dir := &workflow.Directory{
		Agencies: []workflow.Agency{{ID: "csc", Name: "Children's Social Care"}, {ID: "school", Name: "Riverside School"}, {ID: "gp", Name: "Riverside Surgery"}},
		People: []workflow.Person{
			{ID: raiser, Name: "Sam Social Worker", Agency: "csc", Role: workflow.RolePractitioner},
			{ID: head, Name: "Hana Head", Agency: "school", Role: workflow.RolePractitioner},
			{ID: other, Name: "Nia Nurse", Agency: "gp", Role: workflow.RolePractitioner},
			{ID: "slack:ULM", Name: "Lee Manager", Agency: "csc", Role: workflow.RoleLineManager},
			{ID: "email:dsl@school.example", Name: "Dee Lead", Agency: "school", Role: workflow.RoleLineManager},
		},
	}
	return workflow.Env{Policy: p, Directory: dir, Calendar: cal}
}

func newRig(t *testing.T) *rig {
	t.Helper()
	london, _ := time.LoadLocation("Europe/London")
	r := &rig{t: t, clock: bottest.NewClock(time.Date(2026, 3, 10, 10, 0, 0, 0, london)), logs: &bytes.Buffer{}}
	r.st = storetest.New(t, store.Options{FeedPlatforms: []string{"slack"}, Now: r.clock.Now})
	log := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r.eng = engine.New(r.st, testEnv(t), r.clock.Now, log, nil)
	var err error
	if r.signer, err = weblink.New([]byte("a test key of thirty-two bytes!!"), 7*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Engine: r.eng, Store: r.st, Signer: r.signer, Now: r.clock.Now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Register(mux)
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

// raise raises a case from Slack with responder on the other side.
func (r *rig) raise(responder workflow.UserID, agency string) string {
	r.t.Helper()
	in := workflow.ParseRaise(workflow.Values{
		workflow.FieldSubjectType: {"child"}, workflow.FieldSubjectRef: {subjectNo}, workflow.FieldCategory: {"thresholds"},
		workflow.FieldRaiserAgency: {"csc"}, workflow.FieldResponderAgency: {agency}, workflow.FieldResponder: {string(responder)},
		workflow.FieldDisagreement: {freeText}, workflow.FieldOutcomeSought: {"A strategy discussion"}, workflow.FieldEvidence: {"School notes"},
	})
	res, err := r.eng.Raise(context.Background(), raiser, in, "raise:"+string(responder))
	if err != nil {
		r.t.Fatalf("raise: %v", err)
	}
	return res.Dispute.Ref
}

func (r *rig) token(u workflow.UserID) string {
	r.t.Helper()
	tok, err := r.signer.Issue(u, r.clock.Now())
	if err != nil {
		r.t.Fatal(err)
	}
	return tok
}

// browser is a person's browser: cookies, and the CSRF token of the last
// page, posted back with every form as a browser does.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (r *rig) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: r.t, base: r.srv.URL, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	code   int
	body   string
	header http.Header
}

func (b *browser) do(req *http.Request) answer {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return answer{resp.StatusCode, string(body), resp.Header}
}

func (b *browser) get(path string) answer {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

// post sends a form; with csrf false it leaves the token out.
func (b *browser) post(path string, form url.Values, csrf bool) answer {
	b.t.Helper()
	if csrf && b.csrf != "" {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	return b.do(req)
}

// follow is a browser following a redirect: GET the Location.
func (b *browser) follow(p answer) answer {
	b.t.Helper()
	if p.code != http.StatusSeeOther {
		b.t.Fatalf("want a redirect, got %d\n%s", p.code, p.body)
	}
	return b.get(p.header.Get("Location"))
}

// signIn opens a fresh link for u: the link's page, then its button.
func (r *rig) signIn(u workflow.UserID) *browser {
	r.t.Helper()
	b := r.browser()
	tok := r.token(u)
	if p := b.get("/link/" + tok); p.code != http.StatusOK || !strings.Contains(p.body, `id="open"`) {
		r.t.Fatalf("link page: %d\n%s", p.code, p.body)
	}
	p := b.post("/link/"+tok, url.Values{}, true)
	if p.code != http.StatusSeeOther || p.header.Get("Location") != "/web/" {
		r.t.Fatalf("open the link: %d %v\n%s", p.code, p.header, p.body)
	}
	return b
}

func TestLinkOpensASessionForOnePerson(t *testing.T) {
	r := newRig(t)
	mine := r.raise(head, "school")
	theirs := r.raise(other, "gp")
	b := r.browser()
	tok := r.token(head)

	// The GET shows a page and uses nothing (mail scanners fetch links).
	for range 2 {
		if p := b.get("/link/" + tok); p.code != http.StatusOK || !strings.Contains(p.body, "Open my cases") {
			t.Fatalf("link page: %d\n%s", p.code, p.body)
		}
	}
	if p := b.get("/web/"); p.code != http.StatusUnauthorized || strings.Contains(p.body, mine) {
		t.Fatalf("/web/ before the link is opened: %d\n%s", p.code, p.body)
	}
	p := b.post("/link/"+tok, url.Values{}, true)
	if p.code != http.StatusSeeOther || p.header.Get("Location") != "/web/" {
		t.Fatalf("open: %d %v", p.code, p.header)
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == sessionCookie {
			session = c
		}
	}
	if session == nil || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || len(session.Value) < 40 {
		t.Fatalf("session cookie: %+v", session)
	}
	home := b.follow(p)
	if home.code != http.StatusOK || !strings.Contains(home.body, mine) || strings.Contains(home.body, theirs) || !strings.Contains(home.body, "Hana Head") {
		t.Fatalf("home: %d\n%s", home.code, home.body)
	}
	// Their own case with its words and buttons.
	c := b.get("/web/case/" + mine)
	for _, want := range []string{freeText, subjectNo, `data-action="resolved"`, `data-action="escalate"`, `data-action="note"`, `name="csrf"`} {
		if !strings.Contains(c.body, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
	// Someone else's case and a case that does not exist: one answer.
	a := b.get("/web/case/" + theirs)
	none := b.get("/web/case/ESC-2026-9999")
	if a.code != http.StatusNotFound || none.code != http.StatusNotFound || strings.Contains(a.body, freeText) ||
		strings.ReplaceAll(a.body, theirs, "REF") != strings.ReplaceAll(none.body, "ESC-2026-9999", "REF") {
		t.Errorf("another's case and none differ:\n%s\n---\n%s", a.body, none.body)
	}
	if rec := b.get("/web/case/" + theirs + "/record.pdf"); rec.code != http.StatusNotFound {
		t.Errorf("another's record: %d", rec.code)
	}
	if rec := b.get("/web/case/" + mine + "/record.pdf"); rec.code != http.StatusOK || !strings.HasPrefix(rec.body, "%PDF") {
		t.Errorf("own record: %d", rec.code)
	}
	// The store keeps no session id or link id in the clear.
	if strings.Contains(r.logs.String(), tok) || strings.Contains(r.logs.String(), session.Value) {
		t.Error("a token or session id reached the log")
	}
	// Signing out ends the session on the server, not only in the browser.
	b.post("/web/signout", url.Values{}, true)
	b.c.Jar.SetCookies(mustURL(b.base), []*http.Cookie{session})
	if p := b.get("/web/"); p.code != http.StatusUnauthorized {
		t.Errorf("after sign-out: %d", p.code)
	}
}

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}

func TestForgedExpiredUsedAndRevokedLinksLetNobodyIn(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	ref := r.raise(head, "school")
	tok := r.token(head)

	// Forged: any change to the token.
	b := r.browser()
	for _, bad := range []string{tok[:len(tok)-3] + "AAA", strings.Replace(tok, ".", "..", 1), "v1.nothing"} {
		if p := b.get("/link/" + url.PathEscape(bad)); p.code != http.StatusForbidden || !strings.Contains(p.body, "This link does not work") || strings.Contains(p.body, `id="renew"`) {
			t.Errorf("forged %q: %d\n%s", bad, p.code, p.body)
		}
		if p := b.post("/link/"+url.PathEscape(bad), url.Values{}, true); p.code != http.StatusForbidden {
			t.Errorf("forged %q opened: %d", bad, p.code)
		}
	}

	// Used: the second press of the same link gets no session.
	first := r.signIn(head)
	second := r.browser()
	if p := second.get("/link/" + tok); p.code != http.StatusOK {
		t.Fatal(p.code)
	}
	if p := second.post("/link/"+tok, url.Values{}, true); p.code != http.StatusSeeOther {
		t.Fatalf("first use: %d", p.code)
	}
	third := r.browser()
	if p := third.get("/link/" + tok); p.code != http.StatusGone || !strings.Contains(p.body, "This link has been used") || !strings.Contains(p.body, `id="renew"`) {
		t.Errorf("used link page: %d\n%s", p.code, p.body)
	}
	if p := third.post("/link/"+tok, url.Values{}, true); p.code != http.StatusGone {
		t.Errorf("used link opened again: %d", p.code)
	}
	if p := third.get("/web/"); p.code != http.StatusUnauthorized {
		t.Errorf("the reused link let someone in: %d", p.code)
	}

	// Expired: seven days on, the page offers a new one, once.
	late := r.token(head)
	r.clock.Advance(7*24*time.Hour + time.Second)
	p := b.get("/link/" + late)
	if p.code != http.StatusGone || !strings.Contains(p.body, "This link has expired") || !strings.Contains(p.body, `id="renew"`) {
		t.Fatalf("expired link page: %d\n%s", p.code, p.body)
	}
	if p := b.post("/link/"+late, url.Values{}, true); p.code != http.StatusGone {
		t.Errorf("an expired link opened: %d", p.code)
	}
	p = b.post("/link/new", url.Values{"token": {late}}, true)
	if p.code != http.StatusOK || !strings.Contains(p.body, "This link has expired: we have sent you a new one") {
		t.Fatalf("renew: %d\n%s", p.code, p.body)
	}
	items, err := r.st.ClaimOutbox(ctx, r.clock.Now(), 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var renewals int
	for _, it := range items {
		if it.Message.Kind == weblink.MsgNewLink {
			renewals++
			if it.Message.To != head || it.Target != "email" {
				t.Errorf("new link went to %s on %s", it.Message.To, it.Target)
			}
		}
	}
	if renewals != 1 {
		t.Fatalf("%d new-link emails, want 1", renewals)
	}
	if p := b.post("/link/new", url.Values{"token": {late}}, true); !strings.Contains(p.body, "already sent") {
		t.Errorf("second renewal: %s", p.body)
	}
	// A forged token asks for nothing.
	if p := b.post("/link/new", url.Values{"token": {late + "x"}}, true); p.code != http.StatusForbidden {
		t.Errorf("forged renewal: %d", p.code)
	}

	// Revoked: every link and session of the person issued before now.
	fresh := r.token(head)
	r.clock.Advance(time.Second)
	if err := r.st.RevokeLinks(ctx, head, r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(time.Second)
	if p := b.get("/link/" + fresh); p.code != http.StatusForbidden || !strings.Contains(p.body, "withdrawn") || strings.Contains(p.body, `id="renew"`) {
		t.Errorf("revoked link: %d\n%s", p.code, p.body)
	}
	if p := first.get("/web/case/" + ref); p.code != http.StatusUnauthorized || strings.Contains(p.body, freeText) {
		t.Errorf("a session begun before the revocation: %d", p.code)
	}
	// A link issued after it works.
	r.signIn(head)
}

func TestActingFromTheWebPage(t *testing.T) {
	r := newRig(t)
	ref := r.raise(head, "school")
	b := r.signIn(head)
	c := b.get("/web/case/" + ref)
	value := regexp.MustCompile(`name="value" value="([^"]+)"><input type="hidden" name="action" value="note"`).FindStringSubmatch(c.body)
	if value == nil {
		t.Fatalf("no note button:\n%s", c.body)
	}
	v := strings.ReplaceAll(value[1], "&#43;", "+")

	// Without the CSRF token nothing happens.
	if p := b.post("/web/act", url.Values{"value": {v}, "action": {"note"}}, false); p.code != http.StatusForbidden {
		t.Fatalf("a POST without the token: %d", p.code)
	}
	// From another site nothing happens either, token or not.
	req, _ := http.NewRequest(http.MethodPost, b.base+"/web/act", strings.NewReader(url.Values{"value": {v}, "action": {"note"}, "csrf": {b.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := b.do(req); p.code != http.StatusForbidden {
		t.Fatalf("a cross-site POST: %d", p.code)
	}

	form := b.follow(b.post("/web/act", url.Values{"value": {v}, "action": {"note"}}, true))
	if form.code != http.StatusOK || !strings.Contains(form.body, `id="f-text"`) {
		t.Fatalf("note form: %d\n%s", form.code, form.body)
	}
	fields := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(form.body, -1) {
		fields.Set(m[1], m[2])
	}
	fields.Set("text", "The school will share its notes today")
	done := b.post("/web/form", fields, true)
	home := b.follow(done)
	if !strings.Contains(home.body, "You added a note (ESC-") {
		t.Errorf("no flash after the note:\n%s", home.body)
	}
	// The same form sent again acts once.
	b.post("/web/form", fields, true)
	_, hist, err := r.eng.Case(context.Background(), ref, workflow.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	notes := 0
	for _, e := range hist {
		if e.Kind == workflow.CmdComment && e.Actor == head {
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("%d notes by the head, want 1", notes)
	}
}
