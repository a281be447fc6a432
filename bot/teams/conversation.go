package teams

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/escalate-app/escalate/workflow"
)

var mention = regexp.MustCompile(`(?is)<at>.*?</at>`)

// commandText is the message text without the bot's @mention.
func commandText(s string) string {
	return strings.TrimSpace(mention.ReplaceAllString(s, " "))
}

const usage = "Say **escalate** to raise a disagreement, **list** for your open cases, **show ESC-2026-0042** for a case's history, or **help**."

func (a *Adapter) command(ctx context.Context, act activity, user workflow.UserID) error {
	words := strings.Fields(commandText(act.Text))
	if len(words) == 0 {
		return a.reply(ctx, act, notice("Escalate", usage))
	}
	switch strings.ToLower(words[0]) {
	case "escalate", "raise":
		return a.reply(ctx, act, a.render.form(workflow.RaiseForm(a.eng.Env()), nil))
	case "list":
		return a.list(ctx, act, user)
	case "show":
		if len(words) < 2 {
			return a.reply(ctx, act, notice("Which case?", "Say show and the case reference, for example show ESC-2026-0042."))
		}
		return a.show(ctx, act, user, strings.ToUpper(words[1]))
	case "help":
		return a.reply(ctx, act, a.help())
	}
	c := notice("Escalate", usage)
	return a.reply(ctx, act, c)
}

func (a *Adapter) help() *Card {
	c := newCard(heading("Escalate"))
	add := func(title string, lines []string) {
		if len(lines) == 0 {
			return
		}
		c.Body = append(c.Body, TextBlock{Type: "TextBlock", Text: title, Weight: "Bolder", Wrap: true})
		for _, l := range lines {
			c.Body = append(c.Body, text("• "+l))
		}
	}
	if len(a.cfg.Help.Emergency) > 0 {
		em := Container{Type: "Container", Style: "attention", Items: []Element{TextBlock{Type: "TextBlock", Text: "If anyone is at risk of immediate harm, act now:", Weight: "Bolder", Wrap: true}}}
		for _, l := range a.cfg.Help.Emergency {
			em.Items = append(em.Items, text(l))
		}
		c.Body = append(c.Body, em)
	}
	add("Escalate is for", a.cfg.Help.For)
	add("It is not for", a.cfg.Help.NotFor)
	c.Body = append(c.Body, TextBlock{Type: "TextBlock", Text: usage, Wrap: true})
	return c
}

func (a *Adapter) list(ctx context.Context, act activity, user workflow.UserID) error {
	ds, err := a.eng.MyCases(ctx, user)
	if err != nil {
		return err
	}
	if len(ds) == 0 {
		return a.reply(ctx, act, notice("Your open cases", "You have no open cases."))
	}
	c := newCard(heading("Your open cases"))
	env := a.eng.Env()
	for _, d := range ds {
		m := workflow.Message{Kind: workflow.MsgInfo, Ref: d.Ref, To: user, Title: d.Ref,
			Facts: workflow.CaseFacts(env, d, true), Actions: workflow.ActionsFor(env, d, user)}
		body := a.render.message(m).Body
		c.Body = append(c.Body, Container{Type: "Container", Separator: true, Items: body})
	}
	return a.reply(ctx, act, c)
}

func (a *Adapter) show(ctx context.Context, act activity, user workflow.UserID, ref string) error {
	d, hist, err := a.eng.Case(ctx, ref, user)
	if err != nil {
		return a.answer(ctx, act, err)
	}
	env := a.eng.Env()
	m := workflow.Message{Kind: workflow.MsgInfo, Ref: d.Ref, To: user, Title: d.Ref,
		Lines: workflow.CaseLines(d), Facts: workflow.CaseFacts(env, d, true),
		History: workflow.History(hist), Actions: workflow.ActionsFor(env, d, user)}
	return a.reply(ctx, act, a.render.message(m))
}

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

// press handles a button on a case card.
func (a *Adapter) press(ctx context.Context, act activity, user workflow.UserID) error {
	kind := workflow.ActionKind(str(act.Value, dataAction))
	target, ok := workflow.ParseAction(str(act.Value, dataValue))
	if !ok {
		return a.reply(ctx, act, notice("Not done", "That button is not one Escalate recognises."))
	}
	env := a.eng.Env()
	d, hist, err := a.eng.Case(ctx, target.Ref, user)
	if err != nil {
		return a.answer(ctx, act, err)
	}
	if kind == workflow.ActShow {
		return a.show(ctx, act, user, d.Ref)
	}
	if f, ok := workflow.ActionForm(env, d, kind); ok {
		if err := workflow.CheckAction(env, d, hist, user, kind, target.Stage); err != nil {
			return a.answer(ctx, act, err)
		}
		return a.reply(ctx, act, a.render.form(f, nil))
	}
	cmd, ok := workflow.CommandForValue(kind, target)
	if !ok {
		return a.reply(ctx, act, notice("Not done", "That button is not one Escalate recognises."))
	}
	cmd.Actor = user
	res, err := a.eng.Do(ctx, d.Ref, cmd, idempotencyKey(act))
	if err != nil {
		return a.answer(ctx, act, err)
	}
	return a.done(ctx, act, res)
}

