// Package console is the practice console: a third adapter beside Slack
// and Teams that shows, for real, what Escalate does with no chat platform.
// It renders the same neutral messages and forms, acts through the same
// engine, and is driven by the real scheduler on a practice clock.
package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/bot/htmlui"
	"github.com/escalate-app/escalate/bot/record"
	"github.com/escalate-app/escalate/workflow"
)

//go:embed templates/*.html
var templateFS embed.FS

// Hooks let the console run the delivery and scheduling machinery at once
// after each step, so a person sees the result on the next page.
type Hooks struct {
	Drain func(ctx context.Context) error // deliver everything the outbox holds
	Tick  func(ctx context.Context) error // one scheduler tick at the clock's time
}

// Calendar is what the time controls need of the working-day clock.
type Calendar interface {
	Location() *time.Location
	NextWorkingDayAt(t time.Time, clock time.Duration) time.Time
	AddWorkingDays(t time.Time, n int) time.Time
}

// Console serves the practice pages.
type Console struct {
	eng   *engine.Engine
	inbox *Inbox
	clock *Clock
	cal   Calendar
	hooks Hooks
	log   *slog.Logger
	ui    *htmlui.Renderer
	csrf  *htmlui.CSRF
	steps *htmlui.Steps

	mu     sync.Mutex
	flash  map[workflow.UserID]string
	stepMu sync.Mutex // one clock move at a time
}

const cookieName = "escalate_practice_person"

// step is how far the clock moves between scheduler ticks: fine enough that
// a reminder is seen close to its time.
const step = 15 * time.Minute

// New builds the console.
func New(eng *engine.Engine, inbox *Inbox, clock *Clock, cal Calendar, hooks Hooks, log *slog.Logger) (*Console, error) {
	c := &Console{eng: eng, inbox: inbox, clock: clock, cal: cal, hooks: hooks, log: log, flash: map[workflow.UserID]string{}}
	ui, err := htmlui.New(htmlui.Surface{Templates: templateFS, Pattern: "templates/*.html", Location: cal.Location(),
		Name: func(u workflow.UserID) string { return eng.Env().Directory.Name(u) }}, log)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	// The console is one process on this machine: a key of its own signs
	// its forms' tokens.
	csrf, err := htmlui.NewCSRF("/", htmlui.RandomKey(), false)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	c.ui, c.csrf = ui, csrf
	// A button, its follow-up form and that form's submission run exactly
	// as on the web page; the console marks the message acted on and
	// delivers at once, so the next page shows the result.
	c.steps = &htmlui.Steps{Engine: eng, UI: ui, Log: log, Key: "console", Me: c.me,
		Page:   func(r *http.Request, title, section string, body any) any { return c.page(r, title, section, body) },
		Flash:  func(_ http.ResponseWriter, _ *http.Request, me workflow.UserID, msg string) { c.setFlash(me, msg) },
		People: func(*http.Request) []workflow.Person { return c.people() },
		Done: func(ctx context.Context, me workflow.UserID, ref string) {
			c.inbox.MarkDone(me, ref)
			c.drain(ctx)
		}}
	return c, nil
}

func (c *Console) when(t time.Time) string {
	return workflow.FormatTime(t, c.cal.Location())
}

// Register adds the console's routes, every one behind the CSRF token and
// Origin check: a page on another site cannot raise or act on a case.
func (c *Console) Register(mux *http.ServeMux) {
	p := func(f http.HandlerFunc) http.Handler { return c.csrf.Protect(f) }
	mux.Handle("GET /{$}", p(c.home))
	mux.Handle("POST /as", p(c.switchPerson))
	mux.Handle("GET /raise", p(c.raiseForm))
	mux.Handle("POST /raise", p(c.raiseSubmit))
	c.steps.Register(mux, p)
	mux.Handle("GET /case/{ref}", p(c.showCase))
	mux.Handle("GET /case/{ref}/record.pdf", p(c.recordPDF))
	mux.Handle("GET /case/{ref}/record.html", p(c.recordHTML))
	mux.Handle("GET /feed", p(c.feed))
	mux.Handle("POST /clock", p(c.moveClock))
}

// people are the practice people, in the order the switcher shows them.
func (c *Console) people() []workflow.Person {
	dir := c.eng.Env().Directory
	var ps []workflow.Person
	seen := map[workflow.UserID]bool{}
	for _, p := range dir.People {
		if p.ID.Platform() == "console" && !seen[p.ID] {
			seen[p.ID] = true
			ps = append(ps, p)
		}
	}
	for _, id := range dir.BusinessTeam {
		if id.Platform() == "console" && !seen[id] {
			seen[id] = true
			ps = append(ps, workflow.Person{ID: id, Name: dir.Name(id)})
		}
	}
	return ps
}

