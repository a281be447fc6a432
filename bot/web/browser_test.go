//go:build browser

package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/escalate-app/escalate/bot/bottest"
)

type violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// TestWebPagesAreAccessible walks the web page in headless Chromium by
// keyboard alone (Tab and Enter) and without JavaScript (no page carries a
// script, and the Content-Security-Policy allows none), and has axe-core
// check each page: no serious or critical violation, on any of them.
func TestWebPagesAreAccessible(t *testing.T) {
	axe := bottest.AxeSource(t)
	r := newRig(t)
	ref := r.raise(head, "school")
	tok := r.token(head)
	stale := r.token(head)

	ctx := bottest.Browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(r.srv.URL+"/link/"+tok)); err != nil {
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
	visible := func(sel string) chromedp.Action[chromedp.Void] { return chromedp.WaitVisible(chromedp.CSS(sel)) }
	// check runs axe on the page as it stands.
	checked := 0
	check := func(name string) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if n, err := chromedp.Run(sctx, chromedp.Evaluate[int](`document.scripts.length`)); err != nil || n != 0 {
			t.Errorf("%s carries %d scripts (%v): it must work without JavaScript", name, n, err)
		}
		if _, err := chromedp.Run(sctx, chromedp.Evaluate[any](axe+";0")); err != nil {
			t.Fatalf("%s: load axe: %v", name, err)
		}
		out, err := chromedp.Run(sctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.html)}))}))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: run axe: %v", name, err)
		}
		var res struct {
			Passes     int         `json:"passes"`
			Violations []violation `json:"violations"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.Passes == 0 {
			t.Fatalf("%s: axe said %s", name, out)
		}
		for _, v := range res.Violations {
			if v.Impact == "serious" || v.Impact == "critical" {
				t.Errorf("%s: %s (%s): %s %v", name, v.ID, v.Impact, v.Help, v.Nodes)
			} else {
				t.Logf("%s: %s (%s): %s", name, v.ID, v.Impact, v.Help)
			}
		}
		checked++
	}
	// press reaches sel by Tab alone and presses Enter on it.
	press := func(sel string) {
		t.Helper()
		for i := 0; i < 40; i++ {
			do("tab", chromedp.KeyEvent("\t"))
			at, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.activeElement && document.activeElement.matches(`+jsString(sel)+`)`))
			if err != nil {
				t.Fatal(err)
			}
			if at {
				do("enter on "+sel, chromedp.KeyEvent("\r"))
				return
			}
		}
		t.Fatalf("Tab never reaches %s", sel)
	}

	do("the link's page", visible(`#open`))
	check("the link's page")
	press(`#open`)
	do("your cases", visible(`#cases-heading`))
	if h, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(h, ref) {
		t.Fatalf("the list lacks %s: %q", ref, h)
	}
	check("your cases")
	press(`a[href="/web/case/` + ref + `"]`)
	do("the case", visible(`#history`))
	check("the case")
	press(`button[data-action="note"]`)
	do("the note form", visible(`#f-text`))
	check("the note form")
	press(`#submit`) // empty: the form comes back with its error
	do("the form's error", visible(`#form-errors`))
	check("the form with an error")

	// At 200% zoom (a 640-pixel-wide window) nothing scrolls sideways.
	do("200% zoom", chromedp.EmulateViewport(640, 1000), chromedp.Navigate(r.srv.URL+"/web/case/"+ref), visible(`#history`))
	if over, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); over {
		t.Error("the case page scrolls sideways at 200% zoom")
	}
	check("the case at 200%")

	// The pages that let nobody in.
	r.clock.Advance(8 * 24 * time.Hour)
	do("an expired link", chromedp.Navigate(r.srv.URL+"/link/"+stale), visible(`#renew`))
	check("an expired link")
	press(`#renew`)
	do("sent a new one", visible(`#notice`))
	if h, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#notice`))); h != "This link has expired: we have sent you a new one" {
		t.Errorf("after Send me a new one: %q", h)
	}
	check("a new link sent")
	do("signed out", chromedp.Navigate(r.srv.URL+"/web/"), visible(`#signout`))
	press(`#signout`)
	do("signed out", visible(`#notice`))
	check("signed out")
	do("a forged link", chromedp.Navigate(r.srv.URL+"/link/v1.forged"), visible(`#notice`))
	check("a forged link")
	if checked < 10 {
		t.Fatalf("axe checked %d pages", checked)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
