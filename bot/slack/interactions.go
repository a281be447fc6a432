package slack

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/workflow"
)

// viewResponse is the answer to a submitted modal.
type viewResponse = slack.ViewSubmissionResponse

// interaction handles a button click or a submitted modal; what it returns
// is the body of the answer (nil: an empty 200, which closes a modal).
func (a *Adapter) interaction(ctx context.Context, cb slack.InteractionCallback) any {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		for _, act := range cb.ActionCallback.BlockActions {
			a.blockAction(ctx, cb, act)
		}
		return nil
	case slack.InteractionTypeViewSubmission:
		return a.viewSubmission(ctx, cb)
	}
	return nil
}

func (a *Adapter) blockAction(ctx context.Context, cb slack.InteractionCallback, act *slack.BlockAction) {
	user := userID(cb.User.ID)
	switch {
	case act.ActionID == workflow.FieldImmediateRisk && cb.View.ID != "":
		a.toggleRisk(ctx, cb)
	case act.ActionID == actionRaise:
		if err := a.openRaise(ctx, cb.TriggerID, user); err != nil {
			a.log.ErrorContext(ctx, "open the raise form", "err", errCode(err))
		}
	case strings.HasPrefix(act.ActionID, actionPrefix):
		a.click(ctx, cb, act)
	}
}

// sourceOf is where a click happened, remembering the clicked message's
// blocks so its buttons can be taken off later without losing its words.
func (a *Adapter) sourceOf(cb slack.InteractionCallback) source {
	s := source{ResponseURL: cb.ResponseURL, Reply: cb.ResponseURL}
	switch cb.Container.Type {
	case "view":
		s.Home = cb.View.Type == slack.VTHomeTab
	default:
		s.Channel = cb.Container.ChannelID
		if s.Channel == "" {
			s.Channel = cb.Channel.ID
		}
		s.TS = cb.Container.MessageTs
		if s.TS == "" {
			s.TS = cb.Message.Timestamp
		}
		s.Ephemeral = cb.Container.IsEphemeral
		if !s.Ephemeral {
			// A message of Escalate's is updated with chat.update; the
			// response_url is only needed for an ephemeral one.
			s.ResponseURL = ""
			if len(cb.Message.Blocks.BlockSet) > 0 {
				a.recent.put(msgKey(s.Channel, s.TS), cb.Message.Blocks.BlockSet)
			}
		}
	}
	return s
}

// click is a case button: Confirm acts at once; every other opens its form,
// after checking that the person may do it now.
func (a *Adapter) click(ctx context.Context, cb slack.InteractionCallback, act *slack.BlockAction) {
	user := userID(cb.User.ID)
	kind := workflow.ActionKind(strings.TrimPrefix(act.ActionID, actionPrefix))
	src := a.sourceOf(cb)
	target, ok := workflow.ParseAction(act.Value)
	if !ok {
		a.tell(ctx, cb.TriggerID, src, user, info("That button is not valid any more", "Nothing was changed."))
		return
	}
	ref := target.Ref
	if cmd, ok := workflow.CommandForValue(kind, target); ok {
		cmd.Actor = user
		_, err := a.eng.Do(ctx, ref, cmd, clickKey(user, kind, act.Value))
		if err != nil && !errors.Is(err, engine.ErrDuplicate) {
			a.tell(ctx, cb.TriggerID, src, user, a.explain(ctx, user, ref, err))
			return
		}
		a.kick()
		a.after(func(ctx context.Context) { a.markDone(ctx, src, user, ref, workflow.DoneLabel(kind, "")) })
		return
	}
	d, hist, err := a.eng.Case(ctx, ref, user)
	if err != nil {
		a.tell(ctx, cb.TriggerID, src, user, a.explain(ctx, user, ref, err))
		return
	}
	// Permission, a closed case and a button drawn before the case moved
	// on are refused before anything else, the form included.
	if err := workflow.CheckTarget(a.eng.Env(), d, hist, user, kind, target); err != nil {
		a.tell(ctx, cb.TriggerID, src, user, a.explain(ctx, user, ref, err))
		return
	}
	if kind == workflow.ActShow {
		a.openNotice(ctx, cb.TriggerID, d.Ref, a.renderer().message(a.caseMessage(d, hist, user), modeNoActs, maxViewBlocks))
		return
	}
	f, ok := workflow.ActionForm(a.eng.Env(), d, kind)
	if !ok {
		a.tell(ctx, cb.TriggerID, src, user, info("That button does nothing now", "Nothing was changed."))
		return
	}
	// The form acts on the stage and version it is drawn for: if the case
	// moves on while it is open, submitting it is refused.
	stage := target.Stage
	f.Stage = stage
	pctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	pre := a.prefillFor(pctx, f)
	cancel()
	view := a.modal(f, formMeta{Form: f.Kind, Action: kind, Ref: ref, Stage: stage, Version: f.Version, Src: src}, nil, pre)
	if _, err := a.api.OpenViewContext(ctx, cb.TriggerID, view); err != nil {
		a.log.ErrorContext(ctx, "open a form", "ref", ref, "form", f.Kind, "err", errCode(err))
		a.tell(ctx, cb.TriggerID, src, user, info("Escalate could not open the form just now", "Nothing was changed. Try the button again in a moment."))
	}
}