// parties are whom me may name as the other practitioner or as sharing
// the concern: not themselves, the chair or the business team.
func (c *Console) parties(me workflow.UserID) []workflow.Person {
	return workflow.DisagreeWith(c.eng.Env().Directory, me, c.people())
}

func (c *Console) me(r *http.Request) workflow.UserID {
	ps := c.people()
	if ck, err := r.Cookie(cookieName); err == nil {
		for _, p := range ps {
			if string(p.ID) == ck.Value {
				return p.ID
			}
		}
	}
	if len(ps) == 0 {
		return ""
	}
	return ps[0].ID
}

func (c *Console) setFlash(u workflow.UserID, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flash[u] = msg
}

func (c *Console) takeFlash(u workflow.UserID) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.flash[u]
	delete(c.flash, u)
	return m
}

// personView is one entry of the switcher.
type personView struct {
	ID      workflow.UserID
	Name    string
	Role    string
	Agency  string
	Unread  int
	Current bool
}

// page is what every page template gets.
type page struct {
	Title   string
	Me      personView
	People  []personView
	Now     string
	Flash   string
	Body    any
	IsBT    bool
	Section string
}

func (c *Console) page(r *http.Request, title, section string, body any) page {
	me := c.me(r)
	dir := c.eng.Env().Directory
	flash := c.takeFlash(me)
	p := page{Title: htmlui.OutcomeTitle(flash, title), Now: c.when(c.clock.Now()), Flash: flash, Body: body, IsBT: dir.InBusinessTeam(me) || dir.IsChair(me), Section: section}
	for _, ps := range c.people() {
		role := c.eng.Env().Policy.RoleLabel(ps.Role)
		if ps.Role == "" {
			role = "business team"
		}
		v := personView{ID: ps.ID, Name: ps.Name, Role: role, Agency: dir.AgencyName(ps.Agency), Unread: c.inbox.Unread(ps.ID), Current: ps.ID == me}
		if ps.Agency == "" {
			v.Agency = "the partnership"
		}
		if v.Current {
			p.Me = v
		}
		p.People = append(p.People, v)
	}
	return p
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, code int, name string, p page) {
	c.ui.Render(w, r, code, name, p)
}

// messageView is a delivered message ready for the page.
type messageView struct {
	Delivered
	Facts   []workflow.Fact
	Actions []workflow.Action
}

type homeBody struct {
	Messages []messageView
	Cases    htmlui.CaseList
}

// consolePageSize is how many open cases the console's home page lists.
const consolePageSize = 25

func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	me := c.me(r)
	var body homeBody
	for _, d := range c.inbox.DMs(me) {
		mv := messageView{Delivered: d, Facts: d.Message.Facts}
		if !d.Done {
			mv.Actions = d.Message.Actions
		}
		body.Messages = append(body.Messages, mv)
	}
	page, err := c.eng.MyCases(r.Context(), me, engine.ParsePage(r.URL.Query().Get("page"), consolePageSize), consolePageSize)
	if err != nil {
		c.log.Error("console: my cases", "err", err)
	}
	body.Cases = htmlui.ListOf(c.eng.Env(), page, consolePageSize, c.when)
	c.render(w, r, http.StatusOK, "home.html", c.page(r, "Messages", "home", body))
}

func (c *Console) switchPerson(w http.ResponseWriter, r *http.Request) {
	id := r.FormValue("person")
	for _, p := range c.people() {
		if string(p.ID) == id {
			http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			break
		}
	}
	http.Redirect(w, r, safeBack(r.FormValue("back")), http.StatusSeeOther)
}

// safeBack only follows local paths.
func safeBack(s string) string {
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") {
		return s
	}
	return "/"
}

// formBody is a form page.
type formBody = htmlui.FormBody

func (c *Console) raiseForm(w http.ResponseWriter, r *http.Request) {
	f := workflow.RaiseForm(c.eng.Env())
	me := c.me(r)
	vals := workflow.Values{}
	if p, ok := c.eng.Env().Directory.Person(me); ok {
		vals[workflow.FieldRaiserAgency] = []string{p.Agency}
	}
	c.render(w, r, http.StatusOK, "form.html", c.page(r, f.Title, "raise", formBody{Form: f, Action: "/raise", Values: vals, People: c.people(), Parties: c.parties(me)}))
}

