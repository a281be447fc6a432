package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/bot/record"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// Platform references the transport keeps in the store.
const (
	refThread    = "slack-thread"     // case ref → ts of its feed thread
	refDM        = "slack-dm"         // "ref|user" → "channel|ts" of the latest DM
	refDMLast    = "slack-dm-last"    // "ref|user" → outbox id of the latest DM
	refRecordPDF = "slack-record-pdf" // outbox id → "sent" once its record's PDF is attached
	refFeedLast  = "slack-feed-last"  // case ref → outbox id of the latest feed post
)

// transport posts outbox messages: DMs to people, feed posts to the
// business team's channel in one thread per case.
type transport struct{ a *Adapter }

func (t *transport) Platform() string { return "slack" }

func (t *transport) Send(ctx context.Context, it store.OutboxItem) error {
	if it.Message.Feed {
		return t.feed(ctx, it)
	}
	return t.dm(ctx, it)
}

func (t *transport) renderer() renderer { return t.a.renderer() }

func (a *Adapter) renderer() renderer {
	if cal := a.eng.Env().Calendar; cal != nil {
		return renderer{loc: cal.Location()}
	}
	return renderer{}
}

func (t *transport) dm(ctx context.Context, it store.OutboxItem) error {
	m := it.Message
	user, ok := slackUser(m.To)
	if !ok {
		return outbox.Permanent(fmt.Errorf("slack: %s is not a Slack user", m.To.Platform()))
	}
	key := m.Ref + "|" + string(m.To)
	posted := false
	if m.Ref != "" {
		// The same item again (a crash between delivery and its
		// acknowledgement) is recognised, not posted twice.
		last, ok, err := t.a.st.GetRef(ctx, refDMLast, key)
		if err != nil {
			return fmt.Errorf("slack: read last DM: %w", err)
		}
		posted = ok && last == it.ID
		if !posted {
			if err := t.retirePrevious(ctx, key, m.Ref); err != nil {
				return err
			}
		}
	}
	if !posted {
		blocks := t.renderer().message(m, modeDM, maxMessageBlocks)
		// Posting to the user id posts in the app's DM with that person.
		channel, ts, err := t.a.api.PostMessageContext(ctx, user,
			slack.MsgOptionText(fallbackText(m), false), slack.MsgOptionBlocks(blocks...))
		if err != nil {
			return classify("chat.postMessage", err)
		}
		t.a.recent.put(msgKey(channel, ts), blocks)
		if m.Ref != "" {
			// Where the DM is matters to the record's PDF below, so
			// remembering it is retried like the delivery itself.
			if err := t.a.st.SetRef(ctx, refDM, key, channel+"|"+ts); err != nil {
				return fmt.Errorf("slack: remember DM: %w", err)
			}
			if err := t.a.st.SetRef(ctx, refDMLast, key, it.ID); err != nil {
				return fmt.Errorf("slack: remember DM: %w", err)
			}
		}
	}
	if m.Kind == workflow.MsgRecord && m.Ref != "" {
		return t.attachRecord(ctx, it, key)
	}
	return nil
}

// attachRecord puts the written record, as a PDF, beside the closing
// message in the person's DM: the record goes on the child's or adult's
// file. It is sent once per outbox item, even if the item is retried.
func (t *transport) attachRecord(ctx context.Context, it store.OutboxItem, key string) error {
	m := it.Message
	if _, done, err := t.a.st.GetRef(ctx, refRecordPDF, it.ID); err != nil {
		return fmt.Errorf("slack: read record marker: %w", err)
	} else if done {
		return nil
	}
	where, ok, err := t.a.st.GetRef(ctx, refDM, key)
	if err != nil || !ok {
		return fmt.Errorf("slack: find the DM for the record of %s: %v", m.Ref, err)
	}
	channel, _, _ := strings.Cut(where, "|")
	if !strings.HasPrefix(channel, "D") {
		return outbox.Permanent(fmt.Errorf("slack: the record of %s would go to %q, not a direct message", m.Ref, channel))
	}
	rec, err := record.ForViewer(ctx, t.a.eng, m.Ref, m.To)
	if err != nil {
		return outbox.Permanent(fmt.Errorf("slack: record of %s: %w", m.Ref, err))
	}
	var pdf bytes.Buffer
	if err := record.PDF(&pdf, rec); err != nil {
		return fmt.Errorf("slack: render the record of %s: %w", m.Ref, err)
	}
	if _, err := t.a.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(pdf.Bytes()), FileSize: pdf.Len(),
		Filename: rec.Ref + ".pdf", Title: "Written record of " + rec.Ref, Channel: channel,
	}); err != nil {
		return classify("files.upload", err)
	}
	if err := t.a.st.SetRef(ctx, refRecordPDF, it.ID, "sent"); err != nil {
		t.a.log.WarnContext(ctx, "remember the record was sent", "ref", m.Ref, "err", err)
	}
	return nil
}

