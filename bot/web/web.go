package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/bot/htmlui"
	"github.com/escalate-app/escalate/bot/record"
	"github.com/escalate-app/escalate/bot/weblink"
	"github.com/escalate-app/escalate/workflow"
)

//go:embed templates/*.html
var templateFS embed.FS

// Store is what the page keeps (store.Store implements it).
type Store interface {
	UseLink(ctx context.Context, linkID string, ttl time.Duration) (bool, error)
	LinkUsed(ctx context.Context, linkID string) (bool, error)
	PutSession(ctx context.Context, session string, user workflow.UserID, issued time.Time, ttl time.Duration) error
	Session(ctx context.Context, session string) (workflow.UserID, time.Time, bool, error)
	EndSession(ctx context.Context, session string) error
	LinksRevokedAt(ctx context.Context, user workflow.UserID) (time.Time, error)
	Enqueue(ctx context.Context, msgs []workflow.Message) error
}

// Options configure the page.
type Options struct {
	Engine *engine.Engine
	Store  Store
	Signer *weblink.Signer
	// PublicURL is ESCALATE_PUBLIC_URL: its origin may POST to the page
	// (behind a proxy the request's own host may differ).
	PublicURL string
	Now       func() time.Time
	Log       *slog.Logger
	// SessionTTL is how long a session lasts once a link is opened
	// (default 8 hours).
	SessionTTL time.Duration
	// Kick asks the outbox to deliver now (nil: it runs on its own).
	Kick func()
}

// Server serves /link/{token} and /web/.
type Server struct {
	o     Options
	ui    *htmlui.Renderer
	csrf  *htmlui.CSRF
	steps *htmlui.Steps
}

// Cookie names.
const (
	sessionCookie = "escalate_session"
	flashCookie   = "escalate_flash"
)

type userKey struct{}

// New builds the page.
func New(o Options) (*Server, error) {
	if o.Engine == nil || o.Store == nil || o.Signer == nil || o.Now == nil {
		return nil, errors.New("web: engine, store, signer and clock are required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 8 * time.Hour
	}
	env := o.Engine.Env()
	s := &Server{o: o}
	ui, err := htmlui.New(htmlui.Surface{Templates: templateFS, Pattern: "templates/*.html", Base: "/web", Location: env.Calendar.Location(),
		Name: func(u workflow.UserID) string { return env.Directory.Name(u) }}, o.Log)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	var trusted []string
	if o.PublicURL != "" {
		trusted = append(trusted, o.PublicURL)
	}
	csrf, err := htmlui.NewCSRF("/web/", o.Signer.Subkey("csrf"), true, trusted...)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s.ui, s.csrf = ui, csrf
	s.steps = &htmlui.Steps{Engine: o.Engine, UI: ui, Log: o.Log, Base: "/web", Key: "web", Me: me, Page: s.page,
		Flash: s.setFlash, People: s.people,
		Done: func(context.Context, workflow.UserID, string) {
			if o.Kick != nil {
				o.Kick()
			}
		}}
	return s, nil
}

// Register adds the page's routes.
func (s *Server) Register(mux *http.ServeMux) {
	open := func(f http.HandlerFunc) http.Handler { return s.csrf.Protect(f) }
	signed := func(f http.HandlerFunc) http.Handler { return s.csrf.Protect(s.signedIn(f)) }
	mux.Handle("GET /link/{token}", open(s.linkPage))
	mux.Handle("POST /link/{token}", open(s.linkOpen))
	mux.Handle("POST /link/new", open(s.linkRenew))
	mux.Handle("GET /web/{$}", signed(s.home))
	mux.Handle("GET /web/case/{ref}", signed(s.showCase))
	mux.Handle("GET /web/case/{ref}/record.pdf", signed(s.recordPDF))
	mux.Handle("GET /web/case/{ref}/record.html", signed(s.recordHTML))
	mux.Handle("POST /web/signout", signed(s.signOut))
	s.steps.Register(mux, signed)
	// Anything else under /web/ asks for sign-in first, then says there
	// is no such page: nothing is told to someone not signed in.
	mux.Handle("/web/", signed(func(w http.ResponseWriter, r *http.Request) {
		s.notice(w, r, http.StatusNotFound, notice{Title: "There is no such page", Lines: []string{"Go back to your cases."}, Home: true})
	}))
}

func me(r *http.Request) workflow.UserID {
	u, _ := r.Context().Value(userKey{}).(workflow.UserID)
	return u
}

// signedIn serves f only to a live session whose links were not revoked
// since it began; anyone else is told how to get in.
func (s *Server) signedIn(f http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.session(r)
		if !ok {
			s.notice(w, r, http.StatusUnauthorized, notice{Title: "Open the link in your email",
				Lines: []string{"To see your cases, open the link in your latest email from Escalate. Each link is for you alone and lasts a few days.",
					"If you have signed out, or your session has ended, the link in a newer email will let you in again."}})
			return
		}
		f(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
	}
}

func (s *Server) session(r *http.Request) (workflow.UserID, bool) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return "", false
	}
	u, began, ok, err := s.o.Store.Session(r.Context(), ck.Value)
	if err != nil {
		s.o.Log.ErrorContext(r.Context(), "web: read a session", "err", err)
		return "", false
	}
	if !ok {
		return "", false
	}
	revoked, err := s.o.Store.LinksRevokedAt(r.Context(), u)
	if err != nil {
		s.o.Log.ErrorContext(r.Context(), "web: read link revocation", "err", err)
		return "", false
	}
	if !revoked.IsZero() && !began.After(revoked) {
		return "", false
	}
	return u, true
}