func (c *Console) raiseSubmit(w http.ResponseWriter, r *http.Request) {
	me := c.me(r)
	vals := htmlui.FormValues(r)
	in := workflow.ParseRaise(vals)
	res, err := c.eng.Raise(r.Context(), me, in, "console-raise:"+r.FormValue("nonce"))
	var dup *engine.AlreadyRaised
	if errors.As(err, &dup) {
		// The same form sent again (the back button, a double click).
		c.setFlash(me, "Already raised as "+dup.Ref+". This form was sent before, and nothing more was raised.")
		http.Redirect(w, r, "/case/"+url.PathEscape(dup.Ref), http.StatusSeeOther)
		return
	}
	if err != nil {
		var ref *workflow.Refusal
		if errors.As(err, &ref) && len(ref.Fields) > 0 {
			f := workflow.RaiseForm(c.eng.Env())
			c.render(w, r, http.StatusUnprocessableEntity, "form.html", c.page(r, htmlui.ErrorTitle(f.Title), "raise", formBody{Form: f, Action: "/raise", Errors: ref.Fields, Values: vals, People: c.people(), Parties: c.parties(me)}))
			return
		}
		c.fail(w, r, me, err)
		return
	}
	c.drain(r.Context())
	c.setFlash(me, fmt.Sprintf("Raised as %s. %s has been told.", res.Dispute.Ref, res.Dispute.NameOf(c.eng.Env().Directory, res.Dispute.Responder.Person)))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// fail tells the person what went wrong in words, and logs the rest.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, me workflow.UserID, err error) {
	c.steps.Fail(w, r, me, err)
}

func (c *Console) drain(ctx context.Context) {
	if c.hooks.Drain != nil {
		if err := c.hooks.Drain(ctx); err != nil {
			c.log.Error("console: deliver", "err", err)
		}
	}
}

func (c *Console) showCase(w http.ResponseWriter, r *http.Request) {
	me := c.me(r)
	body, err := htmlui.CaseFor(r.Context(), c.eng, r.PathValue("ref"), me)
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	c.render(w, r, http.StatusOK, "case.html", c.page(r, body.Dispute.Ref, "case", body))
}

// recordPDF is the case's written record, for people allowed to see it.
func (c *Console) recordPDF(w http.ResponseWriter, r *http.Request) {
	me := c.me(r)
	rec, err := record.ForViewer(r.Context(), c.eng, r.PathValue("ref"), me)
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	rec.Practice = true // the console is the practice space
	var buf bytes.Buffer
	if err := record.PDF(&buf, rec); err != nil {
		c.fail(w, r, me, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+rec.Ref+`.pdf"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// recordHTML is the written record as a web page: the PDF's accessible
// twin (record.HTML), for the same people.
func (c *Console) recordHTML(w http.ResponseWriter, r *http.Request) {
	me := c.me(r)
	rec, err := record.ForViewer(r.Context(), c.eng, r.PathValue("ref"), me)
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	rec.Practice = true
	var buf bytes.Buffer
	if err := record.HTML(&buf, rec); err != nil {
		c.fail(w, r, me, err)
		return
	}
	htmlui.SecurityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func (c *Console) feed(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "feed.html", c.page(r, "Business-team feed", "feed", c.inbox.Feed()))
}

// moveClock moves the practice clock forward in steps, ticking the real
// scheduler at each, so reminders and lapses happen in order and at
// (nearly) their times.
func (c *Console) moveClock(w http.ResponseWriter, r *http.Request) {
	me := c.me(r)
	now := c.clock.Now()
	var target time.Time
	switch r.FormValue("to") {
	case "hour":
		target = now.Add(time.Hour)
	case "morning":
		target = c.cal.NextWorkingDayAt(now, 9*time.Hour)
	case "window":
		target = c.pastWindow(r.Context(), me, now)
	default:
		c.setFlash(me, "Choose how far to move the clock.")
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if err := c.advance(r.Context(), target); err != nil {
		c.log.Error("console: move clock", "err", err)
		c.setFlash(me, "The clock moved, but something went wrong running the reminders.")
	} else {
		c.setFlash(me, "The practice clock is now "+c.when(c.clock.Now())+".")
	}
	http.Redirect(w, r, safeBack(r.FormValue("back")), http.StatusSeeOther)
}

// pastWindow is just past the soonest deadline of the person's open cases
// (or of any open case for the business team), else one working day on.
func (c *Console) pastWindow(ctx context.Context, me workflow.UserID, now time.Time) time.Time {
	// The first page is enough: it is in deadline order.
	page, _ := c.eng.MyCases(ctx, me, 0, consolePageSize)
	var dls []time.Time
	for _, d := range page.Cases {
		if d.Deadline.After(now) {
			dls = append(dls, d.Deadline)
		}
	}
	if len(dls) == 0 {
		return c.cal.AddWorkingDays(now, 1)
	}
	sort.Slice(dls, func(i, j int) bool { return dls[i].Before(dls[j]) })
	return dls[0].Add(time.Minute)
}

// advance walks the clock to target, a step at a time.
func (c *Console) advance(ctx context.Context, target time.Time) error {
	c.stepMu.Lock()
	defer c.stepMu.Unlock()
	for t := c.clock.Now(); t.Before(target); {
		t = t.Add(step)
		if t.After(target) {
			t = target
		}
		c.clock.Set(t)
		if c.hooks.Tick != nil {
			if err := c.hooks.Tick(ctx); err != nil {
				return err
			}
		}
		if c.hooks.Drain != nil {
			if err := c.hooks.Drain(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}
