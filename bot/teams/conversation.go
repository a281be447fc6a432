package teams

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/escalate-app/escalate/bot/budget"
	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/workflow"
)

var mention = regexp.MustCompile(`(?is)<at>.*?</at>`)

// commandText is the message text without the bot's @mention.
func commandText(s string) string {
	return strings.TrimSpace(mention.ReplaceAllString(s, " "))
}

var usageLines = []string{
	"escalate: raise a disagreement",
	"list: your open cases (list 2: the next page)",
	"show ESC-2026-0042: a case and its history",
	"record ESC-2026-0042: the written record of a case",
	"report: the board report, for the business team",
	"help: what Escalate is for, and the emergency route",
}

// command answers a typed command. Everything but help is answered
// privately: a channel never sees a form or a case.
//
// The work takes one of the adapter's places (a.work): with none free the
// person is told Escalate is busy and nothing runs; its context is
// cancelled when its budget ends, and the person told it could not finish.
func (a *Adapter) command(ctx context.Context, act schema.Activity, user workflow.UserID) error {
	words := strings.Fields(commandText(act.Text))
	cmd := ""
	if len(words) > 0 {
		cmd = strings.ToLower(words[0])
	}
	// A reply Teams will not take is handed to the outbox as the command.
	ctx = withReplay(ctx, replayable(cmd, words))
	if cmd == "help" || cmd == "" {
		_, err := a.replyHere(ctx, act, a.help())
		return err
	}
	wctx, release, ok := a.work.Start(ctx)
	if !ok {
		a.log.WarnContext(ctx, "busy: a command was refused", "running", a.work.Running())
		_, err := a.replyHere(ctx, act, a.render.message(budget.Busy(), modeDM))
		return err
	}
	defer release()
	err := a.typed(wctx, act, user, cmd, words)
	if err != nil && budget.OverBudget(wctx) {
		a.log.WarnContext(ctx, "a command ran out of time", "error", err.Error())
		_, err = a.replyHere(context.WithoutCancel(ctx), act, a.render.message(budget.TooSlow(), modeDM))
	}
	return err
}

// typed runs a typed command other than help.
func (a *Adapter) typed(ctx context.Context, act schema.Activity, user workflow.UserID, cmd string, words []string) error {
	var err error
	switch cmd {
	case "escalate", "raise":
		_, err = a.tell(ctx, act, user, a.render.form(a.raiseForm(user), nil, formSource{}))
	case "list":
		err = a.list(ctx, act, user, strings.Join(words[1:], " "))
	case "show":
		if len(words) < 2 {
			_, err = a.replyHere(ctx, act, notice("Which case?", "Say show and the case reference, for example: show ESC-2026-0042"))
			break
		}
		err = a.show(ctx, act, user, strings.ToUpper(words[1]))
	case "record":
		ref := ""
		if len(words) > 1 {
			ref = strings.ToUpper(words[1])
		}
		err = a.recordCommand(ctx, act, user, ref)
	case "report":
		err = a.reportCommand(ctx, act, user, words[1:])
	default:
		c := notice("Escalate does not know that command", usageLines...)
		_, err = a.replyHere(ctx, act, c)
	}
	return err
}

// raiseForm is the raise form with the person's own agency chosen.
func (a *Adapter) raiseForm(user workflow.UserID) workflow.Form {
	env := a.eng.Env()
	f := workflow.RaiseForm(env)
	if env.Directory == nil {
		return f
	}
	if p, ok := env.Directory.Person(user); ok && p.Agency != "" {
		for i := range f.Fields {
			if f.Fields[i].Name == workflow.FieldRaiserAgency && f.Fields[i].Value == "" {
				f.Fields[i].Value = p.Agency
			}
		}
	}
	return f
}

func (a *Adapter) emergency() []string {
	if len(a.cfg.Help.Emergency) > 0 {
		return a.cfg.Help.Emergency
	}
	return a.eng.Env().Emergency
}

func (a *Adapter) help() *Card {
	title := "Escalate: professional disagreements"
	if p := a.eng.Env().Policy; p != nil && p.Partnership != "" {
		title += ", " + p.Partnership
	}
	c := newCard()
	if em := a.emergency(); len(em) > 0 {
		c.Body = append(c.Body, emergencyBox("At risk of immediate harm? Act now.", em))
	}
	c.Body = append(c.Body, heading(title))
	add := func(title string, lines []string) {
		if len(lines) == 0 {
			return
		}
		c.Body = append(c.Body, bold(title))
		for _, l := range lines {
			c.Body = append(c.Body, text("• "+l))
		}
	}
	add("What Escalate is for", a.cfg.Help.For)
	add("What it is not for", a.cfg.Help.NotFor)
	add("Commands", usageLines)
	return c
}