// formActions maps a follow-up form to the button that opens it.
var formActions = map[workflow.FormKind]workflow.ActionKind{
	workflow.FormPropose: workflow.ActResolved, workflow.FormEscalate: workflow.ActEscalate,
	workflow.FormNote: workflow.ActNote, workflow.FormReject: workflow.ActReject,
	workflow.FormWithdraw: workflow.ActWithdraw, workflow.FormResolve: workflow.ActResolve,
	workflow.FormPanel: workflow.ActPanel, workflow.FormDebrief: workflow.ActDebrief,
}

// multiFields are the inputs whose submitted value is a comma-separated list.
var multiFields = map[string]bool{
	workflow.FieldRaiserHolders: true, workflow.FieldResponderHolders: true,
	workflow.FieldPanel: true, workflow.FieldThemes: true,
}

// formValues reads a submit's inputs (everything but the form's own data).
func formValues(v map[string]any) workflow.Values {
	out := workflow.Values{}
	for k := range v {
		switch k {
		case dataForm, dataRef, dataStage, dataAction, dataValue:
			continue
		}
		s := str(v, k)
		if multiFields[k] {
			for _, p := range strings.Split(s, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out[k] = append(out[k], p)
				}
			}
			continue
		}
		out[k] = []string{s}
	}
	return out
}

func idempotencyKey(act activity) string { return "teams:" + act.ID }

// submit handles a form card's submit.
func (a *Adapter) submit(ctx context.Context, act activity, user workflow.UserID) error {
	kind := workflow.FormKind(str(act.Value, dataForm))
	values := formValues(act.Value)
	env := a.eng.Env()
	if kind == workflow.FormRaise {
		res, err := a.eng.Raise(ctx, user, workflow.ParseRaise(values), idempotencyKey(act))
		var ref *workflow.Refusal
		if errors.As(err, &ref) && len(ref.Fields) > 0 {
			problems := map[string]string{"": ref.Message}
			for k, m := range ref.Fields {
				problems[k] = m
			}
			return a.reply(ctx, act, a.render.form(withValues(workflow.RaiseForm(env), values), problems))
		}
		if err != nil {
			return a.answer(ctx, act, err)
		}
		return a.done(ctx, act, res)
	}
	actKind, ok := formActions[kind]
	ref := str(act.Value, dataRef)
	stage, serr := strconv.Atoi(str(act.Value, dataStage))
	if !ok || ref == "" || serr != nil {
		return a.reply(ctx, act, notice("Not done", "That form is not one Escalate recognises."))
	}
	cmd, err := workflow.CommandFromForm(kind, stage, values)
	if err != nil {
		return a.reply(ctx, act, notice("Not done", "That form is not one Escalate recognises."))
	}
	cmd.Actor = user
	res, err := a.eng.Do(ctx, ref, cmd, idempotencyKey(act))
	var refusal *workflow.Refusal
	if errors.As(err, &refusal) && len(refusal.Fields) > 0 {
		if d, _, cerr := a.eng.Case(ctx, ref, user); cerr == nil {
			if f, ok := workflow.ActionForm(env, d, actKind); ok {
				problems := map[string]string{"": refusal.Message}
				for k, m := range refusal.Fields {
					problems[k] = m
				}
				return a.reply(ctx, act, a.render.form(withValues(f, values), problems))
			}
		}
	}
	if err != nil {
		return a.answer(ctx, act, err)
	}
	return a.done(ctx, act, res)
}

// done replaces the card the person acted on with a plain one, so its
// buttons cannot be used twice, and wakes the outbox.
func (a *Adapter) done(ctx context.Context, act activity, res *workflow.Result) error {
	a.kick()
	line := "Recorded."
	if res != nil && res.Dispute != nil {
		line = fmt.Sprintf("Recorded on %s.", res.Dispute.Ref)
	}
	if act.ReplyToID == "" {
		return nil
	}
	if err := a.conn.update(ctx, act.ServiceURL, act.Conversation.ID, act.ReplyToID, notice("Done", line)); err != nil {
		// The action is recorded; a card left with live buttons is
		// harmless because a second press is refused.
		a.log.WarnContext(ctx, "update the acted-on card", "error", err.Error())
	}
	return nil
}
