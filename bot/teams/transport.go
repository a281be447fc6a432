package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// Transport is the outbox's way to Teams: DMs to people's 1:1 chats with
// the bot, and business-team feed posts in one thread per case.
func (a *Adapter) Transport() outbox.Transport { return transport{a} }

type transport struct{ a *Adapter }

func (transport) Platform() string { return platform }

func (t transport) Send(ctx context.Context, it store.OutboxItem) error {
	if it.Message.Feed || it.Message.To == "" {
		return t.feed(ctx, it)
	}
	return t.direct(ctx, it)
}

// direct delivers a DM, opening the 1:1 chat first when there is none.
func (t transport) direct(ctx context.Context, it store.OutboxItem) error {
	a, m := t.a, it.Message
	if m.To.Platform() != platform {
		return outbox.Permanent(fmt.Errorf("teams: %s is not a Teams user", m.To.Platform()))
	}
	key := m.Ref + "|" + string(m.To)
	if m.Ref != "" {
		// The same item again (a crash between delivery and its
		// acknowledgement) is recognised, not posted twice.
		if last, ok, err := a.st.GetRef(ctx, refDMLast, key); err != nil {
			return fmt.Errorf("teams: read the last DM: %w", err)
		} else if ok && last == it.ID {
			return nil
		}
	}
	if conv, id, ok, err := t.sentBefore(ctx, it); err != nil {
		return err
	} else if ok {
		// An earlier attempt created the activity: its id is kept, and
		// the rest of the record is finished rather than posting again.
		return t.recordDM(ctx, it, key, conv, id)
	}
	reg, ref, err := t.conversation(ctx, m.To)
	if err != nil {
		return err
	}
	if !it.PendingSince.IsZero() {
		// An earlier attempt left no record: it may have been posted all
		// the same (see lookup.go).
		id, found, err := a.findPosted(ctx, reg, m.To, it.ID)
		switch {
		case errors.Is(err, errNoLookup):
			noLookup(ctx, a, err, it)
		case err != nil:
			return err
		case found:
			return t.recordDM(ctx, it, key, ref.ConversationID, id)
		}
	}
	if m.Ref != "" {
		if err := t.retirePrevious(ctx, reg, key, m.Ref, ref.ServiceURL); err != nil {
			return err
		}
	}
	card, about := a.render.message(m, modeDM), m.Ref
	if m.Kind == msgReply {
		// A typed command's answer Teams would not take at the time:
		// answered now.
		card, about = a.replayCard(ctx, m, ref)
	}
	card = mark(forViewer(card, ref.TeamsUserID), it.ID)
	id, err := reg.conn.send(ctx, ref.ServiceURL, ref.ConversationID, card, m.Title)
	if err != nil {
		return fmt.Errorf("teams: send a DM: %w", err)
	}
	a.recent.put(activityKey(ref.ConversationID, id), about, card)
	t.answered(it, ref.ConversationID, id)
	if err := outbox.Reached(ctx, outbox.StepAnswered, it); err != nil {
		return err
	}
	return t.recordDM(ctx, it, key, ref.ConversationID, id)
}

// answered keeps, in memory, the activity the connector created for an
// item, until it is recorded in the store: a retry after the store failed
// (in this process) finds it there.
func (t transport) answered(it store.OutboxItem, conv, id string) {
	t.a.sentMu.Lock()
	defer t.a.sentMu.Unlock()
	t.a.sent[it.ID] = conv + "|" + id
}

// sentBefore is the activity an earlier attempt at the item created, from
// memory or the store. Only an item with a pending marker can have one.
func (t transport) sentBefore(ctx context.Context, it store.OutboxItem) (conv, id string, ok bool, err error) {
	if it.PendingSince.IsZero() {
		return "", "", false, nil
	}
	t.a.sentMu.Lock()
	where, ok := t.a.sent[it.ID]
	t.a.sentMu.Unlock()
	if !ok {
		if where, ok, err = t.a.st.Delivered(ctx, it.ID); err != nil {
			return "", "", false, fmt.Errorf("teams: read where %s went: %w", it.ID, err)
		}
	}
	if !ok {
		// Never posted, or posted and lost with the process between the
		// connector's answer and the record: a DM is looked for in the
		// chat (lookup.go) before it is sent again.
		return "", "", false, nil
	}
	conv, id, _ = strings.Cut(where, "|")
	return conv, id, true, nil
}

