package teams

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/escalate-app/escalate/workflow"
)

// A reply Teams still refuses after waiting (see replyPatiently) is handed
// to the outbox, which delivers it with its retries, rate limits and
// circuit breaker when Teams takes messages again. The outbox carries the
// neutral model only, so what it carries for a typed command is the
// command itself, in Escalate's own words (help, escalate, list N,
// show ESC-…, and the usage of an unknown one: never what the person
// typed): the Teams transport answers it again when it delivers, so the
// person gets the answer itself, as it is then. A command that does more
// than answer (record, report) and a button's answer are not run again:
// the person is told, once, to look and do it again if they saw no
// confirmation.

// msgReply is the kind of an outbox message that is a typed command's
// answer, to be drawn by running the command again (Facts[0] holds it).
const msgReply workflow.MessageKind = "teams-reply"

type replayKey struct{}

// withReplay notes, for the replies a typed command sends, the command to
// run again if they must go through the outbox ("" for none).
func withReplay(ctx context.Context, command string) context.Context {
	return context.WithValue(ctx, replayKey{}, command)
}

func replayOf(ctx context.Context) string {
	s, _ := ctx.Value(replayKey{}).(string)
	return s
}

// replayable is a typed command in Escalate's words, when answering it
// changes nothing and says nothing to anyone else.
func replayable(cmd string, words []string) string {
	switch cmd {
	case "", "help":
		return "help"
	case "escalate", "raise":
		return "escalate"
	case "list":
		if len(words) > 1 {
			if n, err := strconv.Atoi(words[1]); err == nil && n > 0 {
				return "list " + strconv.Itoa(n)
			}
		}
		return "list"
	case "show":
		if len(words) > 1 {
			if ref, ok := workflow.ParseRef(strings.ToUpper(words[1])); ok {
				return "show " + ref
			}
		}
		return ""
	case "record", "report":
		return ""
	}
	return "usage"
}

// handedOverKey names the record that an activity's answer was handed to
// the outbox, so the same activity sent again is not answered twice.
func handedOverKey(act schema.Activity) string { return "teams-handover/" + act.ID }

// handOver puts the answer to an activity Teams would not take in the
// outbox (one per activity, however often Teams sends it again): the
// command again for a typed one, else a notice.
func (a *Adapter) handOver(ctx context.Context, act schema.Activity, cause error) error {
	user := userOf(act)
	a.log.WarnContext(ctx, "reply handed to the outbox", "error", cause.Error())
	m := workflow.Message{ID: "teams-reply/" + act.ID, Kind: workflow.MsgInfo, To: user,
		Title: "Escalate could not answer you straight away",
		Lines: []string{"Teams was not taking messages when you wrote or pressed a button. Anything you did that Escalate confirmed is recorded; if you saw no confirmation, please do it again (type help for what you can do)."}}
	if command := replayOf(ctx); command != "" {
		m.Kind, m.Title, m.Lines = msgReply, "Your answer from Escalate", nil
		m.Facts = []workflow.Fact{{Label: "command", Value: command}}
	}
	if err := a.st.Enqueue(ctx, []workflow.Message{m}); err != nil {
		return fmt.Errorf("reply: hand to the outbox: %w (after %v)", err, cause)
	}
	if act.ID != "" {
		if err := a.st.SetDelivered(ctx, handedOverKey(act), "outbox"); err != nil {
			a.log.WarnContext(ctx, "remember a reply handed to the outbox", "error", err.Error())
		}
	}
	a.kick()
	return nil
}

// handedOver reports whether an activity's answer is already with the
// outbox (Teams sent the activity again).
func (a *Adapter) handedOver(ctx context.Context, act schema.Activity) bool {
	if act.ID == "" {
		return false
	}
	_, ok, err := a.st.Delivered(ctx, handedOverKey(act))
	return err == nil && ok
}

// replayCard draws the answer an outbox reply carries: the command run
// again for the person, in their 1:1 chat, its card caught before it is
// sent, with a line saying why it comes late. It returns the case the
// card is about, if one.
func (a *Adapter) replayCard(ctx context.Context, m workflow.Message, ref conversationRef) (*Card, string) {
	command := ""
	if len(m.Facts) > 0 {
		command = m.Facts[0].Value
	}
	aad, _ := pickerValue(m.To)
	act := schema.Activity{Type: schema.Message, ServiceURL: ref.ServiceURL,
		From:         schema.ChannelAccount{ID: ref.TeamsUserID, AadObjectID: aad},
		Conversation: schema.ConversationAccount{ID: ref.ConversationID, ConversationType: "personal", TenantID: ref.TenantID},
		Text:         command}
	inv := &invoked{conv: ref.ConversationID}
	ctx = withReplay(context.WithValue(ctx, invokedKey{}, inv), "")
	words := strings.Fields(command)
	switch {
	case len(words) == 0 || words[0] == "help":
		inv.answer = a.help()
	default:
		if err := a.typed(ctx, act, m.To, words[0], words); err != nil {
			a.log.WarnContext(ctx, "answer a command again", "error", err.Error())
		}
	}
	c := inv.answer
	if c == nil {
		c = notice("Something went wrong", "Escalate could not answer you. Please ask again.")
	}
	out := *c
	what := command
	if what == "usage" {
		what = "your message"
	}
	out.Body = append([]Element{small("Teams was busy when you wrote, so this answer to " + what + " comes now.")}, c.Body...)
	return &out, inv.ref
}