// clickKey is the idempotency key of a button that acts at once: the
// person, the button and what it was drawn for (case, stage, proposal,
// version). The same click replayed or retried acts once.
func clickKey(user workflow.UserID, kind workflow.ActionKind, value string) string {
	return "slack-click:" + string(user) + "|" + string(kind) + "|" + value
}

// markDone updates the message whose button was used: its buttons come
// off, a line says what was done, and the buttons the person can use on
// the case now (if any) take their place, so the same click cannot be made
// twice.
func (a *Adapter) markDone(ctx context.Context, src source, user workflow.UserID, ref, label string) {
	a.redraw(ctx, src, user, ref, label, "✓ "+escape(label)+", "+a.stamp())
}

func (a *Adapter) stamp() string { return escape(a.renderer().when(a.eng.Now())) }

// redraw replaces the buttons of the message a form or click came from
// with note (mrkdwn) and the buttons the person can use on the case now.
func (a *Adapter) redraw(ctx context.Context, src source, user workflow.UserID, ref, label, note string) {
	switch {
	case src.Home:
		if u, ok := slackUser(user); ok {
			a.publishHome(ctx, u)
		}
	case src.Ephemeral && src.ResponseURL != "":
		if err := a.respond(ctx, src.ResponseURL, &ephemeralReply{Text: label, Blocks: []slack.Block{contextBlock(note)}, ReplaceOriginal: true}); err != nil {
			a.log.WarnContext(ctx, "update the used message", "err", errCode(err))
		}
	case src.Channel != "" && src.TS != "":
		key := msgKey(src.Channel, src.TS)
		blocks, ok := a.recent.get(key)
		if !ok {
			blocks = []slack.Block{section("_The buttons on this message were used._")}
		}
		nb := retired(blocks, note)
		if d, _, err := a.eng.Case(ctx, ref, user); err == nil && len(nb) < maxMessageBlocks {
			if b := actionBlock(d.Ref, workflow.ActionsFor(a.eng.Env(), d, user)); b != nil {
				nb = append(nb, b)
			}
		}
		if _, _, _, err := a.api.UpdateMessageContext(ctx, src.Channel, src.TS, slack.MsgOptionText(note, false), slack.MsgOptionBlocks(nb...)); err != nil {
			a.log.WarnContext(ctx, "update the used message", "err", errCode(err))
			return
		}
		a.recent.put(key, nb)
	}
}