// page is what every page template gets.
type page struct {
	Title   string
	Section string
	Me      string
	Flash   string
	Body    any
	// Signed is false on the link pages, before anyone is signed in.
	Signed bool
}

func (s *Server) page(r *http.Request, title, section string, body any) any {
	p := page{Title: htmlui.OutcomeTitle(flashFrom(r), title), Section: section, Body: body, Flash: flashFrom(r)}
	if u := me(r); u != "" {
		p.Signed = true
		p.Me = s.o.Engine.Env().Directory.Name(u)
	}
	return p
}

// The flash is a short-lived cookie, so it reaches the next page whichever
// replica serves it.
func (s *Server) setFlash(w http.ResponseWriter, _ *http.Request, _ workflow.UserID, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(msg)), Path: "/web/", MaxAge: 120,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
}

type flashKey struct{}

// takeFlash reads the flash and clears it (the page that shows it is the
// only one that does).
func takeFlash(w http.ResponseWriter, r *http.Request) *http.Request {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return r
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/web/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(b) > 1000 {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), flashKey{}, string(b)))
}

func flashFrom(r *http.Request) string {
	f, _ := r.Context().Value(flashKey{}).(string)
	return f
}

// people are offered in the forms' person fields: the directory's people.
func (s *Server) people(*http.Request) []workflow.Person {
	dir := s.o.Engine.Env().Directory
	var ps []workflow.Person
	seen := map[workflow.UserID]bool{}
	for _, p := range dir.People {
		if !seen[p.ID] {
			seen[p.ID] = true
			ps = append(ps, p)
		}
	}
	slices.SortStableFunc(ps, func(a, b workflow.Person) int { return strings.Compare(a.Name, b.Name) })
	return ps
}

// notice is a page of a few fixed lines: the link pages, refusals.
type notice struct {
	Title string
	Lines []string
	// Open is the token of a link that may be opened (a form to press).
	Open string
	// Renew is the token of a link that may ask for a fresh one.
	Renew string
	// Home links back to the person's cases.
	Home bool
}

func (s *Server) notice(w http.ResponseWriter, r *http.Request, code int, n notice) {
	s.ui.Render(w, r, code, "notice.html", s.page(r, n.Title, "", n))
}

// checked is what a link is, as far as the page can tell without using it.
type checked int

const (
	linkGood checked = iota
	linkForged
	linkExpired
	linkRevoked
	linkUsed
	linkBroken // the store did not answer
)

func (s *Server) check(ctx context.Context, token string) (weblink.Link, checked) {
	l, err := s.o.Signer.Check(token, s.o.Now())
	switch {
	case errors.Is(err, weblink.ErrExpired):
		if s.revoked(ctx, l) {
			return l, linkRevoked
		}
		return l, linkExpired
	case err != nil:
		return weblink.Link{}, linkForged
	}
	if s.revoked(ctx, l) {
		return l, linkRevoked
	}
	used, err := s.o.Store.LinkUsed(ctx, l.ID)
	if err != nil {
		s.o.Log.ErrorContext(ctx, "web: read link use", "err", err)
		return l, linkBroken
	}
	if used {
		return l, linkUsed
	}
	return l, linkGood
}

