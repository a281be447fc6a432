package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/escalate-app/escalate/bot/budget"
	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/workflow"
)

// ephemeralReply is the answer to a command (or a post to a response_url):
// a message only the person sees.
type ephemeralReply struct {
	ResponseType    string        `json:"response_type,omitempty"`
	Text            string        `json:"text"`
	Blocks          []slack.Block `json:"blocks,omitempty"`
	ReplaceOriginal bool          `json:"replace_original,omitempty"`
}

func (a *Adapter) reply(m workflow.Message) *ephemeralReply {
	return &ephemeralReply{ResponseType: slack.ResponseTypeEphemeral, Text: fallbackText(m), Blocks: a.renderer().message(m, modeReply, maxMessageBlocks)}
}

func info(title string, lines ...string) workflow.Message {
	return workflow.Message{Kind: workflow.MsgInfo, Title: title, Lines: lines}
}

// command answers /escalate. What it returns is the body of the answer
// (nil: an empty 200).
func (a *Adapter) command(ctx context.Context, sc slack.SlashCommand) any {
	user := userID(sc.UserID)
	text := strings.TrimSpace(sc.Text)
	name, args, _ := strings.Cut(text, " ")
	name = strings.ToLower(name)
	args = strings.TrimSpace(args)
	switch name {
	case "", "raise":
		// The trigger expires 3 seconds after the command: the modal opens
		// before anything else happens.
		if err := a.openRaise(ctx, sc.TriggerID, user); err != nil {
			a.log.ErrorContext(ctx, "open the raise form", "err", errCode(err))
			return a.reply(info("Escalate could not open the form just now", "Nothing was raised. Try /escalate again in a moment."))
		}
		return nil
	case "help":
		return a.reply(a.helpMessage())
	case "list":
		return a.replyWithin(ctx, sc, func(ctx context.Context) (workflow.Message, []workflow.Message, error) {
			return a.listMessage(ctx, user, args)
		})
	case "show":
		return a.replyWithin(ctx, sc, func(ctx context.Context) (workflow.Message, []workflow.Message, error) {
			m, err := a.showMessage(ctx, user, args)
			return m, nil, err
		})
	}
	if h, ok := a.subcommand(name); ok {
		req := SubcommandRequest{User: user, Args: args, ChannelID: sc.ChannelID, TriggerID: sc.TriggerID, ResponseURL: sc.ResponseURL,
			Reply: func(ctx context.Context, m workflow.Message) error { return a.respond(ctx, sc.ResponseURL, a.reply(m)) }}
		return a.replyWithin(ctx, sc, func(ctx context.Context) (workflow.Message, []workflow.Message, error) {
			m, err := h(ctx, req)
			return m, nil, err
		})
	}
	return a.reply(a.usage(text))
}

// maxWork bounds the background work the adapter starts after answering
// (a late reply, a redraw): see after.
const maxWork = time.Minute

// replyWithin runs a reply that may be slow: answered at once when it is
// quick, else "working on it" now and the answer through the response_url.
// The work takes one of the adapter's places (a.work): with none free the
// person is told Escalate is busy and nothing runs; its context is
// cancelled when its budget ends, and the person told it could not finish.
func (a *Adapter) replyWithin(ctx context.Context, sc slack.SlashCommand, f func(ctx context.Context) (workflow.Message, []workflow.Message, error)) any {
	type result struct {
		m    workflow.Message
		more []workflow.Message
		err  error
	}
	// The work outlives the request if it must; its budget bounds it.
	wctx, release, ok := a.work.Start(context.WithoutCancel(ctx))
	if !ok {
		a.log.WarnContext(ctx, "busy: a command was refused", "running", a.work.Running())
		return a.reply(budget.Busy())
	}
	done := make(chan result, 1)
	go func() {
		defer release()
		m, more, err := f(wctx)
		done <- result{m, more, err}
	}()
	answer := func(ctx context.Context, r result) *ephemeralReply {
		if r.err != nil && budget.OverBudget(wctx) {
			a.log.WarnContext(ctx, "a command ran out of time", "err", errCode(r.err))
			return a.reply(budget.TooSlow())
		}
		if r.err != nil {
			return a.reply(a.explain(ctx, userID(sc.UserID), "", r.err))
		}
		rep := a.reply(r.m)
		if len(r.more) > 0 {
			rep.Blocks = a.renderMany(r.m, r.more, maxMessageBlocks)
		}
		return rep
	}
	timer := time.NewTimer(a.replyBudget)
	defer timer.Stop()
	select {
	case r := <-done:
		return answer(ctx, r)
	case <-timer.C:
		a.after(func(ctx context.Context) {
			r := <-done
			if err := a.respond(ctx, sc.ResponseURL, answer(ctx, r)); err != nil {
				a.log.ErrorContext(ctx, "late reply", "err", errCode(err))
			}
		})
		return a.reply(info("Working on it…"))
	}
}