// tell shows a person a message only they see: in the conversation they
// clicked in, or in a modal when the click was on the Home tab.
func (a *Adapter) tell(ctx context.Context, trigger string, src source, user workflow.UserID, m workflow.Message) {
	u, _ := slackUser(user)
	var err error
	switch {
	case src.Channel != "" && !src.Ephemeral:
		blocks := a.renderer().message(m, modeReply, maxMessageBlocks)
		_, err = a.api.PostEphemeralContext(ctx, src.Channel, u, slack.MsgOptionText(fallbackText(m), false), slack.MsgOptionBlocks(blocks...))
		if err != nil && src.Reply != "" {
			// Slack will not show an ephemeral message to someone who is
			// not in the conversation (user_not_in_channel,
			// channel_not_found): the click's own response_url reaches
			// them, shown to them only, leaving the message as it was.
			a.log.InfoContext(ctx, "ephemeral refused; answering through the response_url", "err", errCode(err))
			err = a.respond(ctx, src.Reply, a.reply(m))
		}
	case src.ResponseURL != "":
		err = a.respond(ctx, src.ResponseURL, a.reply(m))
	default:
		a.openNotice(ctx, trigger, m.Title, a.renderer().message(m, modeReply, maxViewBlocks))
	}
	if err != nil {
		a.log.WarnContext(ctx, "tell a person", "err", errCode(err))
	}
}

func (a *Adapter) openNotice(ctx context.Context, trigger, heading string, blocks []slack.Block) {
	if trigger == "" {
		return
	}
	if _, err := a.api.OpenViewContext(ctx, trigger, *noticeView(heading, blocks)); err != nil {
		a.log.WarnContext(ctx, "open a notice", "err", errCode(err))
	}
}

// toggleRisk redraws the raise form when "risk of immediate harm" is
// ticked or unticked: the emergency route first, then the start stage and
// the reason.
func (a *Adapter) toggleRisk(ctx context.Context, cb slack.InteractionCallback) {
	meta, err := decodeMeta(cb.View.PrivateMetadata)
	if err != nil || meta.Form != workflow.FormRaise {
		return
	}
	vals := valuesFrom(cb.View.State)
	meta.Risk = riskChosen(vals)
	view := a.modal(workflow.RaiseForm(a.eng.Env()), meta, vals, prefill{})
	// The hash makes Slack refuse the update if the form changed since.
	if _, err := a.api.UpdateViewContext(ctx, view, "", cb.View.Hash, cb.View.ID); err != nil {
		a.log.WarnContext(ctx, "redraw the raise form", "err", errCode(err))
	}
}

func riskChosen(v workflow.Values) bool {
	for _, s := range v[workflow.FieldImmediateRisk] {
		if s == workflow.FieldImmediateRisk {
			return true
		}
	}
	return false
}

// viewKey makes a submitted modal its own idempotency key: the same view
// submitted twice acts once.
func viewKey(v slack.View) string { return "slack-view:" + v.ID + ":" + v.Hash }

func (a *Adapter) viewSubmission(ctx context.Context, cb slack.InteractionCallback) any {
	if cb.View.CallbackID != callbackForm {
		return nil
	}
	user := userID(cb.User.ID)
	meta, err := decodeMeta(cb.View.PrivateMetadata)
	if err != nil {
		return &viewResponse{ResponseAction: slack.RAUpdate, View: noticeView("Not done", []slack.Block{section("That form is not valid any more. Nothing was changed.")})}
	}
	vals := valuesFrom(cb.View.State)
	present := inputBlockIDs(cb.View.Blocks.BlockSet)
	if meta.Form == workflow.FormRaise {
		return a.submitRaise(ctx, cb, meta, user, vals, present)
	}
	return a.submitAction(ctx, cb, meta, user, vals, present)
}

func firstInput(blocks []slack.Block) string {
	for _, b := range blocks {
		if in, ok := b.(*slack.InputBlock); ok && in.BlockID != "" {
			return in.BlockID
		}
	}
	return ""
}

// errorsOr answers field problems inline (keyed by block id), or, when
// none of them is on the form, with a notice.
func (a *Adapter) errorsOr(ctx context.Context, user workflow.UserID, ref string, err error, present map[string]bool, fallback string) any {
	var r *workflow.Refusal
	if errors.As(err, &r) && len(r.Fields) > 0 {
		if errs := fieldErrors(r.Fields, present, fallback); len(errs) > 0 {
			return slack.NewErrorsViewSubmissionResponse(errs)
		}
	}
	if !errors.As(err, &r) && !errors.Is(err, engine.ErrConflict) && fallback != "" {
		// Escalate could not save it: the person keeps what they typed.
		a.log.ErrorContext(ctx, "submit a form", "ref", ref, "err", err)
		return slack.NewErrorsViewSubmissionResponse(map[string]string{fallback: "Escalate could not save this just now and nothing was changed. Submit it again in a moment."})
	}
	m := a.explain(ctx, user, ref, err)
	return &viewResponse{ResponseAction: slack.RAUpdate, View: noticeView("Not done", a.renderer().message(m, modeNoActs, maxViewBlocks))}
}

