//go:build browser

package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/escalate-app/escalate/bot/bottest"
)

// TestPracticeConsoleInABrowser walks the practice console as a person
// would, in headless Chromium, and takes a screenshot of each step. With
// ESCALATE_SCREENSHOTS=DIR the screenshots are kept there (the README's
// come from docs/screenshots).
func TestPracticeConsoleInABrowser(t *testing.T) {
	base := practiceServer(t)
	shots := os.Getenv("ESCALATE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}

	ctx := bottest.Browser(t)
	// The first Do starts the browser; its context must carry no deadline.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}

	// Selectors are CSS (a plain string would be a DOM text search).
	click := func(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }
	visible := func(sel string) chromedp.Action[chromedp.Void] { return chromedp.WaitVisible(chromedp.CSS(sel)) }
	setValue := func(sel, v string) chromedp.Action[chromedp.Void] { return chromedp.SetValue(chromedp.CSS(sel), v) }
	sendKeys := func(sel, v string) chromedp.Action[chromedp.Void] { return chromedp.SendKeys(chromedp.CSS(sel), v) }
	do := func(step string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			// Keep what the page showed, to see why.
			if png, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil {
				_ = os.WriteFile(filepath.Join(shots, "failed.png"), png, 0o644)
			}
			t.Fatalf("%s: %v (the page is in %s)", step, err, filepath.Join(shots, "failed.png"))
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return v
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	be := func(person string) {
		t.Helper()
		do("be "+person,
			click(`button[data-person="`+person+`"]`),
			visible(`button[aria-pressed="true"][data-person="`+person+`"]`))
	}

	// The console says what it is; the keyboard reaches the skip link first.
	do("open the console: banner", visible(`.practice`))
	do("open the console: tab", chromedp.KeyEvent("\t"))
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.className`))
	if err != nil {
		t.Fatal(err)
	}
	if focused != "skip" {
		t.Errorf("the first Tab should reach the skip link, got %q", focused)
	}
	if banner := text(`.practice`); !strings.Contains(banner, "holds no real data") {
		t.Errorf("practice banner: %q", banner)
	}
	shot("1-console")

	// Raise as the social worker.
	do("raise a case",
		click(`a[href="/raise"]`),
		visible(`#f-subject_ref`),
		sendKeys(`#f-subject_ref`, secretSubject),
		setValue(`#f-category`, "thresholds"),
		setValue(`#f-responder_agency`, "community-health"),
		setValue(`#f-responder`, "console:hv"),
		sendKeys(`#f-disagreement`, secretDisagreement),
		sendKeys(`#f-outcome_sought`, "A strategy discussion today"),
		sendKeys(`#f-evidence`, "Health visitor notes of 17 November"))
	shot("2-raise-form")
	do("submit", click(`#submit`), visible(`#flash`))
	flash := text(`#flash`)
	m := regexp.MustCompile(`ESC-\d{4}-\d{4}`).FindString(flash)
	if m == "" {
		t.Fatalf("no reference in %q", flash)
	}
	card := `article[data-ref="` + m + `"]`

	// The health visitor sees the DM, and escalates.
	be("console:hv")
	if dm := text(card); !strings.Contains(dm, secretDisagreement) {
		t.Errorf("the DM lacks the disagreement: %q", dm)
	}
	shot("3-health-visitor-dm")
	do("open escalate",
		click(card+` button[data-action="escalate"]`),
		visible(`#f-text`),
		sendKeys(`#f-text`, "We cannot agree the threshold"))
	shot("4-escalate-form")
	do("escalate", click(`#submit`), visible(`#flash`))

	// The line manager moves the clock past the window: reminder, then lapse.
	be("console:sw-lm")
	do("past the window", click(`#clock-window`), visible(`article[data-kind="lapsed"]`))
	if lapsed := text(`article[data-kind="lapsed"]`); !strings.Contains(lapsed, "Escalate to stage 3") {
		t.Errorf("lapse prompt: %q", lapsed)
	}
	if reminder := text(`article[data-kind="reminder"]`); !strings.Contains(reminder, "closes on") {
		t.Errorf("reminder: %q", reminder)
	}
	shot("5-reminder-and-lapse")

	// The two managers agree a resolution.
	do("propose",
		click(`article[data-kind="lapsed"] button[data-action="resolved"]`),
		visible(`#f-outcome`),
		sendKeys(`#f-outcome`, secretOutcome),
		click(`#f-recorded_on_file`),
		click(`#submit`),
		visible(`#flash`))
	be("console:hv-lm")
	do("confirm", click(`button[data-action="confirm"]`), visible(`#flash`))
	if flash := text(`#flash`); !strings.Contains(flash, "Resolution confirmed") {
		t.Errorf("confirm: %q", flash)
	}
	shot("6-confirmed")

	// The business team's thread carries no free text.
	be("console:bt")
	do("feed", click(`a[href="/feed"]`), visible(`section[data-thread="`+m+`"]`))
	feed, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(`#feed`)))
	if err != nil {
		t.Fatal(err)
	}
	shot("7-business-team-feed")
	if !strings.Contains(feed, "Escalated to Stage 2") || !strings.Contains(feed, "Resolved at") {
		t.Errorf("the thread should record the escalation and the resolution: %s", feed)
	}
	for _, secret := range []string{secretDisagreement, secretSubject, secretOutcome, "We cannot agree the threshold"} {
		if strings.Contains(feed, secret) {
			t.Errorf("free text %q reached the feed", secret)
		}
	}

	// At 200% zoom (a 640-pixel-wide window) nothing scrolls sideways.
	do("200% zoom", chromedp.EmulateViewport(640, 1000), chromedp.Navigate(base+"/raise"), visible(`#f-subject_ref`))
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if overflow {
		t.Error("the page scrolls sideways at 200% zoom")
	}
	shot("8-zoom-200")
}