// revoked: the link was issued no later than its person's links were
// revoked. A store that does not answer counts as revoked (no way in).
func (s *Server) revoked(ctx context.Context, l weblink.Link) bool {
	at, err := s.o.Store.LinksRevokedAt(ctx, l.User)
	if err != nil {
		s.o.Log.ErrorContext(ctx, "web: read link revocation", "err", err)
		return true
	}
	return !at.IsZero() && !l.Issued.After(at)
}

// refuseLink is the page for a link that does not let anyone in.
func (s *Server) refuseLink(w http.ResponseWriter, r *http.Request, token string, c checked) {
	switch c {
	case linkExpired:
		s.notice(w, r, http.StatusGone, notice{Title: "This link has expired",
			Lines: []string{"Links in Escalate's emails last a few days, for safety. We can email you a new one, to the address this link was sent to."}, Renew: token})
	case linkUsed:
		s.notice(w, r, http.StatusGone, notice{Title: "This link has been used",
			Lines: []string{"Each link opens Escalate once, for safety. If that was not you, tell the partnership's business team.", "We can email you a new one, to the address this link was sent to."}, Renew: token})
	case linkRevoked:
		s.notice(w, r, http.StatusForbidden, notice{Title: "This link has been withdrawn",
			Lines: []string{"The partnership withdrew this link. A newer email from Escalate has one that works; otherwise ask the partnership's business team."}})
	case linkBroken:
		s.notice(w, r, http.StatusServiceUnavailable, notice{Title: "Escalate cannot open links just now",
			Lines: []string{"Nothing is wrong with your link. Please try again in a few minutes."}})
	default:
		s.notice(w, r, http.StatusForbidden, notice{Title: "This link does not work",
			Lines: []string{"It is not a link Escalate made, or it was changed on the way. Open the link in your latest email from Escalate, and copy all of it if you paste it."}})
	}
}

// linkPage shows what a link is: a press to open it, or why it cannot be.
func (s *Server) linkPage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	if _, c := s.check(r.Context(), token); c != linkGood {
		s.refuseLink(w, r, token, c)
		return
	}
	s.notice(w, r, http.StatusOK, notice{Title: "Open your cases on Escalate",
		Lines: []string{"This link is for you alone and opens Escalate once. Press the button to see the cases you hold or are involved in."}, Open: token})
}