// retirePrevious takes the buttons off the person's previous DM about the
// case: the new one carries the buttons that are current. The previous
// message's words stay; when they are no longer known (a restart) the
// message is left as it was, and its stale buttons are refused by the
// workflow if clicked.
func (t *transport) retirePrevious(ctx context.Context, key, ref string) error {
	prev, ok, err := t.a.st.GetRef(ctx, refDM, key)
	if err != nil {
		return fmt.Errorf("slack: read previous DM: %w", err)
	}
	if !ok {
		return nil
	}
	channel, ts, _ := strings.Cut(prev, "|")
	blocks, ok := t.a.recent.get(msgKey(channel, ts))
	if !ok || !hasActions(blocks) {
		return nil
	}
	nb := retired(blocks, "_"+escape(ref)+" has moved on: the current buttons are on the newer message below._")
	_, _, _, err = t.a.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionBlocks(nb...))
	var rl *slack.RateLimitedError
	switch {
	case err == nil:
		t.a.recent.put(msgKey(channel, ts), nb)
	case errors.As(err, &rl):
		return classify("chat.update", err)
	default:
		t.a.log.WarnContext(ctx, "retire stale buttons", "ref", ref, "err", errCode(err))
	}
	return nil
}

func (t *transport) feed(ctx context.Context, it store.OutboxItem) error {
	m := it.Message
	if t.a.cfg.FeedChannel == "" {
		return outbox.Permanent(errors.New("slack: no business-team channel is configured"))
	}
	// Title and facts only: the workflow builds feed messages without free
	// text or the subject reference, and Lines and History are never drawn
	// in a channel whatever they hold.
	blocks := t.renderer().message(m, modeFeed, maxMessageBlocks)
	opts := []slack.MsgOption{slack.MsgOptionText(fallbackText(m), false), slack.MsgOptionBlocks(blocks...)}
	var thread string
	if m.Ref != "" {
		last, ok, err := t.a.st.GetRef(ctx, refFeedLast, m.Ref)
		if err != nil {
			return fmt.Errorf("slack: read last feed post: %w", err)
		}
		if ok && last == it.ID {
			return nil
		}
		th, ok, err := t.a.st.GetRef(ctx, refThread, m.Ref)
		if err != nil {
			return fmt.Errorf("slack: read feed thread: %w", err)
		}
		if ok {
			thread = th
			opts = append(opts, slack.MsgOptionTS(th))
		}
	}
	_, ts, err := t.a.api.PostMessageContext(ctx, t.a.cfg.FeedChannel, opts...)
	if err != nil {
		return classify("chat.postMessage", err)
	}
	if m.Ref == "" {
		return nil
	}
	if thread == "" {
		if err := t.a.st.SetRef(ctx, refThread, m.Ref, ts); err != nil {
			t.a.log.ErrorContext(ctx, "remember feed thread", "ref", m.Ref, "err", err)
		}
	}
	if err := t.a.st.SetRef(ctx, refFeedLast, m.Ref, it.ID); err != nil {
		t.a.log.WarnContext(ctx, "remember feed post", "ref", m.Ref, "err", err)
	}
	return nil
}

// permanentErrors are Slack error codes that retrying cannot fix: the
// message is parked for an operator.
var permanentErrors = map[string]bool{
	"user_not_found": true, "channel_not_found": true, "not_in_channel": true,
	"is_archived": true, "account_inactive": true, "user_disabled": true,
	"cannot_dm_bot": true, "messages_tab_disabled": true, "restricted_action": true,
	"invalid_blocks": true, "invalid_blocks_format": true, "msg_too_long": true,
	"no_text": true, "too_many_attachments": true, "invalid_arguments": true,
}

// classify maps a Slack error to the outbox's kinds: rate limited (retry
// after Slack's Retry-After), permanent, or transient.
func classify(method string, err error) error {
	var rl *slack.RateLimitedError
	var se slack.SlackErrorResponse
	var sc slack.StatusCodeError
	switch {
	case errors.As(err, &rl):
		return &outbox.RetryAfter{After: rl.RetryAfter}
	case errors.As(err, &sc) && sc.Code == 429:
		return &outbox.RetryAfter{After: time.Second}
	case errors.As(err, &se) && permanentErrors[se.Err]:
		return outbox.Permanent(fmt.Errorf("slack %s: %s", method, se.Err))
	case errors.As(err, &se) && (se.Err == "ratelimited" || se.Err == "rate_limited"):
		return &outbox.RetryAfter{After: time.Second}
	}
	return fmt.Errorf("slack %s: %s", method, errCode(err))
}

// errCode is an error as Slack's code or the transport's message: never a
// request body, and never the URL (a response_url is a credential).
func errCode(err error) string {
	var se slack.SlackErrorResponse
	var ue *url.Error
	switch {
	case errors.As(err, &se):
		return se.Err
	case errors.As(err, &ue):
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}