// recordDM records where a DM went: the item's activity first (so a
// retry never sends it again), then, for a case, the latest DM about it
// (whose buttons the next one retires) and which item that was.
func (t transport) recordDM(ctx context.Context, it store.OutboxItem, key, conv, id string) error {
	a, m := t.a, it.Message
	if err := a.st.SetDelivered(ctx, it.ID, conv+"|"+id); err != nil {
		return fmt.Errorf("teams: remember a DM: %w", err)
	}
	if m.Ref != "" {
		if err := a.st.SetRef(ctx, refActivity, key, conv+"|"+id); err != nil {
			return fmt.Errorf("teams: remember a DM: %w", err)
		}
		if err := a.st.SetRef(ctx, refDMLast, key, it.ID); err != nil {
			return fmt.Errorf("teams: remember a DM: %w", err)
		}
	}
	t.forget(it)
	return nil
}

func (t transport) forget(it store.OutboxItem) {
	t.a.sentMu.Lock()
	defer t.a.sentMu.Unlock()
	delete(t.a.sent, it.ID)
}

// conversation is the person's 1:1 chat with the bot of their tenant,
// created through that bot's connector when they have none yet: with their
// Teams id when they have written to the bot (in a channel, say), else
// with their AAD object id, which Teams accepts once the app is installed
// for them. A chat with another tenant's bot is not theirs to use.
func (t transport) conversation(ctx context.Context, to workflow.UserID) (*registration, conversationRef, error) {
	a := t.a
	ref, _, err := a.conversationOf(ctx, to)
	if err != nil {
		return nil, ref, err
	}
	reg, err := a.registrationFor(to, ref)
	if err != nil {
		return nil, ref, err
	}
	if ref.TenantID != "" && ref.TenantID != reg.TenantID {
		ref = conversationRef{}
	}
	if ref.ConversationID != "" && ref.ServiceURL != "" {
		return reg, ref, nil
	}
	member := ref.TeamsUserID
	if member == "" {
		id, _ := pickerValue(to)
		member = id
	}
	if ref.ServiceURL == "" {
		ref.ServiceURL = a.serviceURL(ctx, reg)
	}
	conv, err := reg.conn.createConversation(ctx, ref.ServiceURL, reg.AppID, reg.TenantID, member)
	var se *statusError
	if errors.As(err, &se) && (se.Status == 403 || se.Status == 404) {
		return nil, ref, outbox.Permanent(fmt.Errorf("teams: Escalate cannot open a chat with this person through registration %q (connector answered %d): install the Escalate app for them, or ask them to open it once", reg.Name, se.Status))
	}
	if err != nil {
		return nil, ref, fmt.Errorf("teams: open a 1:1 chat: %w", err)
	}
	ref.ConversationID, ref.TeamsUserID, ref.TenantID = conv, member, reg.TenantID
	buf, _ := json.Marshal(ref)
	if err := a.st.SetRef(ctx, refConversation, string(to), string(buf)); err != nil {
		return nil, ref, fmt.Errorf("teams: store a conversation reference: %w", err)
	}
	return reg, ref, nil
}