// list shows one page of the person's open cases, reading only that page.
func (a *Adapter) list(ctx context.Context, act schema.Activity, user workflow.UserID, args string) error {
	page, err := a.eng.MyCases(ctx, user, engine.ParsePage(args, engine.ListPageSize), engine.ListPageSize)
	if err != nil {
		return err
	}
	if page.Total == 0 {
		_, err := a.tell(ctx, act, user, notice("Your open cases", "You have no open cases."))
		return err
	}
	c := newCard(heading(page.Heading()))
	env := a.eng.Env()
	for _, d := range page.Cases {
		items := []Element{bold(d.Ref)}
		if fs, ok := a.render.facts(workflow.CaseFacts(env, d, true)); ok {
			items = append(items, fs)
		}
		if as, ok := actionSet(workflow.ActionsFor(env, d, user)); ok {
			items = append(items, as)
		}
		c.Body = append(c.Body, Container{Type: "Container", Separator: true, Items: items})
	}
	if more := page.MoreLine("list", engine.ListPageSize); more != "" {
		c.Body = append(c.Body, text(more))
	}
	_, err = a.tell(ctx, act, user, c)
	return err
}

func (a *Adapter) show(ctx context.Context, act schema.Activity, user workflow.UserID, ref string) error {
	d, hist, err := a.eng.Case(ctx, ref, user)
	if err != nil {
		return a.explain(ctx, act, user, ref, err)
	}
	env := a.eng.Env()
	m := workflow.Message{Kind: workflow.MsgInfo, Ref: d.Ref, To: user, Title: d.Ref,
		Lines: workflow.CaseLines(d), Facts: workflow.CaseFacts(env, d, true),
		History: workflow.History(hist), Actions: workflow.ActionsFor(env, d, user)}
	_, err = a.tellAbout(ctx, act, user, d.Ref, a.render.message(m, modeDM))
	return err
}

// explain tells the person why nothing happened; errors that are not
// theirs to know are logged and answered with an apology.
func (a *Adapter) explain(ctx context.Context, act schema.Activity, user workflow.UserID, ref string, err error) error {
	var r *workflow.Refusal
	var c *Card
	switch {
	case errors.As(err, &r) && r.Code == workflow.RefuseMovedOn && ref != "":
		// Permission came first: the person may see the case, and is shown
		// where it stands now with the buttons they can use now.
		c = notice("Nothing was changed", r.Sentence())
		if d, _, lerr := a.eng.Case(ctx, ref, user); lerr == nil {
			env := a.eng.Env()
			if fs, ok := a.render.facts(workflow.CaseFacts(env, d, false)); ok {
				c.Body = append(c.Body, fs)
			}
			if as, ok := actionSet(workflow.ActionsFor(env, d, user)); ok {
				c.Body = append(c.Body, as)
			}
		}
	case errors.As(err, &r):
		c = notice("Nothing was changed", r.Sentence())
	case errors.Is(err, engine.ErrConflict):
		c = notice("Someone else acted on "+ref+" at the same moment", "What you did was not recorded, so nothing happened twice. Say show "+ref+" to see where it stands now.")
	case errors.Is(err, engine.ErrDuplicate):
		c = notice("That was already done", "Nothing more was changed.")
	default:
		a.log.ErrorContext(ctx, "teams request failed", "ref", ref, "error", err.Error())
		c = notice("Something went wrong and nothing was changed", "Try again in a moment.")
	}
	_, terr := a.tell(ctx, act, user, c)
	return terr
}