// respond posts an ephemeral reply to a response_url.
func (a *Adapter) respond(ctx context.Context, responseURL string, r *ephemeralReply) error {
	if responseURL == "" {
		return errors.New("no response_url")
	}
	opts := []slack.MsgOption{slack.MsgOptionText(r.Text, false), slack.MsgOptionBlocks(r.Blocks...)}
	if r.ReplaceOriginal {
		opts = append(opts, slack.MsgOptionReplaceOriginal(responseURL))
	} else {
		opts = append(opts, slack.MsgOptionResponseURL(responseURL, slack.ResponseTypeEphemeral))
	}
	_, _, err := a.api.PostMessageContext(ctx, "", opts...)
	return err
}

// openRaise opens the raise form, the person's agency filled in from the
// directory.
func (a *Adapter) openRaise(ctx context.Context, trigger string, user workflow.UserID) error {
	env := a.eng.Env()
	vals := workflow.Values{}
	if p, ok := env.Directory.Person(user); ok && p.Agency != "" {
		vals[workflow.FieldRaiserAgency] = []string{p.Agency}
	}
	view := a.modal(workflow.RaiseForm(env), formMeta{Form: workflow.FormRaise}, vals, prefill{})
	_, err := a.api.OpenViewContext(ctx, trigger, view)
	return err
}

func (a *Adapter) emergency() []string {
	if len(a.cfg.Help.Emergency) > 0 {
		return a.cfg.Help.Emergency
	}
	return a.eng.Env().Emergency
}

func (a *Adapter) helpMessage() workflow.Message {
	var l []string
	if len(a.cfg.Help.For) > 0 {
		l = append(l, "*What Escalate is for*")
		l = append(l, bullets(a.cfg.Help.For)...)
	}
	if len(a.cfg.Help.NotFor) > 0 {
		l = append(l, "*What it is not for*")
		l = append(l, bullets(a.cfg.Help.NotFor)...)
	}
	if em := a.emergency(); len(em) > 0 {
		l = append(l, "*At risk of immediate harm?* This process never replaces an immediate safeguarding response. Use the emergency route now:")
		l = append(l, bullets(em)...)
	}
	l = append(l, a.commandLines()...)
	return info("Escalate: professional disagreements, "+a.eng.Env().Policy.Partnership, l...)
}

func bullets(lines []string) []string {
	out := make([]string, len(lines))
	for i, s := range lines {
		out[i] = "• " + s
	}
	return out
}

func (a *Adapter) commandLines() []string {
	l := []string{"*Commands*",
		"`/escalate` raise a disagreement",
		"`/escalate list` your open cases, with their stage and deadline (`/escalate list 2` the next page)",
		"`/escalate show ESC-2026-0042` a case and its history",
		"`/escalate help` what this is for, and the emergency route",
	}
	for _, n := range a.subcommandNames() {
		l = append(l, "`/escalate "+n+"`")
	}
	return l
}

func (a *Adapter) usage(text string) workflow.Message {
	return info(truncate(fmt.Sprintf("Escalate does not know \"%s\"", text), 100), a.commandLines()...)
}

// caseSummary is one line of a list: the case, its stage and deadline, and
// the buttons the person can use now (no subject reference, no free text).
func (a *Adapter) caseSummary(d *workflow.Dispute, user workflow.UserID) workflow.Message {
	env := a.eng.Env()
	var facts []workflow.Fact
	for _, f := range workflow.CaseFacts(env, d, false) {
		switch f.Label {
		case "Case", "About":
			continue
		}
		facts = append(facts, f)
	}
	return workflow.Message{Kind: workflow.MsgInfo, Ref: d.Ref, Title: d.Ref + " · " + d.Category.Label(), Facts: facts, Actions: workflow.ActionsFor(env, d, user)}
}