func (a *Adapter) submitRaise(ctx context.Context, cb slack.InteractionCallback, meta formMeta, user workflow.UserID, vals workflow.Values, present map[string]bool) any {
	if riskChosen(vals) && !meta.Risk {
		// Risk was ticked but the form was sent before it could show the
		// emergency route: show it now, nothing raised yet.
		meta.Risk = true
		view := a.modal(workflow.RaiseForm(a.eng.Env()), meta, vals, prefill{})
		return &viewResponse{ResponseAction: slack.RAUpdate, View: &view}
	}
	in := workflow.ParseRaise(vals)
	if msg := a.notAPerson(ctx, in.Responder); msg != "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{workflow.FieldResponder: msg})
	}
	if in.StartStage > 1 {
		a.expandStartHolders(ctx, user, &in)
	}
	fallback := workflow.FieldDisagreement
	if present[workflow.FieldStartStage] {
		fallback = workflow.FieldStartStage
	}
	res, err := a.eng.Raise(ctx, user, in, viewKey(cb.View))
	var dup *engine.AlreadyRaised
	switch {
	case errors.As(err, &dup):
		// The same form submitted again (a double click, a retry): the
		// person is given the reference the first submission got.
		m := info("Already raised as "+dup.Ref, "This form was submitted before, and nothing more was raised. `/escalate show "+dup.Ref+"` shows the case.")
		return &viewResponse{ResponseAction: slack.RAUpdate, View: noticeView("Raised", a.renderer().message(m, modeNoActs, maxViewBlocks))}
	case errors.Is(err, engine.ErrDuplicate):
		return &viewResponse{ResponseAction: slack.RAUpdate, View: noticeView("Raised", a.renderer().message(info("This form was already submitted", "Nothing more was raised. `/escalate list` shows your open cases."), modeNoActs, maxViewBlocks))}
	case err != nil:
		return a.errorsOr(ctx, user, "", err, present, fallback)
	}
	a.kick()
	m := info("Raised as " + res.Dispute.Ref)
	for _, msg := range res.Messages {
		if msg.Kind == workflow.MsgRaisedAck && msg.To == user {
			m = info(msg.Title, msg.Lines...)
		}
	}
	m.Lines = append(m.Lines, "Escalate has sent you the case in a direct message, with its buttons. `/escalate list` shows your open cases.")
	return &viewResponse{ResponseAction: slack.RAUpdate, View: noticeView("Raised", a.renderer().message(m, modeNoActs, maxViewBlocks))}
}

// notAPerson refuses an app or a deactivated account as the other
// practitioner (users.info); when Slack cannot say, the answer stands.
func (a *Adapter) notAPerson(ctx context.Context, u workflow.UserID) string {
	id, ok := slackUser(u)
	if !ok {
		return ""
	}
	uctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	who, err := a.api.GetUserInfoContext(uctx, id)
	switch {
	case err != nil:
		a.log.WarnContext(ctx, "look up a person", "err", errCode(err))
		return ""
	case who.IsBot || who.ID == "USLACKBOT":
		return "Choose a person, not an app"
	case who.Deleted:
		return "This account is deactivated: choose someone who can answer"
	}
	return ""
}

