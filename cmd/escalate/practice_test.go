package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// practiceServer runs the real binary's serve with nothing configured (the
// zero-config default a new user gets) on a free port.
func practiceServer(t *testing.T) string {
	t.Helper()
	return serveWith(t, map[string]string{"ESCALATE_ADDR": "127.0.0.1:0"})
}

// practiceServerWith is practiceServer with this environment, logging to logs.
func practiceServerWith(t *testing.T, env map[string]string, logs io.Writer) string {
	t.Helper()
	return serveLogged(t, env, logs)
}

type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string // the token of the last page, sent with every form as a browser does
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) keepToken(body string) {
	if m := csrfRE.FindStringSubmatch(body); m != nil {
		b.csrf = m[1]
	}
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

func (b *browser) get(path string) string {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, body)
	}
	b.keepToken(string(body))
	return string(body)
}

func (b *browser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	if form.Get("csrf") == "" && b.csrf != "" {
		form.Set("csrf", b.csrf)
	}
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base) // a browser posting a form of this site
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.keepToken(string(body))
	return resp.StatusCode, string(body)
}

func (b *browser) as(person string) {
	b.t.Helper()
	if b.csrf == "" {
		b.get("/")
	}
	if code, body := b.post("/as", url.Values{"person": {person}}); code != http.StatusOK || !strings.Contains(body, `aria-pressed="true" data-person="`+person+`"`) {
		b.t.Fatalf("switch to %s: %d", person, code)
	}
}

// press clicks the first button of the given kind on a case.
func (b *browser) press(page, ref, action string) (int, string) {
	b.t.Helper()
	re := regexp.MustCompile(`name="value" value="(` + regexp.QuoteMeta(ref) + `\|\d+(?:\|\d+)?(?:\|v\d+)?)"><input type="hidden" name="action" value="` + action + `">`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no %s button for %s on the page", action, ref)
	}
	return b.post("/act", url.Values{"value": {m[1]}, "action": {action}})
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// submit fills the page's main form (its hidden fields kept) and posts it.
func (b *browser) submit(page string, fields url.Values) (int, string) {
	b.t.Helper()
	m := mainFormRE.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatal("no form on the page")
	}
	form := url.Values{}
	for _, h := range hiddenRE.FindAllStringSubmatch(m[2], -1) {
		form.Set(h[1], h[2])
	}
	for k, v := range fields {
		form[k] = v
	}
	return b.post(m[1], form)
}

var mainFormRE = regexp.MustCompile(`(?s)<form method="post" action="(/raise|/form)" novalidate>(.*?)</form>`)

const (
	secretDisagreement = "Mother disclosed new bruising on Tuesday; strategy discussion refused"
	secretSubject      = "CSC-998877"
	secretOutcome      = "Section 47 enquiry to be opened by Friday"
)