// renderMany renders a heading message and a list of entries in max blocks.
func (a *Adapter) renderMany(head workflow.Message, entries []workflow.Message, max int) []slack.Block {
	r := a.renderer()
	blocks := r.message(head, modeReply, max)
	for i, e := range entries {
		b := r.message(e, modeReply, max)
		if len(blocks)+len(b)+2 > max {
			blocks = append(blocks, contextBlock(fmt.Sprintf("…and %d more: see Escalate's Home tab.", len(entries)-i)))
			break
		}
		blocks = append(blocks, slack.NewDividerBlock())
		blocks = append(blocks, b...)
	}
	return blocks
}

// listMessage is one page of the person's open cases: it reads only the
// cases on the page, however many the person holds.
func (a *Adapter) listMessage(ctx context.Context, user workflow.UserID, args string) (workflow.Message, []workflow.Message, error) {
	page, err := a.eng.MyCases(ctx, user, engine.ParsePage(args, engine.ListPageSize), engine.ListPageSize)
	if err != nil {
		return workflow.Message{}, nil, err
	}
	if page.Total == 0 {
		return info(page.Heading(), "Type `/escalate` to raise a disagreement."), nil, nil
	}
	var entries []workflow.Message
	for _, d := range page.Cases {
		entries = append(entries, a.caseSummary(d, user))
	}
	head := info(page.Heading())
	if more := page.MoreLine("/escalate list", engine.ListPageSize); more != "" {
		entries = append(entries, info(more))
	}
	return head, entries, nil
}

func (a *Adapter) showMessage(ctx context.Context, user workflow.UserID, args string) (workflow.Message, error) {
	ref, ok := workflow.ParseRef(args)
	if !ok {
		return info("Which case?", "Give its reference: `/escalate show ESC-2026-0042`."), nil
	}
	d, hist, err := a.eng.Case(ctx, ref, user)
	if err != nil {
		return workflow.Message{}, err
	}
	return a.caseMessage(d, hist, user), nil
}

// caseMessage is the whole case for someone allowed to see it.
func (a *Adapter) caseMessage(d *workflow.Dispute, hist []workflow.Event, user workflow.UserID) workflow.Message {
	env := a.eng.Env()
	return workflow.Message{Kind: workflow.MsgInfo, Ref: d.Ref,
		Title: fmt.Sprintf("%s: %s · %s", d.Ref, env.Policy.For(d).StageName(d.Stage), d.State.Label()),
		Lines: workflow.CaseLines(d), Facts: workflow.CaseFacts(env, d, true), History: workflow.History(hist),
		Actions: workflow.ActionsFor(env, d, user)}
}

// explain turns a failure into what the person is told. A workflow
// refusal is shown as it is; a conflict says someone else acted at the
// same moment and shows where the case stands.
func (a *Adapter) explain(ctx context.Context, user workflow.UserID, ref string, err error) workflow.Message {
	var r *workflow.Refusal
	switch {
	case errors.As(err, &r) && r.Code == workflow.RefuseMovedOn && ref != "":
		// Someone who may see the case (permission came first) is shown
		// where it stands now, with the buttons they can use now.
		m := info("Nothing was changed", r.Sentence())
		if d, _, lerr := a.eng.Case(ctx, ref, user); lerr == nil {
			s := a.caseSummary(d, user)
			m.Ref, m.Facts, m.Actions = d.Ref, s.Facts, s.Actions
		}
		return m
	case errors.As(err, &r):
		return info("Nothing was changed", r.Sentence())
	case errors.Is(err, engine.ErrConflict):
		m := info("Someone else acted on "+ref+" at the same moment", "What you did was not recorded, so nothing happened twice. Here is where the case stands now.")
		if d, _, lerr := a.eng.Case(ctx, ref, user); lerr == nil {
			s := a.caseSummary(d, user)
			m.Ref, m.Facts, m.Actions = d.Ref, s.Facts, s.Actions
		}
		return m
	case errors.Is(err, engine.ErrDuplicate):
		return info("That was already done", "Nothing more was changed.")
	}
	a.log.ErrorContext(ctx, "slack request failed", "ref", ref, "err", err)
	return info("Something went wrong and nothing was changed", "Try again in a moment.")
}