// str reads a string from an Action.Submit's value.
func str(v map[string]any, k string) string {
	switch x := v[k].(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// target is the case, stage, proposal and version a button was drawn for.
func target(v map[string]any) (workflow.ActionTarget, bool) {
	value := str(v, dataRef) + "|" + str(v, dataStage)
	if p := str(v, dataProposal); p != "" {
		value += "|" + p
	}
	if ver := str(v, dataVersion); ver != "" {
		value += "|v" + ver
	}
	return workflow.ParseAction(value)
}

// press handles a button on a case card: a follow-up form, or (Confirm)
// the command itself.
func (a *Adapter) press(ctx context.Context, act schema.Activity, user workflow.UserID) error {
	kind := workflow.ActionKind(str(act.Value, dataAction))
	t, ok := target(act.Value)
	if !ok {
		_, err := a.tell(ctx, act, user, notice("Nothing was changed", "That button is not one Escalate recognises."))
		return err
	}
	env := a.eng.Env()
	d, hist, err := a.eng.Case(ctx, t.Ref, user)
	if err != nil {
		return a.explain(ctx, act, user, t.Ref, err)
	}
	// Permission, a closed case and a card drawn before the case moved on
	// are refused before anything else.
	if err := workflow.CheckTarget(env, d, hist, user, kind, t); err != nil {
		return a.explain(ctx, act, user, d.Ref, err)
	}
	if kind == workflow.ActShow {
		return a.show(ctx, act, user, d.Ref)
	}
	if f, ok := workflow.ActionForm(env, d, kind); ok {
		_, err := a.tell(ctx, act, user, a.render.form(f, nil, formSource{Card: act.ReplyToID}))
		return err
	}
	cmd, ok := workflow.CommandForValue(kind, t)
	if !ok {
		_, err := a.tell(ctx, act, user, notice("Nothing was changed", "That button is not one Escalate recognises."))
		return err
	}
	cmd.Actor = user
	res, err := a.eng.Do(ctx, d.Ref, cmd, idempotencyKey(act))
	if err != nil {
		return a.explain(ctx, act, user, d.Ref, err)
	}
	a.kick()
	a.retire(ctx, act, user, res.Dispute, act.ReplyToID, workflow.DoneLabel(kind, ""))
	return nil
}

// idempotencyKey names what a person did once: a card's submit (so a
// double click, or the same form sent twice, records one thing), else the
// activity itself.
func idempotencyKey(act schema.Activity) string {
	if act.ReplyToID != "" {
		what := str(act.Value, dataForm)
		if what == "" {
			what = str(act.Value, dataAction)
		}
		// The version the form or button was drawn for, too: a card
		// redrawn in place (Action.Execute) keeps its activity id, and
		// the same button pressed on a later version is another act.
		if v := str(act.Value, dataVersion); v != "" {
			what += "|v" + v
		}
		return "teams:" + act.Conversation.ID + "|" + act.ReplyToID + "|" + what
	}
	return "teams:" + act.Conversation.ID + "|" + act.ID
}

// values reads a submitted form's answers: only the form's own fields,
// each as its type says (several people or options arrive comma-separated;
// people picked arrive as AAD object ids).
func values(f workflow.Form, v map[string]any) workflow.Values {
	out := workflow.Values{}
	for _, fd := range f.Fields {
		raw, ok := v[fd.Name]
		if !ok {
			continue
		}
		s := str(v, fd.Name)
		if raw != nil && s == "" {
			s = fmt.Sprint(raw)
		}
		switch fd.Type {
		case workflow.FieldMulti, workflow.FieldUsers:
			for _, p := range strings.Split(s, ",") {
				if p = strings.TrimSpace(p); p == "" {
					continue
				}
				if fd.Type == workflow.FieldUsers {
					p = string(pickedUser(p))
				}
				out[fd.Name] = append(out[fd.Name], p)
			}
		case workflow.FieldUser:
			out[fd.Name] = []string{string(pickedUser(s))}
		default:
			out[fd.Name] = []string{s}
		}
	}
	return out
}

// withValues fills a form's fields with what was submitted, so a form sent
// back with problems keeps the person's answers.
func withValues(f workflow.Form, v workflow.Values) workflow.Form {
	fields := make([]workflow.FormField, len(f.Fields))
	copy(fields, f.Fields)
	for i := range fields {
		got, ok := v[fields[i].Name]
		if !ok {
			continue
		}
		fields[i].Value, fields[i].Values = "", got
		if len(got) == 1 && fields[i].Type != workflow.FieldUsers && fields[i].Type != workflow.FieldMulti {
			fields[i].Value, fields[i].Values = got[0], nil
		}
	}
	f.Fields = fields
	return f
}

// problems are a field refusal's messages, with its summary at the top.
func problems(r *workflow.Refusal) map[string]string {
	p := map[string]string{"": r.Message}
	for k, m := range r.Fields {
		p[k] = m
	}
	return p
}

// resend shows a form again with its problems: in place of the card that
// was submitted when Teams said which it was, else as a new card.
func (a *Adapter) resend(ctx context.Context, act schema.Activity, user workflow.UserID, c *Card) error {
	if inv := invokeOf(ctx); inv.here(act.Conversation.ID, act.ReplyToID) {
		// Shown in place to the person filling it in; the chat keeps
		// the card the form was opened from.
		inv.answer = c
		return nil
	}
	if act.ReplyToID != "" {
		err := a.update(ctx, a.via(act), act.ServiceURL, act.Conversation.ID, act.ReplyToID, "", c)
		if err == nil {
			return nil
		}
		a.log.WarnContext(ctx, "show a form's problems in place", "error", err.Error())
	}
	_, err := a.tell(ctx, act, user, c)
	return err
}

// submit handles a form card's submit.
func (a *Adapter) submit(ctx context.Context, act schema.Activity, user workflow.UserID) error {
	kind := workflow.FormKind(str(act.Value, dataForm))
	if kind == workflow.FormRaise {
		return a.submitRaise(ctx, act, user)
	}
	ref := str(act.Value, dataRef)
	stage, serr := strconv.Atoi(str(act.Value, dataStage))
	version := 0
	if v := str(act.Value, dataVersion); v != "" && serr == nil {
		version, serr = strconv.Atoi(v)
	}
	if ref == "" || serr != nil {
		_, err := a.tell(ctx, act, user, notice("Nothing was changed", "That form is not one Escalate recognises."))
		return err
	}
	d, _, err := a.eng.Case(ctx, ref, user)
	if err != nil {
		return a.explain(ctx, act, user, ref, err)
	}
	env := a.eng.Env()
	f, ok := workflow.ActionForm(env, d, formAction[kind])
	if !ok {
		_, err := a.tell(ctx, act, user, notice("Nothing was changed", "That form is not one Escalate recognises."))
		return err
	}
	// The form as drawn at its own stage: the case may have moved on, and
	// the command says which stage it expects.
	f.Stage, f.Version = stage, version
	vals := values(f, act.Value)
	cmd, err := workflow.FormCommand(kind, stage, version, vals)
	if err != nil {
		_, err := a.tell(ctx, act, user, notice("Nothing was changed", "That form is not one Escalate recognises."))
		return err
	}
	cmd.Actor = user
	res, err := a.eng.Do(ctx, ref, cmd, idempotencyKey(act))
	var r *workflow.Refusal
	if errors.As(err, &r) && len(r.Fields) > 0 {
		return a.resend(ctx, act, user, a.render.form(withValues(f, vals), problems(r), formSource{Card: str(act.Value, dataCard)}))
	}
	if err != nil {
		return a.explain(ctx, act, user, ref, err)
	}
	a.kick()
	label := workflow.DoneLabel("", kind)
	// The form is done: it becomes a note of what was done, and the case
	// card it came from loses the buttons that are now stale. A form
	// shown in place of its case card (Action.Execute) is that card.
	if act.ReplyToID != "" && act.ReplyToID != str(act.Value, dataCard) {
		if err := a.update(ctx, a.via(act), act.ServiceURL, act.Conversation.ID, act.ReplyToID, "", doneCard(label, res.Dispute.Ref)); err != nil {
			a.log.WarnContext(ctx, "close a submitted form", "ref", res.Dispute.Ref, "error", err.Error())
		}
	}
	a.retire(ctx, act, user, res.Dispute, str(act.Value, dataCard), label)
	return nil
}

// formAction is the button that opens each follow-up form.
var formAction = map[workflow.FormKind]workflow.ActionKind{
	workflow.FormPropose: workflow.ActResolved, workflow.FormEscalate: workflow.ActEscalate,
	workflow.FormNote: workflow.ActNote, workflow.FormReject: workflow.ActReject,
	workflow.FormWithdraw: workflow.ActWithdraw, workflow.FormResolve: workflow.ActResolve,
	workflow.FormPanel: workflow.ActPanel, workflow.FormDebrief: workflow.ActDebrief,
	workflow.FormDeadline: workflow.ActDeadline, workflow.FormRespond: workflow.ActRespond,
	workflow.FormMeeting: workflow.ActMeeting, workflow.FormMeetingResult: workflow.ActMeetingOutcome,
}

func (a *Adapter) submitRaise(ctx context.Context, act schema.Activity, user workflow.UserID) error {
	f := a.raiseForm(user)
	vals := values(f, act.Value)
	in := workflow.ParseRaise(vals)
	res, err := a.eng.Raise(ctx, user, in, idempotencyKey(act))
	var r *workflow.Refusal
	var dup *engine.AlreadyRaised
	var c *Card
	switch {
	case errors.As(err, &r) && len(r.Fields) > 0:
		return a.resend(ctx, act, user, a.render.form(withValues(f, vals), problems(r), formSource{}))
	case errors.As(err, &dup):
		// The same form sent again: the reference the first one got.
		c = newCard(heading("Already raised as "+dup.Ref), text("This form was sent before, and nothing more was raised. Say show "+dup.Ref+" to see the case."))
	case err != nil:
		return a.explain(ctx, act, user, "", err)
	default:
		a.kick()
		c = a.raisedCard(res.Dispute.Ref, in.ImmediateRisk)
	}
	if act.ReplyToID != "" {
		if err := a.update(ctx, a.via(act), act.ServiceURL, act.Conversation.ID, act.ReplyToID, "", c); err == nil {
			return nil
		}
	}
	_, err = a.tell(ctx, act, user, c)
	return err
}

// raisedCard replaces a submitted raise form. At immediate risk it shows
// the emergency route again, first.
func (a *Adapter) raisedCard(ref string, risk bool) *Card {
	c := newCard()
	if em := a.emergency(); risk && len(em) > 0 {
		c.Body = append(c.Body, emergencyBox("You said there is a risk of immediate harm. Have you used the emergency route?", em))
	}
	c.Body = append(c.Body, heading("Raised as "+ref),
		text("Escalate has told the other practitioner and sends you the case in a message, with its buttons. Say list for your open cases."))
	return c
}

func doneCard(label, ref string) *Card {
	return newCard(heading("✓ "+label), small(ref))
}

// retire redraws the case card whose button was used: its words stay, its
// buttons come off, a line says what was done, and the buttons the person
// can use now are drawn afresh. The card is the one Teams names (the card
// the button was on), else the latest DM about the case recorded in the
// store. A card this process no longer remembers (a restart) is left as it
// was: its stale buttons are refused by the workflow if pressed.
func (a *Adapter) retire(ctx context.Context, act schema.Activity, user workflow.UserID, d *workflow.Dispute, cardID, label string) {
	if d == nil {
		return
	}
	conv, serviceURL := act.Conversation.ID, act.ServiceURL
	if cardID == "" {
		v, ok, err := a.st.GetRef(ctx, refActivity, d.Ref+"|"+string(user))
		if err != nil || !ok {
			return
		}
		conv, cardID, _ = strings.Cut(v, "|")
		if ref, ok, err := a.conversationOf(ctx, user); err == nil && ok && ref.ConversationID == conv {
			serviceURL = ref.ServiceURL
		}
	}
	base := a.caseCard(d, user, false)
	if old, ok := a.recent.get(activityKey(conv, cardID)); ok && old.ref == d.Ref {
		base = old.card
	} else if ok {
		return // a card about something else
	} else if !invokeOf(ctx).here(conv, cardID) {
		// Not remembered (a restart): left as it was; a stale press on
		// it is refused, and its refresh redraws it when it is shown.
		return
	}
	c := a.retired(base, d, user, "✓ "+label+", "+a.render.when(a.eng.Now()))
	if err := a.update(ctx, a.via(act), serviceURL, conv, cardID, d.Ref, c); err != nil {
		// The action is recorded; a card left with live buttons is
		// harmless, because a stale press is refused.
		a.log.WarnContext(ctx, "take the buttons off a used card", "ref", d.Ref, "error", err.Error())
	}
}

// retired is a case card without its old buttons, with a note and the
// person's current buttons.
func (a *Adapter) retired(old *Card, d *workflow.Dispute, user workflow.UserID, note string) *Card {
	c := withoutActions(old)
	c.Body = append(c.Body, TextBlock{Type: "TextBlock", Text: plainText(note), Wrap: true, Weight: "Bolder", Color: "Good", Spacing: "Medium"})
	acts := workflow.ActionsFor(a.eng.Env(), d, user)
	if as, ok := actionSet(acts); ok {
		c.Body = append(c.Body, as)
		c.Refresh = refreshFor(d.Ref, acts)
		if old.Refresh != nil && c.Refresh != nil {
			c.Refresh.UserIDs = old.Refresh.UserIDs
		}
	}
	return c
}
