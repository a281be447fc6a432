package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// Transport delivers outbox items to Teams.
func (a *Adapter) Transport() outbox.Transport { return transport{a} }

type transport struct{ a *Adapter }

func (transport) Platform() string { return platform }

// Send delivers one item: a DM to the person's 1:1 conversation, or a
// business-team feed post in the case's thread.
func (t transport) Send(ctx context.Context, it store.OutboxItem) error {
	a := t.a
	// An item delivered before a crash comes again: recognise it.
	if _, ok, err := a.st.GetRef(ctx, refSent, it.ID); err != nil {
		return fmt.Errorf("read delivery marker: %w", err)
	} else if ok {
		return nil
	}
	m := it.Message
	card := a.render.message(m)
	var id string
	var err error
	if m.To == "" {
		id, err = t.feed(ctx, m, card)
	} else {
		id, err = t.direct(ctx, m.To, card)
	}
	if err != nil {
		return err
	}
	if err := a.st.SetRef(ctx, refSent, it.ID, id); err != nil {
		// Delivered; at worst it is delivered again after a crash.
		a.log.WarnContext(ctx, "store delivery marker", "item", it.ID, "error", err.Error())
	}
	return nil
}

func (t transport) direct(ctx context.Context, to workflow.UserID, card *Card) (string, error) {
	a := t.a
	if to.Platform() != platform {
		return "", outbox.Permanent(fmt.Errorf("%s is not a Teams user", to.Platform()))
	}
	raw, ok, err := a.st.GetRef(ctx, refConversation, string(to))
	if err != nil {
		return "", fmt.Errorf("read conversation reference: %w", err)
	}
	var ref conversationRef
	if ok {
		if err := json.Unmarshal([]byte(raw), &ref); err != nil {
			return "", outbox.Permanent(fmt.Errorf("conversation reference: %w", err))
		}
	}
	if !ok || (ref.ConversationID == "" && ref.TeamsUserID == "") || ref.ServiceURL == "" {
		return "", outbox.Permanent(errors.New("this person has never talked to Escalate in Teams, so the bot cannot message them; ask them to open Escalate in Teams once"))
	}
	if ref.ConversationID == "" {
		id, err := a.conn.createConversation(ctx, ref.ServiceURL, a.cfg.AppID, a.cfg.TenantID, ref.TeamsUserID)
		if err != nil {
			return "", err
		}
		ref.ConversationID = id
		buf, _ := json.Marshal(ref)
		if err := a.st.SetRef(ctx, refConversation, string(to), string(buf)); err != nil {
			return "", fmt.Errorf("store conversation reference: %w", err)
		}
	}
	return a.conn.send(ctx, ref.ServiceURL, ref.ConversationID, card)
}

// feed posts to the business-team channel: the first post for a case starts
// its thread, later ones reply in it; digests post at the top level.
func (t transport) feed(ctx context.Context, m workflow.Message, card *Card) (string, error) {
	a := t.a
	if a.cfg.FeedConversation == "" || a.cfg.ServiceURL == "" {
		return "", outbox.Permanent(errors.New("no Teams business-team conversation is configured"))
	}
	if m.Kind == workflow.MsgDigest || m.Ref == "" {
		return a.conn.send(ctx, a.cfg.ServiceURL, a.cfg.FeedConversation, card)
	}
	root, ok, err := a.st.GetRef(ctx, refThread, m.Ref)
	if err != nil {
		return "", fmt.Errorf("read feed thread: %w", err)
	}
	if ok {
		return a.conn.send(ctx, a.cfg.ServiceURL, a.cfg.FeedConversation+";messageid="+root, card)
	}
	id, err := a.conn.send(ctx, a.cfg.ServiceURL, a.cfg.FeedConversation, card)
	if err != nil {
		return "", err
	}
	if err := a.st.SetRef(ctx, refThread, m.Ref, id); err != nil {
		return "", fmt.Errorf("store feed thread: %w", err)
	}
	return id, nil
}