// expandStartHolders: a case started at a later stage goes to the
// directory's holders of that stage, with Slack user groups named there
// replaced by their members (a group cannot press a button).
func (a *Adapter) expandStartHolders(ctx context.Context, user workflow.UserID, in *workflow.RaiseInput) {
	env := a.eng.Env()
	// The stage of the route the category follows.
	st, dir := env.Policy.ForCategory(in.Category).Stage(in.StartStage), env.Directory
	grouped := false
	expand := func(ids []workflow.UserID) []workflow.UserID {
		var s []string
		for _, id := range ids {
			s = append(s, string(id))
			grouped = grouped || strings.HasPrefix(string(id), groupPrefix)
		}
		users, keep := a.expandUsers(ctx, s)
		var out []workflow.UserID
		for _, u := range users {
			out = append(out, userID(u))
		}
		for _, k := range keep {
			out = append(out, workflow.UserID(k))
		}
		return out
	}
	var h workflow.StageHolders
	switch {
	case st.Role == workflow.RolePractitioner:
		return
	case st.Role == workflow.RoleChair:
		h.Chair = expand(dir.Holders("", workflow.RoleChair))
	case st.Final == workflow.FinalDecider:
		h.Chair = expand(dir.Holders(st.DeciderAgency, st.Role))
	default:
		agency := in.RaiserAgency
		if agency == "" {
			if p, ok := dir.Person(user); ok {
				agency = p.Agency
			}
		}
		h.Raiser = expand(dir.Holders(agency, st.RoleOn(workflow.SideRaiser)))
		h.Responder = expand(dir.Holders(in.ResponderAgency, st.RoleOn(workflow.SideResponder)))
	}
	if grouped {
		in.Holders = &h
	}
}

func (a *Adapter) submitAction(ctx context.Context, cb slack.InteractionCallback, meta formMeta, user workflow.UserID, vals workflow.Values, present map[string]bool) any {
	for f, ids := range meta.Keep {
		vals[f] = append(vals[f], ids...)
	}
	if meta.Form == workflow.FormEscalate {
		a.defaultHolders(ctx, meta, user, vals)
	}
	fallback := firstInput(cb.View.Blocks.BlockSet)
	cmd, err := workflow.FormCommand(meta.Form, meta.Stage, meta.Version, vals)
	if err != nil {
		return a.errorsOr(ctx, user, meta.Ref, &workflow.Refusal{Code: workflow.RefuseInvalid, Message: "That form is not valid any more."}, present, "")
	}
	cmd.Actor = user
	_, err = a.eng.Do(ctx, meta.Ref, cmd, viewKey(cb.View))
	if r := (*workflow.Refusal)(nil); errors.As(err, &r) && r.Code == workflow.RefuseMovedOn {
		// The message the form came from shows the buttons for where the
		// case stands now; the form says what happened.
		a.after(func(ctx context.Context) {
			a.redraw(ctx, meta.Src, user, meta.Ref, "Not done", "↻ Not done: the case moved on before this was sent. These are its buttons now, "+a.stamp())
		})
	}
	if err != nil && !errors.Is(err, engine.ErrDuplicate) {
		return a.errorsOr(ctx, user, meta.Ref, err, present, fallback)
	}
	if err == nil {
		a.kick()
	}
	label := workflow.DoneLabel(meta.Action, meta.Form)
	a.after(func(ctx context.Context) { a.markDone(ctx, meta.Src, user, meta.Ref, label) })
	return nil
}

// defaultHolders: a side of the escalate form left empty goes to the
// directory's holders, with user groups replaced by their members.
func (a *Adapter) defaultHolders(ctx context.Context, meta formMeta, user workflow.UserID, vals workflow.Values) {
	fields := []string{workflow.FieldRaiserHolders, workflow.FieldResponderHolders}
	empty := false
	for _, f := range fields {
		empty = empty || len(vals[f]) == 0
	}
	if !empty {
		return
	}
	d, _, err := a.eng.Case(ctx, meta.Ref, user)
	if err != nil {
		return
	}
	f, ok := workflow.ActionForm(a.eng.Env(), d, workflow.ActEscalate)
	if !ok {
		return
	}
	for _, fl := range f.Fields {
		if fl.Type != workflow.FieldUsers || len(vals[fl.Name]) > 0 {
			continue
		}
		users, keep := a.expandUsers(ctx, fl.Values)
		for _, u := range users {
			vals[fl.Name] = append(vals[fl.Name], string(userID(u)))
		}
		vals[fl.Name] = append(vals[fl.Name], keep...)
	}
}
