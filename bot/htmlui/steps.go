package htmlui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/workflow"
)

// Steps serves what a person does to a case in a browser — a button
// press, its follow-up form and that form's submission — through the
// engine, the same on every surface (the practice console and the web
// page). A surface brings who the person is, how its pages are wrapped and
// how a one-line message reaches the next page.
type Steps struct {
	Engine *engine.Engine
	UI     *Renderer
	Log    *slog.Logger
	// Base starts the surface's paths ("" or "/web").
	Base string
	// Key starts idempotency keys ("console", "web"): the same button or
	// form sent again (the back button, a double click) acts once.
	Key string
	// Me is the person making the request.
	Me func(*http.Request) workflow.UserID
	// Page wraps a page's body in the surface's layout data.
	Page func(r *http.Request, title, section string, body any) any
	// Flash keeps a line for the person's next page.
	Flash func(w http.ResponseWriter, r *http.Request, me workflow.UserID, msg string)
	// People are offered in the forms' person fields.
	People func(r *http.Request) []workflow.Person
	// Done runs after every accepted step (deliver at once, mark a
	// message acted on); nil: nothing.
	Done func(ctx context.Context, me workflow.UserID, ref string)
}

// FormBody is what the shared "form" template renders.
type FormBody struct {
	Form   workflow.Form
	Action string
	Errors map[string]string
	Values workflow.Values
	People []workflow.Person
	// Parties, when set, are the people the raise form's party questions
	// offer (workflow.DisagreeWith): not the person raising, the chair or
	// the business team.
	Parties []workflow.Person
	Hidden  map[string]string
}

// ErrorList is the error summary in the form's order (workflow.Form.Problems).
func (b FormBody) ErrorList() []workflow.Problem { return b.Form.Problems(b.Errors) }

// PeopleFor are the people a person field offers.
func (b FormBody) PeopleFor(field string) []workflow.Person {
	if b.Parties != nil && workflow.PartyFields[field] {
		return b.Parties
	}
	return b.People
}

// Room is what a long field has left with its current answer, or how much
// it takes when empty: counted on the server, since the pages run no script.
func (b FormBody) Room(f workflow.FormField) string {
	v := strings.Join(b.Values[f.Name], "")
	if v == "" {
		return workflow.RoomHint(f.Max)
	}
	return workflow.RoomHint(f.Max) + " " + workflow.RoomLeft(v, f.Max) + "."
}

// SummaryItem is one line of a form's error summary: the message and the
// id of the field it is about ("" when it is about no one field).
type SummaryItem struct{ ID, Message string }

// Summary is the form's errors in the order its fields are asked (a
// person reads the summary top to bottom and meets the fields in the same
// order), then any about no field of the form.
func (b FormBody) Summary() []SummaryItem {
	var out []SummaryItem
	seen := map[string]bool{}
	for _, f := range b.Form.Fields {
		if msg, ok := b.Errors[f.Name]; ok && !seen[f.Name] {
			seen[f.Name] = true
			out = append(out, SummaryItem{ID: FieldID(f.Name), Message: msg})
		}
	}
	var rest []string
	for k := range b.Errors {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, SummaryItem{Message: b.Errors[k]})
	}
	return out
}

// Register adds POST {base}/act, GET and POST {base}/form to mux, each
// wrapped by protect (the surface's CSRF and sign-in checks).
func (s *Steps) Register(mux *http.ServeMux, protect func(http.HandlerFunc) http.Handler) {
	mux.Handle("POST "+s.Base+"/act", protect(s.Act))
	mux.Handle("GET "+s.Base+"/form", protect(s.ShowForm))
	mux.Handle("POST "+s.Base+"/form", protect(s.SubmitForm))
}

func (s *Steps) home() string { return s.Base + "/" }

func (s *Steps) casePath(ref string) string { return s.Base + "/case/" + url.PathEscape(ref) }

// Fail tells the person what went wrong in words, logs the rest, and
// sends them to their first page.
func (s *Steps) Fail(w http.ResponseWriter, r *http.Request, me workflow.UserID, err error) {
	s.Flash(w, r, me, FailMessage(s.Log, err))
	http.Redirect(w, r, s.home(), http.StatusSeeOther)
}