func TestPracticeConsoleEndToEnd(t *testing.T) {
	base := practiceServer(t)
	b := newBrowser(t, base)

	home := b.get("/")
	if !strings.Contains(home, "Practice space") || !strings.Contains(home, "holds no real data") {
		t.Fatal("every page must say it is a practice space")
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if body := b.get(path); body == "" {
			t.Errorf("%s is empty", path)
		}
	}

	// A bad form comes back with inline errors and creates nothing.
	b.as("console:sw")
	page := b.get("/raise")
	code, body := b.submit(page, url.Values{"subject_type": {"child"}, "subject_ref": {"Jane Smith"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "looks like a name") || !strings.Contains(body, "Say what the disagreement is about") {
		t.Fatalf("bad form: %d", code)
	}
	if strings.Contains(b.get("/"), "ESC-") {
		t.Fatal("a refused form must create nothing")
	}

	// The social worker raises a case with the health visitor.
	code, body = b.submit(page, url.Values{
		"subject_type": {"child"}, "subject_ref": {secretSubject}, "category": {"thresholds"},
		"raiser_agency": {"childrens-social-care"}, "responder_agency": {"community-health"}, "responder": {"console:hv"},
		"disagreement": {secretDisagreement}, "outcome_sought": {"A strategy discussion today"}, "evidence": {"Health visitor notes of 17 November"},
	})
	ref := regexp.MustCompile(`Raised as (ESC-\d{4}-\d{4})`).FindStringSubmatch(body)
	if code != http.StatusOK || ref == nil {
		t.Fatalf("raise: %d\n%s", code, body)
	}
	caseRef := ref[1]

	// The health visitor has a DM with the disagreement and the buttons.
	b.as("console:hv")
	hv := b.get("/")
	if !strings.Contains(hv, secretDisagreement) || !strings.Contains(hv, `data-action="escalate"`) || !strings.Contains(hv, `data-action="resolved"`) {
		t.Fatal("the health visitor should see the disagreement with Resolved / Escalate")
	}

	// A stranger to the case (the other agency's senior manager) cannot see it.
	b.as("console:hv-sm")
	if strings.Contains(b.get("/"), secretDisagreement) {
		t.Fatal("someone outside the case saw its free text")
	}

	// The health visitor escalates to the line managers.
	b.as("console:hv")
	code, form := b.press(hv, caseRef, "escalate")
	if code != http.StatusOK || !strings.Contains(form, "Escalate to stage 2") {
		t.Fatalf("escalate form: %d", code)
	}
	if code, body = b.submit(form, url.Values{"text": {"We cannot agree the threshold"}}); code != http.StatusOK || !strings.Contains(body, "You escalated the case (ESC-") {
		t.Fatalf("escalate: %d %s", code, body)
	}
	// The old buttons are gone: pressing them again is refused politely.
	code, body = b.press(hv, caseRef, "escalate")
	if code != http.StatusOK || !strings.Contains(body, "so nothing you sent was recorded. Here is where it stands now.") {
		t.Fatalf("a stale click should be refused with a reason: %s", body)
	}

	// The line manager sees it, then the clock passes the window.
	b.as("console:sw-lm")
	lm := b.get("/")
	if !strings.Contains(lm, "escalated to you at Stage 2") {
		t.Fatal("the line manager should be told the case reached them")
	}
	if code, body = b.post("/clock", url.Values{"to": {"window"}}); code != http.StatusOK {
		t.Fatalf("clock: %d", code)
	}
	lm = b.get("/")
	if !strings.Contains(lm, `data-kind="reminder"`) {
		t.Error("no reminder before the window closed")
	}
	if !strings.Contains(lm, `data-kind="lapsed"`) || !strings.Contains(lm, "Escalate to stage 3") {
		t.Error("no lapse prompt with Escalate to stage 3")
	}

	// The two managers agree a resolution.
	code, form = b.press(lm, caseRef, "resolved")
	if code != http.StatusOK || !strings.Contains(form, "Agreed outcome") {
		t.Fatalf("resolution form: %d", code)
	}
	if code, body = b.submit(form, url.Values{"outcome": {secretOutcome}, "recorded_on_file": {"true"}}); code != http.StatusOK {
		t.Fatalf("propose: %d", code)
	}
	b.as("console:hv-lm")
	other := b.get("/")
	if !strings.Contains(other, secretOutcome) {
		t.Fatal("the other manager should see the proposed outcome")
	}
	if code, body = b.press(other, caseRef, "confirm"); code != http.StatusOK || !strings.Contains(body, "Resolution confirmed") {
		t.Fatalf("confirm: %d", code)
	}
	hist := b.get("/case/" + caseRef)
	if !strings.Contains(hist, "Resolution confirmed") || !strings.Contains(hist, "resolved") {
		t.Fatal("the history should end with the confirmed resolution")
	}

	// The written record comes as a PDF to people in the case, and to
	// nobody else.
	if !strings.Contains(hist, `href="/case/`+caseRef+`/record.pdf"`) {
		t.Error("the case page should offer the written record")
	}
	resp, err := b.c.Get(base + "/case/" + caseRef + "/record.pdf")
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Errorf("record: %s %q", resp.Header.Get("Content-Type"), pdf[:min(len(pdf), 20)])
	}
	// The practice record's title carries the practice mark (UTF-16BE in
	// the PDF's document information).
	if !strings.Contains(string(pdf), "\x00P\x00R\x00A\x00C\x00T\x00I\x00C\x00E") {
		t.Error("the practice console's record is not marked PRACTICE")
	}
	b.as("console:hv-sm")
	resp, err = b.c.Get(base + "/case/" + caseRef + "/record.pdf")
	if err != nil {
		t.Fatal(err)
	}
	body2, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.HasPrefix(string(body2), "%PDF") {
		t.Error("a senior manager the case never reached must not get its record")
	}

	// The business team's thread has the case, with no free text.
	b.as("console:bt")
	feed := b.get("/feed")
	if !strings.Contains(feed, `data-thread="`+caseRef+`"`) || !strings.Contains(feed, "Escalated to Stage 2") || !strings.Contains(feed, "Window lapsed") {
		t.Fatal("the feed should carry the case's thread from stage 2")
	}
	for _, secret := range []string{secretDisagreement, secretSubject, secretOutcome, "We cannot agree the threshold"} {
		if strings.Contains(feed, secret) {
			t.Errorf("free text %q reached the business-team feed", secret)
		}
	}
}

// TestPracticeConsoleRefusesCrossSitePosts: a page on another site, or a
// form without this browser's token, cannot raise a case or act.
func TestPracticeConsoleRefusesCrossSitePosts(t *testing.T) {
	base := practiceServer(t)
	b := newBrowser(t, base)
	b.as("console:sw")
	page := b.get("/raise")
	raise := url.Values{
		"subject_type": {"child"}, "subject_ref": {secretSubject}, "category": {"thresholds"},
		"raiser_agency": {"childrens-social-care"}, "responder_agency": {"community-health"}, "responder": {"console:hv"},
		"disagreement": {secretDisagreement}, "outcome_sought": {"A strategy discussion today"}, "evidence": {"Notes"},
		"nonce": {"cross-site-1"},
	}
	forged := func(name string, form url.Values, headers map[string]string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+"/raise", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := b.c.Do(req) // the person's own cookies go with it, as a browser's would
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "Nothing was changed") {
			t.Errorf("%s: %d, want 403 with a clear page", name, resp.StatusCode)
		}
	}
	withToken := url.Values{}
	for k, v := range raise {
		withToken[k] = v
	}
	withToken.Set("csrf", csrfRE.FindStringSubmatch(page)[1])
	forged("another site's form (Sec-Fetch-Site)", withToken, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
	forged("another origin", withToken, map[string]string{"Origin": "https://evil.example"})
	forged("no token", raise, map[string]string{"Origin": base})
	bad := url.Values{}
	for k, v := range raise {
		bad[k] = v
	}
	bad.Set("csrf", "forged-token")
	forged("a made-up token", bad, nil)
	if home := b.get("/"); strings.Contains(home, "ESC-") {
		t.Fatal("a refused POST raised a case")
	}
	// The same form from the console itself goes through.
	code, body := b.submit(page, raise)
	if code != http.StatusOK || !strings.Contains(body, "Raised as ESC-") {
		t.Fatalf("the console's own form: %d", code)
	}
}