// TestOwnPolicyInABrowser: the README's "try your own policy" path in
// headless Chromium. The switcher holds the file's agencies' stand-ins, the
// header names who you are, and a raise reaches the other agency's one.
func TestOwnPolicyInABrowser(t *testing.T) {
	base := practiceServerWith(t, map[string]string{"ESCALATE_ADDR": "127.0.0.1:0", "ESCALATE_ENV": "practice", "ESCALATE_CONFIG": "../../config/example.yaml"}, io.Discard)
	ctx := bottest.Browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	do := func(step string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return v
	}
	sw, hv := "console:childrens-social-care-practitioner", "console:community-health-practitioner"
	do("be the council's practitioner",
		chromedp.Click(chromedp.CSS(`button[data-person="`+sw+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[aria-pressed="true"][data-person="`+sw+`"]`)))
	if people := text(`.people`); !strings.Contains(people, "Line manager at Anyshire Police (Public Protection)") {
		t.Errorf("the switcher lacks the police's line manager: %q", people)
	}
	if body := text(`body`); strings.Contains(body, "(, )") {
		t.Error("the header names nobody")
	}
	do("raise",
		chromedp.Click(chromedp.CSS(`a[href="/raise"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-subject_ref`)),
		chromedp.SendKeys(chromedp.CSS(`#f-subject_ref`), "CS-123456"),
		chromedp.SetValue(chromedp.CSS(`#f-category`), "thresholds"),
		chromedp.SetValue(chromedp.CSS(`#f-responder_agency`), "community-health"),
		chromedp.SetValue(chromedp.CSS(`#f-responder`), hv),
		chromedp.SendKeys(chromedp.CSS(`#f-disagreement`), "A strategy discussion was refused"),
		chromedp.SendKeys(chromedp.CSS(`#f-outcome_sought`), "A strategy discussion"),
		chromedp.SendKeys(chromedp.CSS(`#f-evidence`), "Notes"),
		chromedp.Click(chromedp.CSS(`#submit`)), chromedp.WaitVisible(chromedp.CSS(`#flash`)))
	if flash := text(`#flash`); !regexp.MustCompile(`ESC-\d{4}-\d{4}`).MatchString(flash) {
		t.Fatalf("raise: %q", flash)
	}
	do("be the health trust's practitioner",
		chromedp.Click(chromedp.CSS(`button[data-person="`+hv+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[data-action="escalate"]`)))
}