// FailMessage is what a person is told when a step did not happen.
func FailMessage(log *slog.Logger, err error) string {
	var ref *workflow.Refusal
	switch {
	case errors.As(err, &ref):
		return ref.Sentence()
	case errors.Is(err, engine.ErrConflict):
		return "Someone else acted on this case at the same moment. Here is where it stands now."
	case errors.Is(err, engine.ErrDuplicate):
		return "That was already done."
	}
	log.Error("browser step", "err", err)
	return "Something went wrong and nothing was changed. Try again."
}

// failOn is Fail for a step on case ref: when the case moved on since the
// button or form was drawn, the person is shown the case as it stands now,
// with the buttons they can use now, under what happened.
func (s *Steps) failOn(w http.ResponseWriter, r *http.Request, me workflow.UserID, ref string, err error) {
	var refusal *workflow.Refusal
	if errors.As(err, &refusal) && refusal.Code == workflow.RefuseMovedOn {
		s.Flash(w, r, me, refusal.Sentence()+" Here is where it stands now.")
		http.Redirect(w, r, s.casePath(ref), http.StatusSeeOther)
		return
	}
	s.Fail(w, r, me, err)
}

func (s *Steps) done(ctx context.Context, me workflow.UserID, ref string) {
	if s.Done != nil {
		s.Done(ctx, me, ref)
	}
}

// Act is a button press: either it acts at once (Confirm) or it opens the
// follow-up form.
func (s *Steps) Act(w http.ResponseWriter, r *http.Request) {
	me := s.Me(r)
	target, ok := workflow.ParseAction(r.FormValue("value"))
	kind := workflow.ActionKind(r.FormValue("action"))
	if !ok {
		s.Flash(w, r, me, "That button is not valid any more.")
		http.Redirect(w, r, s.home(), http.StatusSeeOther)
		return
	}
	ref := target.Ref
	if kind == workflow.ActShow {
		http.Redirect(w, r, s.casePath(ref), http.StatusSeeOther)
		return
	}
	if cmd, ok := workflow.CommandForValue(kind, target); ok {
		cmd.Actor = me
		key := s.Key + "-click:" + string(me) + "|" + string(kind) + "|" + r.FormValue("value")
		if _, err := s.Engine.Do(r.Context(), ref, cmd, key); err != nil {
			s.failOn(w, r, me, ref, err)
			return
		}
		s.done(r.Context(), me, ref)
		s.Flash(w, r, me, actionDone(kind, ref))
		http.Redirect(w, r, s.home(), http.StatusSeeOther)
		return
	}
	d, hist, err := s.Engine.Case(r.Context(), ref, me)
	if err == nil {
		err = workflow.CheckTarget(s.Engine.Env(), d, hist, me, kind, target)
	}
	if err != nil {
		s.failOn(w, r, me, ref, err)
		return
	}
	q := url.Values{"ref": {ref}, "stage": {fmt.Sprint(target.Stage)}, "action": {string(kind)}}
	if target.Version != 0 {
		q.Set("version", fmt.Sprint(target.Version))
	}
	http.Redirect(w, r, s.Base+"/form?"+q.Encode(), http.StatusSeeOther)
}

// actionDone tells the person what their click did, in words: never a
// bare "Done.".
func actionDone(k workflow.ActionKind, ref string) string {
	if k == workflow.ActConfirm {
		return "Resolution confirmed. " + ref + " is closed and everyone involved has the written record."
	}
	return workflow.DoneLabel(k, "") + " (" + ref + "). Everyone who needs to know has been told."
}

