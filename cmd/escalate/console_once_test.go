package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func practiceRaise() url.Values {
	return url.Values{
		"subject_type": {"child"}, "subject_ref": {secretSubject}, "category": {"thresholds"},
		"raiser_agency": {"childrens-social-care"}, "responder_agency": {"community-health"}, "responder": {"console:hv"},
		"disagreement": {secretDisagreement}, "outcome_sought": {"A strategy discussion today"}, "evidence": {"Health visitor notes of 17 November"},
	}
}

var mainRE = regexp.MustCompile(`(?s)<main id="main">(.*)</main>`)

// outsiderPages is everything the console shows someone outside ref when
// they open it, press its buttons or send its forms (forged, as a browser
// could).
func outsiderPages(t *testing.T, base, ref string) []string {
	o := newBrowser(t, base)
	o.as("console:sw-sm") // the raiser's agency's senior manager: no part of a stage-1 case
	var saw []string
	// The page's main part: the side panel is the practice space's
	// switcher between people, which shows everyone's counts to anyone
	// playing them.
	add := func(code int, body string) {
		if m := mainRE.FindStringSubmatch(body); m != nil {
			body = m[1]
		}
		saw = append(saw, http.StatusText(code)+"\n"+body)
	}
	add(http.StatusOK, o.get("/case/"+ref))
	add(http.StatusOK, o.get("/form?"+url.Values{"ref": {ref}, "stage": {"1"}, "version": {"1"}, "action": {"note"}}.Encode()))
	for _, action := range []string{"escalate", "resolved", "note", "confirm", "reject", "withdraw", "show"} {
		for _, v := range []string{ref + "|1", ref + "|1|v1", ref + "|1|1773136800000000|v1"} {
			add(o.post("/act", url.Values{"value": {v}, "action": {action}}))
		}
	}
	for _, form := range []string{"note", "escalate", "propose", "reject", "withdraw"} {
		add(o.post("/form", url.Values{"ref": {ref}, "stage": {"1"}, "version": {"1"}, "action": {"note"}, "form": {form},
			"nonce": {"forged"}, "text": {"Let me in"}, "outcome": {"Agreed"}}))
	}
	resp, err := o.c.Get(base + "/case/" + ref + "/record.pdf")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	saw = append(saw, resp.Header.Get("Content-Type"))
	return saw
}

// TestConsoleOutsidersLearnNothing: in the practice console someone who
// may not see a case is shown the same pages, byte for byte, whether it
// exists or not, for its page, its record, its buttons and its forms, and
// nothing about it changes.
func TestConsoleOutsidersLearnNothing(t *testing.T) {
	withCase, empty := practiceServer(t), practiceServer(t)
	b := newBrowser(t, withCase)
	b.as("console:sw")
	code, body := b.submit(b.get("/raise"), practiceRaise())
	m := regexp.MustCompile(`Raised as (ESC-\d{4}-\d{4})`).FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("raise: %d", code)
	}
	ref := m[1]
	before := b.get("/case/" + ref)

	a, z := outsiderPages(t, withCase, ref), outsiderPages(t, empty, ref)
	if len(a) != len(z) {
		t.Fatalf("%d pages for an existing case, %d for a missing one", len(a), len(z))
	}
	for i := range a {
		if a[i] != z[i] {
			t.Errorf("page %d differs:\n%s", i, lineDiff(a[i], z[i]))
		}
	}
	all := strings.Join(a, "\n")
	if !strings.Contains(all, "There is no case "+ref+" that you can see") {
		t.Fatal("the outsider was not told there is no case they can see")
	}
	for _, leak := range []string{secretSubject, secretDisagreement, "Professional to professional", "Let me in", "application/pdf"} {
		if strings.Contains(all, leak) {
			t.Errorf("the outsider was shown %q", leak)
		}
	}
	if after := b.get("/case/" + ref); after != before {
		t.Error("the outsider's requests changed the case page")
	}
}

// TestConsoleFormsSentAgainActOnce: the browser's back button sends a form
// again. A raise sent again is answered with the reference the first got
// and raises nothing more; a note sent again is recorded once.
func TestConsoleFormsSentAgainActOnce(t *testing.T) {
	base := practiceServer(t)
	b := newBrowser(t, base)
	b.as("console:sw")
	raise := b.get("/raise")
	_, body := b.submit(raise, practiceRaise())
	m := regexp.MustCompile(`Raised as (ESC-\d{4}-\d{4})`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the raise was not answered with its reference")
	}
	ref := m[1]
	code, body := b.submit(raise, practiceRaise())
	if code != http.StatusOK || !strings.Contains(body, "Already raised as "+ref) {
		t.Fatalf("the raise sent again: %d", code)
	}
	b.as("console:bt") // the business team sees every case
	if next := b.get("/case/" + strings.Replace(ref, "-0001", "-0002", 1)); !strings.Contains(next, "There is no case") {
		t.Fatal("the raise sent again raised a second case")
	}

	b.as("console:hv")
	_, form := b.press(b.get("/case/"+ref), ref, "note")
	const note = "Spoke to the school nurse about attendance"
	for i := range 2 {
		if code, _ := b.submit(form, url.Values{"text": {note}}); code != http.StatusOK {
			t.Fatalf("note sent %d times: %d", i+1, code)
		}
	}
	page := b.get("/case/" + ref)
	if n := strings.Count(page, note); n != 1 {
		t.Fatalf("a note sent twice appears %d times on the case page", n)
	}
	// A second note, from a freshly drawn form, is a new note.
	_, form = b.press(b.get("/case/"+ref), ref, "note")
	if code, _ := b.submit(form, url.Values{"text": {note}}); code != http.StatusOK {
		t.Fatalf("second note: %d", code)
	}
	if n := strings.Count(b.get("/case/"+ref), note); n != 2 {
		t.Fatalf("two notes from two forms appear %d times", n)
	}
}

// lineDiff is the first line where two pages differ, with its number.
func lineDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return "line " + strconv.Itoa(i+1) + ":\n  " + la[i] + "\n  " + lb[i]
		}
	}
	return "lengths " + strconv.Itoa(len(la)) + " and " + strconv.Itoa(len(lb))
}