// retirePrevious takes the buttons off the person's previous DM about the
// case: the new one carries the buttons that are current. Where it is
// (conversation and activity id, no words) is kept in the store; its
// card's words stay when this process remembers them, and after a restart
// it is redrawn from the case record, without buttons.
func (t transport) retirePrevious(ctx context.Context, reg *registration, key, ref, serviceURL string) error {
	a := t.a
	prev, ok, err := a.st.GetRef(ctx, refActivity, key)
	if err != nil {
		return fmt.Errorf("teams: read the previous DM: %w", err)
	}
	if !ok {
		return nil
	}
	conv, id, _ := strings.Cut(prev, "|")
	var c *Card
	if old, ok := a.recent.get(activityKey(conv, id)); ok {
		if !hasActions(old.card.Body) {
			return nil
		}
		c = withoutActions(old.card)
	} else {
		// Not remembered (a restart): bots cannot read a card back, so
		// it is redrawn from the case record, as its holder may see it,
		// without buttons.
		_, user, _ := strings.Cut(key, "|")
		d, _, err := a.eng.Case(ctx, ref, workflow.UserID(user))
		if err != nil {
			a.log.WarnContext(ctx, "redraw a card to retire its buttons", "ref", ref, "error", err.Error())
			return nil
		}
		c = a.caseCard(d, workflow.UserID(user), false)
	}
	c.Body = append(c.Body, small(ref+" has moved on: the current buttons are on the newer message below."))
	err = a.update(ctx, reg, serviceURL, conv, id, ref, c)
	var ra *outbox.RetryAfter
	switch {
	case err == nil:
	case errors.As(err, &ra):
		return err
	default:
		a.log.WarnContext(ctx, "retire stale buttons", "ref", ref, "error", err.Error())
	}
	return nil
}

// feed posts to the business team's channel: the first post about a case
// starts its thread, later ones reply in it; posts about no case (the
// digest) stand alone. A feed card carries the title and facts only.
func (t transport) feed(ctx context.Context, it store.OutboxItem) error {
	a, m := t.a, it.Message
	if a.cfg.FeedConversation == "" {
		return outbox.Permanent(errors.New("teams: no business-team conversation is configured"))
	}
	reg, err := a.feedRegistration()
	if err != nil {
		return err
	}
	if m.Ref != "" {
		if last, ok, err := a.st.GetRef(ctx, refFeedLast, m.Ref); err != nil {
			return fmt.Errorf("teams: read the last feed post: %w", err)
		} else if ok && last == it.ID {
			return nil
		}
	}
	root, threaded := "", false
	if m.Ref != "" {
		if root, threaded, err = a.st.GetRef(ctx, refThread, m.Ref); err != nil {
			return fmt.Errorf("teams: read the feed thread: %w", err)
		}
	}
	if _, id, ok, err := t.sentBefore(ctx, it); err != nil {
		return err
	} else if ok {
		return t.recordFeed(ctx, it, threaded, id)
	}
	if !it.PendingSince.IsZero() {
		// An earlier attempt left no record: it may have been posted all
		// the same (see lookup.go).
		thread := ""
		if threaded {
			thread = root
		}
		id, found, err := a.findFeedPost(ctx, reg, thread, it)
		switch {
		case errors.Is(err, errNoLookup):
			noLookup(ctx, a, err, it)
		case err != nil:
			return err
		case found:
			return t.recordFeed(ctx, it, threaded, id)
		}
	}
	serviceURL := a.serviceURL(ctx, reg)
	card := mark(a.render.message(m, modeFeed), it.ID)
	conv := a.cfg.FeedConversation
	if threaded {
		conv += ";messageid=" + root
	}
	id, err := reg.conn.send(ctx, serviceURL, conv, card, m.Title)
	if err != nil {
		return fmt.Errorf("teams: post to the feed: %w", err)
	}
	t.answered(it, conv, id)
	if err := outbox.Reached(ctx, outbox.StepAnswered, it); err != nil {
		return err
	}
	return t.recordFeed(ctx, it, threaded, id)
}

// recordFeed records where a feed post went: the item's activity first,
// then the case's thread (its first post) and latest post.
func (t transport) recordFeed(ctx context.Context, it store.OutboxItem, threaded bool, id string) error {
	a, m := t.a, it.Message
	if err := a.st.SetDelivered(ctx, it.ID, a.cfg.FeedConversation+"|"+id); err != nil {
		return fmt.Errorf("teams: remember a feed post: %w", err)
	}
	if m.Ref != "" {
		if !threaded {
			if err := a.st.SetRef(ctx, refThread, m.Ref, id); err != nil {
				return fmt.Errorf("teams: remember a feed thread: %w", err)
			}
		}
		if err := a.st.SetRef(ctx, refFeedLast, m.Ref, it.ID); err != nil {
			return fmt.Errorf("teams: remember a feed post: %w", err)
		}
	}
	t.forget(it)
	return nil
}
