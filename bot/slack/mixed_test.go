package slack

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/email"
	"github.com/escalate-app/escalate/bot/email/smtptest"
	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/bot/scheduler"
	"github.com/escalate-app/escalate/bot/web"
	"github.com/escalate-app/escalate/bot/weblink"
	"github.com/escalate-app/escalate/config"
	"github.com/escalate-app/escalate/workflow"
)

const (
	headAddr = "head@school.example"
	dslAddr  = "dsl@school.example"
)

// mixed is the Slack harness with people on email: the email transport
// against a test SMTP server, and the web page their links open.
type mixed struct {
	*harness
	smtp  *smtptest.Server
	page  *httptest.Server
	sched *scheduler.Scheduler
}

func newMixed(t *testing.T) *mixed {
	h := newHarness(t, harnessOpts{env: func(env *workflow.Env) {
		env.Directory.People = append(env.Directory.People,
			workflow.Person{ID: workflow.EmailUser(headAddr), Name: "Hana Head", Agency: "school", Role: workflow.RolePractitioner},
			workflow.Person{ID: workflow.EmailUser(dslAddr), Name: "Dee Lead", Agency: "school", Role: workflow.RoleLineManager})
	}})
	m := &mixed{harness: h, smtp: smtptest.New(t)}
	signer, err := weblink.New([]byte("a test key of thirty-two bytes!!"), 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := web.New(web.Options{Engine: h.eng, Store: h.st, Signer: signer, Now: h.clock.Now, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	pg.Register(mux)
	m.page = httptest.NewServer(mux)
	t.Cleanup(m.page.Close)
	srv, err := config.SMTPServer("smtp://escalate:s3cret@" + m.smtp.Addr)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := email.New(email.Options{Server: srv, From: "escalate@partnership.example",
		Links: weblink.Links{Base: m.page.URL, Signer: signer, Now: h.clock.Now}, Sent: h.st, Now: h.clock.Now, Log: slog.New(slog.DiscardHandler),
		TLS: &tls.Config{ServerName: "127.0.0.1", RootCAs: m.smtp.Certs, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	h.sender = outbox.New(h.st, []outbox.Transport{h.a.Transport(), tr}, h.clock.Now, slog.New(slog.DiscardHandler), nil, outbox.Options{})
	cal, ok := h.env.Calendar.(scheduler.Calendar)
	if !ok {
		t.Fatal("the calendar is not the scheduler's")
	}
	m.sched = scheduler.New(h.st, h.eng, h.env, cal, h.clock.Now, slog.New(slog.DiscardHandler), nil, scheduler.Options{})
	return m
}

// mailsTo are the emails one address received, oldest first.
func (m *mixed) mailsTo(addr string) []smtptest.Mail {
	var out []smtptest.Mail
	for _, ml := range m.smtp.Received() {
		if len(ml.To) == 1 && ml.To[0] == addr {
			out = append(out, ml)
		}
	}
	return out
}

func decoded(t *testing.T, ml smtptest.Mail) string {
	t.Helper()
	b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(ml.Body)))
	if err != nil {
		return ml.Body
	}
	return string(b)
}

var linkRE = regexp.MustCompile(`/link/(\S+)`)

// webBrowser is a person on email opening the link of their latest email.
type webBrowser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *webBrowser) do(method, path string, form url.Values) (int, string, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		if b.csrf != "" {
			form.Set("csrf", b.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.base)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if mm := csrfField.FindStringSubmatch(string(raw)); mm != nil {
		b.csrf = mm[1]
	}
	return resp.StatusCode, string(raw), resp.Header.Get("Location")
}

func (m *mixed) openLink(ml smtptest.Mail) *webBrowser {
	m.t.(*testing.T).Helper()
	t := m.t.(*testing.T)
	lm := linkRE.FindStringSubmatch(decoded(t, ml))
	if lm == nil {
		t.Fatalf("no link in the email:\n%s", decoded(t, ml))
	}
	jar, _ := cookiejar.New(nil)
	b := &webBrowser{t: t, base: m.page.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if code, body, _ := b.do(http.MethodGet, "/link/"+lm[1], nil); code != http.StatusOK {
		t.Fatalf("link page: %d\n%s", code, body)
	}
	if code, _, loc := b.do(http.MethodPost, "/link/"+lm[1], url.Values{}); code != http.StatusSeeOther || loc != "/web/" {
		t.Fatalf("open the link: %d %s", code, loc)
	}
	return b
}

// A case between a practitioner in Slack and a school on email, end to
// end: the raise names someone on email only, the school is emailed, then
// reminded; the case is escalated to the school's manager, on email too,
// and the business team's feed follows it; the manager proposes a
// resolution on the web page, the line manager confirms it in Slack, and
// everyone gets the record. No email carries free text or the case number.
func TestMixedCaseSlackAndEmail(t *testing.T) {
	m := newMixed(t)
	ctx := context.Background()
	answers := raiseAnswers()
	delete(answers, workflow.FieldResponder)
	answers[workflow.FieldResponderAgency] = "school"

	// The raise form offers the directory's people on email, and an address.
	if r := m.command(uRaiser, ""); r.status != http.StatusOK {
		t.Fatal(r.status)
	}
	form := m.fake.lastOpened()
	listed := element(t, form.View, workflow.FieldResponderListed)
	if !strings.Contains(allText(listed), "Hana Head") || listed["type"] != "static_select" {
		t.Fatalf("the raise form does not offer the people on email: %v", listed)
	}
	element(t, form.View, workflow.FieldResponderEmail)
	answers[workflow.FieldResponderListed] = string(workflow.EmailUser(headAddr))
	r := m.submit(form, uRaiser, answers)
	if r.json(t)["response_action"] != "update" {
		t.Fatalf("raise: %s", r.body)
	}
	const ref = "ESC-2026-0001"
	m.deliver()
	if d := m.dispute(ref); d.Responder.Person != workflow.EmailUser(headAddr) {
		t.Fatalf("the responder is %s", d.Responder.Person)
	}
	heads := m.mailsTo(headAddr)
	if len(heads) != 1 || !strings.Contains(subject(heads[0]), ref) {
		t.Fatalf("the head was emailed %d times", len(heads))
	}
	assertContains(t, "the raiser's DM", m.lastDM(uRaiser).Raw, ref)

	// Reminders: the scheduler nudges the head by email before the window closes.
	deadline := m.dispute(ref).Deadline
	for m.clock.Now().Before(deadline.Add(-time.Minute)) {
		m.clock.Advance(15 * time.Minute)
		if err := m.sched.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		m.deliver()
	}
	reminded := false
	for _, ml := range m.mailsTo(headAddr) {
		reminded = reminded || strings.Contains(subject(ml), "closes soon")
	}
	if !reminded {
		for _, ml := range m.mailsTo(headAddr) {
			t.Log(subject(ml))
		}
		t.Fatalf("no reminder email; the head got %d emails", len(m.mailsTo(headAddr)))
	}

	// Escalation to the managers: the school's is on email.
	m.click(uRaiser, m.lastDM(uRaiser), "escalate")
	esc := m.fake.lastOpened()
	// Slack's people picker lists only Slack members: the school's manager
	// on email is offered beside it, chosen to begin with.
	byEmail := element(t, esc.View, workflow.FieldResponderHoldersEmail)
	if byEmail["type"] != "multi_static_select" || !strings.Contains(allText(byEmail["initial_options"]), "Dee Lead") {
		t.Fatalf("the escalation form's holders on email: %v", byEmail)
	}
	if r := m.submit(esc, uRaiser, map[string]any{workflow.FieldText: "The school still declines the referral"}); r.status != http.StatusOK {
		t.Fatalf("escalate: %d %s", r.status, r.body)
	}
	m.deliver()
	d := m.dispute(ref)
	if d.Stage != 2 || !strings.Contains(strings.Join(userStrings(d.Holders[len(d.Holders)-1].Responder), ","), dslAddr) {
		t.Fatalf("stage %d, holders %+v", d.Stage, d.Holders)
	}
	dsl := m.mailsTo(dslAddr)
	if len(dsl) != 1 {
		t.Fatalf("the school's manager got %d emails", len(dsl))
	}
	feed := m.fake.channelPosts(feedChan)
	if len(feed) == 0 {
		t.Fatal("the business team's feed did not follow the case at stage 2")
	}
	for _, p := range feed {
		for _, bad := range []string{"CSC-4471-XQ", "bruising", "declines the referral"} {
			if strings.Contains(p.Raw, bad) {
				t.Errorf("a feed post carries %q", bad)
			}
		}
	}

	// The school's manager proposes a resolution on the web page.
	b := m.openLink(dsl[0])
	_, page, _ := b.do(http.MethodGet, "/web/case/"+ref, nil)
	assertContains(t, "the manager's case page", page, "Health visitor declined the strategy discussion", "CSC-4471-XQ", `data-action="resolved"`)
	val := regexp.MustCompile(`name="value" value="([^"]+)"><input type="hidden" name="action" value="resolved"`).FindStringSubmatch(page)
	if val == nil {
		t.Fatalf("no Resolved button:\n%s", page)
	}
	// A POST without the CSRF token changes nothing.
	saved := b.csrf
	b.csrf = ""
	if code, _, _ := b.do(http.MethodPost, "/web/act", url.Values{"value": {val[1]}, "action": {"resolved"}}); code != http.StatusForbidden {
		t.Fatalf("a POST without the token: %d", code)
	}
	b.csrf = saved
	_, _, loc := b.do(http.MethodPost, "/web/act", url.Values{"value": {val[1]}, "action": {"resolved"}})
	_, formPage, _ := b.do(http.MethodGet, loc, nil)
	fields := url.Values{}
	for _, mm := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(formPage, -1) {
		if mm[1] != "csrf" {
			fields.Set(mm[1], mm[2])
		}
	}
	fields.Set(workflow.FieldOutcome, "A strategy discussion on Thursday with the school present")
	fields.Set(workflow.FieldOutstanding, "None")
	fields.Set(workflow.FieldHowPursued, "Not needed")
	fields.Set(workflow.FieldRecordedOnFile, "true")
	if code, body, loc := b.do(http.MethodPost, "/web/form", fields); code != http.StatusSeeOther || loc != "/web/" {
		t.Fatalf("propose on the web page: %d %s\n%s", code, loc, body)
	}
	m.deliver()
	if d := m.dispute(ref); d.Proposal == nil || d.Proposal.ProposedBy != workflow.EmailUser(dslAddr) {
		t.Fatalf("no proposal by the school's manager: %+v", d.Proposal)
	}

	// The line manager confirms it in Slack: the case closes, all get the record.
	m.click(uLM1, m.lastDM(uLM1), "confirm")
	m.deliver()
	if d := m.dispute(ref); !d.State.Closed() {
		t.Fatalf("the case is %s after the confirmation", d.State)
	}
	for _, addr := range []string{headAddr, dslAddr} {
		got := m.mailsTo(addr)
		if !strings.Contains(subject(got[len(got)-1]), "closed") {
			t.Errorf("%s's last email is %q, want the closing record's", addr, subject(got[len(got)-1]))
		}
	}
	_, hist, err := m.eng.Case(ctx, ref, workflow.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range hist {
		kinds = append(kinds, string(e.Kind)+"@"+string(e.Actor))
	}
	assertContains(t, "the record", strings.Join(kinds, " "), "propose@email:"+dslAddr, "confirm@slack:"+uLM1)

	// Every email: the case, stage, what is asked, a link; nothing else.
	free := []string{"CSC-4471-XQ", "4471", "bruis", "strategy discussion", "Two unexplained", "declines the referral", "Thursday", "Pat Practitioner"}
	all := m.smtp.Received()
	if len(all) < 5 {
		t.Fatalf("only %d emails", len(all))
	}
	for _, ml := range all {
		text := strings.ToLower(ml.Raw + decoded(t, ml))
		for _, bad := range free {
			if strings.Contains(text, strings.ToLower(bad)) {
				t.Errorf("an email to %v (%s) carries %q", ml.To, subject(ml), bad)
			}
		}
		assertContains(t, "an email", decoded(t, ml), "Case: "+ref, m.page.URL+"/link/")
	}
}

// subject is an email's subject, decoded.
func subject(ml smtptest.Mail) string {
	s, err := new(mime.WordDecoder).DecodeHeader(ml.Msg.Header.Get("Subject"))
	if err != nil {
		return ml.Msg.Header.Get("Subject")
	}
	return s
}

func userStrings(ids []workflow.UserID) []string {
	out := make([]string, len(ids))
	for i, u := range ids {
		out[i] = string(u)
	}
	return out
}
