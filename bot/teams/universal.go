package teams

import (
	"context"
	"fmt"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/escalate-app/escalate/workflow"
)

// Universal Actions: a card's buttons are Action.Execute, and Teams sends
// a press (or a card's refresh when it is shown) as an invoke activity
// named adaptiveCard/action whose value holds the action's verb and data,
// merged with the card's inputs. The bot answers the invoke itself, within
// the HTTP response, with the card to show in place of the pressed one:
//
//	{"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": CARD}
//
// (the HTTP status is 200 whatever happened; statusCode says how it went).
// The press is handled by the same code as an Action.Submit's message (the
// fallback older clients send); where that code would reply or redraw the
// pressed card through the connector, the card goes into the invoke's
// answer instead.
const (
	cardActionInvoke = "adaptiveCard/action"
	invokeCardType   = "application/vnd.microsoft.card.adaptive"
)

// invokeResponse is the body of the answer to an adaptiveCard/action.
type invokeResponse struct {
	StatusCode int    `json:"statusCode"`
	Type       string `json:"type"`
	Value      any    `json:"value"`
}

// invoked collects the card an adaptiveCard/action is answered with.
type invoked struct {
	conv, card string // the conversation and activity of the pressed card
	answer     *Card
	ref        string // the case the answer is about, if one
}

type invokedKey struct{}

// invokeOf is the invoke being answered, if any.
func invokeOf(ctx context.Context) *invoked {
	inv, _ := ctx.Value(invokedKey{}).(*invoked)
	return inv
}

// here reports whether a card for this conversation (and, when id is
// set, this activity) belongs in the invoke's answer.
func (inv *invoked) here(conv, id string) bool {
	return inv != nil && conv == inv.conv && (id == "" || id == inv.card)
}

// execute answers an adaptiveCard/action invoke: a button, a form's
// submit, or a card's refresh.
func (a *Adapter) execute(ctx context.Context, act schema.Activity, user workflow.UserID) (*invokeResponse, error) {
	action, _ := act.Value["action"].(map[string]any)
	verb, _ := action["verb"].(string)
	data, _ := action["data"].(map[string]any)
	in := act
	in.Value = data
	inv := &invoked{conv: act.Conversation.ID, card: act.ReplyToID}
	ctx = context.WithValue(ctx, invokedKey{}, inv)
	err := a.remember(ctx, user, act)
	if err == nil {
		switch {
		case verb == verbRefresh:
			err = a.refresh(ctx, in, user)
		case str(data, dataForm) != "":
			err = a.submit(ctx, in, user)
		case str(data, dataAction) != "":
			err = a.press(ctx, in, user)
		default:
			inv.answer = notice("Nothing was changed", "That button is not one Escalate recognises.")
		}
	}
	if inv.answer == nil {
		// Teams shows an error of its own for an answer without a card;
		// the person is told in words of Escalate's instead.
		inv.answer = notice("Something went wrong and nothing was changed", "Try again in a moment.")
	}
	return &invokeResponse{StatusCode: 200, Type: invokeCardType, Value: forViewer(inv.answer, act.From.ID)}, err
}

// refresh answers a card's refresh: the card as it should look now to the
// person looking. A card that is current is shown as it is; one drawn
// before the case moved on is redrawn with what happened, by whom and
// when, and the buttons that are theirs now (and the chat's copy is
// updated); one a newer message about the case has replaced loses its
// buttons.
func (a *Adapter) refresh(ctx context.Context, act schema.Activity, user workflow.UserID) error {
	inv := invokeOf(ctx)
	t, ok := target(act.Value)
	if !ok {
		inv.answer = notice("Nothing was changed", "That card is not one Escalate recognises.")
		return nil
	}
	d, hist, err := a.eng.Case(ctx, t.Ref, user)
	if err != nil {
		return a.explain(ctx, act, user, t.Ref, err)
	}
	base := a.caseCard(d, user, true)
	if old, ok := a.recent.get(activityKey(act.Conversation.ID, act.ReplyToID)); ok && old.ref == d.Ref {
		base = old.card
	}
	latest, ok, err := a.st.GetRef(ctx, refActivity, d.Ref+"|"+string(user))
	if err != nil {
		return fmt.Errorf("read the latest DM: %w", err)
	}
	if ok && act.ReplyToID != "" && latest != act.Conversation.ID+"|"+act.ReplyToID {
		if !hasActions(base.Body) {
			inv.answer = base // retired already, when the newer one came
			return nil
		}
		c := withoutActions(base)
		c.Body = append(c.Body, small(d.Ref+" has moved on: the current buttons are on the newer message below."))
		inv.answer = c
		return nil
	}
	ch := workflow.LastChange(d, hist)
	stale := (t.Stage != 0 && t.Stage != d.Stage) || (t.Version != 0 && ch != nil && ch.Seq > t.Version)
	if !stale {
		inv.answer = base
		return nil
	}
	note := fmt.Sprintf("%s is now at %s.", d.Ref, a.eng.Env().Policy.StageName(d.Stage))
	if ch != nil {
		note = fmt.Sprintf("%s has moved on since this card was drawn: %s, by %s at %s.", d.Ref, lowerFirst(ch.Summary), ch.ActorName, a.render.when(ch.At))
	}
	c := a.retired(base, d, user, note)
	// The chat's copy is redrawn too, so the card reads the same on the
	// person's other devices.
	return a.update(ctx, a.via(act), act.ServiceURL, act.Conversation.ID, act.ReplyToID, d.Ref, c)
}

// caseCard is a case as its holder may see it now, drawn from the record:
// its words and facts, and (withButtons) the buttons that are theirs.
func (a *Adapter) caseCard(d *workflow.Dispute, user workflow.UserID, withButtons bool) *Card {
	env := a.eng.Env()
	m := workflow.Message{Kind: workflow.MsgInfo, Ref: d.Ref, To: user, Title: d.Ref,
		Lines: workflow.CaseLines(d), Facts: workflow.CaseFacts(env, d, true)}
	if withButtons {
		m.Actions = workflow.ActionsFor(env, d, user)
	}
	return a.render.message(m, modeDM)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