// linkOpen uses the link up and starts a session.
func (s *Server) linkOpen(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token := r.PathValue("token")
	l, c := s.check(ctx, token)
	if c != linkGood {
		s.refuseLink(w, r, token, c)
		return
	}
	now := s.o.Now()
	first, err := s.o.Store.UseLink(ctx, l.ID, l.Expires.Sub(now)+time.Hour)
	if err != nil {
		s.o.Log.ErrorContext(ctx, "web: use a link", "err", err)
		s.refuseLink(w, r, token, linkBroken)
		return
	}
	if !first {
		s.refuseLink(w, r, token, linkUsed)
		return
	}
	sid, err := newSession()
	if err == nil {
		err = s.o.Store.PutSession(ctx, sid, l.User, now, s.o.SessionTTL)
	}
	if err != nil {
		s.o.Log.ErrorContext(ctx, "web: start a session", "err", err)
		s.refuseLink(w, r, token, linkBroken)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sid, Path: "/", MaxAge: int(s.o.SessionTTL / time.Second),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/web/", http.StatusSeeOther)
}

func newSession() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random session id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// linkRenew emails a fresh link to the person an expired or used link was
// for, once per link.
func (s *Server) linkRenew(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token := r.PostFormValue("token")
	l, c := s.check(ctx, token)
	if c != linkExpired && c != linkUsed {
		if c == linkGood {
			s.notice(w, r, http.StatusOK, notice{Title: "Your link still works", Lines: []string{"Press the button to open your cases."}, Open: token})
			return
		}
		s.refuseLink(w, r, token, c)
		return
	}
	first, err := s.o.Store.UseLink(ctx, "renew:"+l.ID, max(l.Expires.Sub(s.o.Now()), 0)+31*24*time.Hour)
	if err != nil {
		s.o.Log.ErrorContext(ctx, "web: renew a link", "err", err)
		s.refuseLink(w, r, token, linkBroken)
		return
	}
	what := "expired"
	if c == linkUsed {
		what = "been used"
	}
	if !first {
		s.notice(w, r, http.StatusOK, notice{Title: "We have already sent you a new link",
			Lines: []string{"Look for the latest email from Escalate. A new link can be asked for once from each old one."}})
		return
	}
	msg := workflow.Message{ID: "new-link:" + l.ID, Kind: weblink.MsgNewLink, To: l.User, Title: "A new link to Escalate"}
	if err := s.o.Store.Enqueue(ctx, []workflow.Message{msg}); err != nil {
		s.o.Log.ErrorContext(ctx, "web: send a new link", "err", err)
		s.refuseLink(w, r, token, linkBroken)
		return
	}
	if s.o.Kick != nil {
		s.o.Kick()
	}
	s.notice(w, r, http.StatusOK, notice{Title: "This link has " + what + ": we have sent you a new one",
		Lines: []string{"Look for a new email from Escalate in a few minutes, at the address this link was sent to, and open the link in it."}})
}

// homeBody is the person's open cases.
type homeBody struct {
	List htmlui.CaseList
}

const pageSize = 25

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	r = takeFlash(w, r)
	u := me(r)
	pg, err := s.o.Engine.MyCases(r.Context(), u, engine.ParsePage(r.URL.Query().Get("page"), pageSize), pageSize)
	if err != nil {
		s.o.Log.ErrorContext(r.Context(), "web: my cases", "err", err)
	}
	s.ui.Render(w, r, http.StatusOK, "home.html", s.page(r, "Your cases", "home", homeBody{List: htmlui.ListOf(s.o.Engine.Env(), pg, pageSize, s.when)}))
}

func (s *Server) when(t time.Time) string {
	return workflow.FormatTime(t, s.o.Engine.Env().Calendar.Location())
}

func (s *Server) showCase(w http.ResponseWriter, r *http.Request) {
	r = takeFlash(w, r)
	body, err := htmlui.CaseFor(r.Context(), s.o.Engine, r.PathValue("ref"), me(r))
	if err != nil {
		s.refuseCase(w, r, err)
		return
	}
	s.ui.Render(w, r, http.StatusOK, "case.html", s.page(r, body.Dispute.Ref, "case", body))
}

// refuseCase answers a case the person may not see exactly as one that
// does not exist.
func (s *Server) refuseCase(w http.ResponseWriter, r *http.Request, err error) {
	var ref *workflow.Refusal
	if errors.As(err, &ref) {
		s.notice(w, r, http.StatusNotFound, notice{Title: "No such case", Lines: []string{upper(ref.Message) + "."}, Home: true})
		return
	}
	s.notice(w, r, http.StatusInternalServerError, notice{Title: "Something went wrong", Lines: []string{htmlui.FailMessage(s.o.Log, err)}, Home: true})
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (s *Server) recordPDF(w http.ResponseWriter, r *http.Request) {
	rec, err := record.ForViewer(r.Context(), s.o.Engine, r.PathValue("ref"), me(r))
	if err != nil {
		s.refuseCase(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := record.PDF(&buf, rec); err != nil {
		s.refuseCase(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+rec.Ref+`.pdf"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// recordHTML is the written record as a web page: the PDF's accessible
// twin (record.HTML), for the same people.
func (s *Server) recordHTML(w http.ResponseWriter, r *http.Request) {
	rec, err := record.ForViewer(r.Context(), s.o.Engine, r.PathValue("ref"), me(r))
	if err != nil {
		s.refuseCase(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := record.HTML(&buf, rec); err != nil {
		s.refuseCase(w, r, err)
		return
	}
	htmlui.SecurityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if err := s.o.Store.EndSession(r.Context(), ck.Value); err != nil {
			s.o.Log.ErrorContext(r.Context(), "web: end a session", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	r = r.WithContext(context.WithValue(r.Context(), userKey{}, workflow.UserID("")))
	s.notice(w, r, http.StatusOK, notice{Title: "You have signed out", Lines: []string{"To come back, open the link in a newer email from Escalate."}})
}