// ShowForm draws a button's follow-up form.
func (s *Steps) ShowForm(w http.ResponseWriter, r *http.Request) {
	me := s.Me(r)
	d, _, err := s.Engine.Case(r.Context(), r.FormValue("ref"), me)
	if err != nil {
		s.Fail(w, r, me, err)
		return
	}
	f, ok := workflow.ActionForm(s.Engine.Env(), d, workflow.ActionKind(r.FormValue("action")))
	if !ok {
		s.Flash(w, r, me, "That button has no form.")
		http.Redirect(w, r, s.home(), http.StatusSeeOther)
		return
	}
	if st := r.FormValue("stage"); st != "" {
		fmt.Sscan(st, &f.Stage)
	}
	// The form acts on the version the button was drawn for, when it says.
	if v := r.FormValue("version"); v != "" {
		fmt.Sscan(v, &f.Version)
	}
	vals := workflow.Values{}
	for _, fl := range f.Fields {
		if len(fl.Values) > 0 {
			vals[fl.Name] = fl.Values
		} else if fl.Value != "" {
			vals[fl.Name] = []string{fl.Value}
		}
	}
	body := FormBody{Form: f, Action: s.Base + "/form", Values: vals, People: s.People(r),
		Hidden: map[string]string{"ref": f.Ref, "stage": fmt.Sprint(f.Stage), "version": fmt.Sprint(f.Version), "action": r.FormValue("action"), "form": string(f.Kind)}}
	s.UI.Render(w, r, http.StatusOK, "form.html", s.Page(r, f.Title, "home", body))
}

// FormValues is a submitted form's values.
func FormValues(r *http.Request) workflow.Values {
	_ = r.ParseForm()
	v := workflow.Values{}
	for k, vs := range r.PostForm {
		v[k] = vs
	}
	return v
}

// SubmitForm runs a submitted follow-up form.
func (s *Steps) SubmitForm(w http.ResponseWriter, r *http.Request) {
	me := s.Me(r)
	vals := FormValues(r)
	ref := r.FormValue("ref")
	var stage, version int
	fmt.Sscan(r.FormValue("stage"), &stage)
	fmt.Sscan(r.FormValue("version"), &version)
	kind := workflow.FormKind(r.FormValue("form"))
	cmd, err := workflow.FormCommand(kind, stage, version, vals)
	if err != nil {
		s.Fail(w, r, me, err)
		return
	}
	cmd.Actor = me
	// Each drawn form carries a nonce: the same form sent again acts once.
	key := ""
	if n := r.FormValue("nonce"); n != "" {
		key = s.Key + "-form:" + string(me) + "|" + n
	}
	if _, err := s.Engine.Do(r.Context(), ref, cmd, key); err != nil {
		var refusal *workflow.Refusal
		if errors.As(err, &refusal) && len(refusal.Fields) > 0 {
			d, _, lerr := s.Engine.Case(r.Context(), ref, me)
			if lerr == nil {
				if f, ok := workflow.ActionForm(s.Engine.Env(), d, workflow.ActionKind(r.FormValue("action"))); ok {
					f.Stage = stage
					body := FormBody{Form: f, Action: s.Base + "/form", Errors: refusal.Fields, Values: vals, People: s.People(r),
						Hidden: map[string]string{"ref": ref, "stage": fmt.Sprint(stage), "version": fmt.Sprint(version), "action": r.FormValue("action"), "form": string(kind)}}
					s.UI.Render(w, r, http.StatusUnprocessableEntity, "form.html", s.Page(r, ErrorTitle(f.Title), "home", body))
					return
				}
			}
		}
		s.failOn(w, r, me, ref, err)
		return
	}
	s.done(r.Context(), me, ref)
	s.Flash(w, r, me, workflow.DoneLabel("", kind)+" ("+ref+"). Everyone who needs to know has been told.")
	http.Redirect(w, r, s.home(), http.StatusSeeOther)
}

// CaseBody is what the shared "case" template renders.
type CaseBody struct {
	Dispute *workflow.Dispute
	Facts   []workflow.Fact
	Lines   []string
	History []workflow.HistoryEntry
	Actions []workflow.Action
	Policy  *workflow.Policy
}

// CaseFor is the case page's body for a person allowed to see it, or the
// one refusal for a case they may not see or that does not exist.
func CaseFor(ctx context.Context, eng *engine.Engine, ref string, me workflow.UserID) (CaseBody, error) {
	d, hist, err := eng.Case(ctx, ref, me)
	if err != nil {
		return CaseBody{}, err
	}
	env := eng.Env()
	return CaseBody{Dispute: d, Facts: workflow.CaseFacts(env, d, true), Lines: workflow.CaseLines(d), History: workflow.History(hist), Actions: workflow.ActionsFor(env, d, me), Policy: env.Policy}, nil
}
